// A status page must never say "not found" about itself: from the moment the port accepts
// connections, on a fresh data directory and across a restart, every route the site publishes is
// served (200) or, before the first export has written it, "retry soon" (503, never cached).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/harness.ts';
import { launchServer, type ServerProcess } from '../support/server-process.ts';

const started: ServerProcess[] = [];
afterAll(async () => {
  for (const server of started) await server.stop('SIGKILL');
  // A seeded site is tens of megabytes: leave nothing behind.
  for (const dir of new Set(started.map((s) => s.dataDir)))
    rmSync(dir, { recursive: true, force: true });
});

/** What the site publishes, one route of each kind. */
const SITE_ROUTES = [
  '/',
  '/history/',
  '/history.rss',
  '/components/api/',
  '/components/api/history.rss',
  '/api/v2/summary.json',
  '/api/v2/incidents/unresolved.json',
  '/badge.svg',
];

interface Answer {
  path: string;
  status: number;
  retryAfter: string | null;
  cacheControl: string | null;
  body: string;
  /** The round of requests it answered, and whether every request of that round was answered. */
  round: number;
  complete: boolean;
}

/**
 * Polls every site route and `/readyz` from the moment the process is spawned until, after
 * `/readyz` has said ready, one whole round of the site answered 200. Returns every answer, in
 * order, from the first connection the port accepted. Bounded: 300 s (a loaded machine).
 */
async function watchFromFirstConnection(server: ServerProcess): Promise<Answer[]> {
  const answers: Answer[] = [];
  let connected = false;
  let ended = false;
  void server.exited.then(() => (ended = true));
  const deadline = Date.now() + 300_000;
  let readySeen = false;
  let rounds = 0;
  while (Date.now() < deadline) {
    const round = rounds++;
    if (ended) throw new Error(`the server exited:\n${server.stderr()}\n${server.stdout()}`);
    const answered = await Promise.all(
      [...SITE_ROUTES, '/readyz'].map(async (path): Promise<Omit<Answer, 'complete'> | null> => {
        try {
          const res = await fetch(`${server.url}${path}`);
          return {
            path,
            status: res.status,
            retryAfter: res.headers.get('retry-after'),
            cacheControl: res.headers.get('cache-control'),
            body: await res.text(),
            round,
          };
        } catch (error) {
          // Refused: not listening yet. Once it has accepted a connection, it must keep answering.
          if (connected) throw error;
          return null;
        }
      }),
    );
    // The round during which the server began to listen has some requests refused.
    const complete = answered.every((a) => a !== null);
    const got = answered.flatMap((a) => (a ? [{ ...a, complete }] : []));
    if (got.length > 0) connected = true;
    answers.push(...got);
    const site = got.filter((a) => a.path !== '/readyz');
    // A wrong answer ends the watch at once; the assertions then name it.
    if (site.some((a) => a.status !== 200 && a.status !== 503)) return answers;
    if (readySeen && site.length === SITE_ROUTES.length && site.every((a) => a.status === 200))
      return answers;
    readySeen ||= got.some((a) => a.path === '/readyz' && a.status === 200);
    // Every few milliseconds until the port accepts; then often enough to see each phase, without
    // a flood that would slow the export it watches.
    await sleep(connected ? 100 : 5);
  }
  throw new Error(
    `the site was not whole and ready within 300 s:\n${server.stdout().slice(-1000)}`,
  );
}

/** The status banner of the index page. */
function bannerOf(html: string): string {
  const match = /<h1 class="banner[^"]*">([\s\S]*?)<\/h1>/.exec(html);
  if (!match) throw new Error(`no status banner in:\n${html.slice(0, 500)}`);
  return match[1]!.replace(/<[^>]+>/g, '').trim();
}

function expectNeverNotFound(answers: Answer[]): void {
  const site = answers.filter((a) => a.path !== '/readyz');
  expect(site.filter((a) => a.status !== 200 && a.status !== 503).map((a) => a.path)).toEqual([]);
  for (const early of site.filter((a) => a.status === 503)) {
    expect(Number(early.retryAfter), early.path).toBeGreaterThan(0);
    expect(early.cacheControl, early.path).toBe('no-store');
  }
  // Every route was answered 200 in the end.
  for (const path of SITE_ROUTES)
    expect(
      site.some((a) => a.path === path && a.status === 200),
      path,
    ).toBe(true);
}

/** `/readyz` said 503 (with the publisher's reason) until it said 200, and 200 from then on. */
function expectReadyOnlyAfterExport(answers: Answer[]): void {
  const probes = answers.filter((a) => a.path === '/readyz');
  const firstReady = probes.findIndex((a) => a.status === 200);
  expect(firstReady).toBeGreaterThan(0);
  for (const early of probes.slice(0, firstReady)) {
    expect(early.status).toBe(503);
    expect(early.cacheControl).toBe('no-store');
    const body = JSON.parse(early.body) as { status: string; reasons: string[] };
    expect(body.status).toBe('not_ready');
    expect(body.reasons).toContain('publisher: the first export of the site is in progress');
  }
  expect(probes.slice(firstReady).map((a) => a.status)).toEqual(
    probes.slice(firstReady).map(() => 200),
  );
}

/** `npm run seed` into a data directory, as an operator would run it. */
function seed(dataDir: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(REPO_ROOT, 'src/seed/cli.ts'), ...args],
      { cwd: REPO_ROOT, env: { ...process.env, HERALD_DATA_DIR: dataDir } },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(out))));
  });
}

describe('start-up, seen from the first connection', () => {
  it('on an empty data directory: no 404 at any point, and the first 200 carries the current status', async () => {
    const server = await launchServer();
    started.push(server);
    const answers = await watchFromFirstConnection(server);
    expectNeverNotFound(answers);
    const firstIndex = answers.find((a) => a.path === '/' && a.status === 200)!;
    expect(bannerOf(firstIndex.body)).toBe('All Systems Operational');
    const summary = answers.find((a) => a.path === '/api/v2/summary.json' && a.status === 200)!;
    expect(JSON.parse(summary.body).status.description).toBe('All Systems Operational');
  }, 400_000);

  it('with 5,000 seeded incidents: not ready and never 404 during the first export; after a restart the last site is served from the first request', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'herald-e2e-seeded-'));
    expect(await seed(dataDir, ['--incidents', '5000', '--days', '365', '--active', '2'])).toMatch(
      /seeded 5000 incidents/,
    );

    // First start: no site on disk yet, and an export of 5,000 incident pages to write.
    const first = await launchServer({ dataDir });
    started.push(first);
    const fresh = await watchFromFirstConnection(first);
    expectNeverNotFound(fresh);
    expectReadyOnlyAfterExport(fresh);
    const open = (await (await first.api('GET', '/v1/incidents?status=open')).json()) as {
      incidents: Array<{ title: string; visibility: string }>;
    };
    const openTitles = open.incidents.filter((i) => i.visibility === 'public').map((i) => i.title);
    expect(openTitles.length).toBeGreaterThan(0);
    const settled = await (await fetch(`${first.url}/`)).text();
    const firstIndex = fresh.find((a) => a.path === '/' && a.status === 200)!;
    expect(bannerOf(firstIndex.body)).toBe(bannerOf(settled));
    for (const title of openTitles) expect(firstIndex.body).toContain(title);

    // A change, published, then a restart.
    const title = `Restart-survivor-${Date.now().toString(36)}`;
    const declared = await first.api('POST', '/v1/incidents', {
      title,
      severity: 'SEV3',
      message: 'Payments are failing for some customers.',
      components: [{ id: 'api', status: 'major_outage' }],
    });
    expect(declared.status).toBe(201);
    await first.published();
    const before = await (await fetch(`${first.url}/`)).text();
    expect(before).toContain(title);
    expect(await first.stop('SIGTERM')).toEqual({ code: 0, signal: null });

    const second = await launchServer({ dataDir });
    started.push(second);
    const restarted = await watchFromFirstConnection(second);
    // The published site is on disk: every site route is 200 from the very first answer.
    const site = restarted.filter((a) => a.path !== '/readyz');
    expect(site.filter((a) => a.status !== 200).map((a) => `${a.path} ${a.status}`)).toEqual([]);
    // The index is answered, with the change, in the first round that reached the server whole.
    const firstAfterRestart = site.find((a) => a.path === '/')!;
    expect(firstAfterRestart.round).toBeLessThanOrEqual(site.find((a) => a.complete)!.round);
    expect(firstAfterRestart.body).toContain(title);
    expect(bannerOf(firstAfterRestart.body)).toBe(bannerOf(before));
    const badge = site.find((a) => a.path === '/badge.svg')!;
    expect(badge.body).toContain('<svg');
    expect(
      JSON.parse(site.find((a) => a.path === '/api/v2/incidents/unresolved.json')!.body),
    ).toMatchObject({
      incidents: expect.arrayContaining([expect.objectContaining({ name: title })]),
    });
    // …and it catches up with a full export of its own before it says ready.
    expectReadyOnlyAfterExport(restarted);
  }, 800_000);
});
