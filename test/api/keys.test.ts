import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashToken } from '../../src/storage/keys.ts';
import { createHarness, type Harness } from '../support/harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(() => h.close());

describe('API keys', () => {
  it('are shown once and stored only as a hash', async () => {
    const res = await h.request('POST', '/v1/keys', {
      body: { name: 'deploy bot', scope: 'write' },
    });
    expect(res.status).toBe(201);
    const created = (await res.json()) as any;
    expect(created.token).toMatch(/^hrd_[a-z0-9]{12}_[A-Za-z0-9_-]{32}$/);
    const rows = await h.db.query('SELECT * FROM api_keys WHERE id = ?', [created.id]);
    expect(rows[0]!.hash).toBe(hashToken(created.token));
    expect(JSON.stringify(rows)).not.toContain(created.token);
    const list = (await (await h.request('GET', '/v1/keys')).json()) as any;
    expect(JSON.stringify(list)).not.toContain(created.token);
    expect(list.keys.find((k: any) => k.id === created.id)).toMatchObject({
      name: 'deploy bot',
      scope: 'write',
    });
  });

  it('have ordered scopes: read < write < admin', async () => {
    const read = await h.key('read');
    const write = await h.key('write');
    expect((await h.request('GET', '/v1/incidents', { token: read })).status).toBe(200);
    expect(
      (
        await h.request('POST', '/v1/incidents', {
          token: read,
          body: { title: 't', severity: 'SEV3', message: 'm' },
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await h.request('POST', '/v1/incidents', {
          token: write,
          body: { title: 't', severity: 'SEV3', message: 'm' },
        })
      ).status,
    ).toBe(201);
    expect((await h.request('GET', '/v1/keys', { token: write })).status).toBe(403);
    expect((await h.request('GET', '/v1/audit', { token: write })).status).toBe(403);
  });

  it('stop working when revoked, and the revocation is audited', async () => {
    const created = (await (
      await h.request('POST', '/v1/keys', { body: { name: 'temp', scope: 'read' } })
    ).json()) as any;
    expect((await h.request('GET', '/v1/incidents', { token: created.token })).status).toBe(200);
    expect((await h.request('DELETE', `/v1/keys/${created.id}`)).status).toBe(204);
    expect((await h.request('GET', '/v1/incidents', { token: created.token })).status).toBe(401);
    expect((await h.request('DELETE', `/v1/keys/${created.id}`)).status).toBe(404);
    const audit = (await (
      await h.request('GET', `/v1/audit?target_id=${created.id}`)
    ).json()) as any;
    expect(audit.entries.map((e: any) => e.action)).toEqual(['key.revoke', 'key.create']);
  });

  it('never revoke the last admin key', async () => {
    const keys = (await (await h.request('GET', '/v1/keys')).json()) as any;
    const admin = keys.keys.find((k: any) => k.scope === 'admin');
    expect((await h.request('DELETE', `/v1/keys/${admin.id}`)).status).toBe(409);
  });
});

describe('Idempotency-Key', () => {
  it('returns the first response to a retry and creates nothing more', async () => {
    const headers = { 'idempotency-key': 'declare-42' };
    const body = { title: 'Once', severity: 'SEV3', message: 'Only once.' };
    const first = await h.request('POST', '/v1/incidents', { body, headers });
    const second = await h.request('POST', '/v1/incidents', { body, headers });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(await second.json()).toEqual(await first.json());
    const list = (await (await h.request('GET', '/v1/incidents')).json()) as any;
    expect(list.incidents).toHaveLength(1);
  });

  it('replays a stored error too, and belongs to the key that used it', async () => {
    const headers = { 'idempotency-key': 'bad-1' };
    const body = { title: 'x', severity: 'SEV1', message: 'no roles' };
    expect((await h.request('POST', '/v1/incidents', { body, headers })).status).toBe(422);
    expect((await h.request('POST', '/v1/incidents', { body, headers })).status).toBe(422);
    const other = await h.key('write');
    const fresh = await h.request('POST', '/v1/incidents', {
      token: other,
      body: { ...body, severity: 'SEV3' },
      headers,
    });
    expect(fresh.status).toBe(201);
  });

  it('lets concurrent retries of one key create exactly one update', async () => {
    const created = (await (
      await h.request('POST', '/v1/incidents', {
        body: { title: 'c', severity: 'SEV3', message: 'm' },
      })
    ).json()) as any;
    const headers = { 'idempotency-key': 'burst' };
    const responses = await Promise.all(
      Array.from({ length: 10 }, () =>
        h.request('POST', `/v1/incidents/${created.id}/updates`, {
          body: { message: 'burst update' },
          headers,
        }),
      ),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 201).length).toBeGreaterThanOrEqual(1);
    expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
    const incident = (await (await h.request('GET', `/v1/incidents/${created.id}`)).json()) as any;
    expect(incident.updates).toHaveLength(2);
  });

  it('rejects an over-long key with 400', async () => {
    const res = await h.request('POST', '/v1/incidents', {
      body: { title: 'x', severity: 'SEV3', message: 'm' },
      headers: { 'idempotency-key': 'k'.repeat(300) },
    });
    expect(res.status).toBe(400);
  });
});
