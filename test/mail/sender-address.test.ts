import { describe, expect, it } from 'vitest';
import { readSettings } from '../../src/config/env.ts';

describe('EMAIL_FROM', () => {
  it('accepts an address, alone or with a display name', () => {
    for (const from of [
      'status@acme.example',
      'Acme Status <status@acme.example>',
      'Herald <status@localhost>',
    ]) {
      expect(readSettings({ EMAIL_FROM: from }).emailFrom).toBe(from);
    }
  });

  it('stops start-up naming the variable when it is not an address the provider would accept', () => {
    for (const from of [
      'status',
      'Acme Status',
      'Acme <status>',
      'status@acme.example, other@acme.example',
      '<status@acme.example',
    ]) {
      expect(() => readSettings({ EMAIL_FROM: from }), from).toThrow(/EMAIL_FROM/);
    }
  });
});

describe('HERALD_SCHEDULER_LEASE', () => {
  it('is on unless turned off, and refuses anything else', () => {
    expect(readSettings({}).schedulerLease).toBe(true);
    expect(readSettings({ HERALD_SCHEDULER_LEASE: 'off' }).schedulerLease).toBe(false);
    expect(() => readSettings({ HERALD_SCHEDULER_LEASE: 'no' })).toThrow(/HERALD_SCHEDULER_LEASE/);
  });
});
