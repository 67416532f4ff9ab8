import { describe, expect, it } from 'vitest';
import { generateHistory } from '../../src/seed/generate.ts';
import { repoContent } from '../publish/fixtures.ts';

describe('the seeded demo history', () => {
  it('never has an update or a resolution after now, even for incidents that began just before', async () => {
    const { catalog } = await repoContent();
    const now = new Date('2026-11-23T10:00:00.000Z');
    // Two days of 2,000 incidents: many start within hours of `now`, with durations up to days.
    const history = generateHistory({ incidents: 2000, days: 2, now, seed: 7, active: 3, catalog });
    const late = history.flatMap((incident) =>
      [incident.resolved_at, ...incident.updates.map((u) => u.display_at)]
        .filter((at): at is string => at !== null && at > now.toISOString())
        .map((at) => `${incident.id} at ${at}`),
    );
    expect(late).toEqual([]);
    expect(history.filter((i) => i.status === 'resolved').length).toBeGreaterThan(1900);
  });
});
