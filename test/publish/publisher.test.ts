import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { ASSET_GRACE_MS, assetsToKeep } from '../../src/publish/assets.ts';
import { PAGE_SCRIPT_FILE } from '../../src/publish/views/page-security.ts';
import { listPublished } from '../../src/publish/write.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RenderRoute } from '../../src/publish/publisher.ts';
import type { Db } from '../../src/storage/db.ts';
import { sev1Body } from '../support/harness.ts';
import { createSiteHarness, type SiteHarness } from './site-support.ts';

/** Paths whose render should fail, and how many times each path was rendered. */
const failing = new Set<string>();
let failEveryRender = false;
let beforeRender: ((path: string) => void) | null = null;
const renders = new Map<string, number>();
const wrapRender =
  (render: RenderRoute): RenderRoute =>
  async (path, view) => {
    renders.set(path, (renders.get(path) ?? 0) + 1);
    beforeRender?.(path);
    if (failEveryRender || failing.has(path))
      throw new Error(`simulated render failure for ${path}`);
    return render(path, view);
  };

/** How many of the publisher's next reads of the component statuses fail, as a flaky disk would. */
let failComponentReads = 0;
const wrapDb = (db: Db): Db => ({
  ...db,
  url: db.url,
  query(sql, args) {
    if (failComponentReads > 0 && sql.includes('FROM component_status')) {
      failComponentReads--;
      return Promise.reject(new Error('simulated database read failure'));
    }
    return db.query(sql, args);
  },
});

let h: SiteHarness;

beforeAll(async () => {
  h = await createSiteHarness({ publisher: { wrapRender, debounceMs: 40 }, wrapDb });
});
afterAll(() => h?.close());

/** Every published file that mentions one of `needles`, read right now. */
async function filesMentioning(needles: string[]): Promise<string[]> {
  return (await h.files()).flatMap(({ file, text }) =>
    needles.filter((n) => text.includes(n)).map((n) => `${n} in ${file}`),
  );
}

async function declare(body: Record<string, unknown>) {
  const res = await h.request('POST', '/v1/incidents', { body });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; updates: Array<{ id: string }> };
}

async function post(id: string, body: Record<string, unknown>) {
  const res = await h.request('POST', `/v1/incidents/${id}/updates`, { body });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string };
}

describe('the publisher', () => {
  it('exports the whole site at start-up', async () => {
    const files = (await h.files()).map((f) => f.file);
    expect(files).toEqual(
      expect.arrayContaining([
        'index.html',
        'history/index.html',
        'history.rss',
        'badge.svg',
        'components/checkout/index.html',
        'components/checkout/history.rss',
        'history.atom',
        'components/checkout/history.atom',
        '404.html',
        'api/v2/summary.json',
        'api/v2/scheduled-maintenances/active.json',
      ]),
    );
    expect(await h.read('index.html')).toContain('All Systems Operational');
    expect(h.publisher.health()).toMatchObject({ ready: true, last_error: null });
  });

  it('publishes a declared incident to its page, the index, the feeds and the JSON', async () => {
    const incident = await declare({
      title: 'Card payments failing at checkout',
      severity: 'SEV3',
      message: 'We are investigating failed card payments.',
      components: [{ id: 'checkout', status: 'major_outage' }],
    });
    await h.publisher.idle();
    const page = await h.read(`incidents/${incident.id}/index.html`);
    expect(page).toContain('Card payments failing at checkout');
    expect(page).toContain('We are investigating failed card payments.');
    expect(page).toMatch(/<time datetime="2026-11-23T10:00:00.000Z">/);
    const index = await h.read('index.html');
    expect(index).toContain('Major System Outage');
    expect(index).toContain(`href="/incidents/${incident.id}/"`);
    // SEV3 promises an update within 60 minutes of the last one.
    expect(index).toContain(
      '<span>Next update by</span> <time datetime="2026-11-23T11:00:00.000Z" data-f="t">11:00 UTC</time>',
    );
    expect(await h.read('history.rss')).toContain(
      `<guid isPermaLink="false">${incident.updates[0]!.id}</guid>`,
    );
    expect(await h.read('components/checkout/history.rss')).toContain(incident.updates[0]!.id);
    expect(await h.read('components/api/history.rss')).not.toContain(incident.updates[0]!.id);
    const unresolved = JSON.parse(await h.read('api/v2/incidents/unresolved.json'));
    expect(unresolved.incidents.map((i: { id: string }) => i.id)).toEqual([incident.id]);
    const components = JSON.parse(await h.read('api/v2/components.json'));
    expect(components.components.find((c: { id: string }) => c.id === 'checkout').status).toBe(
      'major_outage',
    );
    expect(JSON.parse(await h.read('api/v2/status.json')).status).toEqual({
      indicator: 'critical',
      description: 'Major System Outage',
    });
    expect(await h.read('badge.svg')).toContain('major system outage');
  });

  it('writes a new incident page before the index that links to it', async () => {
    // Which incident pages were on disk each time the index was rendered.
    const pagesAtIndexRender: string[][] = [];
    beforeRender = (path) => {
      if (path !== '/') return;
      const dir = join(h.siteDir, 'incidents');
      pagesAtIndexRender.push(
        readdirSync(dir).filter((id) => existsSync(join(dir, id, 'index.html'))),
      );
    };
    const { id } = await declare({
      title: 'Queue backlog',
      severity: 'SEV4',
      message: 'Jobs are delayed.',
    });
    await h.publisher.idle();
    beforeRender = null;
    expect(pagesAtIndexRender.length).toBeGreaterThan(0);
    expect(pagesAtIndexRender.at(-1)).toContain(id);
  });

  it('reports its last publish in /healthz', async () => {
    const health = (await (await h.site.request('/healthz')).json()) as {
      publisher: Record<string, unknown>;
    };
    expect(health.publisher).toMatchObject({
      ready: true,
      last_publish_at: '2026-11-23T10:00:00.000Z',
      last_error: null,
    });
  });

  it('re-renders only the routes a change affects, and coalesces a burst', async () => {
    // An October incident puts a second history page on the site (one month per page).
    const today = h.clock.now().toISOString();
    h.clock.set('2026-10-15T10:00:00.000Z');
    const october = await declare({
      title: 'October login errors',
      severity: 'SEV4',
      message: 'Some logins failed.',
    });
    await post(october.id, { status: 'resolved', message: 'Logins work again.' });
    await h.publisher.idle();
    h.clock.set(today);
    const incident = await declare({
      title: 'Slow dashboard',
      severity: 'SEV4',
      message: 'The dashboard loads slowly.',
      components: [{ id: 'dashboard', status: 'degraded_performance' }],
    });
    await h.publisher.idle();
    renders.clear();
    for (let i = 1; i <= 5; i++) await post(incident.id, { message: `Still slow, step ${i}.` });
    await h.publisher.idle();
    expect(renders.get(`/incidents/${incident.id}/`)).toBeLessThan(5);
    expect(renders.has('/components/dashboard/')).toBe(true);
    expect(renders.has('/components/api/')).toBe(false);
    expect(renders.has('/history/')).toBe(true);
    expect(await h.read('history/2/index.html')).toContain('October login errors');
    expect(renders.has('/history/2/')).toBe(false);
    expect(await h.read(`incidents/${incident.id}/index.html`)).toContain('Still slow, step 5.');
  });

  it('keeps the previous file live when a render fails, reports it, and retries', async () => {
    const incident = await declare({
      title: 'Webhook delays',
      severity: 'SEV4',
      message: 'Webhooks are delayed.',
    });
    await h.publisher.idle();
    const path = `/incidents/${incident.id}/`;
    failing.add(path);
    await post(incident.id, { message: 'Webhooks are catching up.' });
    await h.publisher.idle();
    const page = await h.read(`incidents/${incident.id}/index.html`);
    expect(page).toContain('Webhooks are delayed.');
    expect(page).not.toContain('Webhooks are catching up.');
    expect(await h.read('index.html')).toContain('Webhooks are catching up.');
    expect(h.publisher.health().last_error).toMatchObject({
      route: path,
      message: expect.stringContaining('simulated'),
    });
    expect(h.logs.some((l) => l.level === 'error' && l.route === path)).toBe(true);
    failing.delete(path);
    await expect
      .poll(() => h.read(`incidents/${incident.id}/index.html`), { timeout: 5000, interval: 100 })
      .toContain('Webhooks are catching up.');
  });

  it('never publishes a private incident, and withdraws one that goes private', async () => {
    const secret = await declare(
      sev1Body({
        title: 'PRIVATE-7f3a9c-title breach',
        visibility: 'private',
        message: 'PRIVATE-7f3a9c-message',
        components: [{ id: 'payouts', status: 'major_outage' }],
      }),
    );
    const flipped = await declare({
      title: 'WILL-GO-PRIVATE-51d2',
      severity: 'SEV4',
      message: 'Public for now.',
      components: [{ id: 'billing', status: 'partial_outage' }],
    });
    const needles = [secret.id, 'PRIVATE-7f3a9c', flipped.id, 'WILL-GO-PRIVATE-51d2'];
    const visibility = async (value: 'public' | 'private') => {
      const current = await h.request('GET', `/v1/incidents/${flipped.id}`);
      const res = await h.request('PATCH', `/v1/incidents/${flipped.id}`, {
        body: { visibility: value },
        headers: { 'if-match': current.headers.get('etag')! },
      });
      expect(res.status).toBe(200);
      await h.publisher.idle();
    };
    await h.publisher.idle();
    const published = await filesMentioning(needles);
    for (const file of ['index.html', 'history/index.html', 'components/billing/index.html'])
      for (const encoded of [file, `${file}.br`, `${file}.gz`])
        expect(published).toContain(`WILL-GO-PRIVATE-51d2 in ${encoded}`);
    expect(published.filter((p) => !p.startsWith(flipped.id) && !p.startsWith('WILL-GO'))).toEqual(
      [],
    );

    await visibility('private');
    expect(await filesMentioning(needles)).toEqual([]);

    await visibility('public');
    expect(await filesMentioning(needles)).toContain(
      'WILL-GO-PRIVATE-51d2 in components/billing/index.html',
    );

    // Private again, and the publisher's first attempt fails on a database read: the retry must
    // still withdraw it from every page, not only remove its own page.
    failComponentReads = 1;
    await visibility('private');
    expect(failComponentReads).toBe(0);
    expect(h.logs.some((l) => l.error === 'simulated database read failure')).toBe(true);
    expect(await filesMentioning(needles)).toEqual([]);
    expect(existsSync(join(h.siteDir, `incidents/${flipped.id}`))).toBe(false);
  });

  it('does not report a publish in which every route failed as a success', async () => {
    const before = h.publisher.health().last_publish_at;
    h.clock.advance(60_000);
    const incident = await declare({ title: 'Search is slow', severity: 'SEV4', message: 'Slow.' });
    failEveryRender = true;
    await post(incident.id, { message: 'Still slow.' });
    await h.publisher.idle();
    expect(h.publisher.health()).toMatchObject({
      last_publish_at: before,
      last_error: { message: expect.stringContaining('simulated render failure') },
    });
    expect(h.publisher.health().retries_pending).toBeGreaterThan(0);
    failEveryRender = false;
    await expect
      .poll(() => h.publisher.health().retries_pending, { timeout: 10_000, interval: 100 })
      .toBe(0);
    expect(h.publisher.health().last_publish_at).toBe(h.clock.now().toISOString());
  });

  it('lets idle() resolve when it is called during a full export', async () => {
    const exported = h.publisher.fullExport();
    const idle = h.publisher.idle().then(() => 'idle');
    await exported;
    const stuck = new Promise((resolve) => setTimeout(() => resolve('stuck'), 5000).unref());
    expect(await Promise.race([idle, stuck])).toBe('idle');
  });

  it('writes a .br and a .gz beside every file it publishes, each decompressing to its bytes, with its modification time', async () => {
    const files = await listPublished(h.siteDir);
    const plain = files.filter((f) => !f.endsWith('.br') && !f.endsWith('.gz'));
    expect(plain.length).toBeGreaterThan(20);
    for (const kind of ['.html', '.rss', '.json', '.svg'])
      expect(plain.some((f) => f.endsWith(kind))).toBe(true);
    // Nothing else: no sibling without its plain file.
    expect(files.sort()).toEqual(plain.flatMap((f) => [f, `${f}.br`, `${f}.gz`]).sort());
    for (const file of plain) {
      const bytes = await readFile(join(h.siteDir, file));
      const mtime = (await stat(join(h.siteDir, file))).mtimeMs;
      const br = await readFile(join(h.siteDir, `${file}.br`));
      const gz = await readFile(join(h.siteDir, `${file}.gz`));
      expect(brotliDecompressSync(br).equals(bytes), file).toBe(true);
      expect(gunzipSync(gz).equals(bytes), file).toBe(true);
      expect(br.length, file).toBeLessThan(bytes.length);
      expect((await stat(join(h.siteDir, `${file}.br`))).mtimeMs, file).toBe(mtime);
      expect((await stat(join(h.siteDir, `${file}.gz`))).mtimeMs, file).toBe(mtime);
    }
  });

  it('removes files that are not part of the site on a full export and leaves no temp files', async () => {
    await mkdir(join(h.siteDir, 'incidents/stale000001'), { recursive: true });
    await writeFile(join(h.siteDir, 'incidents/stale000001/index.html'), 'old');
    await writeFile(join(h.siteDir, 'incidents/stale000001/index.html.br'), 'old');
    await writeFile(join(h.siteDir, 'incidents/stale000001/index.html.gz'), 'old');
    // A sibling whose plain file is gone (a crash between two removals) goes too.
    await writeFile(join(h.siteDir, 'retired.atom.gz'), 'orphan');
    const stats = await h.publisher.fullExport();
    expect(stats.removed).toBeGreaterThanOrEqual(1);
    const files = (await h.files()).map((f) => f.file);
    expect(files.some((f) => f.includes('stale000001'))).toBe(false);
    expect(files).not.toContain('retired.atom.gz');
    expect(files.some((f) => f.endsWith('.tmp'))).toBe(false);
  });

  it('keeps a replaced stylesheet or page script for a day (cached pages link it), then prunes it', async () => {
    const day = ASSET_GRACE_MS / 1000;
    const old = join(h.siteDir, '_astro/Base.older000.css');
    const recent = join(h.siteDir, 'assets/page-0123456789ab.js');
    await writeFile(old, 'main{}');
    await writeFile(recent, 'void 0');
    const now = Date.now() / 1000;
    await utimes(old, now - 2 * day, now - 2 * day);
    await utimes(recent, now - 3600, now - 3600);
    await h.publisher.fullExport();
    const files = (await h.files()).map((f) => f.file);
    expect(files).toContain(PAGE_SCRIPT_FILE);
    expect(files.some((f) => /^_astro\/Base\.[\w-]+\.css$/.test(f) && !f.includes('older'))).toBe(
      true,
    );
    expect(files).toContain('assets/page-0123456789ab.js');
    expect(files).not.toContain('_astro/Base.older000.css');
    // The current ones are written at every export, even unchanged: the day a replaced one is
    // kept counts from the last export in which it was current, not from its first.
    const current = join(h.siteDir, PAGE_SCRIPT_FILE);
    await utimes(current, now - 2 * day, now - 2 * day);
    await h.publisher.fullExport();
    expect((await stat(current)).mtimeMs).toBeGreaterThan(Date.now() - 60_000);
    // When a page failed to render, its previous version stays live: every older file stays too.
    await writeFile(old, 'main{}');
    await utimes(old, now - 2 * day, now - 2 * day);
    expect(await assetsToKeep(h.siteDir, Date.now(), true)).toContain('_astro/Base.older000.css');
    expect(await assetsToKeep(h.siteDir, Date.now(), false)).not.toContain(
      '_astro/Base.older000.css',
    );
  });
});
