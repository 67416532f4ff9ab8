import { describe, expect, it } from 'vitest';
import {
  applyUpdate,
  deriveIncidentState,
  statusForNewUpdate,
  type StateInput,
} from '../../src/domain/incident-state.ts';
import { componentChanges } from '../../src/domain/incidents/add-update.ts';

function update(
  seq: number,
  status: StateInput['status'],
  display_at: string,
  components: StateInput['components'] = [],
): StateInput {
  return { seq, status, display_at, components };
}

const down = (
  id: string,
  status: 'major_outage' | 'partial_outage' | 'degraded_performance' = 'major_outage',
) => ({
  id,
  old_status: 'operational' as const,
  new_status: status,
});

describe('deriveIncidentState', () => {
  it('takes the status of the latest update by display time', () => {
    const state = deriveIncidentState([
      update(1, 'investigating', '2026-01-01T10:00:00.000Z'),
      update(2, 'identified', '2026-01-01T10:10:00.000Z'),
    ]);
    expect(state.status).toBe('identified');
  });

  it('never lets a back-dated update override a newer one', () => {
    const state = deriveIncidentState([
      update(1, 'investigating', '2026-01-01T10:00:00.000Z'),
      update(2, 'monitoring', '2026-01-01T10:30:00.000Z'),
      update(3, 'identified', '2026-01-01T10:15:00.000Z'),
    ]);
    expect(state.status).toBe('monitoring');
  });

  it('breaks display-time ties by order of acceptance', () => {
    const state = deriveIncidentState([
      update(2, 'identified', '2026-01-01T10:00:00.000Z'),
      update(1, 'investigating', '2026-01-01T10:00:00.000Z'),
    ]);
    expect(state.status).toBe('identified');
  });

  it('sets every affected component it does not name back to operational on resolve', () => {
    const state = deriveIncidentState([
      update(1, 'investigating', '2026-01-01T10:00:00.000Z', [
        down('api'),
        down('checkout', 'partial_outage'),
      ]),
      update(2, 'resolved', '2026-01-01T11:00:00.000Z', [
        { id: 'checkout', old_status: 'partial_outage', new_status: 'degraded_performance' },
      ]),
    ]);
    expect(state.status).toBe('resolved');
    expect(state.components).toEqual([
      { id: 'api', status: 'operational' },
      { id: 'checkout', status: 'degraded_performance' },
    ]);
    expect(state.resolved_at).toBe('2026-01-01T11:00:00.000Z');
  });

  it('reopens only on an explicit open status, clearing resolved_at', () => {
    const resolved = deriveIncidentState([
      update(1, 'investigating', '2026-01-01T10:00:00.000Z'),
      update(2, 'resolved', '2026-01-01T11:00:00.000Z'),
    ]);
    expect(statusForNewUpdate(resolved.status, undefined)).toBe('resolved');
    expect(statusForNewUpdate(resolved.status, 'investigating')).toBe('investigating');
    const reopened = applyUpdate(resolved, update(3, 'investigating', '2026-01-01T12:00:00.000Z'));
    expect(reopened.status).toBe('investigating');
    expect(reopened.resolved_at).toBeNull();
  });

  it('keeps the first resolution time when a note follows the resolution', () => {
    const state = deriveIncidentState([
      update(1, 'investigating', '2026-01-01T10:00:00.000Z'),
      update(2, 'resolved', '2026-01-01T11:00:00.000Z'),
      update(3, 'resolved', '2026-01-01T12:00:00.000Z'),
    ]);
    expect(state.resolved_at).toBe('2026-01-01T11:00:00.000Z');
  });

  it('records when monitoring began and keeps it through resolution', () => {
    const state = deriveIncidentState([
      update(1, 'investigating', '2026-01-01T10:00:00.000Z'),
      update(2, 'monitoring', '2026-01-01T10:30:00.000Z'),
      update(3, 'monitoring', '2026-01-01T10:45:00.000Z'),
      update(4, 'resolved', '2026-01-01T11:00:00.000Z'),
    ]);
    expect(state.monitoring_at).toBe('2026-01-01T10:30:00.000Z');
  });

  it('gives the same state whether updates are applied one by one or replayed', () => {
    const updates = [
      update(1, 'investigating', '2026-01-01T10:00:00.000Z', [down('api')]),
      update(2, 'identified', '2026-01-01T10:05:00.000Z', [down('dashboard', 'partial_outage')]),
      update(3, 'monitoring', '2026-01-01T10:20:00.000Z'),
      update(4, 'resolved', '2026-01-01T10:40:00.000Z'),
      update(5, 'investigating', '2026-01-01T11:00:00.000Z', [down('api', 'degraded_performance')]),
    ];
    let stepwise = deriveIncidentState([]);
    for (const u of updates) stepwise = applyUpdate(stepwise, u);
    expect(deriveIncidentState([...updates].reverse())).toEqual(stepwise);
  });
});

describe('componentChanges', () => {
  const current = [
    { id: 'api', status: 'major_outage' as const },
    { id: 'dashboard', status: 'operational' as const },
  ];

  it('records only components whose status differs, and newly affected ones', () => {
    expect(
      componentChanges(
        current,
        [
          { id: 'api', status: 'major_outage' },
          { id: 'checkout', status: 'partial_outage' },
        ],
        'identified',
      ),
    ).toEqual([{ id: 'checkout', old_status: 'operational', new_status: 'partial_outage' }]);
  });

  it('adds the implicit return to operational when resolving', () => {
    expect(componentChanges(current, [], 'resolved')).toEqual([
      { id: 'api', old_status: 'major_outage', new_status: 'operational' },
    ]);
  });
});
