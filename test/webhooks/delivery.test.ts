import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseAllowList } from '../../src/domain/webhooks/address-policy.ts';
import { postPinned, type PostRequest } from '../../src/webhooks/http-transport.ts';
import type { Resolver } from '../../src/webhooks/resolve.ts';
import { createWebhookServices } from '../../src/webhooks/setup.ts';
import { createHarness, sev1Body, TEST_SECRET, type Harness } from '../support/harness.ts';
import { startReceiver, type Receiver } from '../support/webhook-receiver.ts';
import {
  COMPONENT_FIELDS,
  COMPONENT_UPDATE_FIELDS,
  INCIDENT_FIELDS,
  INCIDENT_UPDATE_FIELDS,
  MAINTENANCE_FIELDS,
} from '../support/statuspage-fields.ts';

/**
 * Webhook deliveries through the app and the worker on a real database file, to receivers on
 * 127.0.0.1 that check signatures with their own HMAC code. The clock is moved by hand, so
 * back-off and the 24-hour rules are exercised without waiting. Every connection the worker
 * opens goes through `guardedPost`, which fails the test if it is not to 127.0.0.1.
 */

const outside: string[] = [];
async function guardedPost(req: PostRequest) {
  if (req.address !== '127.0.0.1') {
    outside.push(req.address);
    throw new Error(`test tried to connect to ${req.address}`);
  }
  return postPinned(req);
}

let table: Record<string, string[]> = {};
const resolver: Resolver = async (host) => {
  const addresses = table[host];
  if (!addresses) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
  return addresses.map((address) => ({ address, family: 4 }));
};

let receiver: Receiver;
let h: Harness;

beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver.close();
});
beforeEach(async () => {
  table = { 'receiver.example.test': ['127.0.0.1'] };
  h = await createHarness({
    webhooks: {
      allow: parseAllowList('127.0.0.1/32'),
      resolver,
      post: guardedPost,
      backoffBaseMs: 1000,
    },
  });
});
afterEach(() => {
  h.close();
  expect(outside).toEqual([]);
});

const drain = () => h.webhooks!.worker.drain();

async function adminWebhook(path: string, extra: Record<string, unknown> = {}) {
  const res = await h.request('POST', '/v1/webhooks', {
    body: { url: `${receiver.url}${path}`, ...extra },
  });
  expect(res.status).toBe(201);
  const body = (await res.json()) as { id: string; secret: string; status: string };
  expect(body.status).toBe('active');
  expect(body.secret).toMatch(/^whsec_/);
  receiver.setSecret(path, body.secret);
  return body;
}

async function declare(extra: Record<string, unknown> = {}) {
  const res = await h.request('POST', '/v1/incidents', { body: sev1Body(extra) });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

async function update(incidentId: string, body: Record<string, unknown>) {
  const res = await h.request('POST', `/v1/incidents/${incidentId}/updates`, { body });
  expect(res.status).toBe(201);
}

function unique(path: string) {
  return `/${path}-${Math.random().toString(36).slice(2)}`;
}

describe('webhook deliveries', () => {
  it('delivers signed incident and component events in Statuspage’s layout, with an event id', async () => {
    const path = unique('layout');
    const hook = await adminWebhook(path);
    const incidentId = await declare();
    await drain();
    const got = receiver.at(path);
    expect(got.map((r) => r.headers['herald-event-type'])).toEqual([
      'incident.updated',
      'component.updated',
    ]);
    for (const r of got) {
      expect(r.signatureValid).toBe(true);
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['herald-event-id']).toMatch(/^[A-Za-z0-9]+$/);
    }
    const incident = got[0]!.json as Record<string, Record<string, unknown>>;
    expect(Object.keys(incident).sort()).toEqual(['incident', 'meta', 'page']);
    expect(incident.meta).toMatchObject({ event_id: got[0]!.headers['herald-event-id'] });
    expect(incident.meta!.unsubscribe).toMatch(
      /\/v1\/subscriptions\/webhooks\/unsubscribe\?token=/,
    );
    expect(typeof incident.meta!.documentation).toBe('string');
    expect(Object.keys(incident.page!).sort()).toEqual([
      'id',
      'status_description',
      'status_indicator',
    ]);
    expect(incident.page!.status_indicator).toBe('critical');
    for (const field of INCIDENT_FIELDS) expect(incident.incident, field).toHaveProperty(field);
    expect(incident.incident!.id).toBe(incidentId);
    const updates = incident.incident!.incident_updates as Array<Record<string, unknown>>;
    expect(updates).toHaveLength(1);
    for (const field of INCIDENT_UPDATE_FIELDS) expect(updates[0], field).toHaveProperty(field);

    const component = got[1]!.json as Record<string, Record<string, unknown>>;
    expect(Object.keys(component).sort()).toEqual([
      'component',
      'component_update',
      'meta',
      'page',
    ]);
    for (const field of COMPONENT_UPDATE_FIELDS)
      expect(component.component_update, field).toHaveProperty(field);
    for (const field of COMPONENT_FIELDS) expect(component.component, field).toHaveProperty(field);
    expect(component.component_update).toMatchObject({
      component_id: 'checkout',
      old_status: 'operational',
      new_status: 'major_outage',
    });

    // The same event is not sent twice, whatever runs again.
    await drain();
    expect(receiver.at(path)).toHaveLength(2);
    // The admin sees the result and never the secret.
    const list = (await (await h.request('GET', '/v1/webhooks')).json()) as {
      webhooks: Array<Record<string, unknown>>;
    };
    const listed = list.webhooks.find((w) => w.id === hook.id)!;
    expect(listed).toMatchObject({ status: 'active', failure_count: 0, last_result: 'HTTP 204' });
    expect(JSON.stringify(list)).not.toContain(hook.secret);
  });

  it('a receiver that answers 500 then 200 has exactly one accepted delivery, after the Retry-After it asked for', async () => {
    const path = unique('flaky');
    receiver.script(path, [{ status: 500, headers: { 'retry-after': '30' } }, { status: 200 }]);
    const hook = await adminWebhook(path, { components: ['database'] });
    const incidentId = await declare({
      components: [{ id: 'database', status: 'degraded_performance' }],
    });
    await drain();
    expect(receiver.at(path).map((r) => r.answered)).toEqual([500]);
    h.clock.advance(29_000);
    await drain();
    expect(receiver.at(path)).toHaveLength(1);
    h.clock.advance(1_000);
    await drain();
    await drain();
    const got = receiver.at(path);
    expect(got.map((r) => r.answered)).toEqual([500, 200, 200]);
    // The retry is the same event (same id), signed again; the component event waited behind it.
    expect(got[1]!.headers['herald-event-id']).toBe(got[0]!.headers['herald-event-id']);
    expect(got[1]!.headers['herald-attempt']).toBe('2');
    expect(got[2]!.headers['herald-event-type']).toBe('component.updated');
    expect(
      got.filter((r) => r.answered < 300).map((r) => r.headers['herald-event-id']),
    ).toHaveLength(2);
    expect(incidentId).toBeTruthy();

    const deliveries = (await (
      await h.request('GET', `/v1/webhooks/${hook.id}/deliveries`)
    ).json()) as {
      deliveries: Array<Record<string, unknown>>;
    };
    expect(
      deliveries.deliveries.map((d) => [d.event_type, d.state, d.attempts, d.status_code]),
    ).toEqual([
      ['component.updated', 'delivered', 1, 200],
      ['incident.updated', 'delivered', 2, 200],
    ]);
    expect(typeof deliveries.deliveries[1]!.duration_ms).toBe('number');
  });

  it('keeps one endpoint’s deliveries in order while an earlier one is being retried', async () => {
    const slow = unique('ordered');
    const other = unique('other');
    receiver.script(slow, [{ status: 503 }, { status: 503 }, { status: 204 }]);
    await adminWebhook(slow);
    await adminWebhook(other);
    const id = await declare({ components: [] });
    await update(id, { status: 'identified', message: 'Found it.' });
    await update(id, { status: 'monitoring', message: 'Fix deployed.' });
    await drain();
    expect(receiver.at(other)).toHaveLength(3);
    expect(receiver.at(slow)).toHaveLength(1);
    for (let i = 0; i < 4; i++) {
      h.clock.advance(5_000);
      await drain();
    }
    const statuses = (r: { json: unknown }) =>
      (r.json as { incident: { incident_updates: Array<{ status: string }> } }).incident
        .incident_updates[0]!.status;
    const delivered = receiver.at(slow).filter((r) => r.answered < 300);
    expect(delivered.map(statuses)).toEqual(['investigating', 'identified', 'monitoring']);
    expect(receiver.at(other).map(statuses)).toEqual(['investigating', 'identified', 'monitoring']);
  });

  it('sends only the components a webhook follows, and nothing for private incidents or notify: false', async () => {
    const db = unique('db-only');
    await adminWebhook(db, { components: ['data'] });
    await declare({ components: [{ id: 'checkout', status: 'major_outage' }] });
    await declare({
      visibility: 'private',
      components: [{ id: 'database', status: 'major_outage' }],
    });
    await declare({ notify: false, components: [{ id: 'database', status: 'major_outage' }] });
    await drain();
    expect(receiver.at(db)).toHaveLength(0);
    await declare({ components: [{ id: 'storage', status: 'partial_outage' }] });
    await drain();
    expect(receiver.at(db).map((r) => r.headers['herald-event-type'])).toEqual([
      'incident.updated',
      'component.updated',
    ]);
  });

  it('is delivered exactly once when two processes send at the same time', async () => {
    const paths = Array.from({ length: 20 }, (_, i) => unique(`pair-${i}`));
    for (const p of paths) await adminWebhook(p);
    const second = createWebhookServices({
      db: h.db,
      content: h.content,
      now: h.clock.now,
      log: () => undefined,
      siteUrl: 'https://status.example.test',
      apiUrl: 'https://status.example.test',
      secret: Buffer.from(TEST_SECRET),
      allow: parseAllowList('127.0.0.1/32'),
      resolver,
      post: guardedPost,
      timeoutMs: 2000,
      backoffBaseMs: 1000,
      concurrency: 4,
      pollMs: 1000,
      requestsPerClientPerHour: 20,
      onMailQueued: () => undefined,
    });
    await declare({ components: [] });
    await Promise.all([drain(), second.worker.drain(), drain()]);
    await Promise.all([drain(), second.worker.drain()]);
    for (const p of paths) {
      expect(
        receiver.at(p).map((r) => r.headers['herald-event-type']),
        p,
      ).toEqual(['incident.updated']);
    }
  });
});

describe('address policy at creation and at delivery', () => {
  it('refuses at creation: a name resolving to metadata or a private address, 127.0.0.2, and https-less public URLs', async () => {
    table['metadata.example.test'] = ['169.254.169.254'];
    table['intranet.example.test'] = ['10.0.0.1'];
    table['public.example.test'] = ['93.184.216.34'];
    for (const url of [
      'https://metadata.example.test/hook',
      'https://intranet.example.test/hook',
      'http://127.0.0.2:9/hook',
      'https://10.0.0.1/hook',
      'https://169.254.169.254/latest/meta-data',
      'http://public.example.test/hook',
    ]) {
      const res = await h.request('POST', '/v1/webhooks', { body: { url } });
      expect(res.status, url).toBe(422);
      const body = (await res.json()) as { error: { details: Array<{ field: string }> } };
      expect(body.error.details[0]!.field).toBe('url');
    }
    const listed = (await (await h.request('GET', '/v1/webhooks')).json()) as {
      webhooks: unknown[];
    };
    expect(listed.webhooks).toHaveLength(0);
  });

  it('refuses at delivery when the name now resolves to a refused address, without connecting', async () => {
    const path = unique('rebinding');
    const res = await h.request('POST', '/v1/webhooks', {
      body: { url: `http://receiver.example.test:${new URL(receiver.url).port}${path}` },
    });
    expect(res.status).toBe(201);
    const hook = (await res.json()) as { id: string };
    table['receiver.example.test'] = ['10.0.0.1'];
    await declare({ components: [] });
    await drain();
    expect(receiver.at(path)).toHaveLength(0);
    const deliveries = (await (
      await h.request('GET', `/v1/webhooks/${hook.id}/deliveries`)
    ).json()) as {
      deliveries: Array<{ state: string; error: string }>;
    };
    expect(deliveries.deliveries[0]).toMatchObject({ state: 'pending' });
    expect(deliveries.deliveries[0]!.error).toMatch(
      /address refused: refused: 10\.0\.0\.1 is a private address/,
    );
    // Back to loopback: the retry goes through, to the checked address.
    table['receiver.example.test'] = ['127.0.0.1'];
    h.clock.advance(5_000);
    await drain();
    expect(receiver.at(path)).toHaveLength(1);
  });

  it('refuses loopback when the operator opened nothing', async () => {
    const closed = await createHarness({ webhooks: { resolver, post: guardedPost } });
    try {
      const res = await closed.request('POST', '/v1/webhooks', {
        body: { url: `${receiver.url}/x` },
      });
      expect(res.status).toBe(422);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(
        /loopback/,
      );
    } finally {
      closed.close();
    }
  });
});

describe('failing endpoints', () => {
  it('disables an endpoint that failed for 24 hours and emails its owner', async () => {
    const path = unique('down');
    receiver.script(path, [{ status: 502 }]);
    const hook = await adminWebhook(path, { owner_email: 'owner@acme.example' });
    await declare({ components: [] });
    await drain();
    for (let hour = 0; hour < 26; hour++) {
      h.clock.advance(60 * 60 * 1000);
      await drain();
    }
    const shown = (await (await h.request('GET', `/v1/webhooks/${hook.id}`)).json()) as Record<
      string,
      unknown
    >;
    expect(shown).toMatchObject({ status: 'disabled' });
    expect(shown.disabled_reason).toMatch(/HTTP 502/);
    expect(shown.failure_count).toBeGreaterThan(5);
    const mail = await h.db.query(
      "SELECT to_address, subject, text FROM mail_outbox WHERE kind = 'webhook.disabled'",
    );
    expect(mail).toHaveLength(1);
    expect(mail[0]!.to_address).toBe('owner@acme.example');
    expect(String(mail[0]!.text)).toContain(hook.id);
    // Nothing more is sent to it; an admin re-enables it and new events flow again.
    const before = receiver.at(path).length;
    await declare({ components: [] });
    await drain();
    expect(receiver.at(path)).toHaveLength(before);
    receiver.script(path, [{ status: 200 }]);
    const enabled = await h.request('POST', `/v1/webhooks/${hook.id}/enable`);
    expect(await enabled.json()).toMatchObject({ status: 'active', failure_count: 0 });
    await declare({ components: [] });
    await drain();
    expect(
      receiver
        .at(path)
        .slice(before)
        .map((r) => r.answered),
    ).toEqual([200]);
  });

  it('gives up at once on a 4xx other than 408/429 and moves on to the next event', async () => {
    const path = unique('gone');
    receiver.script(path, [{ status: 410 }, { status: 204 }]);
    await adminWebhook(path);
    await declare({ components: [] });
    await declare({ components: [] });
    await drain();
    expect(receiver.at(path).map((r) => r.answered)).toEqual([410, 204]);
  });
});

describe('admin: rotate, remove, unsubscribe', () => {
  it('signs with the new secret after a rotation; the old one no longer verifies', async () => {
    const path = unique('rotate');
    const hook = await adminWebhook(path);
    const res = await h.request('POST', `/v1/webhooks/${hook.id}/rotate-secret`);
    expect(res.status).toBe(200);
    const { secret } = (await res.json()) as { secret: string };
    expect(secret).not.toBe(hook.secret);
    await declare({ components: [] });
    await drain();
    expect(receiver.at(path)[0]!.signatureValid).toBe(false);
    receiver.setSecret(path, secret);
    await declare({ components: [] });
    await drain();
    expect(receiver.at(path)[1]!.signatureValid).toBe(true);
    // Stored sealed: the secret is nowhere in the database file in clear.
    const rows = await h.db.query('SELECT secret_box FROM webhooks WHERE id = ?', [hook.id]);
    expect(String(rows[0]!.secret_box)).not.toContain(secret.slice(6));
  });

  it('removes a webhook (admin) and lets the receiver leave through meta.unsubscribe', async () => {
    const a = unique('removed');
    const b = unique('leaves');
    const hookA = await adminWebhook(a);
    await adminWebhook(b);
    expect((await h.request('DELETE', `/v1/webhooks/${hookA.id}`)).status).toBe(204);
    expect((await h.request('DELETE', `/v1/webhooks/${hookA.id}`)).status).toBe(404);
    await declare({ components: [] });
    await drain();
    expect(receiver.at(a)).toHaveLength(0);
    const link = new URL(
      (receiver.at(b)[0]!.json as { meta: { unsubscribe: string } }).meta.unsubscribe,
    );
    const left = await h.request('POST', `${link.pathname}${link.search}`, { token: null });
    expect(left.status).toBe(200);
    await declare({ components: [] });
    await drain();
    expect(receiver.at(b)).toHaveLength(1);
  });

  it('needs an admin key', async () => {
    const reader = await h.key('read');
    expect((await h.request('GET', '/v1/webhooks', { token: reader })).status).toBe(403);
    expect(
      (await h.request('POST', '/v1/webhooks', { token: null, body: { url: `${receiver.url}/x` } }))
        .status,
    ).toBe(401);
  });
});

describe('maintenance events', () => {
  it('go to the webhooks following the maintenance’s components, signed, in the scheduled_maintenances layout, once each', async () => {
    const dbPath = unique('maintenance-db');
    const apiPath = unique('maintenance-api');
    await adminWebhook(dbPath, { components: ['database'] });
    await adminWebhook(apiPath, { components: ['api'] });
    const created = await h.request('POST', '/v1/maintenances', {
      body: {
        title: 'Database upgrade',
        message: 'Upgrading.',
        components: ['database'],
        scheduled_for: '2026-11-23T12:00:00Z',
        scheduled_until: '2026-11-23T13:00:00Z',
      },
    });
    const m = (await created.json()) as { id: string };
    await drain();
    await h.request('POST', `/v1/maintenances/${m.id}/updates`, {
      body: { status: 'in_progress', message: 'Started early.' },
    });
    await drain();
    await drain();
    const got = receiver.at(dbPath);
    expect(got.map((r) => r.headers['herald-event-type'])).toEqual([
      'maintenance.updated',
      'maintenance.updated',
    ]);
    expect(new Set(got.map((r) => r.headers['herald-event-id'])).size).toBe(2);
    for (const r of got) expect(r.signatureValid).toBe(true);
    const body = got[1]!.json as Record<string, Record<string, any>>;
    expect(Object.keys(body).sort()).toEqual(['meta', 'page', 'scheduled_maintenance']);
    const sm = body.scheduled_maintenance!;
    for (const field of MAINTENANCE_FIELDS) expect(sm, field).toHaveProperty(field);
    expect(sm).toMatchObject({ id: m.id, status: 'in_progress', impact: 'maintenance' });
    expect(sm.components.map((c: any) => c.id)).toEqual(['database']);
    for (const field of COMPONENT_FIELDS) expect(sm.components[0], field).toHaveProperty(field);
    for (const field of INCIDENT_UPDATE_FIELDS)
      expect(sm.incident_updates[0], field).toHaveProperty(field);
    expect(body.page!.status_indicator).toBe('maintenance');
    expect(receiver.at(apiPath)).toEqual([]);
  });
});

describe('maintenance events made late', () => {
  it('describe the maintenance as it was when each happened', async () => {
    const path = unique('maintenance-asof');
    await adminWebhook(path, { components: ['database'] });
    const created = await h.request('POST', '/v1/maintenances', {
      body: {
        title: 'Failover drill',
        message: 'Announced.',
        components: ['database'],
        scheduled_for: '2026-11-23T12:00:00Z',
        scheduled_until: '2026-11-23T13:00:00Z',
      },
    });
    const m = (await created.json()) as { id: string };
    h.clock.advance(1000);
    await h.request('POST', `/v1/maintenances/${m.id}/updates`, {
      body: { status: 'in_progress', message: 'Started.' },
    });
    // Both events are made in one pass, after both changes.
    await drain();
    await drain();
    const bodies = receiver.at(path).map((r) => (r.json as any).scheduled_maintenance);
    expect(bodies.map((b) => [b.status, b.incident_updates.length])).toEqual([
      ['scheduled', 1],
      ['in_progress', 2],
    ]);
  });
});
