import { describe, expect, it } from 'vitest';
import { deriveIncidentState } from '../../src/domain/incident-state.ts';
import type { StateInput } from '../../src/domain/incident-state.ts';

function update(seq: number, status: StateInput['status'], display_at: string, components: StateInput['components'] = []): StateInput {
  return { seq, status, display_at, components };
}

describe('deriveIncidentState', () => {
  it('takes the status of the latest update by display time', () => {
    const state = deriveIncidentState([
      update(1, 'investigating', '2026-01-01T10:00:00Z'),
      update(2, 'identified', '2026-01-01T10:10:00Z'),
    ]);
    expect(state.status).toBe('identified');
  });

  it('never lets a back-dated update override a newer one', () => {
    const state = deriveIncidentState([
      update(1, 'investigating', '2026-01-01T10:00:00Z'),
      update(2, 'monitoring', '2026-01-01T10:30:00Z'),
      update(3, 'identified', '2026-01-01T10:15:00Z'),
    ]);
    expect(state.status).toBe('monitoring');
  });
});
