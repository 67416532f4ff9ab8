import { describe, expect, it } from 'vitest';
import { collectGarbage } from '../../src/lib/gc.ts';

/** Two million small objects and their strings, unreachable once this returns. */
function makeGarbage(): number {
  const garbage: Array<{ i: number; s: string }> = [];
  for (let i = 0; i < 2_000_000; i++) garbage.push({ i, s: `item ${i}` });
  return garbage.length;
}

describe('collectGarbage', () => {
  it('gives back the heap that garbage holds, at once', () => {
    expect(makeGarbage()).toBe(2_000_000);
    const before = process.memoryUsage().heapUsed;
    collectGarbage();
    const after = process.memoryUsage().heapUsed;
    // Well over 60 MiB of it.
    expect(before - after).toBeGreaterThan(60 * 2 ** 20);
  });
});
