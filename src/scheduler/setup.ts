import type { Content } from '../config/content.ts';
import type { Settings } from '../config/env.ts';
import { mailerFromSettings, type Log, type Mailer } from '../mail/mailer.ts';
import { loadMailTemplates } from '../mail/templates.ts';
import type { Db } from '../storage/db.ts';
import { sampleVariables } from './messages.ts';
import { createScheduler, type Scheduler } from './scheduler.ts';

/**
 * The mailer and the cadence scheduler as `main.ts` runs them. Templates are loaded and tried
 * once here, so a broken template stops start-up naming the file.
 */
export async function createCadenceServices(
  settings: Settings,
  foundation: { db: Db; content: Content },
  now: () => Date,
  log: Log,
): Promise<{ mailer: Mailer; scheduler: Scheduler }> {
  const mail = await loadMailTemplates(
    settings.templatesDir,
    sampleVariables(foundation.content, settings.siteUrl),
  );
  const mailer = mailerFromSettings(settings, foundation.db, now, log);
  const scheduler = createScheduler({
    db: foundation.db,
    content: foundation.content,
    mail,
    siteUrl: settings.siteUrl,
    now,
    log,
    tickMs: settings.tickMs,
    onQueued: () => mailer.kick(),
  });
  return { mailer, scheduler };
}
