import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { advanceMaintenances } from '../../src/domain/maintenances/advance.ts';
import { createHarness, type Harness } from '../support/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

/** The harness clock starts at 2026-11-23T10:00Z: windows are set relative to it. */
const window = (startHours: number, hours = 2) => ({
  scheduled_for: new Date(h.clock.now().getTime() + startHours * 3_600_000).toISOString(),
  scheduled_until: new Date(
    h.clock.now().getTime() + (startHours + hours) * 3_600_000,
  ).toISOString(),
});

function body(extra: Record<string, unknown> = {}) {
  return {
    title: 'Database upgrade',
    message: 'We will upgrade the primary database.',
    components: ['database'],
    ...window(24),
    ...extra,
  };
}

async function create(extra: Record<string, unknown> = {}) {
  const res = await h.request('POST', '/v1/maintenances', { body: body(extra) });
  expect(res.status).toBe(201);
  return (await res.json()) as any;
}

async function problems(res: Response) {
  expect(res.status).toBe(422);
  const json = (await res.json()) as any;
  expect(json.error.code).toBe('validation_failed');
  return json.error.details.map((d: any) => d.field) as string[];
}

describe('POST /v1/maintenances', () => {
  it('schedules a maintenance with its first update, defaults on, and a public URL', async () => {
    const res = await h.request('POST', '/v1/maintenances', { body: body() });
    expect(res.status).toBe(201);
    expect(res.headers.get('etag')).toBe('"1"');
    const m = (await res.json()) as any;
    expect(res.headers.get('location')).toBe(`/v1/maintenances/${m.id}`);
    expect(m).toMatchObject({
      title: 'Database upgrade',
      status: 'scheduled',
      components: [{ id: 'database', name: expect.any(String) }],
      auto_start: true,
      auto_complete: true,
      notify: { scheduled: true, reminder: true, started: true, completed: true },
      started_at: null,
      sequence: 0,
      version: 1,
      url: `https://status.example.test/maintenances/${m.id}/`,
    });
    expect(m.updates).toHaveLength(1);
    expect(m.updates[0]).toMatchObject({ status: 'scheduled', message: body().message });
    const events = await h.db.query(
      'SELECT kind, email, webhook FROM maintenance_events WHERE maintenance_id = ?',
      [m.id],
    );
    expect(events.map((e) => [e.kind, e.email, e.webhook])).toEqual([['scheduled', 1, 1]]);
  });

  it('fills the scheduled-maintenance template from the maintenance itself', async () => {
    const m = await create({
      message: undefined,
      template: {
        id: 'scheduled-maintenance',
        vars: { expected_effect: 'Writes pause for a minute.' },
      },
    });
    expect(m.updates[0].message).toContain('between 2026-11-24 10:00 UTC and 2026-11-24 12:00 UTC');
    expect(m.updates[0].message).toContain('Writes pause for a minute.');
  });

  it('takes notify as a switch for all emails or one by one', async () => {
    expect((await create({ notify: false })).notify).toEqual({
      scheduled: false,
      reminder: false,
      started: false,
      completed: false,
    });
    expect((await create({ notify: { reminder: false } })).notify).toEqual({
      scheduled: true,
      reminder: false,
      started: true,
      completed: true,
    });
  });

  it('answers bad input with a 422 naming the field', async () => {
    const post = (extra: Record<string, unknown>) =>
      h.request('POST', '/v1/maintenances', { body: body(extra) });
    const start = window(24).scheduled_for;
    expect(await problems(await post({ scheduled_until: start }))).toEqual(['scheduled_until']);
    expect(await problems(await post({ ...window(-1) }))).toEqual(['scheduled_for']);
    expect(await problems(await post({ components: ['database', 'nope'] }))).toEqual([
      'components.1',
    ]);
    expect(await problems(await post({ components: ['database', 'database'] }))).toEqual([
      'components.1',
    ]);
    expect(await problems(await post({ components: [] }))).toEqual(['components']);
    expect(await problems(await post({ scheduled_for: 'tomorrow' }))).toEqual(['scheduled_for']);
    expect(await problems(await post({ title: '' }))).toEqual(['title']);
    expect(await problems(await post({ colour: 'red' }))).toEqual(['colour']);
    expect(await problems(await post({ template: { id: 'scheduled-maintenance' } }))).toEqual([
      'message',
    ]);
    expect(await h.db.query("SELECT 1 FROM maintenances WHERE title = 'nothing'")).toEqual([]);
  });

  it('needs a key with write scope', async () => {
    expect(
      (await h.request('POST', '/v1/maintenances', { body: body(), token: null })).status,
    ).toBe(401);
    const reader = await h.key('read');
    expect(
      (await h.request('POST', '/v1/maintenances', { body: body(), token: reader })).status,
    ).toBe(403);
    expect((await h.request('GET', '/v1/maintenances', { token: null })).status).toBe(401);
    expect((await h.request('GET', '/v1/maintenances', { token: reader })).status).toBe(200);
  });

  it('replays a retried POST with the same Idempotency-Key instead of scheduling twice', async () => {
    const headers = { 'Idempotency-Key': 'mnt-retry-1' };
    const first = await h.request('POST', '/v1/maintenances', {
      body: body({ title: 'Once' }),
      headers,
    });
    const second = await h.request('POST', '/v1/maintenances', {
      body: body({ title: 'Once' }),
      headers,
    });
    expect(first.status).toBe(201);
    expect(((await second.json()) as any).id).toBe(((await first.json()) as any).id);
    const rows = await h.db.query("SELECT count(*) AS n FROM maintenances WHERE title = 'Once'");
    expect(Number(rows[0]!.n)).toBe(1);
  });
});

describe('GET /v1/maintenances', () => {
  it('lists and filters, and 404s an unknown id', async () => {
    const m = await create({ title: 'Listed' });
    const list = (await (
      await h.request('GET', '/v1/maintenances?status=scheduled')
    ).json()) as any;
    expect(list.maintenances.some((x: any) => x.id === m.id)).toBe(true);
    const done = (await (
      await h.request('GET', '/v1/maintenances?status=completed')
    ).json()) as any;
    expect(done.maintenances.some((x: any) => x.id === m.id)).toBe(false);
    const one = await h.request('GET', `/v1/maintenances/${m.id}`);
    expect(one.headers.get('etag')).toBe('"1"');
    expect(((await one.json()) as any).title).toBe('Listed');
    expect((await h.request('GET', '/v1/maintenances/nope')).status).toBe(404);
    expect(await problems(await h.request('GET', '/v1/maintenances?status=late'))).toEqual([
      'status',
    ]);
  });
});

describe('PATCH /v1/maintenances/{id}', () => {
  it('reschedules with If-Match: a new version and a higher calendar SEQUENCE', async () => {
    const m = await create();
    const res = await h.request('PATCH', `/v1/maintenances/${m.id}`, {
      body: window(48),
      headers: { 'If-Match': '"1"' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe('"2"');
    const moved = (await res.json()) as any;
    expect(moved).toMatchObject({ ...window(48), sequence: 1, version: 2 });
    const events = await h.db.query(
      'SELECT kind FROM maintenance_events WHERE maintenance_id = ? ORDER BY created_at, key',
      [m.id],
    );
    expect(events.map((e) => e.kind)).toEqual(['rescheduled', 'scheduled'].sort());
    // A no-op edit changes nothing.
    const same = await h.request('PATCH', `/v1/maintenances/${m.id}`, {
      body: window(48),
      headers: { 'If-Match': '2' },
    });
    expect(((await same.json()) as any).version).toBe(2);
  });

  it('needs If-Match (428), refuses a stale one (409) and a malformed one (400)', async () => {
    const m = await create();
    const path = `/v1/maintenances/${m.id}`;
    const none = await h.request('PATCH', path, { body: { title: 'X' } });
    expect(none.status).toBe(428);
    expect(((await none.json()) as any).error.message).toContain('maintenance version');
    await h.request('PATCH', path, {
      body: { title: 'First edit' },
      headers: { 'If-Match': '"1"' },
    });
    const stale = await h.request('PATCH', path, {
      body: { title: 'Second edit' },
      headers: { 'If-Match': '"1"' },
    });
    expect(stale.status).toBe(409);
    expect(((await stale.json()) as any).error.code).toBe('conflict');
    expect(
      (await h.request('PATCH', path, { body: { title: 'X' }, headers: { 'If-Match': 'soon' } }))
        .status,
    ).toBe(400);
    const current = (await (await h.request('GET', path)).json()) as any;
    expect(current.title).toBe('First edit');
  });

  it('answers bad edits with a 422 naming the field', async () => {
    const m = await create();
    const patch = (b: Record<string, unknown>) =>
      h.request('PATCH', `/v1/maintenances/${m.id}`, { body: b, headers: { 'If-Match': '"1"' } });
    expect(await problems(await patch({ scheduled_until: m.scheduled_for }))).toEqual([
      'scheduled_until',
    ]);
    expect(await problems(await patch({ ...window(-2) }))).toEqual(['scheduled_for']);
    expect(await problems(await patch({ components: ['ghost'] }))).toEqual(['components.0']);
    expect(
      ((await (await h.request('GET', `/v1/maintenances/${m.id}`)).json()) as any).version,
    ).toBe(1);
  });

  it('needs write scope', async () => {
    const m = await create();
    const res = await h.request('PATCH', `/v1/maintenances/${m.id}`, {
      body: { title: 'X' },
      headers: { 'If-Match': '"1"' },
      token: null,
    });
    expect(res.status).toBe(401);
  });
});

describe('POST /v1/maintenances/{id}/updates', () => {
  it('posts messages and moves it through in_progress → verifying → completed, components under maintenance meanwhile', async () => {
    const m = await create({ components: ['billing'] });
    const post = (b: Record<string, unknown>) =>
      h.request('POST', `/v1/maintenances/${m.id}/updates`, { body: b });
    const note = await post({ message: 'Reminder: this is still on.' });
    expect(note.status).toBe(201);
    expect(((await note.json()) as any).maintenance_status).toBe('scheduled');
    expect(await problems(await post({ status: 'verifying', message: 'Too early.' }))).toEqual([
      'status',
    ]);

    expect((await post({ status: 'in_progress', message: 'Starting early.' })).status).toBe(201);
    const components = async () =>
      ((await (await h.request('GET', '/v1/components')).json()) as any).components.find(
        (c: any) => c.id === 'billing',
      ).status;
    expect(await components()).toBe('under_maintenance');
    const started = (await (await h.request('GET', `/v1/maintenances/${m.id}`)).json()) as any;
    expect(started.started_at).toBe(h.clock.now().toISOString());

    // An incident that makes the component worse wins; resolved, maintenance shows again.
    const incident = (await (
      await h.request('POST', '/v1/incidents', {
        body: {
          title: 'Billing down',
          severity: 'SEV3',
          message: 'Down.',
          components: [{ id: 'billing', status: 'major_outage' }],
        },
      })
    ).json()) as any;
    expect(await components()).toBe('major_outage');
    await h.request('POST', `/v1/incidents/${incident.id}/updates`, {
      body: { status: 'resolved', message: 'Fixed.' },
    });
    expect(await components()).toBe('under_maintenance');

    expect(await problems(await post({ status: 'scheduled', message: 'Back?' }))).toEqual([
      'status',
    ]);
    expect((await post({ status: 'verifying', message: 'Checking.' })).status).toBe(201);
    expect((await post({ status: 'completed', message: 'Done.' })).status).toBe(201);
    expect(await components()).toBe('operational');
    const done = (await (await h.request('GET', `/v1/maintenances/${m.id}`)).json()) as any;
    expect(done.status).toBe('completed');
    expect(done.updates.map((u: any) => u.status)).toEqual([
      'completed',
      'verifying',
      'in_progress',
      'scheduled',
      'scheduled',
    ]);
    expect(await problems(await post({ message: 'After the end.' }))).toEqual(['message']);
    const kinds = await h.db.query(
      'SELECT kind FROM maintenance_events WHERE maintenance_id = ? ORDER BY kind',
      [m.id],
    );
    expect(kinds.map((k) => k.kind)).toEqual([
      'completed',
      'scheduled',
      'started',
      'update',
      'update',
    ]);
    // The scheduler leaves alone what a person already did.
    h.clock.advance(48 * 3_600_000);
    const { done: auto } = await advanceMaintenances({
      db: h.db,
      content: h.content,
      now: h.clock.now,
      onChange: () => undefined,
    });
    expect(auto.filter((a) => a.id === m.id)).toEqual([]);
    h.clock.set('2026-11-23T10:00:00.000Z');
  });

  it('needs write scope and a known maintenance', async () => {
    const m = await create();
    const res = await h.request('POST', `/v1/maintenances/${m.id}/updates`, {
      body: { message: 'x' },
      token: null,
    });
    expect(res.status).toBe(401);
    expect(
      (await h.request('POST', '/v1/maintenances/nope/updates', { body: { message: 'x' } })).status,
    ).toBe(404);
  });
});

describe('POST /v1/maintenances/{id}/cancel', () => {
  it('cancels a scheduled maintenance once, bumping SEQUENCE; a running one cannot be cancelled', async () => {
    const m = await create();
    const res = await h.request('POST', `/v1/maintenances/${m.id}/cancel`);
    expect(res.status).toBe(200);
    const cancelled = (await res.json()) as any;
    expect(cancelled).toMatchObject({
      status: 'cancelled',
      sequence: 1,
      cancelled_at: h.clock.now().toISOString(),
    });
    expect(cancelled.updates[0].message).toBe('This maintenance has been cancelled.');
    expect(await problems(await h.request('POST', `/v1/maintenances/${m.id}/cancel`))).toEqual([
      'status',
    ]);
    expect(
      await problems(
        await h.request('PATCH', `/v1/maintenances/${m.id}`, {
          body: { title: 'Y' },
          headers: { 'If-Match': '"2"' },
        }),
      ),
    ).toEqual(['status']);

    const running = await create();
    await h.request('POST', `/v1/maintenances/${running.id}/updates`, {
      body: { status: 'in_progress', message: 'Go.' },
    });
    expect(
      await problems(
        await h.request('POST', `/v1/maintenances/${running.id}/cancel`, {
          body: { message: 'Stop.' },
        }),
      ),
    ).toEqual(['status']);
    expect(
      (await h.request('POST', `/v1/maintenances/${m.id}/cancel`, { token: null })).status,
    ).toBe(401);
  });

  it('takes an optional message', async () => {
    const m = await create();
    const res = await h.request('POST', `/v1/maintenances/${m.id}/cancel`, {
      body: { message: 'Postponed to next quarter.' },
    });
    expect(((await res.json()) as any).updates[0].message).toBe('Postponed to next quarter.');
    expect(
      h.maintenanceChanges.some(
        (c) => c.maintenance.id === m.id && c.maintenance.status === 'cancelled',
      ),
    ).toBe(true);
  });
});
