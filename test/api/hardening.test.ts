import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { claimIdempotencyKey, markIdempotencyApplied } from '../../src/storage/idempotency.ts';
import { createHarness, type Harness } from '../support/harness.ts';

// Regression tests for issue 10 ("Hardening: what an adversarial review found"), one per item
// that the API itself answers. Each failed before its fix.

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(() => h.close());

async function json(res: Response) {
  return (await res.json()) as any;
}

async function declare(body: Record<string, unknown> = {}) {
  const res = await h.request('POST', '/v1/incidents', {
    body: {
      title: 'Elevated API error rates',
      severity: 'SEV3',
      message: 'We are investigating elevated error rates on the API.',
      components: [{ id: 'api', status: 'partial_outage' }],
      ...body,
    },
  });
  expect(res.status).toBe(201);
  return json(res);
}

function post(id: string, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return h.request('POST', `/v1/incidents/${id}/updates`, { body, headers });
}

function fieldsOf(body: any): string[] {
  return body.error.details.map((d: any) => d.field);
}

describe('item 1: a display_at ahead of the clock', () => {
  it('never lets an earlier post outrank a later resolve: status, components and cadence agree', async () => {
    const incident = await declare();
    const ahead = new Date(h.clock.now().getTime() + 4 * 60_000).toISOString();
    const monitoring = await post(incident.id, {
      status: 'monitoring',
      message: 'A fix is out; we are watching.',
      display_at: ahead,
    });
    expect(monitoring.status).toBe(201);
    // The update is shown when it was posted, not in the future.
    expect((await json(monitoring)).display_at).toBe(h.clock.now().toISOString());
    h.clock.advance(1000);
    const resolved = await post(incident.id, { status: 'resolved', message: 'All fixed.' });
    expect(resolved.status).toBe(201);
    expect((await json(resolved)).incident_status).toBe('resolved');

    h.clock.advance(10 * 60_000); // well past the future time the first update asked for
    const now = await json(await h.request('GET', `/v1/incidents/${incident.id}`));
    expect(now.status).toBe('resolved');
    expect(now.resolved_at).toBe(new Date(Date.parse(ahead) - 4 * 60_000 + 1000).toISOString());
    expect(now.cadence.next_update_due_at).toBeNull();
    expect(now.updates[0].status).toBe('resolved');
    const open = await json(await h.request('GET', '/v1/incidents?status=open'));
    expect(open.incidents).toEqual([]);
    const cadence = await json(await h.request('GET', '/v1/cadence'));
    expect(cadence.incidents).toEqual([]);
    const components = await json(await h.request('GET', '/v1/components'));
    expect(components.components.find((c: any) => c.id === 'api').status).toBe('operational');
  });

  it('takes a start time a little ahead as now, so the incident stays editable', async () => {
    const ahead = new Date(h.clock.now().getTime() + 4 * 60_000).toISOString();
    const incident = await declare({ started_at: ahead });
    expect(incident.started_at).toBe(h.clock.now().toISOString());
    const edit = await h.request('PATCH', `/v1/incidents/${incident.id}`, {
      body: { title: 'Renamed' },
      headers: { 'if-match': '"1"' },
    });
    expect(edit.status).toBe(200);
  });
});

describe('item 2: implausible timestamps', () => {
  it('are refused with a 422 naming the field', async () => {
    for (const started_at of [
      '0001-01-01T00:00:00Z',
      '0000-01-01T00:00:00Z',
      '1989-12-31T23:59:59Z',
    ]) {
      const res = await h.request('POST', '/v1/incidents', {
        body: { title: 'Old', severity: 'SEV3', message: 'm', started_at },
      });
      expect(res.status, started_at).toBe(422);
      expect(fieldsOf(await json(res)), started_at).toEqual(['started_at']);
    }
    const eta = await h.request('POST', '/v1/incidents', {
      body: { title: 'Old', severity: 'SEV3', message: 'm', eta: '0001-01-01T00:00:00Z' },
    });
    expect(fieldsOf(await json(eta))).toEqual(['eta']);
    const far = await h.request('POST', '/v1/incidents', {
      body: { title: 'Far', severity: 'SEV3', message: 'm', eta: '9999-01-01T00:00:00Z' },
    });
    expect(far.status).toBe(422);
    expect(fieldsOf(await json(far))).toEqual(['eta']);
    const incident = await declare();
    const display = await post(incident.id, { message: 'x', display_at: '0001-01-01T00:00:00Z' });
    expect(display.status).toBe(422);
    expect(fieldsOf(await json(display))).toEqual(['display_at']);
    const list = await json(await h.request('GET', '/v1/incidents'));
    expect(list.incidents).toHaveLength(1);
  });
});

describe('item 3: API tokens and idempotency', () => {
  it('refuse an Idempotency-Key on POST /v1/keys, store no token anywhere, and keep the database file private', async () => {
    const res = await h.request('POST', '/v1/keys', {
      body: { name: 'deploy bot', scope: 'write' },
      headers: { 'idempotency-key': 'key-1' },
    });
    expect(res.status).toBe(400);
    const body = await json(res);
    expect(body.error.code).toBe('idempotency_not_supported');
    expect(body.error.message).toMatch(/Idempotency-Key/);
    const keys = await json(await h.request('GET', '/v1/keys'));
    expect(keys.keys.map((k: any) => k.name)).not.toContain('deploy bot');
    const created = await json(
      await h.request('POST', '/v1/keys', { body: { name: 'deploy bot', scope: 'write' } }),
    );
    const rows = await h.db.query('SELECT * FROM idempotency_keys');
    expect(JSON.stringify(rows)).not.toContain(created.token);
    expect(JSON.stringify(rows)).not.toMatch(/hrd_/);
    expect(statSync(join(h.dir, 'herald.db')).mode & 0o777).toBe(0o600);
  });
});

describe('item 4: an Idempotency-Key claimed by a process that died', () => {
  it('expires, so the retry goes through exactly once', async () => {
    const incident = await declare();
    const body = { message: 'Back-dated note from the crash.' };
    const keyId = h.adminToken.split('_')[1]!;
    // What a process killed mid-request leaves behind: a claim with no response.
    const claim = await claimIdempotencyKey(h.db, {
      keyId,
      key: 'crash-1',
      method: 'POST',
      path: `/v1/incidents/${incident.id}/updates`,
      bodyHash: createHash('sha256').update(JSON.stringify(body)).digest('hex'),
      at: h.clock.now().toISOString(),
      claimant: 'a request in a process that was killed',
      until: new Date(h.clock.now().getTime() + 30_000).toISOString(),
    });
    expect(claim.kind).toBe('new');
    const early = await post(incident.id, body, { 'idempotency-key': 'crash-1' });
    expect(early.status).toBe(409);
    expect((await json(early)).error.code).toBe('idempotency_in_progress');
    expect(early.headers.get('retry-after')).toBe('30');

    h.clock.advance(5 * 60_000);
    const retry = await post(incident.id, body, { 'idempotency-key': 'crash-1' });
    expect(retry.status).toBe(201);
    const again = await post(incident.id, body, { 'idempotency-key': 'crash-1' });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const full = await json(await h.request('GET', `/v1/incidents/${incident.id}`));
    expect(full.updates.filter((u: any) => u.message === body.message)).toHaveLength(1);
  });

  it('is never applied twice: a change made before the crash is not made again, and a request whose claim was taken over changes nothing', async () => {
    const incident = await declare();
    const body = { message: 'Applied just before the crash.' };
    const keyId = h.adminToken.split('_')[1]!;
    const claim = (claimant: string) =>
      claimIdempotencyKey(h.db, {
        keyId,
        key: 'crash-2',
        method: 'POST',
        path: `/v1/incidents/${incident.id}/updates`,
        bodyHash: createHash('sha256').update(JSON.stringify(body)).digest('hex'),
        at: h.clock.now().toISOString(),
        claimant,
        until: new Date(h.clock.now().getTime() + 30_000).toISOString(),
      });
    expect((await claim('first')).kind).toBe('new');
    h.clock.advance(60_000);
    // A retry takes the expired claim over; the first request, still running somewhere, can
    // no longer commit anything under it.
    expect((await claim('second')).kind).toBe('new');
    const mark = (claimant: string) =>
      h.db.write((tx) =>
        markIdempotencyApplied(tx, { keyId, key: 'crash-2', claimant, at: 'now' }),
      );
    await expect(mark('first')).rejects.toThrow(/took its place/);
    // The second one applies its change, then its process dies before answering.
    await mark('second');
    h.clock.advance(60_000);
    const retry = await post(incident.id, body, { 'idempotency-key': 'crash-2' });
    expect(retry.status).toBe(409);
    expect((await json(retry)).error.code).toBe('idempotency_answer_lost');
    const full = await json(await h.request('GET', `/v1/incidents/${incident.id}`));
    expect(full.updates).toHaveLength(1);
  });
});

describe('item 5: filters on GET /v1/incidents', () => {
  it('give full pages and a cursor until the end (overdue=false)', async () => {
    const startedEarlier = new Date(h.clock.now().getTime() - 60 * 60_000).toISOString();
    const calm: string[] = [];
    for (let i = 0; i < 12; i++) {
      const incident = await declare({
        title: `Calm ${i}`,
        severity: 'SEV4',
        started_at: startedEarlier,
      });
      calm.push(incident.id);
    }
    for (let i = 0; i < 4; i++) await declare({ title: `Loud ${i}` }); // SEV3, newest
    h.clock.advance(61 * 60_000); // the SEV3s are overdue, the SEV4s are not
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: any = await json(
        await h.request(
          'GET',
          `/v1/incidents?overdue=false&limit=5${cursor ? `&before=${cursor}` : ''}`,
        ),
      );
      pages++;
      for (const i of page.incidents) expect(i.cadence.overdue).toBe(false);
      seen.push(...page.incidents.map((i: any) => i.id));
      if (page.next_cursor) expect(page.incidents).toHaveLength(5);
      cursor = page.next_cursor;
    } while (cursor && pages < 10);
    expect(seen.sort()).toEqual([...calm].sort());
    expect(pages).toBe(3);
    const overdue = await json(await h.request('GET', '/v1/incidents?overdue=true&limit=3'));
    expect(overdue.incidents).toHaveLength(3);
    expect(overdue.next_cursor).not.toBeNull();
    const rest = await json(
      await h.request('GET', `/v1/incidents?overdue=true&limit=3&before=${overdue.next_cursor}`),
    );
    expect(rest.incidents).toHaveLength(1);
    expect(rest.next_cursor).toBeNull();
  });
});

describe('item 8: invisible and direction-changing characters', () => {
  it('are refused in titles and names, a title needs a visible character, and messages are normalised', async () => {
    const deceptive = [
      'Checkout \u202Egnissim\u202C',
      'API\u200B down',
      'Two\u2028lines',
      '\uFEFFBOM title',
      'Non\uFFFEcharacter',
      'Isolate \u2066x\u2069',
      '\u200B\u200B\u200B',
    ];
    for (const title of deceptive) {
      const res = await h.request('POST', '/v1/incidents', {
        body: { title, severity: 'SEV3', message: 'm' },
      });
      expect(res.status, JSON.stringify(title)).toBe(422);
      expect(fieldsOf(await json(res)), JSON.stringify(title)).toEqual(['title']);
    }
    const role = await h.request('POST', '/v1/incidents', {
      body: { title: 'ok', severity: 'SEV3', message: 'm', roles: { commander: 'Ada\u202E' } },
    });
    expect(fieldsOf(await json(role))).toEqual(['roles.commander']);
    const key = await h.request('POST', '/v1/keys', {
      body: { name: '\u2067admin', scope: 'read' },
    });
    expect(fieldsOf(await json(key))).toEqual(['name']);
    const component = await h.request('POST', '/v1/incidents', {
      body: {
        title: 'ok',
        severity: 'SEV3',
        message: 'm',
        components: [{ id: 'api\u200B', status: 'major_outage' }],
      },
    });
    expect(fieldsOf(await json(component))).toEqual(['components.0.id']);
    const message = await h.request('POST', '/v1/incidents', {
      body: { title: 'ok', severity: 'SEV3', message: 'See \u202Etxt.exe\u202C' },
    });
    expect(fieldsOf(await json(message))).toEqual(['message']);
    const blank = await h.request('POST', '/v1/incidents', {
      body: { title: 'ok', severity: 'SEV3', message: '\uFEFF\u200B ' },
    });
    expect(fieldsOf(await json(blank))).toEqual(['message']);

    const incident = await declare({
      title: '👩‍💻 Developer portal slow',
      message: '\uFEFFFirst line\u2028second\u200B line\u2029Next paragraph',
    });
    expect(incident.title).toBe('👩‍💻 Developer portal slow');
    expect(incident.updates[0].message).toBe('First line\nsecond line\n\nNext paragraph');
  });
});

describe('item 11: an idempotent replay', () => {
  it('repeats Location and ETag', async () => {
    const headers = { 'idempotency-key': 'declare-headers' };
    const body = { title: 'Once', severity: 'SEV3', message: 'Only once.' };
    const first = await h.request('POST', '/v1/incidents', { body, headers });
    const replay = await h.request('POST', '/v1/incidents', { body, headers });
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(first.headers.get('location')).toMatch(/^\/v1\/incidents\/[a-z0-9]{12}$/);
    expect(replay.headers.get('location')).toBe(first.headers.get('location'));
    expect(replay.headers.get('etag')).toBe('"1"');
    const id = (await json(first)).id;
    const update = { message: 'Still looking.' };
    const u1 = await post(id, update, { 'idempotency-key': 'update-headers' });
    const u2 = await post(id, update, { 'idempotency-key': 'update-headers' });
    expect(u2.headers.get('idempotent-replayed')).toBe('true');
    expect(u2.headers.get('location')).toBe(u1.headers.get('location'));
    expect(u2.headers.get('etag')).toBe('"2"');
  });
});

describe('item 12: PATCH without If-Match', () => {
  it('is refused with 428 and changes nothing', async () => {
    const incident = await declare();
    const res = await h.request('PATCH', `/v1/incidents/${incident.id}`, {
      body: { title: 'Renamed without looking' },
    });
    expect(res.status).toBe(428);
    const body = await json(res);
    expect(body.error.code).toBe('precondition_required');
    expect(body.error.message).toMatch(/If-Match/);
    const after = await json(await h.request('GET', `/v1/incidents/${incident.id}`));
    expect(after.title).toBe('Elevated API error rates');
    expect(after.version).toBe(1);
    const ok = await h.request('PATCH', `/v1/incidents/${incident.id}`, {
      body: { title: 'Renamed' },
      headers: { 'if-match': after.version.toString() },
    });
    expect(ok.status).toBe(200);
  });
});

describe('item 13: a private incident', () => {
  it('reports no last public update', async () => {
    const incident = await declare({ visibility: 'private' });
    expect(incident.cadence.last_public_update_at).toBeNull();
    await post(incident.id, { message: 'Internal note.' });
    const after = await json(await h.request('GET', `/v1/incidents/${incident.id}`));
    expect(after.cadence.last_public_update_at).toBeNull();
    const cadence = await json(await h.request('GET', '/v1/cadence'));
    expect(cadence.incidents[0].last_public_update_at).toBeNull();
  });
});

describe('item 14: long timelines', () => {
  it('are summarised in lists and paged on the incident', async () => {
    const incident = await declare();
    for (let i = 1; i <= 150; i++) {
      h.clock.advance(1000);
      expect((await post(incident.id, { message: `Progress note ${i}.` })).status).toBe(201);
    }
    const list = await json(await h.request('GET', '/v1/incidents'));
    const listed = list.incidents[0];
    expect(listed.updates).toBeUndefined();
    expect(listed.update_count).toBe(151);
    expect(listed.latest_update.message).toBe('Progress note 150.');
    expect(JSON.stringify(list).length).toBeLessThan(5000);

    const first = await json(await h.request('GET', `/v1/incidents/${incident.id}`));
    expect(first.update_count).toBe(151);
    expect(first.updates).toHaveLength(100);
    expect(first.updates[0].message).toBe('Progress note 150.');
    expect(first.updates_next_cursor).toBe(first.updates[99].id);
    const second = await json(
      await h.request(
        'GET',
        `/v1/incidents/${incident.id}?updates_before=${first.updates_next_cursor}`,
      ),
    );
    expect(second.updates).toHaveLength(51);
    expect(second.updates_next_cursor).toBeNull();
    const ids = new Set([...first.updates, ...second.updates].map((u: any) => u.id));
    expect(ids.size).toBe(151);
    expect(second.updates.at(-1).message).toBe(
      'We are investigating elevated error rates on the API.',
    );
    const small = await json(
      await h.request('GET', `/v1/incidents/${incident.id}?updates_limit=10`),
    );
    expect(small.updates).toHaveLength(10);
    const unknown = await h.request('GET', `/v1/incidents/${incident.id}?updates_before=nope`);
    expect(unknown.status).toBe(422);
    expect(fieldsOf(await json(unknown))).toEqual(['updates_before']);
  });
});
