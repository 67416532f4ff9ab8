// The API over `@libsql/client` (the driver for libSQL servers and Turso) on an embedded file: the
// remote path is the same code, so it is tested here too, not only the cached embedded driver.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, sev1Body, type Harness } from '../support/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ driver: 'client' });
});
afterAll(() => h.close());

describe('the API on @libsql/client', () => {
  it('declares, updates concurrently, edits with If-Match and resolves an incident', async () => {
    const created = await h.request('POST', '/v1/incidents', {
      body: sev1Body(),
      headers: { 'idempotency-key': 'client-driver-1' },
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as any;
    const replay = await h.request('POST', '/v1/incidents', {
      body: sev1Body(),
      headers: { 'idempotency-key': 'client-driver-1' },
    });
    expect(((await replay.json()) as any).id).toBe(id);

    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        h.request('POST', `/v1/incidents/${id}/updates`, { body: { message: `progress ${i}` } }),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(201));

    const stale = await h.request('PATCH', `/v1/incidents/${id}`, {
      body: { title: 'Renamed' },
      headers: { 'if-match': '"1"' },
    });
    expect(stale.status).toBe(409);
    const edited = await h.request('PATCH', `/v1/incidents/${id}`, {
      body: { title: 'Renamed' },
      headers: { 'if-match': '"21"' },
    });
    expect(edited.status).toBe(200);

    h.clock.advance(60_000);
    const resolved = await h.request('POST', `/v1/incidents/${id}/updates`, {
      body: { status: 'resolved', message: 'Fixed.' },
    });
    expect(resolved.status).toBe(201);
    const incident = (await (await h.request('GET', `/v1/incidents/${id}`)).json()) as any;
    expect(incident).toMatchObject({ title: 'Renamed', status: 'resolved', version: 23 });
    expect(incident.updates).toHaveLength(22);
    expect(incident.components).toEqual([
      { id: 'checkout', name: 'Checkout', status: 'operational' },
    ]);
    const audit = (await (await h.request('GET', `/v1/audit?target_id=${id}`)).json()) as any;
    expect(audit.entries).toHaveLength(23);
  });
});
