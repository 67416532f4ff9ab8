// Every error case in the README's table, with the response it gets.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../support/harness.ts';

let h: Harness;
let incidentId: string;
beforeAll(async () => {
  h = await createHarness();
  const res = await h.request('POST', '/v1/incidents', {
    body: {
      title: 'Errors',
      severity: 'SEV3',
      message: 'Looking.',
      components: [{ id: 'api', status: 'degraded_performance' }],
    },
  });
  incidentId = ((await res.json()) as any).id;
});
afterAll(() => h.close());

async function expectError(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/application\/json/);
  const body = (await res.json()) as any;
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe('string');
  expect(Array.isArray(body.error.details)).toBe(true);
  return body.error;
}

describe('error responses', () => {
  it('malformed JSON → 400 bad_request', async () => {
    const error = await expectError(
      await h.request('POST', '/v1/incidents', { body: '{"title": ' }),
      400,
      'bad_request',
    );
    expect(error.message).toMatch(/not valid JSON/);
  });

  it('invalid UTF-8 → 400 bad_request', async () => {
    const bytes = new Uint8Array([0x7b, 0x22, 0x74, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]);
    const error = await expectError(
      await h.request('POST', '/v1/incidents', { body: bytes }),
      400,
      'bad_request',
    );
    expect(error.message).toMatch(/UTF-8/);
  });

  it('empty body → 400 bad_request', async () => {
    await expectError(
      await h.request('POST', '/v1/incidents', { body: '', headers: { 'content-length': '0' } }),
      400,
      'bad_request',
    );
  });

  it('missing key → 401 unauthorized with WWW-Authenticate', async () => {
    const res = await h.request('GET', '/v1/incidents', { token: null });
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    await expectError(res, 401, 'unauthorized');
  });

  it('unknown key → 401 unauthorized', async () => {
    await expectError(
      await h.request('GET', '/v1/incidents', { token: 'hrd_nope_nope' }),
      401,
      'unauthorized',
    );
  });

  it('wrong scope → 403 forbidden', async () => {
    const readKey = await h.key('read');
    const error = await expectError(
      await h.request('POST', '/v1/incidents', {
        token: readKey,
        body: { title: 't', severity: 'SEV3', message: 'm' },
      }),
      403,
      'forbidden',
    );
    expect(error.message).toMatch(/needs "write"/);
  });

  it('unknown incident → 404 not_found', async () => {
    await expectError(await h.request('GET', '/v1/incidents/doesnotexist'), 404, 'not_found');
    await expectError(
      await h.request('POST', '/v1/incidents/doesnotexist/updates', { body: { message: 'hi' } }),
      404,
      'not_found',
    );
    await expectError(
      await h.request('PATCH', '/v1/incidents/doesnotexist', {
        body: { title: 'x' },
        headers: { 'if-match': '"1"' },
      }),
      404,
      'not_found',
    );
  });

  it('unknown route → 404 not_found', async () => {
    await expectError(await h.request('GET', '/v1/nothing-here'), 404, 'not_found');
  });

  it('unknown component → 422 naming the field', async () => {
    const error = await expectError(
      await h.request('POST', `/v1/incidents/${incidentId}/updates`, {
        body: { message: 'm2', components: [{ id: 'flux-capacitor', status: 'major_outage' }] },
      }),
      422,
      'validation_failed',
    );
    expect(error.details).toEqual([
      { field: 'components.0.id', message: 'unknown component "flux-capacitor"' },
    ]);
  });

  it('unknown template → 404; missing template variable → 422 naming it', async () => {
    await expectError(
      await h.request('POST', `/v1/incidents/${incidentId}/updates`, {
        body: { template: { id: 'nope', vars: {} } },
      }),
      404,
      'not_found',
    );
    const error = await expectError(
      await h.request('POST', `/v1/incidents/${incidentId}/updates`, {
        body: { template: { id: 'monitoring', vars: { component: 'API' } } },
      }),
      422,
      'validation_failed',
    );
    expect(error.details).toEqual([
      { field: 'template.vars.next_update', message: 'missing variable' },
    ]);
  });

  it('If-Match mismatch → 409 conflict', async () => {
    await expectError(
      await h.request('PATCH', `/v1/incidents/${incidentId}`, {
        body: { title: 'x' },
        headers: { 'if-match': '"99"' },
      }),
      409,
      'conflict',
    );
  });

  it('malformed If-Match → 400', async () => {
    await expectError(
      await h.request('PATCH', `/v1/incidents/${incidentId}`, {
        body: { title: 'x' },
        headers: { 'if-match': 'banana' },
      }),
      400,
      'bad_request',
    );
  });

  it('same Idempotency-Key with a different body → 409 idempotency_conflict', async () => {
    const headers = { 'idempotency-key': 'errors-table-1' };
    expect(
      (
        await h.request('POST', `/v1/incidents/${incidentId}/updates`, {
          body: { message: 'first' },
          headers,
        })
      ).status,
    ).toBe(201);
    await expectError(
      await h.request('POST', `/v1/incidents/${incidentId}/updates`, {
        body: { message: 'second' },
        headers,
      }),
      409,
      'idempotency_conflict',
    );
  });

  it('body over 64 KiB → 413 payload_too_large', async () => {
    const message = 'x'.repeat(70 * 1024);
    await expectError(
      await h.request('POST', `/v1/incidents/${incidentId}/updates`, { body: { message } }),
      413,
      'payload_too_large',
    );
  });

  it('validation → 422 naming every bad field', async () => {
    const error = await expectError(
      await h.request('POST', '/v1/incidents', {
        body: {
          title: '',
          severity: 'SEV9',
          message: 'm',
          visibility: 'secret',
          eta: 'tomorrow',
          extra: true,
        },
      }),
      422,
      'validation_failed',
    );
    expect(error.details.map((d: any) => d.field).sort()).toEqual([
      'eta',
      'extra',
      'severity',
      'title',
      'visibility',
    ]);
  });

  it('both message and template, or neither → 422', async () => {
    const both = await h.request('POST', `/v1/incidents/${incidentId}/updates`, {
      body: { message: 'm', template: { id: 'monitoring', vars: {} } },
    });
    await expectError(both, 422, 'validation_failed');
    await expectError(
      await h.request('POST', `/v1/incidents/${incidentId}/updates`, {
        body: { status: 'resolved' },
      }),
      422,
      'validation_failed',
    );
  });

  it('a bad query parameter → 422', async () => {
    await expectError(
      await h.request('GET', '/v1/incidents?status=sleeping'),
      422,
      'validation_failed',
    );
    await expectError(
      await h.request('GET', '/v1/incidents?limit=100000'),
      422,
      'validation_failed',
    );
  });
});
