/** How long Herald keeps trying one delivery, and how long an endpoint may fail before it is disabled. */
export const RETRY_WINDOW_MS = 24 * 60 * 60 * 1000;
export const MAX_BACKOFF_MS = 60 * 60 * 1000;

/** What one attempt came to: an HTTP status, or no answer at all (network error, timeout, refused address). */
export type AttemptResult = { statusCode: number; retryAfter?: string | null } | { error: string };

export type Outcome = 'delivered' | 'retry' | 'permanent';

/** 2xx is delivered; network errors, 408, 429 and 5xx are worth retrying; anything else (3xx, 4xx) is final. */
export function outcomeOf(result: AttemptResult): Outcome {
  if ('error' in result) return 'retry';
  const code = result.statusCode;
  if (code >= 200 && code < 300) return 'delivered';
  if (code === 408 || code === 429 || code >= 500) return 'retry';
  return 'permanent';
}

/** `Retry-After` as milliseconds from `now`: delay-seconds or an HTTP date; null when absent or unreadable. */
export function retryAfterMs(header: string | null | undefined, now: Date): number | null {
  if (!header) return null;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - now.getTime());
}

/**
 * When to try again after the `attempts`-th failed attempt, or null to give up: exponential
 * back-off from `baseMs` (doubling, at most an hour, `jitter` in [0, 1) spreads it by up to a
 * quarter), or the receiver's `Retry-After` when it gives one, and never past 24 h after the
 * delivery was made.
 */
export function nextAttemptAt(input: {
  attempts: number;
  now: Date;
  createdAt: string;
  retryAfter: string | null | undefined;
  baseMs: number;
  jitter: number;
}): string | null {
  const { attempts, now } = input;
  const asked = retryAfterMs(input.retryAfter, now);
  const backoff = Math.min(MAX_BACKOFF_MS, input.baseMs * 2 ** Math.max(0, attempts - 1));
  const delay = asked ?? Math.round(backoff * (1 + input.jitter / 4));
  const at = now.getTime() + delay;
  if (at > Date.parse(input.createdAt) + RETRY_WINDOW_MS) return null;
  return new Date(at).toISOString();
}

/** An endpoint failing without a single success since `failingSince` for 24 h is disabled. */
export function shouldDisable(failingSince: string | null, now: Date): boolean {
  return failingSince !== null && now.getTime() - Date.parse(failingSince) >= RETRY_WINDOW_MS;
}
