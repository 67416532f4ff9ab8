import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, sev1Body, type Harness } from '../support/harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await createHarness(); // 2026-11-23T10:00Z; SEV1 review due 24 h after resolution
});
afterEach(() => h.close());

async function json(res: Response) {
  return (await res.json()) as Record<string, any>;
}

/** A SEV1 declared at 10:00, retitled at 10:30, resolved at 11:00 (the clock moves an hour). */
async function resolvedSev1(): Promise<string> {
  const incident = await json(await h.request('POST', '/v1/incidents', { body: sev1Body() }));
  h.clock.advance(30 * 60_000);
  const retitled = await h.request('PATCH', `/v1/incidents/${incident.id}`, {
    body: { title: 'Checkout down' },
    headers: { 'if-match': '"1"' },
  });
  expect(retitled.status).toBe(200);
  h.clock.advance(30 * 60_000);
  const res = await h.request('POST', `/v1/incidents/${incident.id}/updates`, {
    body: { status: 'resolved', message: 'Payments work again.' },
  });
  expect(res.status).toBe(201);
  return incident.id as string;
}

const REVIEW = {
  summary: 'Card payments failed for an hour.',
  root_cause: 'An expired TLS certificate on the payment gateway.',
  root_cause_category: 'Certificate expiry',
  contributing_factors: ['No expiry monitoring'],
  impact: 'Most card payments at checkout failed.',
  what_went_well: ['Rollback was quick'],
  what_could_improve: ['Alert on certificate expiry'],
  internal_notes: 'Gateway vendor credit being negotiated',
  action_items: [
    {
      title: 'Monitor certificate expiry',
      owner: 'ada@acme.example',
      priority: 'P1',
      due_date: '2026-11-25',
    },
    { title: 'Runbook for gateway failover', owner: 'grace@acme.example', priority: 'P2' },
  ],
};

describe('PUT/GET /v1/incidents/{id}/postmortem', () => {
  it('stores the review with a timeline built from the updates and the audit log, and its due time', async () => {
    const id = await resolvedSev1();
    h.clock.advance(2 * 3600_000); // written at 13:00
    const put = await h.request('PUT', `/v1/incidents/${id}/postmortem`, { body: REVIEW });
    expect(put.status).toBe(200);
    const written = await json(put);
    expect(written).toMatchObject({
      incident_id: id,
      summary: REVIEW.summary,
      root_cause_category: 'Certificate expiry',
      completed: false,
      published: false,
      review_due_at: '2026-11-24T11:00:00.000Z',
      review_overdue: false,
      public: null,
    });
    expect(written.action_items).toEqual([
      expect.objectContaining({
        title: 'Monitor certificate expiry',
        state: 'open',
        priority: 'P1',
      }),
      expect.objectContaining({ title: 'Runbook for gateway failover', due_date: null }),
    ]);
    // updates at 10:00 and 11:00, the title edit at 10:30, then the postmortem itself
    expect(written.timeline.map((e: any) => e.kind)).toEqual([
      'incident.declare',
      'update',
      'incident.edit',
      'update',
      'postmortem.create',
    ]);
    expect(written.timeline[3]).toMatchObject({
      status: 'resolved',
      message: 'Payments work again.',
    });

    const read = await h.key('read');
    const got = await h.request('GET', `/v1/incidents/${id}/postmortem`, { token: read });
    expect(got.status).toBe(200);
    expect((await json(got)).summary).toBe(REVIEW.summary);
    // a read key cannot write it
    const denied = await h.request('PUT', `/v1/incidents/${id}/postmortem`, {
      body: REVIEW,
      token: read,
    });
    expect(denied.status).toBe(403);
  });

  it('keeps action item ids across rewrites, drops those left out, and PATCHes one item', async () => {
    const id = await resolvedSev1();
    const first = await json(
      await h.request('PUT', `/v1/incidents/${id}/postmortem`, { body: REVIEW }),
    );
    const [monitor, runbook] = first.action_items;
    const second = await json(
      await h.request('PUT', `/v1/incidents/${id}/postmortem`, {
        body: {
          ...REVIEW,
          action_items: [{ ...REVIEW.action_items[0], id: monitor.id, state: 'in_progress' }],
        },
      }),
    );
    expect(second.action_items).toEqual([
      expect.objectContaining({ id: monitor.id, state: 'in_progress' }),
    ]);
    const unknown = await h.request('PUT', `/v1/incidents/${id}/postmortem`, {
      body: { ...REVIEW, action_items: [{ id: runbook.id, title: 'Gone' }] },
    });
    expect(unknown.status).toBe(422);
    expect((await json(unknown)).error.details[0].field).toBe('action_items.0.id');

    const patch = await h.request(
      'PATCH',
      `/v1/incidents/${id}/postmortem/action-items/${monitor.id}`,
      { body: { state: 'done', owner: 'linus@acme.example' } },
    );
    expect(patch.status).toBe(200);
    expect(await json(patch)).toMatchObject({
      id: monitor.id,
      state: 'done',
      owner: 'linus@acme.example',
    });
    const missing = await h.request('PATCH', `/v1/incidents/${id}/postmortem/action-items/nope`, {
      body: { state: 'done' },
    });
    expect(missing.status).toBe(404);
    const bad = await h.request(
      'PATCH',
      `/v1/incidents/${id}/postmortem/action-items/${monitor.id}`,
      {
        body: { due_date: '2026-02-30' },
      },
    );
    expect(bad.status).toBe(422);
  });

  it('answers 404 for an unknown incident or one without a postmortem', async () => {
    const id = await resolvedSev1();
    expect((await h.request('GET', `/v1/incidents/${id}/postmortem`)).status).toBe(404);
    expect((await h.request('PUT', '/v1/incidents/nope/postmortem', { body: REVIEW })).status).toBe(
      404,
    );
  });
});

describe('GET /v1/postmortems?state=overdue', () => {
  it('lists reviews past their due time and unfinished action items past their due date', async () => {
    const written = await resolvedSev1(); // review due 2026-11-24T11:00Z
    const unwritten = await resolvedSev1(); // resolved at 12:00, due 2026-11-24T12:00Z
    await h.request('PUT', `/v1/incidents/${written}/postmortem`, { body: REVIEW });

    const before = await json(await h.request('GET', '/v1/postmortems?state=overdue'));
    expect(before).toMatchObject({ state: 'overdue', reviews: [], action_items: [] });
    const due = await json(await h.request('GET', '/v1/postmortems?state=due'));
    expect(due.reviews.map((r: any) => r.incident_id)).toEqual([written, unwritten]);

    h.clock.set('2026-11-26T09:00:00.000Z');
    const overdue = await json(await h.request('GET', '/v1/postmortems'));
    expect(overdue.today).toBe('2026-11-26');
    expect(overdue.reviews).toEqual([
      expect.objectContaining({
        incident_id: written,
        severity: 'SEV1',
        review_due_at: '2026-11-24T11:00:00.000Z',
        overdue: true,
        overdue_by_seconds: 46 * 3600,
      }),
      expect.objectContaining({
        incident_id: unwritten,
        review_due_at: '2026-11-24T12:00:00.000Z',
      }),
    ]);
    // due 2026-11-25; the item without a due date is never overdue
    expect(overdue.action_items).toEqual([
      expect.objectContaining({
        incident_id: written,
        title: 'Monitor certificate expiry',
        owner: 'ada@acme.example',
        due_date: '2026-11-25',
      }),
    ]);

    // Completing the review takes it off the list; the open action item stays.
    await h.request('PUT', `/v1/incidents/${written}/postmortem`, {
      body: { ...REVIEW, completed: true },
    });
    const after = await json(await h.request('GET', '/v1/postmortems?state=overdue'));
    expect(after.reviews.map((r: any) => r.incident_id)).toEqual([unwritten]);
    expect(after.action_items).toHaveLength(1);
    expect((await h.request('GET', '/v1/postmortems?state=late')).status).toBe(422);
  });
});
