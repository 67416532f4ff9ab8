import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/harness.ts';
import { startResendStub, type ResendStub, type StubEmail } from '../support/resend-stub.ts';
import { freePort, startServer, waitFor, type ServerProcess } from '../support/server-process.ts';
import { linkIn } from '../subscriptions/support.ts';

/**
 * Subscriptions end to end: the real server process on a real database file, sending through the
 * local Resend stand-in; every step over HTTP, every link followed from the email it came in.
 */
let stub: ResendStub;
let server: ServerProcess;

beforeAll(async () => {
  stub = await startResendStub();
  const port = await freePort();
  server = await startServer({
    port,
    env: {
      // The site and the API are this process: every link in an email can be followed.
      SITE_URL: `http://127.0.0.1:${port}`,
      ...stub.env,
      HERALD_CONTENT_DIR: join(REPO_ROOT, 'test/fixtures/content-subscriptions'),
      HERALD_TICK_MS: '200',
      HERALD_EMAIL_RATE_PER_SECOND: '50',
    },
  });
}, 180_000);
afterAll(async () => {
  await server?.stop('SIGKILL');
  await stub?.close();
});

const inbox = (address: string) => stub.delivered.filter((e) => e.to[0] === address);
const notices = (address: string) => inbox(address).filter((e) => e.subject.startsWith('['));

async function arrives(address: string, count: number, filter = notices): Promise<StubEmail[]> {
  await waitFor(`${count} email(s) to ${address}`, () => filter(address).length >= count, 30_000);
  return filter(address);
}

async function subscribe(email: string, extra: Record<string, unknown> = {}) {
  const res = await fetch(`${server.url}/v1/subscriptions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, ...extra }),
  });
  expect(res.status).toBe(202);
}

async function subscribeAndConfirm(email: string, extra: Record<string, unknown> = {}) {
  const before = inbox(email).length;
  await subscribe(email, extra);
  const [confirmation] = (await arrives(email, before + 1, inbox)).slice(before);
  const link = linkIn(confirmation!, 'confirm');
  expect(link.startsWith(`${server.url}/v1/subscriptions/confirm?token=`)).toBe(true);
  const page = await fetch(link);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain('Subscription confirmed');
  return link;
}

async function declare(body: Record<string, unknown>) {
  const res = await server.api('POST', '/v1/incidents', {
    severity: 'SEV3',
    message: 'We are investigating.',
    ...body,
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

async function update(id: string, body: Record<string, unknown>) {
  const res = await server.api('POST', `/v1/incidents/${id}/updates`, body);
  expect(res.status).toBe(201);
}

describe('email subscriptions through the real server and the Resend stand-in', () => {
  it('subscribe → confirm → the right subscribers get each update exactly once → one-click unsubscribe → no more email', async () => {
    const reused = await subscribeAndConfirm('all@example.com');
    await subscribeAndConfirm('checkout@example.com', { components: ['checkout'] });
    await subscribeAndConfirm('data@example.com', { components: ['data'] });

    // A reused confirmation link and a made-up one get clear pages, not errors.
    const again = await fetch(reused);
    expect(again.status).toBe(410);
    expect(await again.text()).toContain('This link was already used');
    const unknown = await fetch(`${server.url}/v1/subscriptions/manage?token=${'x'.repeat(43)}`);
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain('This link has expired');

    // Private and notify: false reach nobody.
    const hidden = await declare({ title: 'Secret migration', visibility: 'private' });
    await update(hidden, { message: 'Still secret.' });
    await declare({ title: 'Quiet fix', notify: false });

    const incident = await declare({
      title: 'Checkout errors',
      components: [{ id: 'checkout', status: 'partial_outage' }],
    });
    const [first] = await arrives('checkout@example.com', 1);
    expect(first!.subject).toBe('[Investigating] Checkout errors — Acme Cloud status');
    await arrives('all@example.com', 1);

    await subscribeAndConfirm('follower@example.com', { incident_id: incident });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await update(incident, { status: 'identified', message: 'A bad deploy; rolling back.' });
    for (const address of ['all@example.com', 'checkout@example.com']) await arrives(address, 2);
    const [followed] = await arrives('follower@example.com', 1);
    expect(followed!.subject).toBe('[Identified] Checkout errors — Acme Cloud status');
    expect(followed!.text).toContain(`${server.url}/incidents/${incident}/`);

    // One-click unsubscribe, as a mail client does it (RFC 8058).
    const latest = notices('all@example.com').at(-1)!;
    expect(latest.headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    const oneClick = latest.headers['List-Unsubscribe']!.slice(1, -1);
    const left = await fetch(oneClick, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(left.status).toBe(200);

    await update(incident, { status: 'resolved', message: 'Payments work again.' });
    await arrives('checkout@example.com', 3);
    await arrives('follower@example.com', 2);
    // The whole notification has been expanded and sent by now: nothing for the one who left.
    await waitFor('the outbox to drain', async () => {
      const health = (await (await fetch(`${server.url}/healthz`)).json()) as {
        subscriptions: { queue_depth: number; owed: number; expanding: number };
      };
      return (
        health.subscriptions.queue_depth === 0 &&
        health.subscriptions.owed === 0 &&
        health.subscriptions.expanding === 0
      );
    });
    expect(notices('all@example.com')).toHaveLength(2);
    expect(notices('data@example.com')).toHaveLength(0);

    // Exactly once: no recipient got the same notice twice, nobody got the private or quiet ones.
    const seen = new Set<string>();
    for (const email of stub.delivered) {
      const key = `${email.to[0]} ${email.subject} ${email.text}`;
      expect(seen.has(key), key).toBe(false);
      seen.add(key);
      expect(email.subject).not.toMatch(/Secret migration|Quiet fix/);
    }
    const health = (await (await fetch(`${server.url}/healthz`)).json()) as Record<string, any>;
    expect(health.subscriptions).toMatchObject({ queue_depth: 0, suppressed: 0 });
    expect(health.subscriptions.sent).toBeGreaterThanOrEqual(10);
    expect(health.subscriptions.failed).toBe(0);
  }, 120_000);
});
