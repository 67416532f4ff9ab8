import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listOutbox } from '../../src/storage/outbox.ts';
import { createHarness, sev1Body, type Harness } from '../support/harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await createHarness(); // 2026-11-23T10:00Z, the repository's policy and templates
});
afterEach(() => h.close());

async function json(res: Response) {
  return (await res.json()) as Record<string, any>;
}

describe('executive digest routes', () => {
  it('need the admin or executive scope: read and write keys get 403', async () => {
    const read = await h.key('read');
    const write = await h.key('write');
    const created = await json(
      await h.request('POST', '/v1/keys', { body: { name: 'board', scope: 'executive' } }),
    );
    expect(created.scope).toBe('executive');
    const executive = created.token as string;
    for (const [method, path] of [
      ['GET', '/v1/digests/executive'],
      ['POST', '/v1/digests/executive/send'],
      ['GET', '/v1/digests'],
    ] as const) {
      for (const token of [read, write]) {
        const res = await h.request(method, path, { token });
        expect(res.status, `${method} ${path}`).toBe(403);
        expect((await json(res)).error.code).toBe('forbidden');
      }
      expect((await h.request(method, path, { token: null })).status).toBe(401);
    }
    expect((await h.request('GET', '/v1/digests/executive', { token: executive })).status).toBe(
      200,
    );
    expect((await h.request('GET', '/v1/digests', { token: executive })).status).toBe(200);
    // an executive key reads like a read key, but cannot write
    expect((await h.request('GET', '/v1/incidents', { token: executive })).status).toBe(200);
    expect(
      (await h.request('POST', '/v1/incidents', { token: executive, body: sev1Body() })).status,
    ).toBe(403);
  });

  it('preview as HTML or JSON, send now to the executives, and keep every digest sent', async () => {
    const declared = await json(await h.request('POST', '/v1/incidents', { body: sev1Body() }));
    h.clock.advance(20 * 60_000); // 10:20: 20 min × $850

    const html = await h.request('GET', '/v1/digests/executive');
    expect(html.headers.get('content-type')).toMatch(/text\/html/);
    expect(await html.text()).toContain('$17,000.00');
    const preview = await json(
      await h.request('GET', '/v1/digests/executive', { headers: { accept: 'application/json' } }),
    );
    expect(preview.data.active).toEqual([
      expect.objectContaining({
        id: declared.id,
        estimated_cost: 17_000,
        customers_affected: 1200,
      }),
    ]);
    expect(preview.data.period).toEqual({
      from: '2026-11-22T10:20:00.000Z',
      to: '2026-11-23T10:20:00.000Z',
    });
    expect(preview.text).toContain('Estimated cost so far: $17,000.00');
    // a preview sends nothing and keeps nothing
    expect(await listOutbox(h.db.query)).toEqual([]);

    const sent = await h.request('POST', '/v1/digests/executive/send');
    expect(sent.status).toBe(201);
    const record = await json(sent);
    expect(record).toMatchObject({
      kind: 'manual',
      recipients: ['cto@acme.example', 'vp-support@acme.example'],
      outcome: 'queued',
      subject: '[Herald] Executive digest for Acme Cloud: 1 active, 0 resolved',
    });
    const outbox = await listOutbox(h.db.query);
    expect(outbox.map((m) => [m.kind, m.to, m.headers['X-Herald-Digest']])).toEqual([
      ['digest.manual', 'cto@acme.example', record.slot_key],
      ['digest.manual', 'vp-support@acme.example', record.slot_key],
    ]);

    h.clock.advance(10 * 60_000);
    const second = await json(await h.request('POST', '/v1/digests/executive/send'));
    // the next digest covers the time since the last one
    expect(second.period_from).toBe('2026-11-23T10:20:00.000Z');
    expect(second.data.active[0].estimated_cost).toBe(25_500);

    const list = await json(await h.request('GET', '/v1/digests'));
    expect(list.digests.map((d: any) => d.id)).toEqual([second.id, record.id]);
    expect(list.digests[0].html).toBeUndefined();
    const one = await json(await h.request('GET', `/v1/digests/${record.id}`));
    expect(one.text).toContain('$17,000.00');
    expect((await h.request('GET', '/v1/digests/nope')).status).toBe(404);
  });
});
