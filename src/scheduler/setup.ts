import type { Content } from '../config/content.ts';
import type { Settings } from '../config/env.ts';
import { severitiesNotifyingExecutives } from '../domain/notifications.ts';
import type { Logger } from '../lib/log.ts';
import { mailerFromSettings, type Mailer } from '../mail/mailer.ts';
import type { Personalise } from '../mail/personalise.ts';
import { loadMailTemplates, type MailTemplates } from '../mail/templates.ts';
import type { Db } from '../storage/db.ts';
import { sampleVariables } from './messages.ts';
import { createScheduler, type Scheduler } from './scheduler.ts';
import type { MaintenanceChange } from '../domain/maintenances/types.ts';

/**
 * The mailer and the cadence scheduler as `main.ts` runs them. Templates are loaded and tried
 * once here, so a broken template stops start-up naming the file; a policy that would notify
 * executives without any executive address is reported here, not at the first SEV1.
 */
export async function createCadenceServices(
  settings: Settings,
  foundation: { db: Db; content: Content },
  now: () => Date,
  log: Logger,
  personalise?: Personalise,
  onMaintenanceChange?: (change: MaintenanceChange) => void,
): Promise<{ mailer: Mailer; scheduler: Scheduler; mail: MailTemplates }> {
  const { policy } = foundation.content;
  const unreachable = severitiesNotifyingExecutives(policy);
  if (policy.recipients.executives.length === 0 && unreachable.length > 0) {
    log({
      time: now().toISOString(),
      level: 'warn',
      msg: 'policy.yaml lists no executives, but the rules of these severities notify them: their executive notices will be recorded as skipped_no_recipients',
      severities: unreachable,
    });
  }
  const mail = await loadMailTemplates(
    settings.templatesDir,
    sampleVariables(foundation.content, settings.siteUrl),
  );
  const mailer = mailerFromSettings(settings, foundation.db, now, log, personalise);
  const scheduler = createScheduler({
    db: foundation.db,
    content: foundation.content,
    mail,
    siteUrl: settings.siteUrl,
    now,
    log,
    tickMs: settings.tickMs,
    useLease: settings.schedulerLease,
    onQueued: () => mailer.kick(),
    onMaintenanceChange,
  });
  if (!settings.schedulerLease) {
    log({
      time: now().toISOString(),
      level: 'warn',
      msg: 'HERALD_SCHEDULER_LEASE=off: this process runs every scheduler tick without the lease',
    });
  }
  const digest = policy.digest;
  log({
    time: now().toISOString(),
    level: 'info',
    msg: digest
      ? 'executive digest scheduled'
      : 'policy.yaml has no executive_digest section: no scheduled executive digest',
    daily_at_seconds: digest?.dailyAtSeconds ?? null,
    while_severe_every_seconds: digest?.whileSevereEverySeconds ?? null,
  });
  return { mailer, scheduler, mail };
}
