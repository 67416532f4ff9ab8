import { beforeAll, describe, expect, it } from 'vitest';
import type { Policy } from '../../src/config/content.ts';
import {
  executiveNoticeDue,
  planNotices,
  recipientsFor,
  recordedEscalationLevel,
  severitiesNotifyingExecutives,
  type SentNotice,
} from '../../src/domain/notifications.ts';
import { defaultPolicy, update } from './policy.ts';

let policy: Policy;
beforeAll(async () => {
  policy = await defaultPolicy();
});

const T0 = '2026-11-23T10:00:00.000Z';
const at = (minutes: number) => new Date(Date.parse(T0) + minutes * 60_000);
const iso = (minutes: number) => at(minutes).toISOString();

function incident(
  severity: 'SEV1' | 'SEV2' | 'SEV3' | 'SEV4' | 'SEV5',
  extra: Record<string, unknown> = {},
) {
  return {
    severity,
    status: 'investigating' as const,
    visibility: 'public' as const,
    started_at: T0,
    public_since: T0 as string | null,
    updates: [update(T0)],
    ...extra,
  };
}

const kinds = (plan: Array<{ kind: string }>) => plan.map((p) => p.kind);
/** The window's ladder only: SEV2's executive notice (30 minutes unresolved) is tested below. */
const ladder = (plan: Array<{ kind: string; window_key: string }>) =>
  plan.filter((p) => p.kind !== 'executive_notice');

describe('the escalation ladder of one window (SEV2: due 30m, remind 10m before, executives 15m overdue)', () => {
  const sev2 = () => incident('SEV2');
  it('plans nothing before the reminder time', () => {
    expect(planNotices(policy, sev2(), [], at(19))).toEqual([]);
  });
  it('reminds the communications lead from 10 minutes before due', () => {
    expect(planNotices(policy, sev2(), [], at(20))).toEqual([{ kind: 'reminder', window_key: T0 }]);
  });
  it('does not remind twice in the same window', () => {
    const sent: SentNotice[] = [{ kind: 'reminder', window_key: T0, sent_at: iso(20) }];
    expect(planNotices(policy, sev2(), sent, at(25))).toEqual([]);
  });
  it('goes overdue and escalates to the commander at once (escalate_commander_after: 0m)', () => {
    const sent: SentNotice[] = [{ kind: 'reminder', window_key: T0, sent_at: iso(20) }];
    expect(kinds(ladder(planNotices(policy, sev2(), sent, at(31))))).toEqual([
      'overdue',
      'escalate_commander',
    ]);
  });
  it('escalates to executives 15 minutes overdue, once', () => {
    const sent: SentNotice[] = ['reminder', 'overdue', 'escalate_commander'].map((kind) => ({
      kind: kind as SentNotice['kind'],
      window_key: T0,
      sent_at: iso(31),
    }));
    expect(ladder(planNotices(policy, sev2(), sent, at(44)))).toEqual([]);
    expect(ladder(planNotices(policy, sev2(), sent, at(45)))).toEqual([
      { kind: 'escalate_executives', window_key: T0 },
    ]);
  });
  it('sends a reminder that fell due while no scheduler ran, late, while the window is not overdue', () => {
    expect(ladder(planNotices(policy, sev2(), [], at(29)))).toEqual([
      { kind: 'reminder', window_key: T0 },
    ]);
    expect(ladder(planNotices(policy, sev2(), [], at(30)))).toEqual([
      { kind: 'reminder', window_key: T0 },
    ]);
  });
  it('sends every missed step at once after downtime; the overdue notice supersedes the reminder', () => {
    expect(kinds(ladder(planNotices(policy, sev2(), [], at(50))))).toEqual([
      'overdue',
      'escalate_commander',
      'escalate_executives',
    ]);
  });
  it('starts a new window with each public update: the ladder may run again', () => {
    const sent: SentNotice[] = [
      'reminder',
      'overdue',
      'escalate_commander',
      'escalate_executives',
    ].map((kind) => ({
      kind: kind as SentNotice['kind'],
      window_key: T0,
      sent_at: iso(45),
    }));
    const updated = incident('SEV2', { updates: [update(T0), update(iso(46))] });
    expect(ladder(planNotices(policy, updated, sent, at(47)))).toEqual([]);
    expect(ladder(planNotices(policy, updated, sent, at(66)))).toEqual([
      { kind: 'reminder', window_key: iso(46) },
    ]);
  });
  it('counts an update from when it was posted: a back-dated one opens a new window now', () => {
    const sent: SentNotice[] = [
      { kind: 'reminder', window_key: T0, sent_at: iso(20) },
      { kind: 'overdue', window_key: T0, sent_at: iso(31) },
      { kind: 'escalate_commander', window_key: T0, sent_at: iso(31) },
    ];
    const backdated = incident('SEV2', {
      updates: [update(T0), update(iso(32), 'identified', iso(5))],
    });
    expect(ladder(planNotices(policy, backdated, sent, at(33)))).toEqual([]);
    expect(ladder(planNotices(policy, backdated, sent, at(52)))).toEqual([
      { kind: 'reminder', window_key: iso(32) },
    ]);
  });
  it('opens a fresh window when a private incident is made public, instead of the whole ladder at once', () => {
    // Private since 10:00 with no update since; made public at 11:00.
    const madePublic = incident('SEV2', { public_since: iso(60) });
    expect(ladder(planNotices(policy, madePublic, [], at(60)))).toEqual([]);
    expect(ladder(planNotices(policy, madePublic, [], at(80)))).toEqual([
      { kind: 'reminder', window_key: iso(60) },
    ]);
    expect(kinds(ladder(planNotices(policy, madePublic, [], at(91))))).toEqual([
      'overdue',
      'escalate_commander',
    ]);
  });
  it('never escalates a SEV3 to executives', () => {
    expect(kinds(ladder(planNotices(policy, incident('SEV3'), [], at(600))))).toEqual([
      'overdue',
      'escalate_commander',
    ]);
  });
  it('plans nothing for resolved incidents, and no cadence notices for private ones', () => {
    expect(planNotices(policy, incident('SEV3', { status: 'resolved' }), [], at(600))).toEqual([]);
    // Executives still hear of a private SEV3 unresolved after 4 hours; nobody is chased for updates.
    expect(planNotices(policy, incident('SEV3', { visibility: 'private' }), [], at(600))).toEqual([
      { kind: 'executive_notice', window_key: 'SEV3' },
    ]);
  });
});

describe('the executive notice rule', () => {
  it('is immediate for SEV1, even for a private incident', () => {
    expect(executiveNoticeDue(policy, incident('SEV1'), [], at(0))).toEqual({
      kind: 'executive_notice',
      window_key: 'SEV1',
    });
    expect(planNotices(policy, incident('SEV1', { visibility: 'private' }), [], at(0))).toEqual([
      { kind: 'executive_notice', window_key: 'SEV1' },
    ]);
  });
  it('waits 30 minutes unresolved for SEV2 and 4 hours for SEV3', () => {
    expect(executiveNoticeDue(policy, incident('SEV2'), [], at(29))).toBeNull();
    expect(executiveNoticeDue(policy, incident('SEV2'), [], at(30))).not.toBeNull();
    expect(executiveNoticeDue(policy, incident('SEV3'), [], at(239))).toBeNull();
    expect(executiveNoticeDue(policy, incident('SEV3'), [], at(240))).not.toBeNull();
  });
  it('never notifies for SEV4 and SEV5, nor once resolved', () => {
    expect(executiveNoticeDue(policy, incident('SEV4'), [], at(6000))).toBeNull();
    expect(executiveNoticeDue(policy, incident('SEV5'), [], at(6000))).toBeNull();
    expect(
      executiveNoticeDue(policy, incident('SEV1', { status: 'resolved' }), [], at(0)),
    ).toBeNull();
  });
  it('notifies again when raised (SEV3 notice sent, now SEV1) but not when lowered', () => {
    const toldSev3: SentNotice[] = [
      { kind: 'executive_notice', window_key: 'SEV3', sent_at: iso(240) },
    ];
    expect(executiveNoticeDue(policy, incident('SEV1'), toldSev3, at(241))).toEqual({
      kind: 'executive_notice',
      window_key: 'SEV1',
    });
    const toldSev1: SentNotice[] = [
      { kind: 'executive_notice', window_key: 'SEV1', sent_at: iso(0) },
    ];
    expect(executiveNoticeDue(policy, incident('SEV2'), toldSev1, at(60))).toBeNull();
    expect(executiveNoticeDue(policy, incident('SEV1'), toldSev1, at(60))).toBeNull();
  });
});

describe('recipients', () => {
  it('uses the incident roles when they are email addresses', () => {
    const roles = { communications: 'ann@acme.example', commander: 'bob@acme.example' };
    expect(recipientsFor('communications', policy, roles)).toEqual(['ann@acme.example']);
    expect(recipientsFor('commander', policy, roles)).toEqual(['bob@acme.example']);
  });
  it('falls back to the policy communications lead for names, also for the commander', () => {
    const roles = { communications: 'Ann', commander: 'Bob' };
    expect(recipientsFor('communications', policy, roles)).toEqual(['comms-oncall@acme.example']);
    expect(recipientsFor('commander', policy, roles)).toEqual(['comms-oncall@acme.example']);
  });
  it('sends executive notices to the policy executives', () => {
    expect(recipientsFor('executives', policy, {})).toEqual([
      'cto@acme.example',
      'vp-support@acme.example',
    ]);
  });
});

describe('what the notices say about the escalation', () => {
  it('is as high as the highest step queued in the current window, skipped notices not counting', () => {
    const notices = [
      { kind: 'overdue' as const, window_key: T0, sent_at: iso(31), outcome: 'queued' as const },
      {
        kind: 'escalate_commander' as const,
        window_key: T0,
        sent_at: iso(31),
        outcome: 'queued' as const,
      },
      {
        kind: 'escalate_executives' as const,
        window_key: T0,
        sent_at: iso(45),
        outcome: 'skipped_no_recipients' as const,
      },
      {
        kind: 'reminder' as const,
        window_key: iso(46),
        sent_at: iso(66),
        outcome: 'queued' as const,
      },
    ];
    expect(recordedEscalationLevel(notices, T0)).toBe(2);
    expect(recordedEscalationLevel(notices, iso(46))).toBe(0);
    expect(recordedEscalationLevel([], T0)).toBe(0);
  });
  it('names the severities whose rules reach executives', () => {
    expect(severitiesNotifyingExecutives(policy)).toEqual(['SEV1', 'SEV2', 'SEV3']);
  });
});
