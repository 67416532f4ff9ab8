import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, sev1Body, type Harness } from '../support/harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(() => h.close());

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
  return (await res.json()) as Record<string, any>;
}

async function post(id: string, body: Record<string, unknown>) {
  return h.request('POST', `/v1/incidents/${id}/updates`, { body });
}

describe('POST /v1/incidents', () => {
  it('declares an incident with its first update, impact from the policy and a cadence', async () => {
    const incident = await declare();
    expect(incident).toMatchObject({
      title: 'Elevated API error rates',
      severity: 'SEV3',
      status: 'investigating',
      impact: 'minor',
      visibility: 'public',
      version: 1,
      components: [{ id: 'api', name: 'Public API', status: 'partial_outage' }],
      url: `https://status.example.test/incidents/${incident.id}/`,
      resolved_at: null,
    });
    expect(incident.id).toMatch(/^[a-z0-9]{12}$/);
    expect(incident.updates).toHaveLength(1);
    expect(incident.updates[0]).toMatchObject({
      status: 'investigating',
      components: [{ id: 'api', old_status: 'operational', new_status: 'partial_outage' }],
      notify: true,
      author: 'test admin',
    });
    expect(incident.cadence).toEqual({
      interval_seconds: 3600,
      last_public_update_at: '2026-11-23T10:00:00.000Z',
      next_update_due_at: '2026-11-23T11:00:00.000Z',
      overdue: false,
      overdue_by_seconds: 0,
      escalation_level: 0,
    });
  });

  it('renders a template into the first message and takes its status', async () => {
    const incident = await declare({
      message: undefined,
      template: {
        id: 'database-degradation',
        vars: { database: 'PostgreSQL', component: 'Managed databases', next_update: '11:00 UTC' },
      },
    });
    expect(incident.status).toBe('identified');
    expect(incident.updates[0].message).toContain('One of our PostgreSQL database clusters');
  });

  it('lets the impact be overridden and keeps private incidents off the public site', async () => {
    const incident = await declare({ impact: 'major', visibility: 'private' });
    expect(incident.impact).toBe('major');
    expect(incident.url).toBeNull();
    const components = (await (await h.request('GET', '/v1/components')).json()) as any;
    expect(components.components.find((c: any) => c.id === 'api').status).toBe('operational');
  });

  it('requires a commander, a communications lead and a business-impact summary for SEV1', async () => {
    const res = await h.request('POST', '/v1/incidents', {
      body: { ...sev1Body(), roles: {}, business_impact: null },
    });
    expect(res.status).toBe(422);
    const body = (await res.json()) as any;
    expect(body.error.details.map((d: any) => d.field)).toEqual([
      'roles.commander',
      'roles.communications',
      'business_impact.summary',
    ]);
    expect((await h.request('POST', '/v1/incidents', { body: sev1Body() })).status).toBe(201);
  });

  it('writes the declaration to the audit log', async () => {
    const incident = await declare();
    const audit = (await (
      await h.request('GET', `/v1/audit?target_id=${incident.id}`)
    ).json()) as any;
    expect(audit.entries).toHaveLength(1);
    expect(audit.entries[0]).toMatchObject({
      action: 'incident.declare',
      target_id: incident.id,
      target_type: 'incident',
    });
  });
});

describe('the incident lifecycle', () => {
  it('goes investigating → identified → monitoring → resolved and reopens only explicitly', async () => {
    const incident = await declare({
      components: [
        { id: 'api', status: 'major_outage' },
        { id: 'dashboard', status: 'degraded_performance' },
      ],
    });
    const id = incident.id as string;
    h.clock.advance(5 * 60_000);
    expect(
      (await post(id, { status: 'identified', message: 'A bad config push; rolling back.' }))
        .status,
    ).toBe(201);
    h.clock.advance(5 * 60_000);
    expect(
      (
        await post(id, {
          status: 'monitoring',
          message: 'Rolled back; watching.',
          components: [{ id: 'api', status: 'degraded_performance' }],
        })
      ).status,
    ).toBe(201);
    h.clock.advance(5 * 60_000);
    const resolved = await post(id, { status: 'resolved', message: 'All systems normal.' });
    expect(resolved.status).toBe(201);
    const resolveBody = (await resolved.json()) as any;
    expect(resolveBody.incident_status).toBe('resolved');
    expect(resolveBody.components).toEqual([
      { id: 'api', old_status: 'degraded_performance', new_status: 'operational' },
      { id: 'dashboard', old_status: 'degraded_performance', new_status: 'operational' },
    ]);

    let current = (await (await h.request('GET', `/v1/incidents/${id}`)).json()) as any;
    expect(current.status).toBe('resolved');
    expect(current.resolved_at).toBe('2026-11-23T10:15:00.000Z');
    expect(current.components.map((c: any) => c.status)).toEqual(['operational', 'operational']);
    expect(current.cadence.next_update_due_at).toBeNull();
    const components = (await (await h.request('GET', '/v1/components')).json()) as any;
    expect(components.components.find((c: any) => c.id === 'api').status).toBe('operational');

    // A note after resolution without a status stays resolved.
    h.clock.advance(60_000);
    expect((await post(id, { message: 'Post-incident review to follow.' })).status).toBe(201);
    current = (await (await h.request('GET', `/v1/incidents/${id}`)).json()) as any;
    expect(current.status).toBe('resolved');

    // An explicit open status reopens it.
    h.clock.advance(60_000);
    expect(
      (
        await post(id, {
          status: 'investigating',
          message: 'Errors are back.',
          components: [{ id: 'api', status: 'partial_outage' }],
        })
      ).status,
    ).toBe(201);
    current = (await (await h.request('GET', `/v1/incidents/${id}`)).json()) as any;
    expect(current.status).toBe('investigating');
    expect(current.resolved_at).toBeNull();
    expect(current.updates.map((u: any) => u.status)).toEqual([
      'investigating',
      'resolved',
      'resolved',
      'monitoring',
      'identified',
      'investigating',
    ]);
    expect(current.version).toBe(6);
  });

  it('keeps a back-dated update in the timeline without letting it override the status', async () => {
    const { id } = await declare();
    h.clock.advance(20 * 60_000);
    await post(id, { status: 'monitoring', message: 'Fix deployed.' });
    h.clock.advance(60_000);
    const res = await post(id, {
      status: 'identified',
      message: 'For the record: cause identified at 10:10.',
      display_at: '2026-11-23T10:10:00Z',
    });
    expect(res.status).toBe(201);
    const incident = (await (await h.request('GET', `/v1/incidents/${id}`)).json()) as any;
    expect(incident.status).toBe('monitoring');
    expect(incident.updates.map((u: any) => u.display_at)).toEqual([
      '2026-11-23T10:20:00.000Z',
      '2026-11-23T10:10:00.000Z',
      '2026-11-23T10:00:00.000Z',
    ]);
    // The cadence counts communication when it was posted (10:21), whatever its display time.
    expect(incident.cadence.last_public_update_at).toBe('2026-11-23T10:21:00.000Z');
  });

  it('refuses an update that repeats the previous one word for word', async () => {
    const incident = await declare();
    const res = await post(incident.id, { message: incident.updates[0].message });
    expect(res.status).toBe(422);
    expect(((await res.json()) as any).error.details[0].field).toBe('message');
    expect(
      (await post(incident.id, { message: incident.updates[0].message, status: 'identified' }))
        .status,
    ).toBe(201);
  });

  it('refuses a display time in the future or before the incident started', async () => {
    const { id } = await declare();
    const future = await post(id, { message: 'x', display_at: '2026-11-23T12:00:00Z' });
    expect(future.status).toBe(422);
    const before = await post(id, { message: 'x', display_at: '2026-11-22T12:00:00Z' });
    expect(before.status).toBe(422);
    expect(((await before.json()) as any).error.details[0].field).toBe('display_at');
  });
});

describe('GET /v1/incidents', () => {
  it('filters by status, severity and overdue, newest first, with a cursor', async () => {
    const a = await declare({ title: 'A', severity: 'SEV4' });
    h.clock.advance(60_000);
    const b = await declare({ title: 'B' });
    h.clock.advance(60_000);
    const c = await declare({ title: 'C' });
    await post(c.id, { status: 'resolved', message: 'Fixed.' });

    const list = async (q: string) =>
      ((await (await h.request('GET', `/v1/incidents${q}`)).json()) as any).incidents.map(
        (i: any) => i.title,
      );
    expect(await list('')).toEqual(['C', 'B', 'A']);
    expect(await list('?status=open')).toEqual(['B', 'A']);
    expect(await list('?status=resolved')).toEqual(['C']);
    expect(await list('?severity=SEV4')).toEqual(['A']);
    expect(await list('?overdue=true')).toEqual([]);
    h.clock.advance(61 * 60_000); // SEV3 is due after 60 minutes; SEV4 after 4 hours
    expect(await list('?overdue=true')).toEqual(['B']);
    const page = (await (await h.request('GET', '/v1/incidents?limit=2')).json()) as any;
    expect(page.incidents.map((i: any) => i.title)).toEqual(['C', 'B']);
    expect(page.next_cursor).toBe(b.id);
    expect(await list(`?limit=2&before=${page.next_cursor}`)).toEqual(['A']);
    expect(a.id).toBeTruthy();
  });
});

describe('PATCH /v1/incidents/{id}', () => {
  it('edits fields, re-derives impact from a new severity and bumps the version', async () => {
    const { id } = await declare();
    h.clock.advance(60_000);
    const res = await h.request('PATCH', `/v1/incidents/${id}`, {
      body: {
        severity: 'SEV2',
        roles: { commander: 'Grace Hopper', communications: 'Ada' },
        business_impact: { summary: 'API users see errors', customers_affected: 300 },
        acknowledged_at: '2026-11-23T10:00:30Z',
      },
      headers: { 'if-match': '"1"' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe('"2"');
    const incident = (await res.json()) as any;
    expect(incident).toMatchObject({
      severity: 'SEV2',
      impact: 'major',
      version: 2,
      acknowledged_at: '2026-11-23T10:00:30.000Z',
      updated_at: '2026-11-23T10:01:00.000Z',
    });
    expect(incident.cadence.interval_seconds).toBe(1800);
  });

  it('answers a stale If-Match with 409 and changes nothing', async () => {
    const { id } = await declare();
    const res = await h.request('PATCH', `/v1/incidents/${id}`, {
      body: { title: 'New' },
      headers: { 'if-match': '"7"' },
    });
    expect(res.status).toBe(409);
    expect(((await res.json()) as any).error.code).toBe('conflict');
    const incident = (await (await h.request('GET', `/v1/incidents/${id}`)).json()) as any;
    expect(incident.title).toBe('Elevated API error rates');
  });

  it('treats a no-op edit as no change: same version, same updated_at, no audit row', async () => {
    const { id, title } = await declare();
    h.clock.advance(60_000);
    const res = await h.request('PATCH', `/v1/incidents/${id}`, {
      body: { title },
      headers: { 'if-match': '"1"' },
    });
    const incident = (await res.json()) as any;
    expect(incident.version).toBe(1);
    expect(incident.updated_at).toBe('2026-11-23T10:00:00.000Z');
    const audit = (await (await h.request('GET', `/v1/audit?target_id=${id}`)).json()) as any;
    expect(audit.entries.map((e: any) => e.action)).toEqual(['incident.declare']);
  });

  it('refuses to raise severity to SEV1 without what SEV1 requires', async () => {
    const { id } = await declare();
    const res = await h.request('PATCH', `/v1/incidents/${id}`, {
      body: { severity: 'SEV1' },
      headers: { 'if-match': '"1"' },
    });
    expect(res.status).toBe(422);
  });

  it('recomputes public component status when visibility changes', async () => {
    const { id } = await declare({ visibility: 'private' });
    const status = async () =>
      ((await (await h.request('GET', '/v1/components')).json()) as any).components.find(
        (c: any) => c.id === 'api',
      ).status;
    expect(await status()).toBe('operational');
    await h.request('PATCH', `/v1/incidents/${id}`, {
      body: { visibility: 'public' },
      headers: { 'if-match': '"1"' },
    });
    expect(await status()).toBe('partial_outage');
  });
});

describe('GET /v1/cadence', () => {
  it('lists every open incident with its due time, most urgent first', async () => {
    await declare({ title: 'slow', severity: 'SEV4' });
    await declare({ ...sev1Body(), title: 'urgent', components: [] });
    h.clock.advance(16 * 60_000);
    const body = (await (await h.request('GET', '/v1/cadence')).json()) as any;
    expect(body.incidents.map((i: any) => [i.severity, i.overdue, i.next_update_due_at])).toEqual([
      ['SEV1', true, '2026-11-23T10:15:00.000Z'],
      ['SEV4', false, '2026-11-23T14:00:00.000Z'],
    ]);
    expect(body.incidents[0].overdue_by_seconds).toBe(60);
  });
});

describe('change notifications', () => {
  it('tell the publisher and scheduler about every committed change, once', async () => {
    const { id } = await declare();
    await post(id, { status: 'identified', message: 'Found it.' });
    await h.request('PATCH', `/v1/incidents/${id}`, {
      body: { title: 'Renamed' },
      headers: { 'if-match': '"2"' },
    });
    await post(id, { message: 'Found it.' }); // refused: a repeat
    expect(h.changes.map((c) => c.kind)).toEqual(['declared', 'updated', 'edited']);
    expect(h.changes[1]!.componentIds).toEqual(['api']);
  });
});
