import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadContent, type Content } from '../../src/config/content.ts';
import { normaliseEmail } from '../../src/domain/subscriptions/address.ts';
import {
  audienceOf,
  concerns,
  notificationDueAt,
  owedFanout,
  type Interest,
} from '../../src/domain/subscriptions/fanout.ts';
import {
  deriveToken,
  tokenDigest,
  wellFormedToken,
} from '../../src/domain/subscriptions/tokens.ts';
import { REPO_ROOT } from '../support/harness.ts';

let content: Content;
beforeAll(async () => {
  content = await loadContent(join(REPO_ROOT, 'content'));
});

const update = (id: string, notify = true) => ({
  id,
  notify,
  created_at: '2026-11-23T10:00:00.000Z',
});

describe('who is owed an update', () => {
  it('owes a public update with notify to subscribers, followers included while the incident is open', () => {
    const owed = owedFanout(
      { id: 'inc', visibility: 'public', status: 'identified' },
      'investigating',
      update('u1'),
    );
    expect(owed).toEqual({
      updateId: 'u1',
      incidentId: 'inc',
      createdAt: '2026-11-23T10:00:00.000Z',
      resolves: false,
      followers: true,
    });
  });

  it('owes nothing for a private incident or notify: false', () => {
    expect(
      owedFanout({ id: 'i', visibility: 'private', status: 'investigating' }, null, update('u')),
    ).toBeNull();
    expect(
      owedFanout(
        { id: 'i', visibility: 'public', status: 'investigating' },
        null,
        update('u', false),
      ),
    ).toBeNull();
  });

  it('marks the update that resolves the incident, and leaves followers out once it was resolved', () => {
    const resolving = owedFanout(
      { id: 'i', visibility: 'public', status: 'resolved' },
      'monitoring',
      update('u'),
    );
    expect(resolving).toMatchObject({ resolves: true, followers: true });
    const after = owedFanout(
      { id: 'i', visibility: 'public', status: 'resolved' },
      'resolved',
      update('v'),
    );
    expect(after).toMatchObject({ resolves: false, followers: false });
  });
});

describe('when an email goes out (coalescing)', () => {
  const FIVE_MIN = 5 * 60_000;
  it('sends the first email of an incident at once', () => {
    expect(
      notificationDueAt(
        [{ createdAt: '2026-11-23T10:00:00.000Z', resolves: false }],
        null,
        FIVE_MIN,
      ),
    ).toBe('2026-11-23T10:00:00.000Z');
  });

  it('holds later updates until the minimum interval since the last email has passed', () => {
    const owed = [
      { createdAt: '2026-11-23T10:01:00.000Z', resolves: false },
      { createdAt: '2026-11-23T10:03:00.000Z', resolves: false },
    ];
    expect(notificationDueAt(owed, '2026-11-23T10:00:00.000Z', FIVE_MIN)).toBe(
      '2026-11-23T10:05:00.000Z',
    );
  });

  it('does not hold an update that comes after the interval', () => {
    const owed = [{ createdAt: '2026-11-23T10:20:00.000Z', resolves: false }];
    expect(notificationDueAt(owed, '2026-11-23T10:00:00.000Z', FIVE_MIN)).toBe(
      '2026-11-23T10:20:00.000Z',
    );
  });

  it('sends a change to resolved at once, taking the held updates along', () => {
    const owed = [
      { createdAt: '2026-11-23T10:01:00.000Z', resolves: false },
      { createdAt: '2026-11-23T10:02:00.000Z', resolves: true },
    ];
    expect(notificationDueAt(owed, '2026-11-23T10:00:00.000Z', FIVE_MIN)).toBe(
      '2026-11-23T10:02:00.000Z',
    );
  });
});

describe('who a notification concerns', () => {
  const interest = (extra: Partial<Interest>): Interest => ({
    status: 'confirmed',
    follows: 'components',
    components: [],
    incidents: [],
    ...extra,
  });

  it('covers the affected components, the ones the updates changed, and their groups', () => {
    const audience = audienceOf(
      content.catalog,
      { id: 'inc', components: [{ id: 'checkout' }] },
      [
        {
          components: [
            { id: 'api', old_status: 'operational', new_status: 'degraded_performance' },
          ],
        },
      ],
      true,
    );
    expect(audience).toEqual({
      keys: ['api', 'checkout', 'core-platform', 'payments'],
      incidentId: 'inc',
    });
  });

  it('reaches all-components subscribers, followers of an affected component or group, and the incident followers', () => {
    const audience = { keys: ['checkout', 'payments'], incidentId: 'inc' };
    expect(concerns(interest({ follows: 'all' }), audience)).toBe(true);
    expect(concerns(interest({ components: ['checkout'] }), audience)).toBe(true);
    expect(concerns(interest({ components: ['payments'] }), audience)).toBe(true);
    expect(concerns(interest({ follows: 'none', incidents: ['inc'] }), audience)).toBe(true);
  });

  it('leaves out other components, other incidents, followers after resolution, and anyone not confirmed', () => {
    const audience = { keys: ['checkout', 'payments'], incidentId: null };
    expect(concerns(interest({ components: ['api', 'core-platform'] }), audience)).toBe(false);
    expect(concerns(interest({ follows: 'none', incidents: ['inc'] }), audience)).toBe(false);
    expect(concerns(interest({ follows: 'all', status: 'pending' }), audience)).toBe(false);
    expect(concerns(interest({ follows: 'all', status: 'unsubscribed' }), audience)).toBe(false);
    expect(concerns(interest({ follows: 'all', status: 'suppressed' }), audience)).toBe(false);
  });
});

describe('addresses', () => {
  it('lowercases and punycodes the domain, keeps the local part, and keys on the lowercase address', () => {
    expect(normaliseEmail('  Jane.Doe@Example.COM ')).toEqual({
      address: 'Jane.Doe@example.com',
      key: 'jane.doe@example.com',
    });
    expect(normaliseEmail('kim@BÜCHER.example')).toEqual({
      address: 'kim@xn--bcher-kva.example',
      key: 'kim@xn--bcher-kva.example',
    });
  });

  it('names what is wrong with an address it cannot use', () => {
    for (const bad of [
      '',
      'plain',
      '@example.com',
      'a@',
      'a b@example.com',
      'a@b',
      'a@exa mple.com',
      'a@-x.com',
      'a@example.com\r\nBcc: x@y.z',
      'a..b@example.com',
      'a@example.123',
      `${'x'.repeat(65)}@example.com`,
    ]) {
      const result = normaliseEmail(bad);
      expect(result, bad).toHaveProperty('problem');
    }
  });
});

describe('tokens', () => {
  const secret = Buffer.from('a test secret of at least thirty-two characters');
  it('derives the same 256-bit token for the same purpose and id, different ones otherwise', () => {
    const token = deriveToken(secret, 'manage', 'sub1');
    expect(wellFormedToken(token)).toBe(true);
    expect(deriveToken(secret, 'manage', 'sub1')).toBe(token);
    expect(deriveToken(secret, 'confirm', 'sub1')).not.toBe(token);
    expect(
      deriveToken(Buffer.from('another secret, also long enough!!'), 'manage', 'sub1'),
    ).not.toBe(token);
    expect(tokenDigest(secret, 'manage', 'sub1')).toMatch(/^[0-9a-f]{64}$/);
    expect(tokenDigest(secret, 'manage', 'sub1')).not.toContain(token);
  });
});
