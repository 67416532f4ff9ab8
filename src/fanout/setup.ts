import type { Content } from '../config/content.ts';
import type { Settings } from '../config/env.ts';
import { loadSecret } from '../config/secret.ts';
import type { SubscriptionContext } from '../domain/subscriptions/context.ts';
import type { Logger } from '../lib/log.ts';
import type { Mailer } from '../mail/mailer.ts';
import { createPersonaliser, type Personalise } from '../mail/personalise.ts';
import { loadMailTemplates } from '../mail/templates.ts';
import type { Db } from '../storage/db.ts';
import { subscriberSamples } from './messages.ts';
import { createFanoutWorker, type FanoutWorker } from './worker.ts';

export interface SubscriptionServices {
  ctx: SubscriptionContext;
  personalise: Personalise;
  /** Needs the mailer, which exists only once the personaliser does. */
  fanout(mailer: Mailer): FanoutWorker;
}

/**
 * Subscriptions as `server.ts` runs them: the secret links derive from, the subscriber templates
 * (tried once, so a broken one stops start-up naming the file), the context of the public and
 * admin routes, the personaliser the mailer applies, and the fan-out worker.
 */
export async function createSubscriptionServices(
  settings: Settings,
  foundation: { db: Db; content: Content },
  now: () => Date,
  log: Logger,
): Promise<SubscriptionServices> {
  const { db, content } = foundation;
  const secret = await loadSecret(settings.secret, settings.dataDir);
  if (!settings.secret && !settings.databaseUrl.startsWith('file:')) {
    log({
      time: now().toISOString(),
      level: 'warn',
      msg: 'HERALD_SECRET is not set: subscription links use this instance’s data/secret.key; give every instance sharing the database the same HERALD_SECRET',
    });
  }
  const mail = await loadMailTemplates(
    settings.templatesDir,
    subscriberSamples(content, settings.siteUrl),
  );
  let kick: () => void = () => undefined;
  const ctx: SubscriptionContext = {
    db,
    content,
    mail,
    now,
    siteUrl: settings.siteUrl,
    secret,
    limits: {
      confirmationsPerAddressPerDay: settings.confirmationsPerDay,
      requestsPerClientPerHour: settings.subscribePerHour,
    },
    onQueued: () => kick(),
  };
  return {
    ctx,
    personalise: createPersonaliser(db, settings.publicApiUrl, secret),
    fanout(mailer) {
      kick = () => mailer.kick();
      return createFanoutWorker({
        db,
        content,
        mail,
        siteUrl: settings.siteUrl,
        now,
        log,
        pollMs: Math.min(settings.tickMs, 1000),
        minIntervalMs: content.policy.subscriberEmailMinIntervalSeconds * 1000,
        // A chunk is one transaction that a request's statements may each wait behind: 25 rows
        // take under a millisecond (100 took about 3 ms, and a post waited behind several).
        chunkSize: 25,
        leaseMs: 30_000,
        onQueued: kick,
        mailCounts: () => mailer.countsByFamily().subscriber ?? { sent: 0, failed: 0 },
      });
    },
  };
}
