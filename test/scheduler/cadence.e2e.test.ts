import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startResendStub, type ResendStub, type StubEmail } from '../support/resend-stub.ts';
import { REPO_ROOT, sev1Body } from '../support/harness.ts';
import { startServer, waitFor, type ServerProcess } from '../support/server-process.ts';

/**
 * The real server process, the real database file, the policy in seconds from
 * test/fixtures/content-fast (remind at 3s, due at 6s, commander at 8s, executives at 10s) and a
 * 200 ms tick. Only the email provider is a stand-in; every count below is of what it received.
 */

let dir: string;
let stub: ResendStub;
const servers: ServerProcess[] = [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'herald-e2e-'));
  stub = await startResendStub();
});
afterEach(async () => {
  for (const server of servers.splice(0)) await server.stop('SIGKILL');
  await stub.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A policy of seconds and a fast tick, so a whole ladder fits in a test. */
const FAST = {
  HERALD_CONTENT_DIR: join(REPO_ROOT, 'test/fixtures/content-fast'),
  HERALD_TICK_MS: '200',
  SITE_URL: 'https://status.example.test',
  EMAIL_FROM: 'Herald <status@acme.example>',
};

function launch(env: Record<string, string> = {}): Promise<ServerProcess> {
  return startServer({ dataDir: dir, env: { ...FAST, ...env } });
}

/** Every line the server wrote, stdout and stderr. */
const outputOf = (server: ServerProcess) => `${server.stdout()}${server.stderr()}`.split('\n');

async function start(env: Record<string, string> = {}): Promise<ServerProcess> {
  const server = await launch({
    RESEND_API_KEY: stub.apiKey,
    RESEND_BASE_URL: stub.url,
    ...env,
  });
  servers.push(server);
  return server;
}

const label = (e: StubEmail) => `${e.headers['X-Herald-Notice']} → ${e.to.join(',')}`;
const labels = () => stub.delivered.map(label);
const count = (kind: string) =>
  stub.delivered.filter((e) => e.headers['X-Herald-Notice'] === kind).length;

// Emailable roles: the ladder's recipients are checked by address.
const SEV2 = sev1Body({
  severity: 'SEV2',
  roles: { commander: 'ada@acme.example', communications: 'grace@acme.example' },
});

const LADDER = [
  'reminder → grace@acme.example',
  'overdue → grace@acme.example',
  'escalate_commander → ada@acme.example',
  'escalate_executives → cto@acme.example',
  'escalate_executives → vp-support@acme.example',
];

async function declare(
  server: ServerProcess,
  body: unknown = SEV2,
): Promise<{ id: string; at: number }> {
  const at = Date.now();
  const res = await server.api('POST', '/v1/incidents', body);
  expect(res.status).toBe(201);
  return { id: ((await res.json()) as { id: string }).id, at };
}

const quiet = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How late a step may be: three ticks (200 ms) and 5 s for a loaded two-core machine. */
const LATE_MS = 3 * 200 + 5_000;

interface CadenceView {
  incidents: Array<{
    incident_id: string;
    notices_sent: Array<{ kind: string }>;
    executive_notices: Array<{ severity: string }>;
  }>;
}
const cadenceOf = async (server: ServerProcess) =>
  (await (await server.api('GET', '/v1/cadence')).json()) as CadenceView;
const sorted = (list: string[]) => [...list].sort();

describe('cadence enforcement in the running server', () => {
  it('reminds, goes overdue, escalates twice and starts over after a public update', async () => {
    const server = await start();
    const { id, at } = await declare(server);

    await waitFor('the reminder', () => count('reminder') === 1);
    expect(labels()).toEqual(LADDER.slice(0, 1));
    await waitFor('the overdue notice', () => count('overdue') === 1);
    expect(labels()).toEqual(LADDER.slice(0, 2));
    await waitFor('the commander escalation', () => count('escalate_commander') === 1);
    expect(labels()).toEqual(LADDER.slice(0, 3));
    await waitFor('the escalation to executives', () => count('escalate_executives') === 2);
    expect(labels()).toEqual(LADDER);
    // Each step no sooner than due, and no later than due + three ticks + 5 s of a loaded machine.
    const sentAt = Object.fromEntries(stub.delivered.map((e) => [label(e), e.receivedAt - at]));
    const due: Record<string, number> = {
      'reminder → grace@acme.example': 3_000,
      'overdue → grace@acme.example': 6_000,
      'escalate_commander → ada@acme.example': 8_000,
      'escalate_executives → cto@acme.example': 10_000,
      'escalate_executives → vp-support@acme.example': 10_000,
    };
    for (const [step, dueMs] of Object.entries(due)) {
      expect(sentAt[step], step).toBeGreaterThanOrEqual(dueMs);
      expect(sentAt[step], step).toBeLessThanOrEqual(dueMs + LATE_MS);
    }

    const overdue = (await (await server.api('GET', '/v1/incidents?overdue=true')).json()) as {
      incidents: Array<{ id: string }>;
    };
    expect(overdue.incidents.map((i) => i.id)).toEqual([id]);
    const cadence = (await (await server.api('GET', '/v1/cadence')).json()) as {
      incidents: Array<{ escalation_level: number; notices_sent: Array<{ kind: string }> }>;
    };
    expect(cadence.incidents[0]!.escalation_level).toBe(3);
    expect(cadence.incidents[0]!.notices_sent.map((n) => n.kind)).toEqual([
      'reminder',
      'overdue',
      'escalate_commander',
      'escalate_executives',
    ]);

    // Nothing repeats while the window stays open.
    await quiet(1_000);
    expect(labels()).toEqual(LADDER);

    const updatedAt = Date.now();
    const update = await server.api('POST', `/v1/incidents/${id}/updates`, {
      message: 'Rolled back the deploy; payments recovering.',
      status: 'identified',
    });
    expect(update.status).toBe(201);
    const afterUpdate = (await (await server.api('GET', '/v1/incidents?overdue=true')).json()) as {
      incidents: unknown[];
    };
    expect(afterUpdate.incidents).toEqual([]);

    await waitFor('the reminder of the new window', () => count('reminder') === 2);
    const remindedAgainAfter = stub.delivered.at(-1)!.receivedAt - updatedAt;
    expect(remindedAgainAfter).toBeGreaterThanOrEqual(3_000);
    expect(remindedAgainAfter).toBeLessThanOrEqual(3_000 + LATE_MS);
    expect(labels()).toEqual([...LADDER, 'reminder → grace@acme.example']);

    const resolved = await server.api('POST', `/v1/incidents/${id}/updates`, {
      message: 'Payments work again.',
      status: 'resolved',
    });
    expect(resolved.status).toBe(201);
    await quiet(4_000);
    expect(labels()).toHaveLength(6);
    // Every email came with both parts and through the batch endpoint with an idempotency key.
    expect(stub.delivered.every((e) => e.html.includes('<html') && e.text.length > 0)).toBe(true);
    expect(
      stub.requests.every(
        (r) => r.path === '/emails/batch' && r.idempotencyKey?.startsWith('herald-'),
      ),
    ).toBe(true);
  }, 180_000);

  it('notifies executives at once when a SEV3 is raised to SEV1, not at the next tick', async () => {
    // A one-minute tick: only the change itself can make the notice this quick.
    const server = await start({ HERALD_TICK_MS: '60000' });
    const { id } = await declare(server, {
      title: 'Search slow',
      severity: 'SEV3',
      message: 'Search is slow.',
    });
    await quiet(500);
    const raisedAt = Date.now();
    const raise = await server.api(
      'PATCH',
      `/v1/incidents/${id}`,
      {
        severity: 'SEV1',
        roles: { commander: 'ada@acme.example', communications: 'grace@acme.example' },
        business_impact: {
          summary: 'Search down for all customers',
          revenue_per_minute: 120,
          currency: 'EUR',
        },
      },
      { 'if-match': '"1"' },
    );
    expect(raise.status).toBe(200);
    // The scheduler ticks once a minute: within half of that, the notice did not wait for a tick
    // (it arrives in well under a second; a loaded machine has room).
    await waitFor('the executive notice', () => count('executive_notice') === 2, 30_000);
    expect(Math.max(...stub.delivered.map((e) => e.receivedAt)) - raisedAt).toBeLessThan(30_000);
    // And, whatever the clock did, the server says it queued the notice for the change itself.
    const queued = outputOf(server)
      .filter((line) => line.includes('"msg":"cadence notice queued"'))
      .map((line) => JSON.parse(line) as { kind: string; trigger: string });
    expect(queued.filter((l) => l.kind === 'executive_notice').map((l) => l.trigger)).toEqual([
      'change',
    ]);
    expect(labels()).toEqual([
      'executive_notice → cto@acme.example',
      'executive_notice → vp-support@acme.example',
    ]);
    const notice = stub.delivered[0]!;
    expect(notice.subject).toBe('[SEV1] Executive notice: Search slow');
    expect(notice.text).toContain('Search down for all customers');
    expect(notice.text).toContain('€120.00 per minute');
  }, 180_000);

  /** A SEV1 declared on one server and updated on the other: the whole ladder, each notice once. */
  async function expectEveryNoticeOnce(a: Awaited<ReturnType<typeof start>>, b: typeof a) {
    const { id } = await declare(a, { ...SEV2, severity: 'SEV1' });
    await waitFor('the escalation to executives', () => count('escalate_executives') === 2);
    const update = await b.api('POST', `/v1/incidents/${id}/updates`, {
      message: 'Fix deployed, watching.',
      status: 'identified',
    });
    expect(update.status).toBe(201);
    await waitFor('the reminder of the new window', () => count('reminder') === 2);
    await quiet(1_500);
    expect(labels()).toEqual([
      'executive_notice → cto@acme.example',
      'executive_notice → vp-support@acme.example',
      ...LADDER,
      'reminder → grace@acme.example',
    ]);
  }

  it('sends every message exactly once with two server processes on one database', async () => {
    const [a, b] = await Promise.all([start(), start()]);
    await expectEveryNoticeOnce(a, b);
    // Both processes were up and serving the whole time.
    for (const server of [a, b]) expect((await server.api('GET', '/healthz')).status).toBe(200);
  }, 180_000);

  it('sends every notice exactly once with two processes ticking without the lease', async () => {
    const env = { HERALD_SCHEDULER_LEASE: 'off' };
    const [a, b] = await Promise.all([start(env), start(env)]);
    await expectEveryNoticeOnce(a, b);
    // Both processes ran the periodic pass (with the lease, only its holder would have).
    for (const server of [a, b]) {
      expect(outputOf(server).some((line) => line.includes('HERALD_SCHEDULER_LEASE=off'))).toBe(
        true,
      );
      const health = (await (await server.api('GET', '/healthz')).json()) as {
        scheduler: { last_tick_at: string | null };
      };
      expect(health.scheduler.last_tick_at).not.toBeNull();
    }
  }, 180_000);

  it('loses nothing and repeats nothing when killed with mail in flight, queued or kept down past a due time', async () => {
    // 1. A SEV1 is declared: its executive notice is queued at once, and the provider hangs.
    stub.hold();
    let server = await start();
    const { id } = await declare(server, { ...SEV2, severity: 'SEV1' });
    const declaredBy = Date.now();
    await waitFor('the executive notice to be in flight', () => stub.held() >= 1);
    // Killed with the batch handed over and its result never recorded; the provider delivers it.
    await server.stop('SIGKILL');
    await stub.release();
    expect(labels()).toEqual([
      'executive_notice → cto@acme.example',
      'executive_notice → vp-support@acme.example',
    ]);

    // 2. Down past the due time (6 s after the declaration). The provider fails at first after
    //    the restart, and the server is killed again while mail waits for its retry.
    await quiet(Math.max(0, declaredBy + 6_500 - Date.now()));
    stub.script({ status: 500 }, { status: 500 }, { status: 500 });
    server = await start();
    await waitFor('a failed delivery', () => stub.requests.some((r) => r.status === 500));
    await server.stop('SIGKILL');

    // 3. Started again: everything due goes out once, the executive notice is not repeated.
    server = await start();
    await waitFor('the escalation to executives', () => count('escalate_executives') === 2);
    await quiet(1_500);
    const cadence = (await cadenceOf(server)).incidents[0]!;
    expect(cadence.incident_id).toBe(id);
    expect(cadence.executive_notices.map((n) => n.severity)).toEqual(['SEV1']);
    // The reminder was due 3 s in, while the first process may still have been up: it is in the
    // ladder only if that process recorded it. Once the window is overdue, the overdue notice
    // supersedes it.
    const reminded = cadence.notices_sent.some((n) => n.kind === 'reminder');
    const ladder = reminded ? LADDER : LADDER.slice(1);
    expect(cadence.notices_sent.map((n) => n.kind)).toEqual(
      ['reminder', 'overdue', 'escalate_commander', 'escalate_executives'].slice(reminded ? 0 : 1),
    );
    expect(sorted(labels())).toEqual(
      sorted([
        'executive_notice → cto@acme.example',
        'executive_notice → vp-support@acme.example',
        ...ladder,
      ]),
    );
  }, 180_000);
});

describe('without RESEND_API_KEY', () => {
  it('writes the emails as .eml files to data/outbox and says so at start-up', async () => {
    const server = await launch();
    servers.push(server);
    expect(
      outputOf(server).some(
        (line) => line.includes('RESEND_API_KEY is not set') && line.includes(join(dir, 'outbox')),
      ),
    ).toBe(true);
    await declare(server, { ...SEV2, severity: 'SEV1' });
    await waitFor('two .eml files', () => {
      try {
        return readdirSync(join(dir, 'outbox')).filter((f) => f.endsWith('.eml')).length === 2;
      } catch {
        return false;
      }
    });
    expect(stub.requests).toEqual([]);
  }, 180_000);
});
