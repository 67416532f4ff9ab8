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

/** Emails serialised between two turns of the event loop (see `serialiseBatch`). */
const EMAILS_PER_SLICE = 10;

/**
 * The batch as the JSON body Resend's `/emails/batch` takes, in the layout the SDK's `batch.send`
 * writes. A batch of 100 update emails is over a megabyte of JSON: serialised in one go it holds the
 * server's thread for 5 to 15 ms, and every API request arriving then waits. Serialised ten emails
 * at a time, with the event loop turning in between, requests go through between the slices.
 */
export async function serialiseBatch(
  messages: OutboxMessage[],
  from: string,
  perSlice = EMAILS_PER_SLICE,
): Promise<string> {
  const parts: string[] = [];
  for (let i = 0; i < messages.length; i++) {
    if (i > 0 && i % perSlice === 0) await new Promise((resolve) => setImmediate(resolve));
    const m = messages[i]!;
    parts.push(
      JSON.stringify({
        from,
        headers: m.headers,
        html: m.html,
        // Resend passes an ASCII subject on as it is: one that a client would decode goes encoded.
        subject: mightDecode(m.subject) ? encodeHeaderText(m.subject, ' ') : m.subject,
        text: m.text,
        to: [m.to],
      }),
    );
  }
  return `[${parts.join(',')}]`;
}

/**
 * Sends through the `resend` SDK's request path (its error and response handling) to the batch
 * endpoint, with an idempotency key per batch and strict batch validation, as `batch.send` does;
 * the body is serialised by `serialiseBatch`.
 */
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
    async send(messages, idempotencyKey, dispatching): Promise<SendOutcome> {
      const body = await serialiseBatch(messages, options.from);
      dispatching?.();
      // The SDK turns an aborted request into an error without a status: a retry.
      const { data, error, headers } = await client.fetchRequest<{ data: Array<{ id: string }> }>(
        '/emails/batch',
        {
          method: 'POST',
          headers: {
            Authorization: `Bearer ${options.apiKey}`,
            'User-Agent': client.userAgent,
            'Content-Type': 'application/json',
            'Idempotency-Key': idempotencyKey,
            'x-batch-validation': 'strict',
          },
          body,
          signal: AbortSignal.timeout(timeoutMs),
        },
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
