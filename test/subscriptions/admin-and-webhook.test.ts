import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { svixSign } from '../../src/api/svix.ts';
import { createHarness, type Harness } from '../support/harness.ts';

const SECRET = `whsec_${Buffer.from('resend webhook signing key for tests').toString('base64')}`;
let h: Harness;

beforeEach(async () => {
  h = await createHarness({ webhookSecret: SECRET });
});
afterEach(() => h.close());

async function importList(subscribers: unknown[]) {
  return h.request('POST', '/v1/subscribers', { body: { subscribers } });
}

async function list(query = '') {
  const res = await h.request('GET', `/v1/subscribers${query}`);
  expect(res.status).toBe(200);
  return (await res.json()) as {
    counts: Record<string, number>;
    subscribers: Array<{ id: string; email: string; status: string; components: string[] }>;
    next_cursor: string | null;
  };
}

function webhook(event: unknown, options: { id?: string; at?: number; secret?: string } = {}) {
  const body = JSON.stringify(event);
  const id = options.id ?? `msg_${Math.random().toString(36).slice(2)}`;
  const at = options.at ?? Math.floor(h.clock.now().getTime() / 1000);
  return h.request('POST', '/v1/webhooks/resend', {
    token: null,
    body,
    headers: {
      'svix-id': id,
      'svix-timestamp': String(at),
      'svix-signature': svixSign(options.secret ?? SECRET, id, at, body),
    },
  });
}

const bounce = (to: string, type = 'Permanent') => ({
  type: 'email.bounced',
  created_at: '2026-11-23T10:00:00.000Z',
  data: { email_id: 'e1', to: [to], subject: 's', bounce: { type, message: 'no such user' } },
});

describe('admin /v1/subscribers', () => {
  it('imports confirmed subscribers with their components, normalising, skipping and counting duplicates and suppressed ones', async () => {
    await h.db.write((tx) =>
      tx.run(
        "INSERT INTO suppressions (email_key, reason, at) VALUES ('blocked@example.com', 'complaint', 'x')",
      ),
    );
    const res = await importList([
      { email: 'One@Example.com' },
      { email: 'two@BÜCHER.example', components: ['checkout', 'data'] },
      { email: 'one@example.COM' },
      { email: 'blocked@example.com' },
    ]);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ imported: 2, skipped_duplicates: 1, skipped_suppressed: 1 });
    const again = await importList([{ email: 'one@example.com' }]);
    expect(await again.json()).toEqual({
      imported: 0,
      skipped_duplicates: 1,
      skipped_suppressed: 0,
    });
    const all = await list();
    expect(all.counts).toMatchObject({
      confirmed: 2,
      pending: 0,
      suppressed: 0,
      suppressed_addresses: 1,
    });
    expect(all.subscribers.map((s) => s.email).sort()).toEqual([
      'One@example.com',
      'two@xn--bcher-kva.example',
    ]);
    const checkout = await list('?component=checkout');
    expect(checkout.subscribers.map((s) => s.email).sort()).toEqual([
      'One@example.com',
      'two@xn--bcher-kva.example',
    ]);
    const data = await list('?component=database&status=confirmed');
    expect(data.subscribers.map((s) => s.email)).toEqual(['One@example.com']);
  });

  it('names each bad address and unknown component in a 422 and imports nothing', async () => {
    const res = await importList([
      { email: 'fine@example.com' },
      { email: 'broken@' },
      { email: 'x@example.com', components: ['nope'] },
    ]);
    expect(res.status).toBe(422);
    const body = (await res.json()) as {
      error: { details: Array<{ field: string; message: string }> };
    };
    expect(body.error.details.map((d) => d.field)).toEqual([
      'subscribers.1.email',
      'subscribers.2.components.0',
    ]);
    expect(body.error.details[0]!.message).toContain('broken@');
    expect((await list()).counts.confirmed).toBe(0);
  });

  it('imports 10,000 in one call and refuses 10,001', async () => {
    const many = Array.from({ length: 10_000 }, (_, i) => ({ email: `user${i}@example.com` }));
    const res = await importList(many);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      imported: 10_000,
      skipped_duplicates: 0,
      skipped_suppressed: 0,
    });
    const over = await importList([...many, { email: 'one-more@example.com' }]);
    expect(over.status).toBe(422);
    const page = await list('?limit=1000');
    expect(page.subscribers).toHaveLength(1000);
    const next = await list(`?limit=1000&after=${page.next_cursor}`);
    expect(next.subscribers[0]!.id > page.subscribers.at(-1)!.id).toBe(true);
  });

  it('removes one subscriber, with an audit row that does not keep the address; needs an admin key', async () => {
    await importList([{ email: 'gone@example.com' }, { email: 'stays@example.com' }]);
    const { subscribers } = await list();
    const target = subscribers.find((s) => s.email === 'gone@example.com')!;
    const writer = await h.key('write');
    expect(
      (await h.request('DELETE', `/v1/subscribers/${target.id}`, { token: writer })).status,
    ).toBe(403);
    expect((await h.request('GET', '/v1/subscribers', { token: writer })).status).toBe(403);
    expect((await h.request('DELETE', `/v1/subscribers/${target.id}`)).status).toBe(204);
    expect((await h.request('DELETE', `/v1/subscribers/${target.id}`)).status).toBe(404);
    expect((await list()).subscribers.map((s) => s.email)).toEqual(['stays@example.com']);
    const audit = JSON.stringify(await h.db.query('SELECT * FROM audit_log'));
    expect(audit).toContain('subscriber.remove');
    expect(audit).not.toContain('gone@example.com');
  });
});

describe('POST /v1/webhooks/resend', () => {
  it('suppresses a hard-bounced address everywhere, once, however often the event is replayed', async () => {
    await importList([{ email: 'Bounce@Example.com' }]);
    const first = await webhook(bounce('Bounce@example.com'), { id: 'msg_1' });
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ received: true, replay: false, suppressed: 1 });
    const replay = await webhook(bounce('Bounce@example.com'), { id: 'msg_1' });
    expect(await replay.json()).toEqual({ received: true, replay: true, suppressed: 0 });
    expect((await list()).counts).toMatchObject({
      suppressed: 1,
      confirmed: 0,
      suppressed_addresses: 1,
    });
    // A new subscription for it sends nothing and still answers 202.
    const res = await h.request('POST', '/v1/subscriptions', {
      body: { email: 'bounce@example.com' },
      token: null,
    });
    expect(res.status).toBe(202);
    expect(
      await h.db.query("SELECT * FROM mail_outbox WHERE kind = 'subscriber.confirm'"),
    ).toHaveLength(0);
  });

  it('suppresses on a complaint, but not on a soft bounce or a delivery', async () => {
    await importList([
      { email: 'a@example.com' },
      { email: 'b@example.com' },
      { email: 'c@example.com' },
    ]);
    await webhook({ type: 'email.complained', data: { to: ['a@example.com'] } });
    await webhook(bounce('b@example.com', 'Transient'));
    await webhook({ type: 'email.delivered', data: { to: ['c@example.com'] } });
    const statuses = Object.fromEntries((await list()).subscribers.map((s) => [s.email, s.status]));
    expect(statuses).toEqual({
      'a@example.com': 'suppressed',
      'b@example.com': 'confirmed',
      'c@example.com': 'confirmed',
    });
  });

  it('refuses a bad, missing or stale signature with a 401 and changes nothing', async () => {
    await importList([{ email: 'safe@example.com' }]);
    const event = bounce('safe@example.com');
    const wrongKey = `whsec_${Buffer.from('some other key').toString('base64')}`;
    expect((await webhook(event, { secret: wrongKey })).status).toBe(401);
    const stale = Math.floor(h.clock.now().getTime() / 1000) - 600;
    expect((await webhook(event, { at: stale })).status).toBe(401);
    const unsigned = await h.request('POST', '/v1/webhooks/resend', {
      token: null,
      body: JSON.stringify(event),
    });
    expect(unsigned.status).toBe(401);
    // A valid signature over another body does not cover this one.
    const body = JSON.stringify(event);
    const tampered = await h.request('POST', '/v1/webhooks/resend', {
      token: null,
      body: body.replace('safe@', 'other@'),
      headers: {
        'svix-id': 'm',
        'svix-timestamp': String(stale + 600),
        'svix-signature': svixSign(SECRET, 'm', stale + 600, body),
      },
    });
    expect(tampered.status).toBe(401);
    expect((await list()).counts).toMatchObject({
      confirmed: 1,
      suppressed: 0,
      suppressed_addresses: 0,
    });
    expect(await h.db.query('SELECT * FROM webhook_events')).toHaveLength(0);
  });

  it('refuses everything when no webhook secret is configured', async () => {
    const bare = await createHarness();
    try {
      const res = await bare.request('POST', '/v1/webhooks/resend', { token: null, body: '{}' });
      expect(res.status).toBe(401);
    } finally {
      bare.close();
    }
  });
});
