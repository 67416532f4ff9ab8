import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseAllowList } from '../../src/domain/webhooks/address-policy.ts';
import {
  chatBody,
  detectFormat,
  discordMessage,
  slackMessage,
  teamsMessage,
  type ChatSummary,
} from '../../src/domain/webhooks/chat.ts';
import { nextAttemptAt, outcomeOf, retryAfterMs } from '../../src/domain/webhooks/retry.ts';
import { createSecretBox } from '../../src/webhooks/secret-box.ts';
import { postPinned, type PostRequest } from '../../src/webhooks/http-transport.ts';
import { createHarness, sev1Body, type Harness } from '../support/harness.ts';
import { startReceiver, type Receiver } from '../support/webhook-receiver.ts';

async function loopbackOnly(req: PostRequest) {
  if (req.address !== '127.0.0.1') throw new Error(`test tried to connect to ${req.address}`);
  return postPinned(req);
}

let receiver: Receiver;
let h: Harness;
beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver.close();
});
beforeEach(async () => {
  h = await createHarness({
    webhooks: {
      allow: parseAllowList('127.0.0.1/32'),
      post: loopbackOnly,
      resolver: async () => [],
    },
  });
});
afterEach(() => h.close());

const drain = () => h.webhooks!.worker.drain();
const unique = (name: string) => `/${name}-${Math.random().toString(36).slice(2)}`;

async function subscribe(body: Record<string, unknown>) {
  return h.request('POST', '/v1/subscriptions', { body, token: null });
}

async function declare() {
  const res = await h.request('POST', '/v1/incidents', { body: sev1Body() });
  expect(res.status).toBe(201);
}

describe('public webhook subscriptions', () => {
  it('are confirmed when the endpoint answers the verification event with its code', async () => {
    const path = unique('echo');
    receiver.script(path, [
      (r) => ({
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          code: (r.json as { verification?: { code: string } }).verification?.code ?? null,
        }),
      }),
    ]);
    const res = await subscribe({ webhook: `${receiver.url}${path}`, components: ['checkout'] });
    expect(res.status).toBe(202);
    const created = (await res.json()) as { id: string; secret: string; status: string };
    expect(created).toMatchObject({ status: 'pending' });
    receiver.setSecret(path, created.secret);
    await drain();
    const [verification] = receiver.at(path);
    expect(verification!.headers['herald-event-type']).toBe('verification');
    expect(verification!.signatureValid).toBe(true);
    expect(
      (await (await h.request('GET', `/v1/webhooks/${created.id}`)).json()) as object,
    ).toMatchObject({
      status: 'active',
      source: 'public',
      components: ['checkout'],
    });
    await declare();
    await drain();
    expect(receiver.at(path).map((r) => r.headers['herald-event-type'])).toEqual([
      'verification',
      'incident.updated',
      'component.updated',
    ]);
  });

  it('stay pending, and get nothing, until the code comes back; the confirm link works once', async () => {
    const path = unique('link');
    const res = await subscribe({ webhook: `${receiver.url}${path}` });
    const created = (await res.json()) as { id: string };
    await drain();
    await declare();
    await drain();
    expect(receiver.at(path).map((r) => r.headers['herald-event-type'])).toEqual(['verification']);
    const confirmUrl = new URL(
      (receiver.at(path)[0]!.json as { verification: { confirm_url: string } }).verification
        .confirm_url,
    );
    const page = await h.request('GET', `${confirmUrl.pathname}${confirmUrl.search}`, {
      token: null,
    });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Webhook confirmed');
    const again = await h.request('GET', `${confirmUrl.pathname}${confirmUrl.search}`, {
      token: null,
    });
    expect(again.status).toBe(404);
    expect(
      (await (await h.request('GET', `/v1/webhooks/${created.id}`)).json()) as object,
    ).toMatchObject({
      status: 'active',
    });
    // Updates from before the confirmation are not owed to it; the next one is.
    await declare();
    await drain();
    expect(receiver.at(path).map((r) => r.headers['herald-event-type'])).toEqual([
      'verification',
      'incident.updated',
      'component.updated',
    ]);
  });

  it('refuse loopback addresses outside the allowed range and unknown components', async () => {
    const refused = await subscribe({ webhook: 'http://127.0.0.2:8080/hook' });
    expect(refused.status).toBe(422);
    expect(
      ((await refused.json()) as { error: { details: Array<{ field: string }> } }).error.details[0]!
        .field,
    ).toBe('webhook');
    const unknown = await subscribe({ webhook: `${receiver.url}/x`, components: ['nope'] });
    expect(unknown.status).toBe(422);
    const count = await h.db.query('SELECT count(*) AS n FROM webhooks');
    expect(Number(count[0]!.n)).toBe(0);
  });

  it('leave email subscriptions to the email route', async () => {
    const res = await subscribe({ email: 'someone@example.com' });
    expect(res.status).toBe(202);
    expect(((await res.json()) as { status: string }).status).toBe('accepted');
  });
});

describe('chat endpoints', () => {
  it('recognises Slack, Teams and Discord incoming-webhook URLs', () => {
    const cases: Array<[string, string]> = [
      ['https://hooks.slack.com/services/T000/B000/XXXX', 'slack'],
      ['https://acme.webhook.office.com/webhookb2/abc@def/IncomingWebhook/123/456', 'teams'],
      [
        'https://prod-12.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke',
        'teams',
      ],
      ['https://discord.com/api/webhooks/123/abc', 'discord'],
      ['https://discordapp.com/api/webhooks/123/abc', 'discord'],
      ['https://hooks.slack.com.evil.example/services/x', 'statuspage'],
      ['https://example.com/api/webhooks/1', 'statuspage'],
    ];
    for (const [url, format] of cases) expect(detectFormat(new URL(url)), url).toBe(format);
  });

  const summary: ChatSummary = {
    title: 'Checkout <failing> & slow',
    status: 'Investigating',
    tone: 'major',
    message: 'We are looking at <script>alert(1)</script> errors @everyone',
    components: ['Checkout', 'Billing'],
    url: 'https://status.example.test/incidents/abc/',
    siteName: 'Acme Cloud',
    at: '2026-11-23T10:00:00.000Z',
  };

  it('writes Slack Block Kit with the status, message, components and link, escaping mrkdwn', () => {
    const slack = slackMessage(summary);
    const text = JSON.stringify(slack);
    expect(slack.blocks.map((b) => b.type)).toEqual([
      'header',
      'section',
      'section',
      'actions',
      'context',
    ]);
    expect(text).toContain('Investigating');
    expect(text).toContain('Checkout, Billing');
    expect(text).toContain(summary.url);
    expect(text).toContain('&lt;script&gt;');
    expect(text).not.toContain('<script>');
  });

  it('writes a Teams Adaptive Card and a Discord embed that cannot mention anyone', () => {
    const teams = teamsMessage(summary);
    const card = teams.attachments[0]!.content;
    expect(teams.attachments[0]!.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(card.actions[0]).toMatchObject({ type: 'Action.OpenUrl', url: summary.url });
    expect(JSON.stringify(card.body)).toContain('Checkout, Billing');
    const discord = discordMessage(summary);
    expect(discord.allowed_mentions).toEqual({ parse: [] });
    expect(discord.embeds[0]).toMatchObject({ url: summary.url, title: summary.title });
    expect(discord.embeds[0]!.fields.map((f) => f.name)).toEqual(['Status', 'Affected']);
  });

  it('delivers the chat format instead of the raw JSON to a chat endpoint', async () => {
    const path = unique('slack');
    const res = await h.request('POST', '/v1/webhooks', {
      body: { url: `${receiver.url}${path}`, format: 'slack' },
    });
    expect(res.status).toBe(201);
    await declare();
    await drain();
    const [incident, component] = receiver.at(path);
    expect(incident!.json).toEqual(chatBody('slack', await eventChat(h, 'incident.updated')));
    expect(JSON.stringify(incident!.json)).toContain('Investigating');
    expect(JSON.stringify(component!.json)).toContain('Major outage');
    expect(incident!.json).not.toHaveProperty('incident');
  });
});

async function eventChat(h: Harness, type: string): Promise<ChatSummary> {
  const rows = await h.db.query(
    'SELECT chat FROM hook_events WHERE type = ? ORDER BY seq LIMIT 1',
    [type],
  );
  return JSON.parse(String(rows[0]!.chat)) as ChatSummary;
}

describe('retry rules and sealed secrets', () => {
  const now = new Date('2026-11-23T10:00:00.000Z');
  it('retries network errors, 408, 429 and 5xx; accepts 2xx; stops at other answers', () => {
    expect(outcomeOf({ error: 'ECONNREFUSED' })).toBe('retry');
    for (const code of [408, 429, 500, 502, 503])
      expect(outcomeOf({ statusCode: code })).toBe('retry');
    for (const code of [200, 202, 204]) expect(outcomeOf({ statusCode: code })).toBe('delivered');
    for (const code of [301, 400, 401, 404, 410])
      expect(outcomeOf({ statusCode: code })).toBe('permanent');
  });

  it('honours Retry-After (seconds or a date) up to 24 hours after the delivery was made', () => {
    expect(retryAfterMs('120', now)).toBe(120_000);
    expect(retryAfterMs('Mon, 23 Nov 2026 10:01:00 GMT', now)).toBe(60_000);
    expect(retryAfterMs('soon', now)).toBeNull();
    const base = { now, createdAt: now.toISOString(), baseMs: 10_000, jitter: 0 };
    expect(nextAttemptAt({ ...base, attempts: 1, retryAfter: '120' })).toBe(
      '2026-11-23T10:02:00.000Z',
    );
    expect(nextAttemptAt({ ...base, attempts: 1, retryAfter: null })).toBe(
      '2026-11-23T10:00:10.000Z',
    );
    expect(nextAttemptAt({ ...base, attempts: 3, retryAfter: null })).toBe(
      '2026-11-23T10:00:40.000Z',
    );
    expect(nextAttemptAt({ ...base, attempts: 30, retryAfter: null })).toBe(
      '2026-11-23T11:00:00.000Z',
    );
    expect(nextAttemptAt({ ...base, attempts: 1, retryAfter: String(25 * 3600) })).toBeNull();
  });

  it('seals a signing secret so that only the same server secret and webhook id open it', () => {
    const box = createSecretBox(Buffer.from('a server secret of at least 32 characters'));
    const sealed = box.seal('hook-1', 'whsec_abc');
    expect(sealed).not.toContain('whsec_abc');
    expect(box.open('hook-1', sealed)).toBe('whsec_abc');
    expect(() => box.open('hook-2', sealed)).toThrow();
    expect(() =>
      createSecretBox(Buffer.from('another server secret, 32 chars min')).open('hook-1', sealed),
    ).toThrow();
  });
});
