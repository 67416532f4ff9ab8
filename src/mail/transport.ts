import type { OutboxMessage } from '../storage/outbox.ts';

/**
 * Why an attempt is worth repeating: the provider's rate limit (does not count as a failed attempt),
 * a refused API key or sender (needs an operator: sending pauses, nothing is given up), or anything
 * else that may pass by itself (5xx, network, timeout).
 */
export type RetryCause = 'rate_limit' | 'auth' | 'transient';

/** What became of one attempt to hand a batch of messages over. */
export type SendOutcome =
  | { kind: 'sent'; providerIds: Array<string | null> }
  /** Worth trying again: after `retryAfterMs` when the provider said so. */
  | { kind: 'retry'; cause: RetryCause; error: string; retryAfterMs: number | null }
  /** Will never succeed as it is (a 4xx about the message): record it, do not retry. */
  | { kind: 'permanent'; error: string };

/** Where queued email goes: the provider, or `.eml` files when there is no provider key. */
export interface Transport {
  readonly name: 'resend' | 'eml';
  /** The most messages one `send` may carry. */
  readonly maxBatch: number;
  /** A human description for the start-up log. */
  describe(): string;
  /**
   * `idempotencyKey` is the same on every retry of the same batch. `dispatching` is called right
   * before the request leaves (after the body is made): the rate limiter stamps it then.
   */
  send(
    messages: OutboxMessage[],
    idempotencyKey: string,
    dispatching?: () => void,
  ): Promise<SendOutcome>;
}
