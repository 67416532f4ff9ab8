import type { Content } from '../config/content.ts';
import type { IncidentChange } from '../domain/incidents/context.ts';
import type { UpdateTemplate } from '../domain/templates.ts';
import type { Db } from '../storage/db.ts';
import type { Logger } from '../lib/log.ts';
import type { MailTemplates } from '../mail/templates.ts';

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
  /** Directory of the published site, served at `/` when given. */
  siteDir?: string;
  /** The email templates: with them, the executive digest routes are served. */
  mail?: MailTemplates;
  /** Told when the API queued emails (the mailer's kick). */
  onMailQueued?: () => void;
}
