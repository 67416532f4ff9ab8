import type { OutboxMessage } from '../storage/outbox.ts';

/** What became of one attempt to hand a batch of messages over. */
export type SendOutcome =
  | { kind: 'sent'; providerIds: Array<string | null> }
  /** Worth trying again (429, 5xx, network): after `retryAfterMs` when the provider said so. */
  | { kind: 'retry'; error: string; retryAfterMs: number | null }
  /** Will never succeed as it is (4xx other than 429): record it, do not retry. */
  | { kind: 'permanent'; error: string };

/** Where queued email goes: the provider, or `.eml` files when there is no provider key. */
export interface Transport {
  readonly name: 'resend' | 'eml';
  /** The most messages one `send` may carry. */
  readonly maxBatch: number;
  /** A human description for the start-up log. */
  describe(): string;
  /** `idempotencyKey` is the same on every retry of the same batch. */
  send(messages: OutboxMessage[], idempotencyKey: string): Promise<SendOutcome>;
}
