import { beforeAll, describe, expect, it } from 'vitest';
import type { Policy } from '../../src/config/content.ts';
import { cadenceAdherence } from '../../src/domain/adherence.ts';
import { shippedPolicy, update } from './policy.ts';

let policy: Policy;
beforeAll(async () => {
  policy = await shippedPolicy();
});

const T0 = Date.parse('2026-11-23T10:00:00.000Z');
const iso = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
const at = (minutes: number) => new Date(T0 + minutes * 60_000);

describe('cadence adherence (SEV1: every 15 minutes, 30 while monitoring)', () => {
  it('counts each closed window as met when the next public update came by its due time', () => {
    const updates = [update(iso(0)), update(iso(15)), update(iso(35)), update(iso(45), 'resolved')];
    expect(
      cadenceAdherence(policy, { severity: 'SEV1', visibility: 'public', updates }, at(100)),
    ).toEqual({
      windows_due: 3,
      windows_met: 2,
      ratio: 2 / 3,
    });
  });

  it('counts the open window only once it is overdue', () => {
    const updates = [update(iso(0)), update(iso(10))];
    const input = { severity: 'SEV1' as const, visibility: 'public' as const, updates };
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
      cadenceAdherence(policy, { severity: 'SEV1', visibility: 'public', updates }, at(60)).ratio,
    ).toBe(1);
  });

  it('ignores back-dated updates and has no ratio before any window came due', () => {
    const updates = [update(iso(0)), update(iso(20), 'identified', iso(10))];
    expect(
      cadenceAdherence(policy, { severity: 'SEV1', visibility: 'public', updates }, at(20)),
    ).toEqual({
      windows_due: 1,
      windows_met: 0,
      ratio: 0,
    });
    expect(
      cadenceAdherence(
        policy,
        { severity: 'SEV1', visibility: 'public', updates: [update(iso(0))] },
        at(5),
      ).ratio,
    ).toBeNull();
  });

  it('has nothing to measure for SEV5 (no cadence) or private incidents', () => {
    const updates = [update(iso(0)), update(iso(500))];
    expect(
      cadenceAdherence(policy, { severity: 'SEV5', visibility: 'public', updates }, at(900))
        .windows_due,
    ).toBe(0);
    expect(
      cadenceAdherence(policy, { severity: 'SEV1', visibility: 'private', updates }, at(900)).ratio,
    ).toBeNull();
  });
});
