import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../support/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

describe('GET /healthz', () => {
  it('reports liveness and database reachability without auth', async () => {
    const res = await h.request('GET', '/healthz', { token: null });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', database: 'ok' });
  });
});

describe('GET /openapi.json and /docs', () => {
  it('describe every route from the same schemas that validate requests', async () => {
    const doc = (await (await h.request('GET', '/openapi.json', { token: null })).json()) as any;
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/healthz',
      '/readyz',
      '/v1/audit',
      '/v1/cadence',
      '/v1/components',
      '/v1/digests',
      '/v1/digests/executive',
      '/v1/digests/executive/send',
      '/v1/digests/{id}',
      '/v1/incidents',
      '/v1/incidents/{id}',
      '/v1/incidents/{id}/postmortem',
      '/v1/incidents/{id}/postmortem/action-items/{item_id}',
      '/v1/incidents/{id}/updates',
      '/v1/keys',
      '/v1/keys/{id}',
      '/v1/maintenances',
      '/v1/maintenances/{id}',
      '/v1/maintenances/{id}/cancel',
      '/v1/maintenances/{id}/updates',
      '/v1/metrics',
      '/v1/postmortems',
      '/v1/subscribers',
      '/v1/subscribers/{id}',
      '/v1/subscriptions',
      '/v1/subscriptions/confirm',
      '/v1/subscriptions/manage',
      '/v1/subscriptions/unsubscribe',
      '/v1/subscriptions/webhooks/confirm',
      '/v1/subscriptions/webhooks/unsubscribe',
      '/v1/templates',
      '/v1/templates/{id}/render',
      '/v1/webhooks',
      '/v1/webhooks/resend',
      '/v1/webhooks/{id}',
      '/v1/webhooks/{id}/deliveries',
      '/v1/webhooks/{id}/enable',
      '/v1/webhooks/{id}/rotate-secret',
    ]);
    const declare = doc.paths['/v1/incidents'].post.requestBody.content['application/json'].schema;
    expect(declare.required).toEqual(['title', 'severity']);
    expect(declare.properties.severity.enum).toEqual(['SEV1', 'SEV2', 'SEV3', 'SEV4', 'SEV5']);
    expect(declare.additionalProperties).toBe(false);
    expect(
      doc.paths['/v1/incidents/{id}'].patch.parameters.some((p: any) => p.name === 'If-Match'),
    ).toBe(true);
  });

  it('serve a readable HTML reference', async () => {
    const res = await h.request('GET', '/docs', { token: null });
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const html = await res.text();
    expect(html).toContain('POST /v1/incidents/{id}/updates');
    expect(html).toContain('Idempotency-Key');
  });
});

describe('GET /v1/templates and POST /v1/templates/{id}/render', () => {
  it('list templates with their variables and render a preview', async () => {
    const list = (await (await h.request('GET', '/v1/templates')).json()) as any;
    const investigating = list.templates.find((t: any) => t.id === 'investigating');
    expect(investigating).toMatchObject({
      status: 'investigating',
      variables: ['symptom', 'component', 'next_update'],
    });
    const res = await h.request('POST', '/v1/templates/investigating/render', {
      body: {
        vars: { symptom: 'timeouts', component: 'the Public API', next_update: '10:30 UTC' },
      },
    });
    expect(res.status).toBe(200);
    const rendered = (await res.json()) as any;
    expect(rendered.message).toContain(
      'We are investigating reports of timeouts affecting the Public API.',
    );
    expect(rendered.status).toBe('investigating');
    const missing = await h.request('POST', '/v1/templates/investigating/render', {
      body: { vars: {} },
    });
    expect(missing.status).toBe(422);
    expect(((await missing.json()) as any).error.details.map((d: any) => d.field)).toEqual([
      'vars.symptom',
      'vars.component',
      'vars.next_update',
    ]);
  });
});

describe('GET /v1/components', () => {
  it('returns the catalog in groups with the current status', async () => {
    await h.request('POST', '/v1/incidents', {
      body: {
        title: 'Slow',
        severity: 'SEV3',
        message: 'Slow.',
        components: [{ id: 'billing', status: 'degraded_performance' }],
      },
    });
    await h.request('POST', '/v1/incidents', {
      body: {
        title: 'Down',
        severity: 'SEV3',
        message: 'Down.',
        components: [{ id: 'billing', status: 'major_outage' }],
      },
    });
    const body = (await (await h.request('GET', '/v1/components')).json()) as any;
    expect(body.groups.map((g: any) => g.id)).toEqual(['core-platform', 'payments', 'data']);
    // the worst status among open incidents wins
    expect(body.components.find((c: any) => c.id === 'billing')).toMatchObject({
      group_id: 'payments',
      status: 'major_outage',
    });
    expect(body.components.find((c: any) => c.id === 'api').status).toBe('operational');
  });
});

describe('GET /v1/audit', () => {
  it('lists changes newest first with who made them, paginated', async () => {
    const body = (await (await h.request('GET', '/v1/audit?limit=1')).json()) as any;
    expect(body.entries).toHaveLength(1);
    expect(body.entries[0]).toMatchObject({
      action: 'incident.declare',
      actor: expect.any(String),
    });
    const next = (await (
      await h.request('GET', `/v1/audit?limit=1&before=${body.next_cursor}`)
    ).json()) as any;
    expect(next.entries[0].id).toBeLessThan(body.entries[0].id);
  });
});
