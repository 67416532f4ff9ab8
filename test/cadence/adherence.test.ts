import { beforeAll, describe, expect, it } from 'vitest';
import type { Policy } from '../../src/config/content.ts';
import { cadenceAdherence } from '../../src/domain/adherence.ts';
import { defaultPolicy, update } from './policy.ts';

let policy: Policy;
beforeAll(async () => {
  policy = await defaultPolicy();
});

const T0 = Date.parse('2026-11-23T10:00:00.000Z');
const iso = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
const at = (minutes: number) => new Date(T0 + minutes * 60_000);

describe('cadence adherence (SEV1: every 15 minutes, 30 while monitoring)', () => {
  it('counts each closed window as met when the next public update came by its due time', () => {
    const updates = [update(iso(0)), update(iso(15)), update(iso(35)), update(iso(45), 'resolved')];
    expect(
      cadenceAdherence(
        policy,
        { severity: 'SEV1', visibility: 'public', public_since: null, updates },
        at(100),
      ),
    ).toEqual({
      windows_due: 3,
      windows_met: 2,
      ratio: 2 / 3,
    });
  });

  it('counts the open window only once it is overdue', () => {
    const updates = [update(iso(0)), update(iso(10))];
    const input = {
      severity: 'SEV1' as const,
      visibility: 'public' as const,
      public_since: null,
      updates,
    };
    expect(cadenceAdherence(policy, input, at(20))).toEqual({
      windows_due: 1,
      windows_met: 1,
      ratio: 1,
    });
    expect(cadenceAdherence(policy, input, at(26))).toEqual({
      windows_due: 2,
      windows_met: 1,
      ratio: 0.5,
    });
  });

  it('uses the monitoring interval for windows opened by a monitoring update', () => {
    const updates = [update(iso(0), 'monitoring'), update(iso(29), 'resolved')];
    expect(
      cadenceAdherence(
        policy,
        { severity: 'SEV1', visibility: 'public', public_since: null, updates },
        at(60),
      ).ratio,
    ).toBe(1);
  });

  it('counts each update when it was posted, whatever its display time', () => {
    const sev1 = (updates: Array<ReturnType<typeof update>>) => ({
      severity: 'SEV1' as const,
      visibility: 'public' as const,
      public_since: null,
      updates,
    });
    // Posted at 10:14, shown as 10:05: it was on time for the window due at 10:15.
    const backdated = sev1([update(iso(0)), update(iso(14), 'identified', iso(5))]);
    expect(cadenceAdherence(policy, backdated, at(20))).toEqual({
      windows_due: 1,
      windows_met: 1,
      ratio: 1,
    });
    // Posted at 10:10, shown as 10:15: its window is due at 10:25, not 10:30.
    const ahead = sev1([update(iso(0)), update(iso(10), 'identified', iso(15))]);
    expect(cadenceAdherence(policy, ahead, at(27))).toEqual({
      windows_due: 2,
      windows_met: 1,
      ratio: 0.5,
    });
  });

  it('opens the first window when the incident became public, with the status it had then', () => {
    const updates = [update(iso(0)), update(iso(10), 'monitoring'), update(iso(40))];
    const input = {
      severity: 'SEV1' as const,
      visibility: 'public' as const,
      public_since: iso(30),
      updates,
    };
    // Monitoring when made public at 10:30 (due 11:00), met at 10:40; the window from 10:40 is
    // due at 10:55.
    expect(cadenceAdherence(policy, input, at(50))).toEqual({
      windows_due: 1,
      windows_met: 1,
      ratio: 1,
    });
    expect(cadenceAdherence(policy, input, at(56))).toEqual({
      windows_due: 2,
      windows_met: 1,
      ratio: 0.5,
    });
  });

  it('has no ratio before any window came due', () => {
    expect(
      cadenceAdherence(
        policy,
        { severity: 'SEV1', visibility: 'public', public_since: null, updates: [update(iso(0))] },
        at(5),
      ).ratio,
    ).toBeNull();
  });

  it('has nothing to measure for SEV5 (no cadence) or private incidents', () => {
    const updates = [update(iso(0)), update(iso(500))];
    expect(
      cadenceAdherence(
        policy,
        { severity: 'SEV5', visibility: 'public', public_since: null, updates },
        at(900),
      ).windows_due,
    ).toBe(0);
    expect(
      cadenceAdherence(
        policy,
        { severity: 'SEV1', visibility: 'private', public_since: null, updates },
        at(900),
      ).ratio,
    ).toBeNull();
  });
});
