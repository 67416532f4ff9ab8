import type { Content } from '../../config/content.ts';
import type { MailTemplates } from '../../mail/templates.ts';
import type { Db } from '../../storage/db.ts';

/** Everything the subscription actions need, built once by the composition root. */
export interface SubscriptionContext {
  db: Db;
  content: Content;
  mail: MailTemplates;
  now: () => Date;
  siteUrl: string;
  /** Subscription links (confirm, manage, unsubscribe) are derived from it. */
  secret: Buffer;
  limits: SubscriptionLimits;
  /** Mail was queued: the mailer should look at the outbox now. */
  onQueued: () => void;
}

export interface SubscriptionLimits {
  /** Confirmation emails to one address per 24 hours; more requests send nothing. */
  confirmationsPerAddressPerDay: number;
  /** Subscription requests from one client address per hour; more get a 429. */
  requestsPerClientPerHour: number;
}

export const DEFAULT_LIMITS: SubscriptionLimits = {
  confirmationsPerAddressPerDay: 3,
  requestsPerClientPerHour: 20,
};

/** The client sent more requests than the cap allows (HTTP 429 with `Retry-After`). */
export class RateLimited extends Error {
  override name = 'RateLimited';
  constructor(readonly retryAfterSeconds: number) {
    super(`too many subscription requests from this address; try again in ${retryAfterSeconds} s`);
  }
}
