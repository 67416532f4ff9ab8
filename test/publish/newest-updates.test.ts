import { describe, expect, it } from 'vitest';
import type { IncidentRecord, Update } from '../../src/domain/types.ts';
import { feedOrderKey, newestUpdates } from '../../src/publish/feed.ts';

/** A seeded pseudo-random sequence, so a failure can be replayed. */
function random(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1_103_515_245 + 12_345) % 2 ** 31), s / 2 ** 31);
}

describe('newestUpdates', () => {
  it('picks the same updates as sorting every update, skipping incidents with nothing newer', () => {
    const next = random(42);
    const base = Date.parse('2026-11-01T00:00:00.000Z');
    for (let round = 0; round < 50; round++) {
      const incidents = Array.from({ length: 60 }, (_, i) => {
        const updates = Array.from({ length: 1 + Math.floor(next() * 5) }, (_, k) => ({
          id: `u${round}-${i}-${k}`,
          seq: k + 1,
          // Few distinct instants, so ties on display_at (broken by seq, then id) are common.
          display_at: new Date(base + Math.floor(next() * 40) * 60_000).toISOString(),
        }));
        return { id: `i${i}`, updates } as unknown as IncidentRecord;
      });
      const limit = 1 + Math.floor(next() * 30);
      const all = incidents
        .flatMap((incident) => incident.updates as Update[])
        .sort((a, b) => (feedOrderKey(a) < feedOrderKey(b) ? 1 : -1));
      expect(newestUpdates(incidents, limit).map((u) => u.update.id)).toEqual(
        all.slice(0, limit).map((u) => u.id),
      );
    }
  });
});
