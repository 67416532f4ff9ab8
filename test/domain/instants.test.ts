import { describe, expect, it } from 'vitest';
import { notAfterNow } from '../../src/domain/incidents/context.ts';

describe('instants given to the API', () => {
  const now = new Date('2026-11-27T12:00:00.000Z');

  it('are stored in one form, so that ordering them as text orders them in time', () => {
    expect(notAfterNow('display_at', '2026-11-27T10:00:00Z', now)).toBe('2026-11-27T10:00:00.000Z');
    expect(notAfterNow('display_at', '2026-11-27T10:00:00.5Z', now)).toBe(
      '2026-11-27T10:00:00.500Z',
    );
    // Without the one form, "…00Z" sorted after "…00.900Z", though it is earlier.
    const a = notAfterNow('display_at', '2026-11-27T10:00:00Z', now);
    const b = notAfterNow('display_at', '2026-11-27T10:00:00.900Z', now);
    expect(a < b).toBe(true);
  });

  it('are clamped to now when a little ahead, and refused when far ahead', () => {
    expect(notAfterNow('display_at', '2026-11-27T12:00:01.000Z', now)).toBe(now.toISOString());
    expect(() => notAfterNow('display_at', '2026-11-28T12:00:00.000Z', now)).toThrow(/future/);
    expect(notAfterNow('display_at', undefined, now)).toBeUndefined();
  });
});
