// /readyz is what a load balancer or an orchestrator routes by: 200 only when the database is
// migrated and every service does its part; 503 naming what is missing otherwise. /healthz stays
// liveness. (The publisher's part, the first export, is in test/publish/readiness.test.ts and the
// end-to-end test/e2e/start-up.test.ts.)
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { readSettings } from '../../src/config/env.ts';
import { createCadenceServices } from '../../src/scheduler/setup.ts';
import { readinessOf } from '../../src/service.ts';
import { createHarness, REPO_ROOT, type Harness } from '../support/harness.ts';

let h: Harness | null = null;
afterEach(() => {
  h?.close();
  h = null;
});

async function readyz(app: ReturnType<typeof createApp>) {
  const res = await app.request('/readyz');
  expect(res.headers.get('cache-control')).toBe('no-store');
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('/readyz', () => {
  it('is ready only while the scheduler and the mailer run, and says which one is not', async () => {
    h = await createHarness();
    const settings = readSettings({
      HERALD_DATA_DIR: h.dir,
      HERALD_TEMPLATES_DIR: join(REPO_ROOT, 'templates'),
    });
    const { mailer, scheduler } = await createCadenceServices(settings, h, h.clock.now, () => {});
    const app = createApp({
      db: h.db,
      content: h.content,
      templates: new Map(),
      now: h.clock.now,
      siteUrl: 'https://status.example.test',
      log: () => undefined,
      onChange: () => undefined,
      readiness: readinessOf([mailer, scheduler]),
    });

    expect(await readyz(app)).toEqual({
      status: 503,
      body: {
        status: 'not_ready',
        reasons: ['mailer: not running', 'scheduler: not started'],
        checks: { database: 'ok', mailer: 'not running', scheduler: 'not started' },
      },
    });
    await mailer.start!();
    await scheduler.start!();
    expect(await readyz(app)).toEqual({
      status: 200,
      body: { status: 'ready', checks: { database: 'ok', mailer: 'ok', scheduler: 'ok' } },
    });
    await scheduler.stop!();
    await mailer.stop!();
    const stopped = await readyz(app);
    expect(stopped.status).toBe(503);
    expect(stopped.body.reasons).toEqual(['mailer: not running', 'scheduler: stopped']);
    // Liveness is another question: the process and its database are fine.
    expect((await app.request('/healthz')).status).toBe(200);
  });

  it('is not ready on a database that lacks a migration this code needs, naming it', async () => {
    h = await createHarness();
    await h.db.batch([
      { sql: "DELETE FROM schema_migrations WHERE version = '005_incidents_updated_index'" },
    ]);
    const res = await h.request('GET', '/readyz', { token: null });
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({
      status: 'not_ready',
      reasons: ['database: migrations not applied: 005_incidents_updated_index'],
      checks: { database: 'migrations not applied: 005_incidents_updated_index' },
    });
  });

  it('is not ready when the database cannot be read', async () => {
    h = await createHarness();
    h.db.close();
    const res = await h.request('GET', '/readyz', { token: null });
    expect(res.status).toBe(503);
    const body = (await res.json()) as { reasons: string[] };
    expect(body.reasons).toHaveLength(1);
    expect(body.reasons[0]).toMatch(/^database: unreachable: /);
    rmSync(h.dir, { recursive: true, force: true });
    h = null;
  });
});
