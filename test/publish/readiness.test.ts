// Before the publisher's first export has finished, the site on disk is served as it is, a file it
// lacks is waited for and then answered 503 (never a 404), and /readyz says not ready. The export is
// held at a gate (the publisher's render hook) so every step is seen, not raced.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { exportMarkerPath } from '../../src/publish/availability.ts';
import { createPublisher, type Publisher, type RenderRoute } from '../../src/publish/publisher.ts';
import { readinessOf } from '../../src/service.ts';
import { SiteFiles } from '../../src/serve/site.ts';
import { createHarness, REPO_ROOT, type Harness } from '../support/harness.ts';

let h: Harness | null = null;
let publisher: Publisher | null = null;
afterEach(async () => {
  await publisher?.stop!();
  h?.close();
  h = publisher = null;
});

/** A render hook that holds every render until `open()`, and fails the paths in `failing`. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  const failing = new Set<string>();
  const wrapRender =
    (render: RenderRoute): RenderRoute =>
    async (path, view) => {
      await opened;
      if (failing.has(path)) throw new Error(`simulated render failure for ${path}`);
      return render(path, view);
    };
  return { open, failing, wrapRender };
}

/** The app as `main.ts` wires it: the publisher tells the static server what is still to come. */
async function setUp(wrapRender: (render: RenderRoute) => RenderRoute, earlier?: string) {
  h = await createHarness();
  const siteDir = join(h.dir, 'site');
  mkdirSync(join(siteDir, 'api/v2'), { recursive: true });
  if (earlier) {
    writeFileSync(join(siteDir, 'index.html'), earlier);
    writeFileSync(join(siteDir, 'api/v2/status.json'), '{"earlier":true}');
  }
  publisher = createPublisher({
    db: h.db,
    content: h.content,
    siteUrl: 'https://status.example.test',
    siteDir,
    now: h.clock.now,
    log: () => undefined,
    root: REPO_ROOT,
    wrapRender,
  });
  await publisher.start!();
  const appHolding = (holdMs?: number) =>
    createApp({
      db: h!.db,
      content: h!.content,
      templates: new Map(),
      now: h!.clock.now,
      siteUrl: 'https://status.example.test',
      log: () => undefined,
      onChange: () => undefined,
      site: new SiteFiles(siteDir, { availability: publisher!, holdMs }),
      readiness: readinessOf([publisher!]),
    });
  // `app` holds a missing file as the server does (2 s). `patient` holds it 30 s, for the checks
  // that a held request gets its file or that a request was not held at all: on a loaded machine
  // a held request took 1 s of the 2, and a bound far below 30 s still tells "not held" apart.
  return { app: appHolding(), patient: appHolding(30_000), siteDir };
}

async function timed(response: Response | Promise<Response>) {
  const started = performance.now();
  const res = await response;
  const body = await res.text();
  return { res, body, ms: performance.now() - started };
}

describe('the site before the first export has finished', () => {
  it('serves an earlier site at once, holds a missing file then answers 503, and is not ready until the export is done', async () => {
    const { open, wrapRender } = gate();
    const { app, patient, siteDir } = await setUp(
      wrapRender,
      '<!doctype html><h1>earlier site</h1>',
    );

    // The earlier site, at once: not held for the export, which would take the whole 30 s.
    const index = await timed(patient.request('/'));
    expect(index.res.status).toBe(200);
    expect(index.body).toBe('<!doctype html><h1>earlier site</h1>');
    expect(index.ms).toBeLessThan(10_000);
    expect(await (await app.request('/api/v2/status.json')).json()).toEqual({ earlier: true });

    // Alive, not ready.
    expect((await app.request('/healthz')).status).toBe(200);
    const notReady = await app.request('/readyz');
    expect(notReady.status).toBe(503);
    expect(notReady.headers.get('cache-control')).toBe('no-store');
    expect(await notReady.json()).toEqual({
      status: 'not_ready',
      reasons: ['publisher: the first export of the site is in progress'],
      checks: { database: 'ok', publisher: 'the first export of the site is in progress' },
    });

    // A route the earlier site lacks: held for the server's 2 s, then "retry soon", never cacheable.
    const missing = await timed(app.request('/history/'));
    expect(missing.res.status).toBe(503);
    expect(missing.res.headers.get('retry-after')).toBe('2');
    expect(missing.res.headers.get('cache-control')).toBe('no-store');
    expect(missing.ms).toBeGreaterThan(1500);
    const head = await app.request('/badge.svg', { method: 'HEAD' });
    expect(head.status).toBe(503);
    expect(await head.text()).toBe('');

    // A request held while the export writes its file gets the file (held up to 30 s, so a slow
    // export on a loaded machine cannot turn it into a 503).
    const held = timed(patient.request('/components/api/'));
    setTimeout(open, 200);
    const written = await held;
    expect(written.res.status).toBe(200);
    expect(written.body).toContain('<h1');
    expect(written.body).not.toContain('Publishing the status page');

    await publisher!.idle();
    const ready = await app.request('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: 'ready',
      checks: { database: 'ok', publisher: 'ok' },
    });
    expect(await (await app.request('/')).text()).toContain('All Systems Operational');
    expect(existsSync(exportMarkerPath(siteDir))).toBe(true);
    // Once the site is whole, an unknown address is a plain 404, without waiting (the 30 s hold).
    const unknown = await timed(patient.request('/nowhere/'));
    expect(unknown.res.status).toBe(404);
    expect(unknown.ms).toBeLessThan(10_000);
  });

  it('answers 503, not 404, for a route whose render failed and that has no file yet, until its retry writes it', async () => {
    const { open, failing, wrapRender } = gate();
    failing.add('/history.rss');
    open();
    const { app, siteDir } = await setUp(wrapRender);
    await publisher!.idle();
    expect((await app.request('/')).status).toBe(200);
    const feed = await app.request('/history.rss');
    expect(feed.status).toBe(503);
    expect(feed.headers.get('retry-after')).toBe('2');
    expect(feed.headers.get('cache-control')).toBe('no-store');
    const readyz = await app.request('/readyz');
    expect(readyz.status).toBe(503);
    expect(((await readyz.json()) as { reasons: string[] }).reasons).toEqual([
      'publisher: 1 route(s) not written yet: their render failed and is retried',
    ]);
    // Not every route was written: the site is not marked whole.
    expect(existsSync(exportMarkerPath(siteDir))).toBe(false);

    failing.clear();
    // The retry (back-off from 1 s, doubling) writes it; until then it stays a 503.
    await expect
      .poll(async () => (await app.request('/history.rss')).status, { timeout: 15_000 })
      .toBe(200);
    expect(await (await app.request('/history.rss')).text()).toContain('<rss');
    expect((await app.request('/readyz')).status).toBe(200);
  });
});
