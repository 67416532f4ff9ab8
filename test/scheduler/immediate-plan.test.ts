import { describe, expect, it } from 'vitest';
import type { IncidentChange } from '../../src/domain/incidents/context.ts';
import type { IncidentRecord } from '../../src/domain/types.ts';
import { needsImmediatePlan } from '../../src/scheduler/scheduler.ts';

const incident = {
  id: 'abc',
  severity: 'SEV3',
  visibility: 'public',
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
  });

  it('plans an edit of severity, visibility or roles at once, and not a retitling', () => {
    expect(needsImmediatePlan(change('edited', { severity: 'SEV1' }))).toBe(true);
    expect(needsImmediatePlan(change('edited', { visibility: 'private' }))).toBe(true);
    expect(needsImmediatePlan(change('edited', { roles: {} }))).toBe(true);
    expect(needsImmediatePlan(change('edited', { title: 'old title' }))).toBe(false);
  });
});
