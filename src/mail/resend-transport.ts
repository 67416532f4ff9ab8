import { Resend } from 'resend';
import type { OutboxMessage } from '../storage/outbox.ts';
import { parseRetryAfter } from './backoff.ts';
import type { SendOutcome, Transport } from './transport.ts';

/** Resend's batch endpoint takes at most 100 emails per call. */
const RESEND_MAX_BATCH = 100;

/**
 * 429 and 5xx pass; so does a 409 for a concurrent request with the same idempotency key (the
 * first one is still running). A network failure has no status: also worth another try. Every
 * other 4xx is the message's fault and will not pass by waiting.
 */
export function isTransient(status: number | null, name: string): boolean {
  if (status === null) return true;
  if (status === 409) return name === 'concurrent_idempotent_requests';
  return status === 429 || status >= 500;
}

export interface ResendTransportOptions {
  apiKey: string;
  /** Resend's own `RESEND_BASE_URL` override (tests point it at a local stand-in). */
  baseUrl: string | undefined;
  from: string;
  now: () => Date;
}

/** Sends through the `resend` SDK's batch endpoint with an idempotency key per batch. */
export function resendTransport(options: ResendTransportOptions): Transport {
  const client = new Resend(
    options.apiKey,
    options.baseUrl ? { baseUrl: options.baseUrl } : undefined,
  );
  return {
    name: 'resend',
    maxBatch: RESEND_MAX_BATCH,
    describe: () => `emails are sent through Resend at ${client.baseUrl}`,
    async send(messages: OutboxMessage[], idempotencyKey: string): Promise<SendOutcome> {
      const { data, error, headers } = await client.batch.send(
        messages.map((m) => ({
          from: options.from,
          to: [m.to],
          subject: m.subject,
          html: m.html,
          text: m.text,
          headers: m.headers,
        })),
        { idempotencyKey, batchValidation: 'strict' },
      );
      if (error) {
        const status = error.statusCode ?? null;
        const description = `${status ?? 'network'} ${error.name}: ${error.message}`;
        if (!isTransient(status, error.name)) return { kind: 'permanent', error: description };
        return {
          kind: 'retry',
          error: description,
          retryAfterMs: parseRetryAfter(headers?.['retry-after'], options.now()),
        };
      }
      const ids = data?.data ?? [];
      return { kind: 'sent', providerIds: messages.map((_, i) => ids[i]?.id ?? null) };
    },
  };
}
