import type { Content } from '../../config/content.ts';
import type { Db } from '../../storage/db.ts';

/** A URL checked against the address policy: the address to connect to, or why not. */
export type TargetCheck =
  { ok: true; url: URL; address: string; family: 4 | 6 } | { ok: false; reason: string };

/** An event rendered for one endpoint (the verification event). */
export interface RenderedVerification {
  type: string;
  body: unknown;
  chat: unknown;
}

/** Everything the webhook actions need, built once by the composition root (or a test). */
export interface WebhookContext {
  db: Db;
  content: Content;
  now: () => Date;
  /** The API's public URL: confirm and unsubscribe links point here. */
  apiUrl: string;
  /** The server secret unsubscribe tokens are derived from. */
  secret: Buffer;
  /** Seals and opens signing secrets (encrypted at rest). */
  seal(webhookId: string, secret: string): string;
  /** Resolves the URL's host and applies the address policy (an injected resolver in tests). */
  checkUrl(url: string): Promise<TargetCheck>;
  /** The verification event's body, rendered as every other event is. */
  renderVerification(
    eventId: string,
    code: string,
    confirmUrl: string,
  ): Promise<RenderedVerification>;
  /** Subscription requests from one client address per hour. */
  requestsPerClientPerHour: number;
  /** Deliveries were queued: the sender should look now. */
  onQueued(): void;
}

/** The client sent more requests than the cap allows (HTTP 429 with `Retry-After`). */
export { RateLimited } from '../subscriptions/context.ts';
