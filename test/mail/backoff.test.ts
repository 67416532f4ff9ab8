import { describe, expect, it } from 'vitest';
import { parseRetryAfter, retryDelayMs } from '../../src/mail/backoff.ts';
import { RateLimiter } from '../../src/mail/rate-limiter.ts';
import { classifyFailure } from '../../src/mail/resend-transport.ts';

const now = new Date('2026-11-23T10:00:00.000Z');

describe('retry timing', () => {
  it('doubles from the base and stops at the cap', () => {
    const policy = { baseMs: 1000, maxMs: 10_000 };
    expect([0, 1, 2, 3, 4, 10].map((n) => retryDelayMs(n, null, policy))).toEqual([
      1000, 2000, 4000, 8000, 10_000, 10_000,
    ]);
  });
  it('never retries sooner than Retry-After', () => {
    expect(retryDelayMs(0, 30_000, { baseMs: 1000, maxMs: 10_000 })).toBe(30_000);
    expect(retryDelayMs(3, 500, { baseMs: 1000, maxMs: 10_000 })).toBe(8000);
  });
  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfter('2', now)).toBe(2000);
    expect(parseRetryAfter('0.5', now)).toBe(500);
    expect(parseRetryAfter('Mon, 23 Nov 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter(undefined, now)).toBeNull();
    expect(parseRetryAfter('soon', now)).toBeNull();
  });
  it('retries 429, 5xx, network errors, concurrent idempotent requests and refused keys; not other 4xx', () => {
    expect(classifyFailure(429, 'rate_limit_exceeded')).toBe('rate_limit');
    expect(classifyFailure(500, 'internal_server_error')).toBe('transient');
    expect(classifyFailure(null, 'application_error')).toBe('transient');
    expect(classifyFailure(409, 'concurrent_idempotent_requests')).toBe('transient');
    expect(classifyFailure(401, 'missing_api_key')).toBe('auth');
    expect(classifyFailure(403, 'invalid_access')).toBe('auth');
    expect(classifyFailure(409, 'invalid_idempotent_request')).toBe('permanent');
    expect(classifyFailure(422, 'validation_error')).toBe('permanent');
  });
});

describe('the rate limiter', () => {
  it('lets N requests through per window and makes the next wait for the oldest to leave it', async () => {
    let clock = 0;
    const waits: number[] = [];
    const limiter = new RateLimiter(
      2,
      () => clock,
      async (ms) => {
        waits.push(ms);
        clock += ms;
      },
    );
    await limiter.take();
    await limiter.take();
    expect(waits).toEqual([]);
    clock = 300;
    await limiter.take();
    expect(waits).toEqual([800]);
    expect(clock).toBe(1100);
  });
});

describe('the rate limiter after a 429', () => {
  it('widens its window when the provider says too fast, and narrows it back as requests pass', async () => {
    let clock = 0;
    const waits: number[] = [];
    const limiter = new RateLimiter(
      1,
      () => clock,
      async (ms) => {
        waits.push(ms);
        clock += ms;
      },
      1050,
    );
    await limiter.take();
    limiter.tooFast();
    limiter.tooFast();
    expect(limiter.currentWindowMs).toBe(1150);
    await limiter.take();
    expect(waits).toEqual([1150]);
    for (let i = 0; i < 30; i++) limiter.accepted();
    expect(limiter.currentWindowMs).toBe(1120);
    for (let i = 0; i < 500; i++) limiter.accepted();
    expect(limiter.currentWindowMs).toBe(1050);
    for (let i = 0; i < 100; i++) limiter.tooFast();
    expect(limiter.currentWindowMs).toBe(2000);
  });
});
