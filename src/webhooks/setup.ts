import type { Content } from '../config/content.ts';
import type { Settings } from '../config/env.ts';
import type { Cidr } from '../domain/webhooks/address-policy.ts';
import type { WebhookContext } from '../domain/webhooks/context.ts';
import type { Logger } from '../lib/log.ts';
import type { Db } from '../storage/db.ts';
import { componentStatuses, listIncidents } from '../storage/incidents.ts';
import { postPinned } from './http-transport.ts';
import { verificationEvent } from './payloads.ts';
import { resolveTarget, systemResolver, type Resolver } from './resolve.ts';
import { createSecretBox } from './secret-box.ts';
import { createWebhookWorker, type WebhookWorker } from './worker.ts';

export interface WebhookServices {
  ctx: WebhookContext;
  worker: WebhookWorker;
}

export interface WebhookSetup {
  db: Db;
  content: Content;
  now: () => Date;
  log: Logger;
  siteUrl: string;
  apiUrl: string;
  /** The server secret (HERALD_SECRET or <data>/secret.key). */
  secret: Buffer;
  allow: Cidr[];
  /** The system resolver in production; a table in tests, so no test asks real DNS. */
  resolver?: Resolver;
  timeoutMs: number;
  backoffBaseMs: number;
  concurrency: number;
  pollMs: number;
  requestsPerClientPerHour: number;
  onMailQueued(): void;
  /** The HTTP client; tests wrap it to prove no connection leaves loopback. */
  post?: typeof postPinned;
}

/** Webhooks as `server.ts` (and the tests) run them: the routes' context and the worker. */
export function createWebhookServices(s: WebhookSetup): WebhookServices {
  const box = createSecretBox(s.secret);
  const resolver = s.resolver ?? systemResolver;
  const checkUrl = (url: string) => resolveTarget(url, s.allow, resolver);
  const worker = createWebhookWorker({
    db: s.db,
    content: s.content,
    siteUrl: s.siteUrl,
    apiUrl: s.apiUrl,
    secret: s.secret,
    now: s.now,
    log: s.log,
    openSecret: box.open,
    checkUrl,
    post: s.post ?? postPinned,
    pollMs: s.pollMs,
    concurrency: s.concurrency,
    chunkSize: 500,
    // Longer than an attempt (the timeout) plus recording it; a crashed holder's claims run out after it.
    leaseMs: s.timeoutMs * 3,
    timeoutMs: s.timeoutMs,
    backoffBaseMs: s.backoffBaseMs,
    onMailQueued: s.onMailQueued,
  });
  const ctx: WebhookContext = {
    db: s.db,
    content: s.content,
    now: s.now,
    apiUrl: s.apiUrl,
    secret: s.secret,
    seal: box.seal,
    checkUrl,
    async renderVerification(eventId, code, confirmUrl) {
      const snapshot = {
        site: s.content.site,
        siteUrl: s.siteUrl,
        catalog: s.content.catalog,
        policy: s.content.policy,
        incidents: await listIncidents(s.db.query, { visibility: 'public', status: 'open' }),
        componentStatus: await componentStatuses(s.db.query),
        now: s.now(),
      };
      return verificationEvent(snapshot, eventId, code, confirmUrl);
    },
    requestsPerClientPerHour: s.requestsPerClientPerHour,
    onQueued: () => worker.kick(),
  };
  return { ctx, worker };
}

/** The settings part of the setup. */
export function webhookSettings(settings: Settings) {
  return {
    allow: settings.webhooks.allow,
    timeoutMs: settings.webhooks.timeoutMs,
    backoffBaseMs: settings.webhooks.backoffBaseMs,
    concurrency: settings.webhooks.concurrency,
    pollMs: Math.min(settings.tickMs, 1000),
    requestsPerClientPerHour: settings.subscribePerHour,
    siteUrl: settings.siteUrl,
    apiUrl: settings.publicApiUrl,
  };
}
