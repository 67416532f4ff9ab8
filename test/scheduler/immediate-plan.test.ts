import { describe, expect, it } from 'vitest';
import type { IncidentChange } from '../../src/domain/incidents/context.ts';
import type { IncidentRecord } from '../../src/domain/types.ts';
import { needsImmediatePlan } from '../../src/scheduler/scheduler.ts';

const incident = {
  id: 'abc',
  severity: 'SEV3',
  status: 'identified',
  visibility: 'public',
  started_at: '2026-11-23T10:00:00.000Z',
  roles: { commander: 'Ada' },
} as unknown as IncidentRecord;

function change(
  kind: IncidentChange['kind'],
  previous: Partial<IncidentRecord> | null,
): IncidentChange {
  return {
    kind,
    incident,
    previous: previous === null ? null : ({ ...incident, ...previous } as IncidentRecord),
    update: null,
    componentIds: [],
  };
}

describe('which changes the scheduler plans at once', () => {
  it('plans a declaration at once: an immediate executive notice cannot wait for a tick', () => {
    expect(needsImmediatePlan(change('declared', null))).toBe(true);
  });

  it('leaves a posted update to the tick: it only opens a new window', () => {
    expect(needsImmediatePlan(change('updated', {}))).toBe(false);
    expect(needsImmediatePlan(change('updated', { status: 'investigating' }))).toBe(false);
  });

  it('plans an update that reopens a resolved incident at once', () => {
    expect(needsImmediatePlan(change('updated', { status: 'resolved' }))).toBe(true);
  });

  it('plans an edit of started_at at once: the executive notice rule counts from it', () => {
    expect(needsImmediatePlan(change('edited', { started_at: '2026-11-23T10:05:00.000Z' }))).toBe(
      true,
    );
  });

  it('plans an edit of severity, visibility or roles at once, and not a retitling', () => {
    expect(needsImmediatePlan(change('edited', { severity: 'SEV1' }))).toBe(true);
    expect(needsImmediatePlan(change('edited', { visibility: 'private' }))).toBe(true);
    expect(needsImmediatePlan(change('edited', { roles: {} }))).toBe(true);
    expect(needsImmediatePlan(change('edited', { title: 'old title' }))).toBe(false);
  });
});
