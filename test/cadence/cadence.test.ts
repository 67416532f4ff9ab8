import { beforeAll, describe, expect, it } from 'vitest';
import type { Policy } from '../../src/config/content.ts';
import { computeCadence, escalationLevel, lastPublicUpdateAt } from '../../src/domain/cadence.ts';
import { defaultPolicy, update } from './policy.ts';

let policy: Policy;
beforeAll(async () => {
  policy = await defaultPolicy();
});

const T0 = '2026-11-23T10:00:00.000Z';
const at = (minutes: number, seconds = 0) =>
  new Date(Date.parse(T0) + minutes * 60_000 + seconds * 1000);
const iso = (minutes: number, seconds = 0) => at(minutes, seconds).toISOString();

function incident(extra: Partial<Parameters<typeof computeCadence>[1]> = {}) {
  return {
    severity: 'SEV1' as const,
    status: 'investigating' as const,
    visibility: 'public' as const,
    started_at: T0,
    public_since: T0 as string | null,
    updates: [update(T0)],
    ...extra,
  };
}

describe('next_update_due_at', () => {
  it('is the last public update plus the severity interval (SEV1: 15 minutes)', () => {
    const c = computeCadence(policy, incident({ updates: [update(T0), update(iso(7))] }), at(10));
    expect(c).toEqual({
      interval_seconds: 900,
      last_public_update_at: iso(7),
      next_update_due_at: iso(22),
      overdue: false,
      overdue_by_seconds: 0,
      escalation_level: 0,
    });
  });

  it('follows the shipped defaults for every severity: 15m, 30m, 60m, 4h and none', () => {
    const due = (severity: 'SEV1' | 'SEV2' | 'SEV3' | 'SEV4' | 'SEV5') =>
      computeCadence(policy, incident({ severity }), at(0)).next_update_due_at;
    expect(due('SEV1')).toBe(iso(15));
    expect(due('SEV2')).toBe(iso(30));
    expect(due('SEV3')).toBe(iso(60));
    expect(due('SEV4')).toBe(iso(240));
    expect(due('SEV5')).toBeNull();
  });

  it('uses the monitoring interval while the incident is monitoring', () => {
    const c = computeCadence(
      policy,
      incident({ status: 'monitoring', updates: [update(T0, 'monitoring')] }),
      at(1),
    );
    expect(c.interval_seconds).toBe(1800);
    expect(c.next_update_due_at).toBe(iso(30));
  });

  it('counts an update when it was posted: a back-dated one posted now resets the window', () => {
    const backdated = update(iso(12), 'identified', iso(5));
    const c = computeCadence(policy, incident({ updates: [update(T0), backdated] }), at(12));
    expect(lastPublicUpdateAt({ public_since: T0, updates: [update(T0), backdated] })).toBe(
      iso(12),
    );
    expect(c.last_public_update_at).toBe(iso(12));
    expect(c.next_update_due_at).toBe(iso(27));
  });

  it('does not let a display time in the future stretch the window', () => {
    const ahead = update(iso(7), 'identified', iso(11));
    const c = computeCadence(policy, incident({ updates: [update(T0), ahead] }), at(8));
    expect(c.last_public_update_at).toBe(iso(7));
    expect(c.next_update_due_at).toBe(iso(22));
  });

  it('starts the window when a private incident is made public, not at its last private update', () => {
    const madePublic = incident({ public_since: iso(40), updates: [update(T0), update(iso(10))] });
    const c = computeCadence(policy, madePublic, at(41));
    expect(c).toMatchObject({
      last_public_update_at: null,
      next_update_due_at: iso(55),
      overdue: false,
      escalation_level: 0,
    });
    // The next update counts from when it is posted, as always.
    const updated = { ...madePublic, updates: [...madePublic.updates, update(iso(50))] };
    expect(computeCadence(policy, updated, at(51))).toMatchObject({
      last_public_update_at: iso(50),
      next_update_due_at: iso(65),
    });
  });

  it('counts from the last update for rows recorded without public_since (public from the start)', () => {
    const legacy = incident({ public_since: null, updates: [update(T0), update(iso(5))] });
    expect(computeCadence(policy, legacy, at(6)).next_update_due_at).toBe(iso(20));
  });

  it('has no due time for resolved or private incidents', () => {
    const resolved = computeCadence(policy, incident({ status: 'resolved' }), at(60));
    const hidden = computeCadence(policy, incident({ visibility: 'private' }), at(60));
    for (const c of [resolved, hidden]) {
      expect(c.next_update_due_at).toBeNull();
      expect(c.overdue).toBe(false);
      expect(c.escalation_level).toBe(0);
    }
  });
});

describe('overdue and escalation level', () => {
  it('is on time up to and including the due instant, overdue a moment after', () => {
    expect(computeCadence(policy, incident(), at(15)).overdue).toBe(false);
    const late = computeCadence(policy, incident(), at(15, 1));
    expect(late.overdue).toBe(true);
    expect(late.overdue_by_seconds).toBe(1);
  });

  it('climbs the ladder: SEV3 overdue (1), commander after 15m (2), never executives', () => {
    const sev3 = (minutes: number) =>
      computeCadence(policy, incident({ severity: 'SEV3' }), at(minutes));
    expect(sev3(61).escalation_level).toBe(1);
    expect(sev3(75).escalation_level).toBe(2);
    expect(sev3(600).escalation_level).toBe(2);
  });

  it('escalates SEV1 to the commander at once and to executives 10 minutes overdue', () => {
    expect(computeCadence(policy, incident(), at(15, 1)).escalation_level).toBe(2);
    expect(computeCadence(policy, incident(), at(24, 59)).escalation_level).toBe(2);
    expect(computeCadence(policy, incident(), at(25)).escalation_level).toBe(3);
    expect(escalationLevel(policy, 'SEV2', 15 * 60)).toBe(3);
    expect(escalationLevel(policy, 'SEV2', 15 * 60 - 1)).toBe(2);
  });
});
