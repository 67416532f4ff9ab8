import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sev1Body } from '../support/harness.ts';
import { startServer, waitFor, type ServerProcess } from '../support/server-process.ts';
import { startReceiver, type Receiver } from '../support/webhook-receiver.ts';

/**
 * Webhooks end to end: the real server process on a real database file, with 127.0.0.1/32 opened
 * by the operator setting, delivering to local receivers that verify every signature with Node's
 * crypto. Only loopback is ever connected to: refused addresses are refused by the check.
 */
const ENV = {
  HERALD_WEBHOOK_ALLOW: '127.0.0.1/32',
  HERALD_WEBHOOK_BACKOFF_MS: '300',
  HERALD_WEBHOOK_TIMEOUT_MS: '2000',
  HERALD_TICK_MS: '200',
};

let receiver: Receiver;
let server: ServerProcess;

beforeAll(async () => {
  receiver = await startReceiver();
  server = await startServer({ env: ENV });
}, 180_000);
afterAll(async () => {
  await server?.stop('SIGKILL');
  await receiver?.close();
});

async function createWebhook(s: ServerProcess, path: string) {
  const res = await s.api('POST', '/v1/webhooks', { url: `${receiver.url}${path}` });
  expect(res.status).toBe(201);
  const body = (await res.json()) as { id: string; secret: string };
  receiver.setSecret(path, body.secret);
  return body;
}

async function declare(s: ServerProcess, title: string) {
  const res = await s.api('POST', '/v1/incidents', sev1Body({ title, components: [] }));
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

describe('webhooks through the real server', () => {
  it('a receiver that answers 500 then 200 gets exactly one accepted delivery, signed', async () => {
    receiver.script('/flaky', [{ status: 500 }, { status: 200 }]);
    const hook = await createWebhook(server, '/flaky');
    await declare(server, 'Flaky receiver check');
    await waitFor('the retry', () => receiver.at('/flaky').length >= 2, 20_000);
    // Time for anything that would wrongly follow (a second retry, a repeat) to arrive.
    await new Promise((r) => setTimeout(r, 1500));
    const got = receiver.at('/flaky');
    expect(got.map((r) => r.answered)).toEqual([500, 200]);
    expect(got.every((r) => r.signatureValid)).toBe(true);
    expect(got[0]!.headers['herald-event-id']).toBe(got[1]!.headers['herald-event-id']);
    const deliveries = (await (
      await server.api('GET', `/v1/webhooks/${hook.id}/deliveries`)
    ).json()) as {
      deliveries: Array<{ state: string; attempts: number; status_code: number }>;
    };
    expect(deliveries.deliveries).toEqual([
      expect.objectContaining({ state: 'delivered', attempts: 2, status_code: 200 }),
    ]);
  }, 60_000);

  it('refuses 127.0.0.2, 10.0.0.1 and 169.254.169.254 even with 127.0.0.1/32 allowed', async () => {
    for (const url of [
      'http://127.0.0.2:9/h',
      'https://10.0.0.1/h',
      'http://169.254.169.254/latest/meta-data/',
    ]) {
      const admin = await server.api('POST', '/v1/webhooks', { url });
      expect(admin.status, url).toBe(422);
      const pub = await fetch(`${server.url}/v1/subscriptions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ webhook: url }),
      });
      expect(pub.status, url).toBe(422);
    }
  });

  it('SIGKILL during a 1,000-webhook fan-out: after a restart every endpoint has the event exactly once', async () => {
    const N = 1000;
    const paths = Array.from({ length: N }, (_, i) => `/fleet/${i}`);
    for (const p of paths) receiver.script(p, [{ status: 204, delayMs: 20 }]);
    // A 5 s timeout: its claims (three times the timeout) outlive the kill by 15 s at most.
    const own = await startServer({
      env: { ...ENV, HERALD_WEBHOOK_CONCURRENCY: '8', HERALD_WEBHOOK_TIMEOUT_MS: '5000' },
    });
    let restarted: ServerProcess | null = null;
    try {
      const ids = new Map<string, string>();
      for (let i = 0; i < N; i += 20) {
        const made = await Promise.all(paths.slice(i, i + 20).map((p) => createWebhook(own, p)));
        made.forEach((m, j) => ids.set(paths[i + j]!, m.id));
      }
      const fleet = () => receiver.received.filter((r) => r.path.startsWith('/fleet/'));
      await declare(own, 'Fleet-wide event');
      await waitFor('a share of the fan-out', () => fleet().length >= 150, 60_000);
      await own.stop('SIGKILL');
      const atKill = fleet().length;
      expect(atKill).toBeLessThan(N);
      restarted = await startServer({
        dataDir: own.dataDir,
        env: { ...ENV, HERALD_WEBHOOK_TIMEOUT_MS: '5000' },
      });
      await waitFor('every endpoint', () => new Set(fleet().map((r) => r.path)).size === N, 90_000);
      await new Promise((r) => setTimeout(r, 1000));
      const received = fleet();
      const eventIds = new Set(received.map((r) => r.headers['herald-event-id']));
      expect(eventIds.size).toBe(1);
      expect(received.every((r) => r.signatureValid)).toBe(true);
      // Nothing lost: every endpoint got it. Nothing repeated by Herald's records: one delivery
      // row per endpoint, delivered. On the wire, only a request in flight at the kill (answered
      // by the receiver, its result never written) can arrive twice; it carries the same event
      // id, which the receiver uses to drop it.
      const perPath = new Map<string, number>();
      for (const r of received) perPath.set(r.path, (perPath.get(r.path) ?? 0) + 1);
      const repeatedPaths = [...perPath.entries()].filter(([, n]) => n > 1).map(([p]) => p);
      const killedAt = received[atKill - 1]!.at;
      const inFlightAtKill = repeatedPaths.filter((p) => receiver.at(p)[0]!.at <= killedAt);
      // Any other repeat must be a retry Herald recorded (a timeout while the machine was
      // starved, say): the first attempt's failure is in the delivery's record.
      for (const p of repeatedPaths.filter((x) => !inFlightAtKill.includes(x))) {
        const res = await restarted.api('GET', `/v1/webhooks/${ids.get(p)}/deliveries`);
        const [delivery] = (
          (await res.json()) as { deliveries: Array<{ attempts: number; state: string }> }
        ).deliveries;
        expect(delivery, p).toMatchObject({ state: 'delivered' });
        expect(delivery!.attempts, p).toBeGreaterThan(1);
      }
      expect(inFlightAtKill.length).toBeLessThanOrEqual(8);
      const health = async () =>
        (
          (await (await fetch(`${restarted!.url}/healthz`)).json()) as {
            webhooks: { pending?: number; delivered?: number; failed?: number };
          }
        ).webhooks;
      // A delivery the killed process had claimed waits out its lease (3 × its 5 s timeout) before
      // the new process sends it again and counts it: wait past that, not just a pass or two.
      await waitFor('the counts', async () => (await health()).delivered === N, 30_000);
      expect(await health()).toMatchObject({ pending: 0, failed: 0, delivered: N });
      console.log(
        `SIGKILL after ${atKill} of ${N} deliveries; repeated on the wire: ${inFlightAtKill.length} in flight at the kill, ${repeatedPaths.length - inFlightAtKill.length} recorded retries`,
      );
    } finally {
      await own.stop('SIGKILL');
      await restarted?.stop('SIGKILL');
    }
  }, 240_000);
});

describe('without the operator setting', () => {
  it('refuses a loopback endpoint', async () => {
    const closed = await startServer({ env: { HERALD_TICK_MS: '200' } });
    try {
      const res = await closed.api('POST', '/v1/webhooks', { url: `${receiver.url}/closed` });
      expect(res.status).toBe(422);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(
        /loopback/,
      );
    } finally {
      await closed.stop('SIGKILL');
    }
  }, 120_000);
});
