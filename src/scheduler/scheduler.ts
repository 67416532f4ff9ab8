import { randomBytes } from 'node:crypto';
import type { Content } from '../config/content.ts';
import type { IncidentChange } from '../domain/incidents/context.ts';
import { planNotices } from '../domain/notifications.ts';
import type { Logger } from '../lib/log.ts';
import type { MailTemplates } from '../mail/templates.ts';
import type { Service } from '../service.ts';
import type { Db } from '../storage/db.ts';
import { listIncidents } from '../storage/incidents.ts';
import { acquireLease, releaseLease } from '../storage/leases.ts';
import { noticesForIncidents, noticesForOpenIncidents } from '../storage/notices.ts';
import { planReviewNotices, REVIEW_NOTICE_HORIZON_MS } from '../domain/postmortems/review.ts';
import { reviewsPending } from '../storage/postmortems.ts';
import { severityHistories } from '../storage/severity-history.ts';
import { actOnIncident, type Acted } from './act.ts';
import { digestPass, type DigestDeps } from './digest.ts';
import { advanceMaintenances } from '../domain/maintenances/advance.ts';
import type { MaintenanceChange } from '../domain/maintenances/types.ts';

export interface SchedulerOptions {
  db: Db;
  content: Content;
  mail: MailTemplates;
  siteUrl: string;
  now: () => Date;
  log: Logger;
  tickMs: number;
  /** Called after a tick queued emails (the mailer's kick). */
  onQueued?: () => void;
  /** Names this process in the lease; random by default. */
  holder?: string;
  /**
   * Off (`HERALD_SCHEDULER_LEASE=off`), every process runs the periodic pass: tests use it to prove
   * the notices' unique keys alone keep them single; operators may use it when a lease holder
   * cannot be trusted to tick (the cost is one read pass per process and tick).
   */
  useLease?: boolean;
  /** Told about every maintenance the scheduler moved (publisher, workers). */
  onMaintenanceChange?: (change: MaintenanceChange) => void;
}

export interface Scheduler extends Service {
  /** One periodic pass over every open incident, under the lease. */
  tick(): Promise<{ ran: boolean; acted: Acted[] }>;
  /** Re-plans one incident now (after a change), without waiting for the lease. */
  actOn(incidentId: string): Promise<Acted[]>;
  /** Settles once work triggered by `onChange` has finished (for tests and shutdown). */
  idle(): Promise<void>;
}

const LEASE = 'scheduler';

/**
 * Whether a change can make a notice due at once (see `onChange`): a declaration; an edit of what
 * decides the rules or the recipients (severity, visibility, roles) or of `started_at` (the
 * executive notice counts from it); an update that reopens a resolved incident.
 */
export function needsImmediatePlan(change: IncidentChange): boolean {
  if (change.kind === 'declared') return true;
  const before = change.previous;
  if (before === null) return true;
  if (change.kind === 'updated') {
    return before.status === 'resolved' && change.incident.status !== 'resolved';
  }
  return (
    before.severity !== change.incident.severity ||
    before.visibility !== change.incident.visibility ||
    before.started_at !== change.incident.started_at ||
    JSON.stringify(before.roles) !== JSON.stringify(change.incident.roles)
  );
}

/**
 * Ticks every `tickMs`. All state lives in the database: the lease that lets one process run the
 * periodic pass, and the notices table whose unique key makes every notice once-only even when
 * the lease is lost mid-tick or two processes act on the same change.
 */
export function createScheduler(options: SchedulerOptions): Scheduler {
  const { db, content, now, log } = options;
  const holder = options.holder ?? `scheduler-${randomBytes(6).toString('hex')}`;
  const leaseMs = Math.max(options.tickMs * 2, 1000);
  const deps: DigestDeps = { db, content, mail: options.mail, siteUrl: options.siteUrl };
  const query = db.query;
  let timer: NodeJS.Timeout | null = null;
  let stopped = true;
  let closed = false;
  let ticking: Promise<unknown> | null = null;
  let changes: Promise<unknown> = Promise.resolve();
  const pending = new Set<string>();
  const stats = {
    last_tick_at: null as string | null,
    leader: false,
    notices_sent: 0,
    notices_skipped_no_recipients: 0,
    digests_sent: 0,
    maintenance_steps: 0,
    last_error: null as string | null,
  };
  /** When the next maintenance step is due: the loop wakes for it rather than a tick later. */
  let maintenanceDueAt: number | null = null;

  function report(incidentId: string, acted: Acted[], trigger: string): void {
    if (acted.length === 0) return;
    let queued = false;
    for (const { notice, recipients, outcome } of acted) {
      const skipped = outcome === 'skipped_no_recipients';
      if (skipped) stats.notices_skipped_no_recipients += 1;
      else stats.notices_sent += 1;
      queued ||= !skipped;
      log({
        time: now().toISOString(),
        level: skipped ? 'error' : 'info',
        msg: skipped
          ? 'cadence notice has no recipient: recorded as skipped_no_recipients, nobody was told'
          : 'cadence notice queued',
        incident: incidentId,
        kind: notice.kind,
        window: notice.window_key,
        recipients: recipients.length,
        trigger,
      });
    }
    if (queued) options.onQueued?.();
  }

  function fail(msg: string, error: unknown, incidentId?: string): void {
    stats.last_error = String(error);
    log({
      time: now().toISOString(),
      level: 'error',
      msg,
      incident: incidentId,
      error: String(error),
    });
  }

  async function actOn(incidentId: string): Promise<Acted[]> {
    const acted = await actOnIncident(deps, incidentId, now());
    report(incidentId, acted, 'change');
    return acted;
  }

  async function tick(): Promise<{ ran: boolean; acted: Acted[] }> {
    const at = now();
    if (options.useLease !== false) {
      stats.leader = await acquireLease(
        db,
        LEASE,
        holder,
        at.toISOString(),
        new Date(at.getTime() + leaseMs).toISOString(),
      );
      if (!stats.leader) return { ran: false, acted: [] };
    }
    const open = await listIncidents(query, { status: 'open' });
    const sent = await noticesForOpenIncidents(query);
    const acted: Acted[] = [];
    for (const incident of open) {
      // Cheap check outside the write lock; the transaction re-plans from fresh data. One
      // incident that fails (a template that cannot render its data, say) is logged and the
      // others still get their notices.
      try {
        if (planNotices(content.policy, incident, sent.get(incident.id) ?? [], at).length === 0)
          continue;
        const done = await actOnIncident(deps, incident.id, now());
        report(incident.id, done, 'tick');
        acted.push(...done);
      } catch (error) {
        fail('scheduler failed to act on an incident', error, incident.id);
      }
    }
    acted.push(...(await reviewPass(at)));
    await maintenancePass();
    try {
      for (const digest of await digestPass(deps, now())) {
        stats.digests_sent += 1;
        log({
          time: now().toISOString(),
          level: digest.outcome === 'queued' ? 'info' : 'error',
          msg:
            digest.outcome === 'queued'
              ? 'executive digest queued'
              : 'executive digest has no recipient: policy.yaml lists no executives',
          slot: digest.slot_key,
          slot_at: digest.slot_at,
          recipients: digest.recipients.length,
        });
        if (digest.outcome === 'queued') options.onQueued?.();
      }
    } catch (error) {
      fail('scheduler failed to send the executive digest', error);
    }
    stats.last_tick_at = at.toISOString();
    return { ran: true, acted };
  }

  /**
   * Scheduled maintenance: reminders, automatic starts and completions. Each step is decided again
   * inside its own transaction, so a second process (or this one after a restart) repeats nothing.
   */
  async function maintenancePass(): Promise<void> {
    try {
      const { done, nextDueAt } = await advanceMaintenances({
        db,
        content,
        now,
        onChange: (change) => options.onMaintenanceChange?.(change),
      });
      maintenanceDueAt = nextDueAt;
      for (const step of done) {
        stats.maintenance_steps += 1;
        log({
          time: now().toISOString(),
          level: 'info',
          msg: `maintenance ${step.action === 'remind' ? 'reminder queued' : step.action === 'start' ? 'started' : 'completed'}`,
          maintenance: step.id,
          at: step.at,
        });
      }
      if (done.some((d) => d.action === 'remind')) options.onQueued?.();
    } catch (error) {
      fail('scheduler failed to advance scheduled maintenance', error);
    }
  }

  /** The post-incident reviews of recently resolved incidents: reminders and overdue notices. */
  async function reviewPass(at: Date): Promise<Acted[]> {
    const longest = Math.max(
      ...Object.values(content.policy.severities).map((s) => s.reviewWithinSeconds),
    );
    const since = new Date(at.getTime() - longest * 1000 - REVIEW_NOTICE_HORIZON_MS);
    const pending = await reviewsPending(query, since.toISOString());
    if (pending.length === 0) return [];
    const ids = pending.map((p) => p.id);
    const sent = await noticesForIncidents(query, ids);
    const history = await severityHistories(query, ids);
    const acted: Acted[] = [];
    for (const incident of pending) {
      try {
        const review = { ...incident, severity_history: history.get(incident.id) };
        const plan = planReviewNotices(
          content.policy,
          review,
          null,
          sent.get(incident.id) ?? [],
          at,
        );
        if (plan.length === 0) continue;
        const done = await actOnIncident(deps, incident.id, now());
        report(incident.id, done, 'tick');
        acted.push(...done);
      } catch (error) {
        fail('scheduler failed to act on a review', error, incident.id);
      }
    }
    return acted;
  }

  function loop(): void {
    timer = null;
    ticking = tick()
      .catch((error: unknown) => fail('scheduler tick failed', error))
      .finally(() => {
        ticking = null;
        // A maintenance step due before the next tick wakes the loop for it.
        const untilStep =
          maintenanceDueAt === null ? Infinity : Math.max(0, maintenanceDueAt - now().getTime());
        if (!stopped) timer = setTimeout(loop, Math.min(options.tickMs, untilStep + 5));
      });
  }

  return {
    name: 'scheduler',
    tick,
    actOn,
    idle: async () => {
      await changes;
    },
    async start() {
      stopped = false;
      timer = setTimeout(loop, 0);
    },
    async stop() {
      stopped = true;
      closed = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await ticking;
      await changes;
      if (options.useLease !== false) await releaseLease(db, LEASE, holder).catch(() => undefined);
    },
    onChange(change: IncidentChange) {
      // A declaration, an edit (a severity raised to SEV1, a private incident made public) or a
      // reopening can make a notice due now, not at the next tick. Any other posted update only
      // opens a new window, in which nothing is due yet, so it waits for the tick: at a thousand
      // updates a second, a transaction per update here would cost more than the update itself.
      // Changes are handled one after another, each incident once however many changes queued up
      // for it; the periodic tick remains the safety net if this fails.
      if (!needsImmediatePlan(change)) return;
      const id = change.incident.id;
      if (pending.has(id)) return;
      pending.add(id);
      changes = changes
        .then(() => {
          pending.delete(id);
          return closed ? [] : actOn(id);
        })
        .catch((error: unknown) => fail('scheduler failed to act on a change', error, id));
    },
    health: () => ({ ...stats }),
    whyNotReady: () => (stopped ? (closed ? 'stopped' : 'not started') : null),
  };
}
