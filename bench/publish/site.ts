/**
 * What `bench:publish` and `bench:publish:scale` share: a site seeded with a generated history,
 * the real server started on it as `npm start` starts it, and one update timed from the API's 201
 * to every affected file on disk.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Content } from '../../src/config/content.ts';
import { startArgs } from '../../src/lib/start-command.ts';
import { PROJECT_ROOT } from '../../src/publish/setup.ts';
import { generateHistory } from '../../src/seed/generate.ts';
import { writeHistory } from '../../src/seed/write.ts';
import type { Db } from '../../src/storage/db.ts';

export const TOKEN = 'bench-admin-token-0123456789';
export const SITE_URL = 'https://status.acme.example';

/** An open public incident the updates go to, and the components it names. */
export interface OpenIncident {
  id: string;
  components: Array<{ id: string }>;
}

/** p-th percentile (0..100) of the samples. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * Writes a generated history of `incidents` over `days` (seed 7, three open) into `db`, and
 * returns its open public incidents. The history itself goes out of scope here.
 */
export async function seedHistory(
  db: Db,
  content: Content,
  incidents: number,
  days: number,
  now: Date,
): Promise<{ open: OpenIncident[]; updates: number }> {
  const history = generateHistory({
    incidents,
    days,
    now,
    seed: 7,
    active: 3,
    catalog: content.catalog,
  });
  await writeHistory(db, history, now.toISOString());
  return {
    updates: history.reduce((n, i) => n + i.updates.length, 0),
    open: history
      .filter((i) => i.status !== 'resolved' && i.visibility === 'public')
      .map((i) => ({ id: i.id, components: i.components.map((c) => ({ id: c.id })) })),
  };
}

export interface SiteServer {
  url: string;
  process: ChildProcess;
  siteDir: string;
  /** From spawning to a ready publisher with nothing pending (its start-up export done). */
  startMs: number;
  stop(): Promise<void>;
}

/** The real server on `dataDir` and `contentDir`, with `npm start`'s Node arguments. */
export async function startSiteServer(dataDir: string, contentDir: string): Promise<SiteServer> {
  mkdirSync(dataDir, { recursive: true });
  const port = 20000 + Math.floor(Math.random() * 20000);
  const url = `http://127.0.0.1:${port}`;
  const started = performance.now();
  const child = spawn(process.execPath, startArgs(PROJECT_ROOT), {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      HERALD_DATA_DIR: dataDir,
      HERALD_CONTENT_DIR: contentDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      HERALD_ADMIN_TOKEN: TOKEN,
      SITE_URL,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
  try {
    for (;;) {
      const health = await fetch(`${url}/healthz`).then(
        (r) => r.json() as Promise<{ publisher?: { ready: boolean; pending: number } }>,
        () => null,
      );
      if (health?.publisher?.ready && health.publisher.pending === 0) break;
      if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode})`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url,
    process: child,
    siteDir: join(dataDir, 'site'),
    startMs: performance.now() - started,
    stop,
  };
}

/**
 * Posts one update to `incident` and returns the milliseconds from the API's 201 until every file
 * that shows the message contains it and the publisher says its last publish finished after the
 * update was sent, with nothing pending (the badge, the status and component JSON and the
 * component pages are rewritten only if their bytes changed, so their end is read from there).
 */
export async function timedUpdate(
  server: SiteServer,
  incident: OpenIncident,
  marker: string,
): Promise<number> {
  const withMessage = [
    'index.html',
    `incidents/${incident.id}/index.html`,
    'history.rss',
    'api/v2/incidents/unresolved.json',
    'api/v2/incidents.json',
    'api/v2/summary.json',
    ...incident.components.map((c) => `components/${c.id}/history.rss`),
  ];
  const sentAt = new Date().toISOString();
  const res = await fetch(`${server.url}/v1/incidents/${incident.id}/updates`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ message: `Progress report ${marker}.` }),
  });
  const accepted = performance.now();
  if (res.status !== 201) throw new Error(`update failed: ${res.status} ${await res.text()}`);
  const pending = new Set(withMessage);
  while (pending.size > 0) {
    for (const file of [...pending]) {
      let text = '';
      try {
        text = readFileSync(join(server.siteDir, file), 'utf8');
      } catch {
        // not there yet
      }
      if (text.includes(marker)) pending.delete(file);
    }
    if (pending.size > 0) await new Promise((r) => setTimeout(r, 1));
    if (performance.now() - accepted > 10_000)
      throw new Error(`not published within 10 s: ${[...pending].join(', ')}`);
  }
  for (;;) {
    const health = (await fetch(`${server.url}/healthz`).then((r) => r.json())) as {
      publisher: { pending: number; last_publish_at: string | null };
    };
    const done = health.publisher.last_publish_at ?? '';
    if (health.publisher.pending === 0 && done >= sentAt) break;
    if (performance.now() - accepted > 10_000) throw new Error('publish not finished in 10 s');
    await new Promise((r) => setTimeout(r, 1));
  }
  return performance.now() - accepted;
}
