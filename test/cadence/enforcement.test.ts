import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, sev1Body, type Harness } from '../support/harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(() => h.close());

async function problem(res: Response) {
  expect(res.status).toBe(422);
  const body = (await res.json()) as { error: { code: string; details: Array<{ field: string }> } };
  return body.error.details.map((d) => d.field).sort();
}

describe('what the API enforces for cadence', () => {
  it('refuses a SEV1 or SEV2 without commander, communications lead and business-impact summary, naming each', async () => {
    for (const severity of ['SEV1', 'SEV2']) {
      const res = await h.request('POST', '/v1/incidents', {
        body: sev1Body({ severity, roles: {}, business_impact: { customers_affected: 3 } }),
      });
      expect(await problem(res)).toEqual([
        'business_impact.summary',
        'roles.commander',
        'roles.communications',
      ]);
    }
    const ok = await h.request('POST', '/v1/incidents', { body: sev1Body() });
    expect(ok.status).toBe(201);
  });

  it('refuses raising an incident to SEV1 without what SEV1 requires', async () => {
    const res = await h.request('POST', '/v1/incidents', {
      body: { title: 'Slow search', severity: 'SEV3', message: 'Looking into slow search.' },
    });
    const { id } = (await res.json()) as { id: string };
    const raise = await h.request('PATCH', `/v1/incidents/${id}`, {
      body: { severity: 'SEV1' },
      headers: { 'if-match': '"1"' },
    });
    expect(await problem(raise)).toEqual([
      'business_impact.summary',
      'roles.commander',
      'roles.communications',
    ]);
  });

  it('refuses resolving without a message', async () => {
    const { id } = (await (
      await h.request('POST', '/v1/incidents', { body: sev1Body() })
    ).json()) as { id: string };
    const res = await h.request('POST', `/v1/incidents/${id}/updates`, {
      body: { status: 'resolved', message: '   ' },
    });
    expect(await problem(res)).toContain('message');
    const missing = await h.request('POST', `/v1/incidents/${id}/updates`, {
      body: { status: 'resolved' },
    });
    expect(await problem(missing)).toContain('message');
  });

  it('refuses an update repeating the previous message with no status or component change', async () => {
    const { id } = (await (
      await h.request('POST', '/v1/incidents', { body: sev1Body() })
    ).json()) as { id: string };
    const same = sev1Body().message;
    const res = await h.request('POST', `/v1/incidents/${id}/updates`, { body: { message: same } });
    expect(await problem(res)).toEqual(['message']);
    // The same words with a new status are news.
    const moved = await h.request('POST', `/v1/incidents/${id}/updates`, {
      body: { message: same, status: 'identified' },
    });
    expect(moved.status).toBe(201);
  });
});
