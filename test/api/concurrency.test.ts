import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../support/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

describe('50 concurrent updates to one incident', () => {
  it('are all stored, none lost, with the timeline in order and the version counting each', async () => {
    const created = (await (
      await h.request('POST', '/v1/incidents', {
        body: {
          title: 'Busy incident',
          severity: 'SEV3',
          message: 'update 0',
          components: [{ id: 'api', status: 'degraded_performance' }],
        },
      })
    ).json()) as any;
    const statuses = ['investigating', 'identified', 'monitoring'] as const;
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => {
        h.clock.advance(1000); // each request is accepted a second after the previous one was sent
        return h.request('POST', `/v1/incidents/${created.id}/updates`, {
          body: { message: `update ${i + 1}`, status: statuses[i % 3] },
        });
      }),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(201));
    const bodies = (await Promise.all(responses.map((r) => r.json()))) as any[];
    expect(new Set(bodies.map((b) => b.id)).size).toBe(50);

    const incident = (await (await h.request('GET', `/v1/incidents/${created.id}`)).json()) as any;
    expect(incident.updates).toHaveLength(51);
    expect(incident.version).toBe(51);
    const messages = incident.updates.map((u: any) => u.message).reverse();
    expect(new Set(messages)).toEqual(
      new Set(['update 0', ...Array.from({ length: 50 }, (_, i) => `update ${i + 1}`)]),
    );
    // newest first, by display time, never out of order
    const times = incident.updates.map((u: any) => u.display_at);
    expect([...times].sort().reverse()).toEqual(times);
    // the incident's status is the status of the newest update
    expect(incident.status).toBe(incident.updates[0].status);
    const rows = await h.db.query(
      'SELECT COUNT(*) AS n, COUNT(DISTINCT seq) AS seqs FROM updates WHERE incident_id = ?',
      [created.id],
    );
    expect(Number(rows[0]!.n)).toBe(51);
    expect(Number(rows[0]!.seqs)).toBe(51);
  });
});
