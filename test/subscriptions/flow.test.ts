import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { emlTransport } from '../../src/mail/eml-transport.ts';
import { createMailer, GIVE_UP_AFTER_MS } from '../../src/mail/mailer.ts';
import { createPersonaliser } from '../../src/mail/personalise.ts';
import { ACCEPTED } from '../../src/api/routes/subscriptions.ts';
import { listOutbox } from '../../src/storage/outbox.ts';
import { createHarness, type Harness } from '../support/harness.ts';
import { startResendStub, type ResendStub } from '../support/resend-stub.ts';
import { parseEml } from '../mail/parse-eml.ts';
import { linkIn, pathOf, pipelineFor } from './support.ts';

let h: Harness;
let stub: ResendStub;
let pipeline: ReturnType<typeof pipelineFor>;

beforeEach(async () => {
  h = await createHarness();
  stub = await startResendStub();
  pipeline = pipelineFor(h, stub);
});
afterEach(async () => {
  await stub.close();
  h.close();
});

const inbox = (address: string) => stub.delivered.filter((e) => e.to[0] === address);

async function subscribe(email: string, extra: Record<string, unknown> = {}) {
  const res = await h.request('POST', '/v1/subscriptions', {
    body: { email, ...extra },
    token: null,
  });
  expect(res.status).toBe(202);
  expect(await res.json()).toEqual(ACCEPTED);
}

/** Subscribes, receives the confirmation, follows its link. */
async function subscribeAndConfirm(email: string, extra: Record<string, unknown> = {}) {
  await subscribe(email, extra);
  await pipeline.deliver();
  const confirmation = inbox(email).at(-1)!;
  expect(confirmation.subject).toBe('Confirm your subscription to Acme Cloud status');
  const res = await h.request('GET', pathOf(linkIn(confirmation, 'confirm')), { token: null });
  expect(res.status).toBe(200);
  expect(await res.text()).toContain('Subscription confirmed');
}

async function declare(extra: Record<string, unknown> = {}) {
  const res = await h.request('POST', '/v1/incidents', {
    body: {
      title: 'Checkout errors',
      severity: 'SEV3',
      message: 'We are investigating failed payments.',
      components: [{ id: 'checkout', status: 'partial_outage' }],
      ...extra,
    },
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

async function post(incidentId: string, body: Record<string, unknown>) {
  const res = await h.request('POST', `/v1/incidents/${incidentId}/updates`, { body });
  expect(res.status).toBe(201);
}

describe('double opt-in', () => {
  it('sends a confirmation whose link confirms once; a second use and an expired link get a clear page', async () => {
    await subscribe('Ana@Example.COM');
    await pipeline.deliver();
    const [confirmation] = inbox('Ana@example.com');
    expect(confirmation).toBeDefined();
    expect(confirmation!.html).toContain('Confirm subscription');
    const link = linkIn(confirmation!, 'confirm');
    expect(confirmation!.html).toContain(link);

    const first = await h.request('GET', pathOf(link), { token: null });
    expect(first.status).toBe(200);
    expect(first.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(await first.text()).toContain('will receive updates about all components');
    const again = await h.request('GET', pathOf(link), { token: null });
    expect(again.status).toBe(410);
    expect(await again.text()).toContain('This link was already used');

    await subscribe('bo@example.com');
    await pipeline.deliver();
    h.clock.advance(48 * 3_600_000 + 1000);
    const late = await h.request('GET', pathOf(linkIn(inbox('bo@example.com')[0]!, 'confirm')), {
      token: null,
    });
    expect(late.status).toBe(410);
    expect(await late.text()).toContain('This link has expired');
    const forged = await h.request('GET', `/v1/subscriptions/confirm?token=${'A'.repeat(43)}`, {
      token: null,
    });
    expect(forged.status).toBe(404);
    const garbage = await h.request('GET', '/v1/subscriptions/confirm?token=%00%3Cx', {
      token: null,
    });
    expect(garbage.status).toBe(404);
  });

  it('stores only digests of the tokens, and queued mail holds ids, not the links', async () => {
    await subscribe('cy@example.com');
    const queued = await listOutbox(h.db.query);
    expect(queued).toHaveLength(1);
    expect(queued[0]!.html).toBe('');
    await pipeline.deliver();
    const token = new URL(linkIn(inbox('cy@example.com')[0]!, 'confirm')).searchParams.get(
      'token',
    )!;
    const dump = JSON.stringify([
      await h.db.query('SELECT * FROM subscription_confirmations'),
      await h.db.query('SELECT * FROM subscribers'),
      await h.db.query('SELECT * FROM mail_outbox'),
      await h.db.query('SELECT * FROM mail_bodies'),
    ]);
    expect(dump).not.toContain(token);
  });

  it('answers the same 202 for a new, a confirmed and a suppressed address, and mails only who may be mailed', async () => {
    await subscribeAndConfirm('dee@example.com');
    await h.db.write((tx) =>
      tx.run(
        "INSERT INTO suppressions (email_key, reason, at) VALUES ('gone@example.com', 'hard bounce', 'x')",
      ),
    );
    const before = stub.delivered.length;
    await subscribe('gone@example.com');
    await subscribe('dee@example.com');
    await pipeline.deliver();
    expect(inbox('gone@example.com')).toHaveLength(0);
    expect(stub.delivered.length).toBe(before + 1);
  });

  it('caps confirmation emails per address per day without telling the client', async () => {
    for (let i = 0; i < 5; i++) await subscribe('flood@example.com');
    await pipeline.deliver();
    expect(inbox('flood@example.com')).toHaveLength(3);
    h.clock.advance(24 * 3_600_000 + 1000);
    await subscribe('flood@example.com');
    await pipeline.deliver();
    expect(inbox('flood@example.com')).toHaveLength(4);
  });

  it('refuses a bad address with a 422 naming it, and an unknown component', async () => {
    const bad = await h.request('POST', '/v1/subscriptions', {
      body: { email: 'not an address' },
      token: null,
    });
    expect(bad.status).toBe(422);
    expect(JSON.stringify(await bad.json())).toContain('"field":"email"');
    const unknown = await h.request('POST', '/v1/subscriptions', {
      body: { email: 'x@example.com', components: ['nope'] },
      token: null,
    });
    expect(unknown.status).toBe(422);
    expect(JSON.stringify(await unknown.json())).toContain('components.0');
  });
});

describe('the client cap', () => {
  it('answers 429 with Retry-After (and a page for forms) past the hourly cap, sending nothing', async () => {
    const capped = await createHarness({ limits: { requestsPerClientPerHour: 2 } });
    try {
      for (const email of ['a@example.com', 'b@example.com']) {
        const res = await capped.request('POST', '/v1/subscriptions', {
          body: { email },
          token: null,
        });
        expect(res.status).toBe(202);
      }
      const json = await capped.request('POST', '/v1/subscriptions', {
        body: { email: 'c@example.com' },
        token: null,
      });
      expect(json.status).toBe(429);
      expect(Number(json.headers.get('retry-after'))).toBeGreaterThan(0);
      const form = await capped.request('POST', '/v1/subscriptions', {
        body: 'email=d%40example.com',
        token: null,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(form.status).toBe(429);
      expect(form.headers.get('content-type')).toContain('text/html');
      expect(await form.text()).toContain('Too many requests');
      const queued = await listOutbox(capped.db.query);
      expect(queued.map((m) => m.to).sort()).toEqual(['a@example.com', 'b@example.com']);
    } finally {
      capped.close();
    }
  });
});

describe('fan-out', () => {
  it('reaches exactly the subscribers an update concerns: all, per component or group, per incident', async () => {
    await subscribeAndConfirm('all@example.com');
    await subscribeAndConfirm('checkout@example.com', { components: ['checkout'] });
    await subscribeAndConfirm('payments@example.com', { components: ['payments'] });
    await subscribeAndConfirm('api@example.com', { components: ['api'] });
    await subscribe('pending@example.com');
    const incident = await declare();
    await subscribeAndConfirm('follower@example.com', { incident_id: incident });
    const other = await declare({
      title: 'API slow',
      components: [{ id: 'api', status: 'degraded_performance' }],
    });
    await pipeline.deliver();
    const notices = (address: string) =>
      inbox(address).filter((e) => !e.subject.startsWith('Confirm'));
    expect(
      notices('all@example.com')
        .map((e) => e.subject)
        .sort(),
    ).toEqual([
      '[Investigating] API slow — Acme Cloud status',
      '[Investigating] Checkout errors — Acme Cloud status',
    ]);
    expect(notices('checkout@example.com').map((e) => e.subject)).toEqual([
      '[Investigating] Checkout errors — Acme Cloud status',
    ]);
    expect(notices('payments@example.com')).toHaveLength(1);
    expect(notices('api@example.com').map((e) => e.subject)).toEqual([
      '[Investigating] API slow — Acme Cloud status',
    ]);
    expect(notices('pending@example.com')).toHaveLength(0);
    expect(notices('follower@example.com')).toHaveLength(0);
    void other;

    h.clock.advance(6 * 60_000);
    await post(incident, { status: 'identified', message: 'A bad deploy; rolling back.' });
    await pipeline.deliver();
    for (const address of [
      'all@example.com',
      'checkout@example.com',
      'payments@example.com',
      'follower@example.com',
    ]) {
      expect(
        notices(address).filter((e) => e.subject.startsWith('[Identified]')),
        address,
      ).toHaveLength(1);
    }
    expect(notices('api@example.com')).toHaveLength(1);

    const email = notices('follower@example.com')[0]!;
    expect(email.text).toContain('A bad deploy; rolling back.');
    expect(email.text).toContain(`https://status.example.test/incidents/${incident}/`);
    expect(email.text).toContain('Checkout');
    expect(email.headers['List-Unsubscribe']).toBe(`<${linkIn(email, 'unsubscribe')}>`);
    expect(email.headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    expect(email.headers['List-Id']).toBe('"Acme Cloud status" <status.acme.example>');
    expect(email.html).toContain(linkIn(email, 'manage').replace(/&/g, '&amp;'));
  });

  it('lets a follower follow one incident until it is resolved, and no further', async () => {
    const incident = await declare();
    await subscribeAndConfirm('follower@example.com', { incident_id: incident });
    const notices = () => inbox('follower@example.com').filter((e) => e.subject.startsWith('['));
    h.clock.advance(6 * 60_000);
    await post(incident, { status: 'resolved', message: 'Fixed.' });
    await pipeline.deliver();
    expect(notices().map((e) => e.subject)).toEqual([
      '[Resolved] Checkout errors — Acme Cloud status',
    ]);
    expect(await h.db.query('SELECT * FROM subscriber_incidents')).toHaveLength(0);
    h.clock.advance(6 * 60_000);
    await post(incident, { status: 'investigating', message: 'It is back.' });
    await pipeline.deliver();
    expect(notices()).toHaveLength(1);
    const resolved = await h.request('POST', '/v1/subscriptions', {
      body: { email: 'late@example.com', incident_id: 'nope' },
      token: null,
    });
    expect(resolved.status).toBe(422);
  });

  it('sends nothing for a private incident or an update with notify: false', async () => {
    await subscribeAndConfirm('all@example.com');
    const before = stub.delivered.length;
    const secret = await declare({ title: 'Private one', visibility: 'private' });
    await post(secret, { message: 'Still private.' });
    const quiet = await declare({ title: 'Quiet one', notify: false });
    h.clock.advance(10 * 60_000);
    await post(quiet, { message: 'No email for this either.', notify: false });
    await pipeline.deliver();
    expect(stub.delivered.length).toBe(before);
    expect(await h.db.query('SELECT * FROM fanouts')).toHaveLength(0);
  });

  it('coalesces updates faster than the minimum interval into one email, and sends resolved at once', async () => {
    await subscribeAndConfirm('all@example.com');
    const incident = await declare();
    await pipeline.deliver();
    h.clock.advance(60_000);
    await post(incident, { status: 'identified', message: 'Found it.' });
    h.clock.advance(60_000);
    await post(incident, { message: 'Fix is being deployed.' });
    await pipeline.deliver();
    const notices = () => inbox('all@example.com').filter((e) => !e.subject.startsWith('Confirm'));
    expect(notices()).toHaveLength(1);
    h.clock.advance(3 * 60_000 + 1000);
    await pipeline.deliver();
    expect(notices()).toHaveLength(2);
    const combined = notices()[1]!;
    expect(combined.text).toContain('Found it.');
    expect(combined.text).toContain('Fix is being deployed.');
    expect(combined.text.indexOf('Fix is being deployed.')).toBeLessThan(
      combined.text.indexOf('Found it.'),
    );

    h.clock.advance(30_000);
    await post(incident, { status: 'resolved', message: 'All good now.' });
    await pipeline.deliver();
    expect(notices()).toHaveLength(3);
    expect(notices()[2]!.subject).toBe('[Resolved] Checkout errors — Acme Cloud status');
  });

  it('escapes what responders typed in the HTML part and keeps headers single lines', async () => {
    await subscribeAndConfirm('all@example.com');
    await declare({
      title: 'Bad <script>alert(1)</script> & "quotes"',
      message:
        'Try <img src=x onerror=alert(1)> now.\n\nSee [docs](https://acme.example/docs?a=1&b=2).',
    });
    await pipeline.deliver();
    const email = inbox('all@example.com').at(-1)!;
    expect(email.html).not.toContain('<script>');
    expect(email.html).not.toContain('<img');
    expect(email.html).toContain('&lt;script&gt;');
    expect(email.subject).toBe(
      '[Investigating] Bad <script>alert(1)</script> & "quotes" — Acme Cloud status',
    );
    expect(email.text).toContain('docs (https://acme.example/docs?a=1&b=2)');
    for (const value of Object.values(email.headers)) expect(value).not.toMatch(/[\r\n]/);
  });
});

describe('executive content', () => {
  it('never reaches a subscriber email: no business figure, commander or internal role', async () => {
    await subscribeAndConfirm('all@example.com');
    const id = await declare({
      severity: 'SEV1',
      roles: { commander: 'Ada Commander', communications: 'comms-internal@acme.example' },
      business_impact: {
        summary: 'Enterprise checkout revenue at risk',
        customers_affected: 48213,
        revenue_per_minute: 7919,
        currency: 'USD',
      },
    });
    await post(id, { status: 'identified', message: 'A faulty deploy; rolling back.' });
    await pipeline.deliver();
    const emails = inbox('all@example.com').filter((e) => e.subject.startsWith('['));
    expect(emails.length).toBeGreaterThan(0);
    for (const email of emails) {
      const whole = [email.subject, email.text, email.html, JSON.stringify(email.headers)].join(
        '\n',
      );
      for (const secret of [
        'Enterprise checkout revenue at risk',
        '48213',
        '48,213',
        '7919',
        '7,919',
        'Ada Commander',
        'comms-internal@acme.example',
      ])
        expect(whole, secret).not.toContain(secret);
      // The public parts are there: the test reads the real message, not an empty one.
      expect(email.text).toContain('Checkout errors');
    }
  });
});

describe('leaving', () => {
  it('one-click unsubscribes by POST (RFC 8058), after which no more email arrives', async () => {
    await subscribeAndConfirm('leaver@example.com');
    const incident = await declare();
    await pipeline.deliver();
    const email = inbox('leaver@example.com').at(-1)!;
    const unsubscribe = pathOf(linkIn(email, 'unsubscribe'));
    const page = await h.request('GET', unsubscribe, { token: null });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<button type="submit">Unsubscribe</button>');
    const res = await h.request('POST', unsubscribe, {
      token: null,
      body: 'List-Unsubscribe=One-Click',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('You are unsubscribed');
    h.clock.advance(10 * 60_000);
    await post(incident, { message: 'Another update.' });
    await pipeline.deliver();
    expect(inbox('leaver@example.com').at(-1)).toBe(email);
  });

  it('cancels an update queued before the subscriber left', async () => {
    await subscribeAndConfirm('late@example.com');
    await declare();
    await pipeline.fanout.runOnce();
    const queued = (await listOutbox(h.db.query)).filter((m) => m.kind === 'subscriber.update');
    expect(queued).toHaveLength(1);
    const manage = await h.db.query('SELECT id FROM subscribers');
    await h.db.write((tx) =>
      tx.run("UPDATE subscribers SET status = 'unsubscribed' WHERE id = ?", [
        manage[0]!.id as string,
      ]),
    );
    await pipeline.mailer.drain();
    expect(inbox('late@example.com').filter((e) => !e.subject.startsWith('Confirm'))).toHaveLength(
      0,
    );
    expect((await listOutbox(h.db.query)).find((m) => m.kind === 'subscriber.update')!.status).toBe(
      'cancelled',
    );
  });

  it('saves preferences from the manage page without a login', async () => {
    await subscribeAndConfirm('picky@example.com');
    await declare();
    await pipeline.deliver();
    const manage = pathOf(linkIn(inbox('picky@example.com').at(-1)!, 'manage'));
    const page = await h.request('GET', manage, { token: null });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toMatch(/type="checkbox"\s+name="components"\s+value="api"\s*\/>\s*Public API/);
    expect(html).toMatch(/type="radio"\s+name="follows"\s+value="all"\s+checked/);
    const token = new URL(`https://x${manage}`).searchParams.get('token')!;
    const saved = await h.request('POST', '/v1/subscriptions/manage', {
      token: null,
      body: `token=${token}&follows=components&components=api&components=data`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(saved.status).toBe(200);
    expect(await saved.text()).toContain('Preferences saved');
    const row = await h.db.query('SELECT component_id FROM subscriber_components ORDER BY 1');
    expect(row.map((r) => r.component_id)).toEqual(['api', 'data']);
  });
});

describe('without a provider key', () => {
  it('writes subscriber mail as .eml files with the recipient’s own links and the list headers', async () => {
    const outbox = join(h.dir, 'outbox');
    const mailer = createMailer({
      db: h.db,
      transport: emlTransport(outbox, 'Acme Status <status@acme.example>', h.clock.now),
      now: h.clock.now,
      log: () => undefined,
      pollMs: 50,
      leaseMs: 5_000,
      ratePerSecond: 1000,
      giveUpAfterMs: GIVE_UP_AFTER_MS,
      backoff: { baseMs: 10, maxMs: 100 },
      authPauseMs: 100,
      personalise: createPersonaliser(h.db, h.subscriptions.siteUrl, h.subscriptions.secret),
    });
    await subscribe('eml@example.com');
    expect(await mailer.drain()).toBe(1);
    const [file] = readdirSync(outbox);
    const confirmation = parseEml(readFileSync(join(outbox, file!), 'utf8'));
    const text = confirmation.parts.find((p) => p.type === 'text/plain')!.body;
    const link = /https:\/\/\S+\/v1\/subscriptions\/confirm\?token=[\w-]{43}/.exec(text)![0];
    expect((await h.request('GET', pathOf(link), { token: null })).status).toBe(200);

    await declare();
    await pipeline.fanout.runOnce();
    expect(await mailer.drain()).toBe(1);
    const notice = readdirSync(outbox).find((f) => f !== file)!;
    const parsed = parseEml(readFileSync(join(outbox, notice), 'utf8'));
    expect(parsed.headers['subject']).toBe('[Investigating] Checkout errors — Acme Cloud status');
    expect(parsed.headers['list-unsubscribe']).toMatch(
      /^<https:\/\/status\.example\.test\/v1\/subscriptions\/unsubscribe\?token=[\w-]{43}>$/,
    );
    expect(parsed.headers['list-unsubscribe-post']).toBe('List-Unsubscribe=One-Click');
  });
});
