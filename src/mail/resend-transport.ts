import { Resend } from 'resend';
import type { OutboxMessage } from '../storage/outbox.ts';
import { parseRetryAfter } from './backoff.ts';
import { encodeHeaderText, mightDecode } from './eml.ts';
import type { RetryCause, SendOutcome, Transport } from './transport.ts';

/** Resend's batch endpoint takes at most 100 emails per call. */
const RESEND_MAX_BATCH = 100;

/** A request the provider has not answered by then is abandoned and retried (same key). */
const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * What a failed request means. 429 is the rate limit. 401 and 403 (a revoked key, an unverified
 * sending domain) are fixed by an operator, not by the message: worth retrying once they are. 5xx,
 * a network failure or a timeout (no status) and a 409 for a concurrent request with the same
 * idempotency key (the first one is still running) pass by themselves. Every other 4xx is the
 * message's fault and will not pass by waiting.
 */
export function classifyFailure(status: number | null, name: string): RetryCause | 'permanent' {
  if (status === null) return 'transient';
  if (status === 429) return 'rate_limit';
  if (status === 401 || status === 403) return 'auth';
  if (status === 409) return name === 'concurrent_idempotent_requests' ? 'transient' : 'permanent';
  return status >= 500 ? 'transient' : 'permanent';
}

export interface ResendTransportOptions {
  apiKey: string;
  /** Resend's own `RESEND_BASE_URL` override (tests point it at a local stand-in). */
  baseUrl: string | undefined;
  from: string;
  now: () => Date;
  /** How long one request may take before it counts as a (retryable) network failure. */
  timeoutMs?: number;
}

/** Sends through the `resend` SDK's batch endpoint with an idempotency key per batch. */
export function resendTransport(options: ResendTransportOptions): Transport {
  const client = new Resend(
    options.apiKey,
    options.baseUrl ? { baseUrl: options.baseUrl } : undefined,
  );
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return {
    name: 'resend',
    maxBatch: RESEND_MAX_BATCH,
    describe: () => `emails are sent through Resend at ${client.baseUrl}`,
    async send(messages: OutboxMessage[], idempotencyKey: string): Promise<SendOutcome> {
      // The SDK turns an aborted request into an error without a status: a retry.
      const { data, error, headers } = await client.batch.send(
        messages.map((m) => ({
          from: options.from,
          to: [m.to],
          // Resend passes an ASCII subject on as it is: one that a client would decode goes encoded.
          subject: mightDecode(m.subject) ? encodeHeaderText(m.subject, ' ') : m.subject,
          html: m.html,
          text: m.text,
          headers: m.headers,
        })),
        { idempotencyKey, batchValidation: 'strict', signal: AbortSignal.timeout(timeoutMs) },
      );
      if (error) {
        const status = error.statusCode ?? null;
        const description = `${status ?? 'network'} ${error.name}: ${error.message}`;
        const cause = classifyFailure(status, error.name);
        if (cause === 'permanent') return { kind: 'permanent', error: description };
        return {
          kind: 'retry',
          cause,
          error: description,
          retryAfterMs: parseRetryAfter(headers?.['retry-after'], options.now()),
        };
      }
      const ids = data?.data ?? [];
      return { kind: 'sent', providerIds: messages.map((_, i) => ids[i]?.id ?? null) };
    },
  };
}
