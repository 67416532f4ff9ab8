import { describe, expect, it } from 'vitest';
import { collectGarbage } from '../../src/lib/gc.ts';

describe('collectGarbage', () => {
  it('gives back the heap that garbage holds, at once', () => {
    let garbage: Array<{ i: number; s: string }> | null = [];
    for (let i = 0; i < 2_000_000; i++) garbage.push({ i, s: `item ${i}` });
    expect(garbage).toHaveLength(2_000_000);
    garbage = null;
    const before = process.memoryUsage().heapUsed;
    collectGarbage();
    const after = process.memoryUsage().heapUsed;
    // Two million small objects and their strings are well over 60 MiB.
    expect(before - after).toBeGreaterThan(60 * 2 ** 20);
  });
});
