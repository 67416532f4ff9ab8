import { beforeAll, describe, expect, it } from 'vitest';
import type { Policy } from '../../src/config/content.ts';
import {
  buildTimeline,
  isActionItemOverdue,
  planReviewNotices,
  publicPostmortem,
  reviewDueAt,
  type Postmortem,
  type ReviewIncident,
} from '../../src/domain/postmortems/review.ts';
import type { Update } from '../../src/domain/types.ts';
import { defaultPolicy } from '../cadence/policy.ts';

let policy: Policy;
beforeAll(async () => {
  policy = await defaultPolicy();
});

const resolved = (severity: ReviewIncident['severity'], extra: Partial<ReviewIncident> = {}) => ({
  severity,
  status: 'resolved' as const,
  started_at: '2026-11-23T09:00:00.000Z',
  resolved_at: '2026-11-23T10:00:00.000Z',
  ...extra,
});

describe('the review due policy', () => {
  it('is 24 h after resolution for a SEV1, 3 days for a SEV2, 7 days for the rest', () => {
    expect(reviewDueAt(policy, resolved('SEV1'))).toBe('2026-11-24T10:00:00.000Z');
    expect(reviewDueAt(policy, resolved('SEV2'))).toBe('2026-11-26T10:00:00.000Z');
    expect(reviewDueAt(policy, resolved('SEV3'))).toBe('2026-11-30T10:00:00.000Z');
    expect(reviewDueAt(policy, resolved('SEV5'))).toBe('2026-11-30T10:00:00.000Z');
  });

  it('follows the most severe severity the incident had, and has no due time while open', () => {
    const lowered = resolved('SEV3', {
      severity_history: [
        { at: '2026-11-23T09:00:00.000Z', severity: 'SEV1' },
        { at: '2026-11-23T09:30:00.000Z', severity: 'SEV3' },
      ],
    });
    expect(reviewDueAt(policy, lowered)).toBe('2026-11-24T10:00:00.000Z');
    expect(
      reviewDueAt(policy, { ...resolved('SEV1'), status: 'monitoring', resolved_at: null }),
    ).toBe(null);
  });
});

describe('planReviewNotices (SEV1: due 24 h after resolution, reminded 6 h before)', () => {
  const incident = resolved('SEV1');
  const at = (iso: string) => new Date(iso);
  const due = '2026-11-24T10:00:00.000Z';

  it('reminds from 6 h before the due time, then once overdue, each once', () => {
    expect(planReviewNotices(policy, incident, null, [], at('2026-11-24T03:59:59Z'))).toEqual([]);
    expect(planReviewNotices(policy, incident, null, [], at('2026-11-24T04:00:00Z'))).toEqual([
      { kind: 'review_reminder', window_key: due },
    ]);
    const reminded = [{ kind: 'review_reminder' as const, window_key: due, sent_at: '' }];
    expect(planReviewNotices(policy, incident, null, reminded, at('2026-11-24T09:00:00Z'))).toEqual(
      [],
    );
    expect(planReviewNotices(policy, incident, null, reminded, at('2026-11-24T10:00:01Z'))).toEqual(
      [{ kind: 'review_overdue', window_key: due }],
    );
    const both = [...reminded, { kind: 'review_overdue' as const, window_key: due, sent_at: '' }];
    expect(planReviewNotices(policy, incident, null, both, at('2026-11-25T10:00:00Z'))).toEqual([]);
  });

  it('sends only the overdue notice after downtime past the due time, and nothing once complete', () => {
    expect(planReviewNotices(policy, incident, null, [], at('2026-11-24T12:00:00Z'))).toEqual([
      { kind: 'review_overdue', window_key: due },
    ]);
    expect(
      planReviewNotices(policy, incident, '2026-11-24T08:00:00Z', [], at('2026-11-24T12:00:00Z')),
    ).toEqual([]);
  });

  it('does not email reviews that were already a week overdue (old history): they are listed', () => {
    expect(planReviewNotices(policy, incident, null, [], at('2026-12-01T10:00:01Z'))).toEqual([]);
  });
});

describe('the public form of a postmortem', () => {
  const postmortem: Postmortem = {
    incident_id: 'i1',
    summary: 'Card payments failed for 40 minutes.',
    root_cause: 'A config push removed a TLS certificate.',
    root_cause_category: 'config change',
    contributing_factors: ['No canary'],
    impact: 'Checkout failed for most customers.',
    what_went_well: ['Fast rollback'],
    what_could_improve: ['Alerting'],
    internal_notes: 'Vendor contract renegotiation pending',
    action_items: [
      {
        id: 'a1',
        title: 'Add a canary stage',
        owner: 'ada@acme.example',
        priority: 'P1',
        due_date: '2026-12-01',
        state: 'open',
        created_at: '2026-11-23T12:00:00Z',
        updated_at: '2026-11-23T12:00:00Z',
      },
    ],
    completed_at: '2026-11-23T12:00:00Z',
    published_at: '2026-11-23T12:00:00Z',
    created_at: '2026-11-23T12:00:00Z',
    updated_at: '2026-11-23T12:00:00Z',
    version: 1,
  };

  it('has no owners and no internal notes, and exists only once published', () => {
    const shown = publicPostmortem(postmortem)!;
    expect(shown.action_items).toEqual([
      { title: 'Add a canary stage', priority: 'P1', state: 'open' },
    ]);
    expect(JSON.stringify(shown)).not.toContain('ada@acme.example');
    expect(JSON.stringify(shown)).not.toContain('Vendor contract');
    expect(publicPostmortem({ ...postmortem, published_at: null })).toBe(null);
  });

  it('counts an unfinished action item overdue the day after its due date', () => {
    const item = postmortem.action_items[0]!;
    expect(isActionItemOverdue(item, '2026-12-01')).toBe(false);
    expect(isActionItemOverdue(item, '2026-12-02')).toBe(true);
    expect(isActionItemOverdue({ ...item, state: 'done' }, '2026-12-02')).toBe(false);
  });
});

describe('buildTimeline', () => {
  it('merges updates (by display time) and audit entries, oldest first', () => {
    const update = (id: string, at: string, message: string): Update => ({
      id,
      incident_id: 'i1',
      seq: 1,
      status: 'investigating',
      message,
      components: [],
      notify: true,
      display_at: at,
      created_at: at,
      author: 'comms',
    });
    const timeline = buildTimeline(
      [
        update('u1', '2026-11-23T10:00:00Z', 'first'),
        update('u2', '2026-11-23T10:20:00Z', 'second'),
      ],
      [
        {
          at: '2026-11-23T10:10:00Z',
          actor: 'k1',
          action: 'incident.edit',
          details: { severity: {} },
        },
      ],
    );
    expect(timeline.map((e) => `${e.kind}:${e.message ?? ''}`)).toEqual([
      'update:first',
      'incident.edit:',
      'update:second',
    ]);
  });
});
