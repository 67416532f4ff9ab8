import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../support/harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await createHarness(); // clock at 2026-11-23T10:00Z, the repository's policy
});
afterEach(() => h.close());

const DAY = 'from=2026-11-23T00:00:00Z&to=2026-11-24T00:00:00Z';
const minutes = (m: number) => h.clock.advance(m * 60_000);

async function json(res: Response) {
  return (await res.json()) as Record<string, any>;
}

describe('GET /v1/metrics', () => {
  it('computes the figures from the stored records, with the severity in force at each moment', async () => {
    const declared = await json(
      await h.request('POST', '/v1/incidents', {
        body: {
          title: 'API errors',
          severity: 'SEV3',
          message: 'Investigating API errors.',
          components: [{ id: 'api', status: 'partial_outage' }],
          detected_at: '2026-11-23T10:00:00Z',
        },
      }),
    );
    const id = declared.id as string;
    minutes(20); // 10:20: raised to SEV1 and acknowledged
    const raise = await h.request('PATCH', `/v1/incidents/${id}`, {
      body: {
        severity: 'SEV1',
        acknowledged_at: '2026-11-23T10:20:00Z',
        roles: { commander: 'ada@acme.example', communications: 'grace@acme.example' },
        business_impact: { summary: 'API down', revenue_per_minute: 100, currency: 'USD' },
      },
      headers: { 'if-match': '"1"' },
    });
    expect(raise.status).toBe(200);
    minutes(30); // 10:50
    expect(
      (
        await h.request('POST', `/v1/incidents/${id}/updates`, {
          body: { status: 'identified', message: 'Found a bad deploy.' },
        })
      ).status,
    ).toBe(201);
    minutes(10); // 11:00
    expect(
      (
        await h.request('POST', `/v1/incidents/${id}/updates`, {
          body: { status: 'resolved', message: 'Rolled back.' },
        })
      ).status,
    ).toBe(201);
    minutes(30); // 11:30: the same component fails again
    await h.request('POST', '/v1/incidents', {
      body: {
        title: 'API errors again',
        severity: 'SEV4',
        message: 'API errors again.',
        components: [{ id: 'api', status: 'degraded_performance' }],
      },
    });

    const reader = await h.key('read');
    const res = await h.request('GET', `/v1/metrics?${DAY}`, { token: reader });
    expect(res.status).toBe(200);
    const metrics = await json(res);
    expect(metrics.incidents).toEqual({
      total: 2,
      by_severity: { SEV1: 1, SEV2: 0, SEV3: 0, SEV4: 1, SEV5: 0 },
    });
    // detected at the start (0 s); acknowledged 20 min after detection; resolved after 60 min.
    // The second incident has no detection time and is open.
    expect(metrics.mttd).toEqual({
      mean_seconds: 0,
      p50_seconds: 0,
      p90_seconds: 0,
      count: 1,
      missing: 1,
    });
    expect(metrics.mtta).toMatchObject({ mean_seconds: 1200, count: 1, missing: 1 });
    expect(metrics.mttr).toMatchObject({ mean_seconds: 3600, count: 1, missing: 1 });
    // 10:00 window at SEV3 (60 min) closed at 10:50: met; 10:50 window at SEV1 (15 min) closed at
    // 11:00: met; the SEV4's first window (4 h) is not due yet.
    expect(metrics.cadence).toEqual({ windows_due: 2, windows_met: 2, ratio: 1 });
    expect(metrics.repeats).toEqual([
      expect.objectContaining({
        title: 'API errors again',
        repeat_of: [expect.objectContaining({ incident_id: id, matched_on: ['components'] })],
      }),
    ]);
  });

  it('defaults to the 30 days up to now and refuses an empty or malformed period', async () => {
    const metrics = await json(await h.request('GET', '/v1/metrics'));
    expect(metrics.to).toBe('2026-11-23T10:00:00.000Z');
    expect(metrics.from).toBe('2026-10-24T10:00:00.000Z');
    const backwards = await h.request(
      'GET',
      '/v1/metrics?from=2026-11-24T00:00:00Z&to=2026-11-23T00:00:00Z',
    );
    expect(backwards.status).toBe(422);
    const malformed = await h.request('GET', '/v1/metrics?from=yesterday');
    expect(malformed.status).toBe(422);
    expect((await json(malformed)).error.details[0].field).toBe('from');
    expect((await h.request('GET', '/v1/metrics', { token: null })).status).toBe(401);
  });
});
