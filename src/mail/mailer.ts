import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Settings } from '../config/env.ts';
import type { Logger } from '../lib/log.ts';
import { createRunLoop } from '../lib/run-loop.ts';
import type { Service } from '../service.ts';
import type { Db } from '../storage/db.ts';
import {
  assignBatches,
  cancelUndeliverable,
  claimDue,
  markFailed,
  markRetry,
  markSent,
  releaseClaims,
  renewBatch,
  splitBatch,
  type OutboxMessage,
} from '../storage/outbox.ts';
import { retryDelayMs, type BackoffPolicy } from './backoff.ts';
import { emlTransport } from './eml-transport.ts';
import type { Personalise } from './personalise.ts';
import { RateLimiter } from './rate-limiter.ts';
import { resendTransport } from './resend-transport.ts';
import type { Transport } from './transport.ts';

export interface MailerOptions {
  db: Db;
  transport: Transport;
  now: () => Date;
  log: Logger;
  /** How often the outbox is looked at when nobody kicks the mailer. */
  pollMs: number;
  /** How long a claim keeps other processes off a message. */
  leaseMs: number;
  /** Provider requests per second at most. */
  ratePerSecond: number;
  /**
   * The window those requests are counted in: a little over a second, as the provider counts
   * arrivals (default 1100 ms; each request is stamped when it is sent, not when it queued).
   */
  rateWindowMs?: number;
  /**
   * How long after it was queued a message still failing transiently is given up on and recorded
   * as failed. Keep it inside the provider's idempotency window (Resend: 24 hours), so that a
   * retry of a batch the provider did get can never be delivered twice.
   */
  giveUpAfterMs: number;
  backoff: BackoffPolicy;
  /** How long a refused API key or sender (401/403) pauses all sending. */
  authPauseMs: number;
  /** Makes messages of shared bodies (subscriber mail) right before they are handed over. */
  personalise?: Personalise;
  /** Names this process in claims; random by default. */
  holder?: string;
  /**
   * Batches handed over at once (default 1). Each sender claims under its own name, as separate
   * processes do, and all share the rate limit: with a slow provider, several requests in flight
   * keep the sending rate at the allowed one.
   */
  concurrency?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface Mailer extends Service {
  readonly transport: Transport;
  /** Look at the outbox now (something was just queued). */
  kick(): void;
  /** Sends everything due, one claim at a time, until nothing is due; returns how many went out. */
  drain(): Promise<number>;
  /** Messages sent and failed by this process since it started, per kind family (`subscriber`, `cadence`, …). */
  countsByFamily(): Record<string, { sent: number; failed: number }>;
}

/** What one attempt at a batch came to; `left`: another sender holds it now. */
type Delivery = 'sent' | 'retried' | 'split' | 'failed' | 'left';

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
  const personalise = options.personalise ?? (async (messages: OutboxMessage[]) => messages);
  const baseHolder = options.holder ?? `mailer-${randomBytes(6).toString('hex')}`;
  const concurrency = Math.max(1, options.concurrency ?? 1);
  const holders =
    concurrency === 1
      ? [baseHolder]
      : Array.from({ length: concurrency }, (_, i) => `${baseHolder}-${i}`);
  const sleep = options.sleep ?? sleepFor;
  const limiter = new RateLimiter(
    options.ratePerSecond,
    () => Date.now(),
    sleep,
    options.rateWindowMs,
  );
  let pausedUntil = 0;
  const stats = {
    sent: 0,
    retried: 0,
    failed: 0,
    cancelled: 0,
    last_error: null as string | null,
    last_run_at: null as string | null,
  };

  const families: Record<string, { sent: number; failed: number }> = {};
  function count(group: OutboxMessage[], outcome: 'sent' | 'failed'): void {
    for (const message of group) {
      const family = message.kind.split('.')[0]!;
      (families[family] ??= { sent: 0, failed: 0 })[outcome] += 1;
    }
  }

  function logLine(level: string, msg: string, fields: Record<string, unknown>): void {
    log({ time: now().toISOString(), level, msg, ...fields });
  }

  /** Records a group as failed for good, with the reason. */
  async function giveUp(
    holder: string,
    group: OutboxMessage[],
    error: string,
    attempted: boolean,
  ): Promise<void> {
    const ids = group.map((m) => m.id);
    await markFailed(db, holder, ids, { at: now().toISOString(), error, attempted });
    stats.failed += group.length;
    count(group, 'failed');
    logLine('error', 'mail failed permanently', { ids, kind: group[0]!.kind, error });
  }

  /** Hands one batch to the transport and records what became of it. */
  async function deliver(holder: string, group: OutboxMessage[], key: string): Promise<Delivery> {
    const ids = group.map((m) => m.id);
    const deadline = Math.min(...group.map((m) => Date.parse(m.createdAt))) + options.giveUpAfterMs;
    if (now().getTime() > deadline) {
      // Not sent within the idempotency window (the process was down that long): a retry might
      // be delivered twice, so it is recorded instead.
      await giveUp(
        holder,
        group,
        'not sent in time: the provider may no longer recognise a retry',
        false,
      );
      return 'failed';
    }
    const sentNow = await limiter.take();
    // Renewed right before sending, after any wait: a sender that stalled past its claim, or
    // holds only part of the batch, leaves it to whoever holds it now.
    const leaseUntil = new Date(now().getTime() + options.leaseMs).toISOString();
    if (!(await renewBatch(db, holder, key, ids, leaseUntil))) {
      await releaseClaims(db, holder, ids);
      logLine('warn', 'mail batch no longer held by this sender; left to its holder', {
        batch: key,
      });
      return 'left';
    }
    const messages = await personalise(group);
    const outcome = await transport.send(messages, key, sentNow);
    const at = now();
    if (outcome.kind === 'retry' && outcome.cause === 'rate_limit') limiter.tooFast();
    else if (outcome.kind === 'sent') limiter.accepted();
    if (outcome.kind === 'sent') {
      await markSent(
        db,
        holder,
        group.map((m, i) => ({ id: m.id, providerId: outcome.providerIds[i] ?? null })),
        at.toISOString(),
      );
      stats.sent += group.length;
      count(group, 'sent');
      return 'sent';
    }
    stats.last_error = outcome.error;
    if (outcome.kind === 'permanent') {
      if (group.length > 1) {
        // One bad message fails a strict batch: retry each alone so only the bad one fails.
        await splitBatch(db, holder, ids, at.toISOString());
        logLine('warn', 'mail batch refused; retrying messages one by one', {
          error: outcome.error,
          count: group.length,
        });
        return 'split';
      }
      await giveUp(holder, group, outcome.error, true);
      return 'failed';
    }
    // The rate limit is the provider's state, not the message's: it does not count as an attempt.
    const countAttempt = outcome.cause !== 'rate_limit';
    const attempts = Math.max(...group.map((m) => m.attempts)) + (countAttempt ? 1 : 0);
    const pauseMs = outcome.cause === 'auth' ? options.authPauseMs : outcome.retryAfterMs;
    const delay = retryDelayMs(Math.max(0, attempts - 1), pauseMs, options.backoff);
    if (at.getTime() + delay > deadline) {
      const hours = Math.round((options.giveUpAfterMs / 3_600_000) * 100) / 100;
      await giveUp(holder, group, `gave up ${hours} h after it was queued: ${outcome.error}`, true);
      return 'failed';
    }
    if (pauseMs !== null) pausedUntil = Math.max(pausedUntil, at.getTime() + pauseMs);
    await markRetry(db, holder, ids, {
      nextAttemptAt: new Date(at.getTime() + delay).toISOString(),
      error: outcome.error,
      countAttempt,
    });
    stats.retried += group.length;
    if (outcome.cause === 'auth') {
      logLine('error', 'mail provider refused the API key or sender; sending paused', {
        error: outcome.error,
        paused_ms: pauseMs,
        count: ids.length,
      });
    } else {
      logLine('warn', 'mail will be retried', {
        count: ids.length,
        in_ms: delay,
        error: outcome.error,
      });
    }
    return 'retried';
  }

  /** One sender: claims and sends under its own name until nothing is due. */
  async function drainAs(holder: string): Promise<number> {
    let sent = 0;
    for (;;) {
      const at = now();
      // The provider said to wait (429 with Retry-After, a refused key): nothing goes out meanwhile.
      if (at.getTime() < pausedUntil) break;
      const claimed = await claimDue(
        db,
        holder,
        at.toISOString(),
        new Date(at.getTime() + options.leaseMs).toISOString(),
        transport.maxBatch,
      );
      if (claimed.length === 0) break;
      // Subscriber mail to someone who left or was suppressed since it was queued is not sent.
      const cancelled = await cancelUndeliverable(
        db,
        holder,
        claimed.filter((m) => m.batchKey === null && m.subscriberId !== null).map((m) => m.id),
      );
      stats.cancelled += cancelled.size;
      const fresh = claimed
        .filter((m) => m.batchKey === null && !cancelled.has(m.id))
        .map((m) => m.id);
      const batches: Array<{ ids: string[]; key: string }> = [];
      for (let i = 0; i < fresh.length; i += transport.maxBatch) {
        const ids = fresh.slice(i, i + transport.maxBatch);
        batches.push({ ids, key: batchKeyFor(ids) });
      }
      const held = await assignBatches(
        db,
        holder,
        claimed.filter((m) => !cancelled.has(m.id)).map((m) => m.id),
        batches,
      );
      // Grouped by the batch keys as stored (in a stable order, so a retry sends the same body).
      const groups = new Map<string, OutboxMessage[]>();
      for (const message of held) {
        const group = groups.get(message.batchKey!);
        if (group) group.push(message);
        else groups.set(message.batchKey!, [message]);
      }
      let progressed = false;
      for (const [key, group] of groups) {
        const delivery = await deliver(holder, group, key);
        if (delivery === 'sent') sent += group.length;
        progressed ||= delivery !== 'left';
      }
      // Everything claimed turned out to be held by others: leave it to them until the next run.
      if (!progressed && cancelled.size === 0) break;
    }
    return sent;
  }

  async function drain(): Promise<number> {
    const sent = await Promise.all(holders.map(drainAs));
    stats.last_run_at = now().toISOString();
    return sent.reduce((a, b) => a + b, 0);
  }

  const loop = createRunLoop({
    run: drain,
    onError: (error) => {
      stats.last_error = String(error);
      log({ level: 'error', msg: 'mail outbox drain failed', error: String(error) });
    },
    nextDelay: (kicked) => {
      const wait = Math.max(0, pausedUntil - now().getTime());
      return kicked ? wait : Math.max(wait, options.pollMs);
    },
  });

  return {
    name: 'mailer',
    transport,
    drain,
    countsByFamily: () => structuredClone(families),
    kick: loop.kick,
    async start() {
      log({
        time: now().toISOString(),
        level: 'info',
        msg: 'mail',
        transport: transport.name,
        detail: transport.describe(),
      });
      loop.start();
    },
    stop: loop.stop,
    health: () => ({ transport: transport.name, ...stats }),
    whyNotReady: () => (loop.stopped ? 'not running' : null),
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

/** An hour inside Resend's 24-hour idempotency window. */
export const GIVE_UP_AFTER_MS = 23 * 3_600_000;

/** The mailer `main.ts` runs, with timings derived from the scheduler period. */
export function mailerFromSettings(
  settings: Settings,
  db: Db,
  now: () => Date,
  log: Logger,
  personalise?: Personalise,
): Mailer {
  return createMailer({
    ...(personalise ? { personalise } : {}),
    db,
    transport: transportFor(settings, now),
    now,
    log,
    pollMs: Math.min(settings.tickMs, 2000),
    leaseMs: Math.min(Math.max(settings.tickMs * 4, 2000), 60_000),
    ratePerSecond: settings.emailRatePerSecond,
    // Requests are stamped as they leave, so 50 ms over the second covers loopback-to-provider
    // jitter and leaves 95 % of the allowed rate usable (subscriber fan-outs need most of it).
    rateWindowMs: 1050,
    // Enough requests in flight to use the allowed rate when the provider takes a while to answer.
    concurrency: Math.min(settings.emailRatePerSecond, 2),
    giveUpAfterMs: GIVE_UP_AFTER_MS,
    backoff: { baseMs: Math.min(settings.tickMs, 1000), maxMs: 5 * 60_000 },
    authPauseMs: 60_000,
  });
}
