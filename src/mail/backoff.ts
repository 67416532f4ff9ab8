export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

/**
 * How long to wait before attempt number `attempts + 1`: doubling from `baseMs`, capped at
 * `maxMs`, but never sooner than the provider's `Retry-After`.
 */
export function retryDelayMs(
  attempts: number,
  retryAfterMs: number | null,
  policy: BackoffPolicy,
): number {
  const exponential = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempts));
  return Math.max(exponential, retryAfterMs ?? 0);
}

/** `Retry-After` as seconds (`"3"`, `"1.5"`) or an HTTP date, in milliseconds from `now`; null when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: Date): number | null {
  if (value === null || value === undefined || value.trim() === '') return null;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - now.getTime());
}
