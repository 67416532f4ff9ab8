import { afterAll, describe, expect, it } from 'vitest';
import type { RenderRoute } from '../../src/publish/publisher.ts';
import { createSiteHarness, type SiteHarness } from './site-support.ts';

/**
 * Under a flood of changes the publisher waits as long as its last run took before the next one.
 * A full export is not part of a flood: at 100,000 incidents the start-up export takes minutes,
 * and an update posted just after it must not wait that long.
 */

const starts: number[] = [];
const wrapRender =
  (render: RenderRoute): RenderRoute =>
  async (path, view) => {
    starts.push(performance.now());
    // Every render is slowed: the start-up export takes about a second and a half.
    await new Promise((r) => setTimeout(r, 80));
    return render(path, view);
  };

let h: SiteHarness | null = null;
afterAll(() => h?.close());

describe('after a long full export', () => {
  it('runs the next publish at once, not after waiting as long as the export took', async () => {
    h = await createSiteHarness({
      // The refresh comes due during the export, so work is pending the moment it ends.
      publisher: { wrapRender, debounceMs: 20, refreshMs: 300 },
    });
    // Every route of the site was rendered once by the export, then some again by the refresh.
    const exported = (await h.files()).filter(
      (f) => !f.file.endsWith('.br') && !f.file.endsWith('.gz'),
    ).length;
    expect(starts.length).toBeGreaterThan(exported);
    const exportTook = starts[exported - 1]! - starts[0]!;
    expect(exportTook).toBeGreaterThan(1_000);
    // The first render of the run after the export started soon after the export's last one.
    const gap = starts[exported]! - starts[exported - 1]!;
    expect(gap).toBeLessThan(exportTook / 3);
  }, 60_000);
});
