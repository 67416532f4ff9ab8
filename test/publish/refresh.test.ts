import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RenderRoute } from '../../src/publish/publisher.ts';
import { createSiteHarness, type SiteHarness } from './site-support.ts';

const rendered = new Set<string>();
const wrapRender =
  (render: RenderRoute): RenderRoute =>
  async (path, view) => {
    rendered.add(path);
    return render(path, view);
  };

let h: SiteHarness;

beforeAll(async () => {
  h = await createSiteHarness({ publisher: { wrapRender, refreshMs: 300 } });
});
afterAll(() => h?.close());

async function declare(title: string): Promise<string> {
  const res = await h.request('POST', '/v1/incidents', {
    body: { title, severity: 'SEV4', message: 'Looking into it.' },
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

describe('the periodic refresh', () => {
  it('re-renders the pages of open incidents, whose "ongoing for" moves with the clock', async () => {
    const open = await declare('Still going');
    const closed = await declare('Already over');
    const res = await h.request('POST', `/v1/incidents/${closed}/updates`, {
      body: { status: 'resolved', message: 'Fixed.' },
    });
    expect(res.status).toBe(201);
    await h.publisher.idle();
    rendered.clear();
    h.clock.advance(3 * 3_600_000);
    // Nothing changed: only the refresh renders the index now.
    await expect.poll(() => rendered.has('/'), { timeout: 10_000, interval: 50 }).toBe(true);
    await h.publisher.idle();
    expect(rendered.has(`/incidents/${open}/`)).toBe(true);
    expect(rendered.has(`/incidents/${closed}/`)).toBe(false);
    expect(await h.read(`incidents/${open}/index.html`)).toMatch(/3 h/);
  });
});
