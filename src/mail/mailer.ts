import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Settings } from '../config/env.ts';
import type { Service } from '../service.ts';
import type { Db } from '../storage/db.ts';
import {
  assignBatch,
  claimDue,
  markFailed,
  markRetry,
  markSent,
  splitBatch,
  type OutboxMessage,
} from '../storage/outbox.ts';
import { retryDelayMs, type BackoffPolicy } from './backoff.ts';
import { emlTransport } from './eml-transport.ts';
import { RateLimiter } from './rate-limiter.ts';
import { resendTransport } from './resend-transport.ts';
import type { Transport } from './transport.ts';

export type Log = (line: Record<string, unknown>) => void;

export interface MailerOptions {
  db: Db;
  transport: Transport;
  now: () => Date;
  log: Log;
  /** How often the outbox is looked at when nobody kicks the mailer. */
  pollMs: number;
  /** How long a claim keeps other processes off a message. */
  leaseMs: number;
  /** Provider requests per second at most. */
  ratePerSecond: number;
  /** Transient failures before a message is given up on and recorded as failed. */
  maxAttempts: number;
  backoff: BackoffPolicy;
  /** Names this process in claims; random by default. */
  holder?: string;
  sleep?: (ms: number) => Promise<void>;
}

export interface Mailer extends Service {
  readonly transport: Transport;
  /** Look at the outbox now (something was just queued). */
  kick(): void;
  /** Sends everything due, one claim at a time, until nothing is due; returns how many went out. */
  drain(): Promise<number>;
}

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A batch's idempotency key comes from its message ids: a retry after a crash claims the same
 * batch (the key is stored on the rows) and the provider recognises it instead of sending twice.
 */
export function batchKeyFor(ids: string[]): string {
  const digest = createHash('sha256')
    .update([...ids].sort().join(','))
    .digest('hex');
  return `herald-batch-${digest.slice(0, 40)}`;
}

/**
 * Drains the database outbox through one transport. Messages are claimed in the database with a
 * lease, so several processes share the outbox without sending a row twice, and a crashed
 * process's rows are taken over once its lease runs out.
 */
export function createMailer(options: MailerOptions): Mailer {
  const { db, transport, now, log } = options;
  const holder = options.holder ?? `mailer-${randomBytes(6).toString('hex')}`;
  const sleep = options.sleep ?? sleepFor;
  const limiter = new RateLimiter(options.ratePerSecond, () => Date.now(), sleep);
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = true;
  let pausedUntil = 0;
  const stats = {
    sent: 0,
    retried: 0,
    failed: 0,
    last_error: null as string | null,
    last_run_at: null as string | null,
  };

  async function deliver(group: OutboxMessage[], key: string): Promise<number> {
    await limiter.take();
    const outcome = await transport.send(group, key);
    const at = now();
    const ids = group.map((m) => m.id);
    if (outcome.kind === 'sent') {
      await markSent(
        db,
        group.map((m, i) => ({ id: m.id, providerId: outcome.providerIds[i] ?? null })),
        at.toISOString(),
      );
      stats.sent += group.length;
      return group.length;
    }
    stats.last_error = outcome.error;
    if (outcome.kind === 'permanent') {
      if (group.length > 1) {
        // One bad message fails a strict batch: retry each alone so only the bad one fails.
        await splitBatch(db, ids, at.toISOString());
        log({
          level: 'warn',
          msg: 'mail batch refused; retrying messages one by one',
          error: outcome.error,
          count: group.length,
        });
        return 0;
      }
      await markFailed(db, ids, at.toISOString(), outcome.error);
      stats.failed += 1;
      log({
        level: 'error',
        msg: 'mail failed permanently',
        id: ids[0],
        kind: group[0]!.kind,
        error: outcome.error,
      });
      return 0;
    }
    const attempts = Math.max(...group.map((m) => m.attempts)) + 1;
    if (attempts >= options.maxAttempts) {
      const error = `gave up after ${attempts} attempts: ${outcome.error}`;
      await markFailed(db, ids, at.toISOString(), error);
      stats.failed += group.length;
      log({ level: 'error', msg: 'mail failed permanently', ids, error });
      return 0;
    }
    const delay = retryDelayMs(attempts - 1, outcome.retryAfterMs, options.backoff);
    if (outcome.retryAfterMs !== null) pausedUntil = at.getTime() + outcome.retryAfterMs;
    await markRetry(db, ids, new Date(at.getTime() + delay).toISOString(), outcome.error);
    stats.retried += group.length;
    log({
      level: 'warn',
      msg: 'mail will be retried',
      count: ids.length,
      in_ms: delay,
      error: outcome.error,
    });
    return 0;
  }

  async function drain(): Promise<number> {
    let sent = 0;
    for (;;) {
      const at = now();
      // The provider said to wait (429 with Retry-After): nothing else goes out meanwhile.
      if (at.getTime() < pausedUntil) break;
      const claimed = await claimDue(
        db,
        holder,
        at.toISOString(),
        new Date(at.getTime() + options.leaseMs).toISOString(),
        transport.maxBatch,
      );
      if (claimed.length === 0) break;
      const groups = new Map<string, OutboxMessage[]>();
      const fresh = claimed.filter((m) => m.batchKey === null);
      for (let i = 0; i < fresh.length; i += transport.maxBatch) {
        const chunk = fresh.slice(i, i + transport.maxBatch);
        const key = batchKeyFor(chunk.map((m) => m.id));
        await assignBatch(
          db,
          chunk.map((m) => m.id),
          key,
        );
        groups.set(key, chunk);
      }
      for (const message of claimed) {
        if (message.batchKey === null) continue;
        groups.set(message.batchKey, [...(groups.get(message.batchKey) ?? []), message]);
      }
      for (const [key, group] of groups) sent += await deliver(group, key);
    }
    stats.last_run_at = now().toISOString();
    return sent;
  }

  function schedule(delay: number): void {
    if (stopped) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(run, delay);
  }

  function run(): void {
    timer = null;
    if (running) {
      again = true;
      return;
    }
    running = drain()
      .then(() => undefined)
      .catch((error: unknown) => {
        stats.last_error = String(error);
        log({ level: 'error', msg: 'mail outbox drain failed', error: String(error) });
      })
      .finally(() => {
        running = null;
        const wait = Math.max(0, pausedUntil - now().getTime());
        if (again) {
          again = false;
          schedule(wait);
        } else schedule(Math.max(wait, options.pollMs));
      });
  }

  return {
    name: 'mailer',
    transport,
    drain,
    kick: () => {
      if (running) again = true;
      else schedule(0);
    },
    async start() {
      stopped = false;
      log({
        time: now().toISOString(),
        level: 'info',
        msg: 'mail',
        transport: transport.name,
        detail: transport.describe(),
      });
      schedule(0);
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await running;
    },
    health: () => ({ transport: transport.name, ...stats }),
  };
}

/** The transport the environment asks for: Resend with a key, `.eml` files without. */
export function transportFor(settings: Settings, now: () => Date): Transport {
  if (settings.resendApiKey) {
    return resendTransport({
      apiKey: settings.resendApiKey,
      baseUrl: settings.resendBaseUrl,
      from: settings.emailFrom,
      now,
    });
  }
  return emlTransport(join(settings.dataDir, 'outbox'), settings.emailFrom, now);
}

/** The mailer `main.ts` runs, with timings derived from the scheduler period. */
export function mailerFromSettings(settings: Settings, db: Db, now: () => Date, log: Log): Mailer {
  return createMailer({
    db,
    transport: transportFor(settings, now),
    now,
    log,
    pollMs: Math.min(settings.tickMs, 2000),
    leaseMs: Math.min(Math.max(settings.tickMs * 4, 2000), 60_000),
    ratePerSecond: settings.emailRatePerSecond,
    maxAttempts: 10,
    backoff: { baseMs: Math.min(settings.tickMs, 1000), maxMs: 15 * 60_000 },
  });
}
