import type { Content } from '../config/content.ts';
import type { IncidentChange } from '../domain/incidents/context.ts';
import type { UpdateTemplate } from '../domain/templates.ts';
import type { Db } from '../storage/db.ts';
import type { Logger } from '../lib/log.ts';
import type { SubscriptionRouteOptions } from './routes/subscriptions.ts';
import type { SiteFiles } from '../serve/site.ts';
import type { WebhookContext } from '../domain/webhooks/context.ts';
import type { MailTemplates } from '../mail/templates.ts';
import type { MaintenanceChange } from '../domain/maintenances/types.ts';

/** Everything the HTTP app needs, built once by the composition root (or a test). */
export interface AppDeps {
  db: Db;
  content: Content;
  templates: Map<string, UpdateTemplate>;
  now: () => Date;
  siteUrl: string;
  log: Logger;
  /** Told about every committed incident change (publisher, scheduler). Must not throw. */
  onChange: (change: IncidentChange) => void;
  /** Extra facts for /healthz (the publisher's last run, the scheduler's last tick). */
  health?: () => Record<string, unknown>;
  /** The published site, served at `/` when given (paths no route takes). */
  site?: SiteFiles;
  /** Email subscriptions: the public routes, the admin routes and the provider webhook. */
  subscriptions?: SubscriptionRouteOptions & { webhookSecret: string | undefined };
  /** Why each part of the process is not ready yet, by name (null: ready); for /readyz. */
  readiness?: () => Record<string, string | null>;
  /** Webhook and chat subscribers: `webhook` in `POST /v1/subscriptions`, admin `/v1/webhooks`. */
  webhooks?: WebhookContext;
  /** The email templates: with them, the executive digest routes are served. */
  mail?: MailTemplates;
  /** Told about every committed maintenance change (publisher, fan-out and webhook workers). */
  onMaintenanceChange?: (change: MaintenanceChange) => void;
  /** Told when the API queued emails (the mailer's kick). */
  onMailQueued?: () => void;
}
