import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/harness.ts';
import { startResendStub, type ResendStub } from '../support/resend-stub.ts';
import { startServer, waitFor, type ServerProcess } from '../support/server-process.ts';

/**
 * Faults while a fan-out is under way, through the real server process and the Resend stand-in:
 * a provider failing 30 % of the calls, and the server killed with SIGKILL in the middle.
 */
const running: ServerProcess[] = [];
let stub: ResendStub | null = null;
afterEach(async () => {
  for (const server of running.splice(0)) await server.stop('SIGKILL');
  await stub?.close();
  stub = null;
});

function env(s: ResendStub, rate: number): Record<string, string> {
  return {
    ...s.env,
    HERALD_CONTENT_DIR: join(REPO_ROOT, 'test/fixtures/content-subscriptions'),
    HERALD_TICK_MS: '200',
    HERALD_EMAIL_RATE_PER_SECOND: String(rate),
    // Fixed across restarts, as in any deployment: the links in a retried batch must not change.
    SITE_URL: 'https://status.acme.example',
  };
}

async function importSubscribers(server: ServerProcess, count: number) {
  const subscribers = Array.from({ length: count }, (_, i) => ({ email: `s${i}@example.com` }));
  const res = await server.api('POST', '/v1/subscribers', { subscribers });
  expect(res.status).toBe(200);
  expect(((await res.json()) as { imported: number }).imported).toBe(count);
}

async function declare(server: ServerProcess, title: string) {
  const res = await server.api('POST', '/v1/incidents', {
    title,
    severity: 'SEV3',
    message: 'We are investigating.',
    components: [{ id: 'checkout', status: 'partial_outage' }],
  });
  expect(res.status).toBe(201);
}

/** How many emails with this subject each address received. */
function receivedBy(s: ResendStub, subject: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const email of s.delivered) {
    if (email.subject !== subject) continue;
    counts.set(email.to[0]!, (counts.get(email.to[0]!) ?? 0) + 1);
  }
  return counts;
}

function expectExactlyOnce(counts: Map<string, number>, count: number) {
  expect(counts.size).toBe(count);
  const twice = [...counts].filter(([, n]) => n !== 1);
  expect(twice).toEqual([]);
  for (let i = 0; i < count; i++) expect(counts.has(`s${i}@example.com`)).toBe(true);
}

describe('subscriber email under faults', () => {
  it('delivers every message exactly once while 30 % of provider calls fail with 429 or 500', async () => {
    stub = await startResendStub({ failureRate: 0.3, seed: 8 });
    const server = await startServer({ env: env(stub, 50) });
    running.push(server);
    await importSubscribers(server, 1_000);
    const subject = '[Investigating] Flaky provider — Acme Cloud status';
    await declare(server, 'Flaky provider');
    await waitFor('1,000 deliveries', () => receivedBy(stub!, subject).size === 1_000, 90_000);
    // Let any retry still in flight land, then count again.
    await waitFor('an empty queue', async () => {
      const health = (await (await fetch(`${server.url}/healthz`)).json()) as {
        subscriptions: { queue_depth: number };
      };
      return health.subscriptions.queue_depth === 0;
    });
    expectExactlyOnce(receivedBy(stub, subject), 1_000);
    const failed = stub.requests.filter((r) => r.status === 429 || r.status === 500);
    expect(failed.length).toBeGreaterThanOrEqual(3);
    const health = (await (await fetch(`${server.url}/healthz`)).json()) as {
      subscriptions: { failed: number; sent: number };
    };
    expect(health.subscriptions).toMatchObject({ failed: 0, sent: 1_000 });
  }, 150_000);

  it('two server processes on one database share a 3,000-subscriber fan-out: each subscriber gets exactly one email', async () => {
    stub = await startResendStub({ ratePerSecond: 40 });
    const a = await startServer({ env: env(stub, 10) });
    running.push(a);
    const b = await startServer({ dataDir: a.dataDir, env: env(stub, 10) });
    running.push(b);
    await importSubscribers(a, 3_000);
    const subject = '[Investigating] Two processes — Acme Cloud status';
    await declare(b, 'Two processes');
    await waitFor('3,000 deliveries', () => receivedBy(stub!, subject).size === 3_000, 90_000);
    const health = async (server: ServerProcess) =>
      (
        (await (await fetch(`${server.url}/healthz`)).json()) as {
          subscriptions: { queue_depth: number; expanding: number; sent: number };
        }
      ).subscriptions;
    await waitFor('an empty queue', async () => {
      const [ha, hb] = await Promise.all([health(a), health(b)]);
      return ha.queue_depth === 0 && ha.expanding === 0 && hb.queue_depth === 0;
    });
    expectExactlyOnce(receivedBy(stub, subject), 3_000);
    // Both processes did part of the sending, and together they sent each message once.
    const [ha, hb] = await Promise.all([health(a), health(b)]);
    expect(ha.sent).toBeGreaterThan(0);
    expect(hb.sent).toBeGreaterThan(0);
    expect(ha.sent + hb.sent).toBe(3_000);
  }, 150_000);

  it('SIGKILLed twice in the middle of a 5,000-subscriber fan-out, every subscriber still gets exactly one email', async () => {
    stub = await startResendStub({ ratePerSecond: 8 });
    const first = await startServer({ env: env(stub, 8) });
    running.push(first);
    await importSubscribers(first, 5_000);
    const subject = '[Investigating] Killed mid fan-out — Acme Cloud status';
    await declare(first, 'Killed mid fan-out');
    // First kill: as soon as the first batch reaches the provider, expansion is still going on.
    await waitFor('the first batch', () => stub!.requests.some((r) => r.path === '/emails/batch'));
    await first.stop('SIGKILL');
    const second = await startServer({ dataDir: first.dataDir, env: env(stub, 8) });
    running.push(second);
    // Second kill: in the middle of sending.
    await waitFor('1,500 deliveries', () => receivedBy(stub!, subject).size >= 1_500, 60_000);
    expect(receivedBy(stub, subject).size).toBeLessThan(5_000);
    await second.stop('SIGKILL');
    const third = await startServer({ dataDir: first.dataDir, env: env(stub, 8) });
    running.push(third);
    await waitFor('5,000 deliveries', () => receivedBy(stub!, subject).size === 5_000, 90_000);
    await waitFor('an empty queue', async () => {
      const health = (await (await fetch(`${third.url}/healthz`)).json()) as {
        subscriptions: { queue_depth: number; expanding: number };
      };
      return health.subscriptions.queue_depth === 0 && health.subscriptions.expanding === 0;
    });
    expectExactlyOnce(receivedBy(stub, subject), 5_000);
  }, 240_000);
});
