import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Content } from '../config/content.ts';
import { audienceOf, notificationDueAt } from '../domain/subscriptions/fanout.ts';
import type { Logger } from '../lib/log.ts';
import { createRunLoop, reportRunError } from '../lib/run-loop.ts';
import type { MailTemplates } from '../mail/templates.ts';
import type { Service } from '../service.ts';
import type { Db } from '../storage/db.ts';
import {
  dropFanouts,
  expandChunk,
  fanoutBacklog,
  insertMailBody,
  insertNotification,
  insertStandaloneNotification,
  lastNotifiedAt,
  owedSummaries,
  StaleFanout,
  unassignedFanoutsOf,
  unexpandedNotifications,
} from '../storage/fanout.ts';
import { findIncident } from '../storage/incidents.ts';
import { randomId } from '../storage/keys.ts';
import { acquireLease, releaseLease } from '../storage/leases.ts';
import {
  findMaintenance,
  markMaintenanceMailed,
  owedMaintenanceEmails,
} from '../storage/maintenances.ts';
import type { MaintenanceEvent } from '../domain/maintenances/types.ts';
import { MAINTENANCE_TEMPLATE, maintenanceVariables } from './maintenance-messages.ts';
import {
  listHeaders,
  newMarker,
  renderBody,
  UPDATE_TEMPLATE,
  updateVariables,
} from './messages.ts';

export interface FanoutOptions {
  db: Db;
  content: Content;
  mail: MailTemplates;
  siteUrl: string;
  now: () => Date;
  log: Logger;
  /** How often owed updates are looked at when nobody kicks the worker. */
  pollMs: number;
  /** Updates to one incident closer together than this go out as one email. */
  minIntervalMs: number;
  /** Subscribers looked at per transaction while expanding. */
  chunkSize: number;
  /** How long one process keeps others off a notification it is expanding. */
  leaseMs: number;
  /** Deliveries were queued: the mailer should look at the outbox. */
  onQueued: () => void;
  /** Subscriber mail this process sent and gave up on (the mailer's counts), for `/healthz`. */
  mailCounts?: () => { sent: number; failed: number };
  holder?: string;
}

export interface FanoutWorker extends Service {
  kick(): void;
  /** Makes every notification that is due and expands every one not yet expanded. */
  runOnce(): Promise<void>;
}

/**
 * Turns owed updates into emails. An update's transaction records one `fanouts` row; this worker
 * groups an incident's owed updates into a notification when it is due (coalescing), renders its
 * body once, and expands it into one outbox row per concerned subscriber, chunk by chunk, each
 * chunk in its own transaction with the cursor, so a crash resumes where it stopped and posting
 * updates never waits for a long expansion. Several processes may run it: a lease per
 * notification keeps them from expanding the same one at once, and the outbox's unique key per
 * (subscriber, notification) would make a repeat add nothing anyway.
 */
/** Runs asked for while one is going on are folded into one, this much later. */
const KICK_SPACING_MS = 25;
/** The rest between two chunks of an expansion, per millisecond the chunk took, and at most. */
const REST_PER_BUSY = 4;
const MAX_REST_MS = 50;

export function createFanoutWorker(options: FanoutOptions): FanoutWorker {
  const { db, content, mail, now, log } = options;
  const holder = options.holder ?? `fanout-${randomBytes(6).toString('hex')}`;
  /** Set by `stop`: an expansion in progress ends after its current chunk (it resumes later). */
  let halting = false;
  let nextWake: number | null = null;
  const stats = {
    queue_depth: 0,
    owed: 0,
    expanding: 0,
    suppressed: 0,
    notifications: 0,
    deliveries_queued: 0,
    last_error: null as string | null,
    last_run_at: null as string | null,
  };

  /** Makes the notification for one incident's owed updates, if it is due. */
  async function makeNotification(incidentId: string): Promise<void> {
    const at = now();
    try {
      await db.write(async (tx) => {
        const owed = await unassignedFanoutsOf(tx.execute, incidentId);
        if (owed.length === 0) return;
        const last = await lastNotifiedAt(tx.execute, incidentId);
        if (notificationDueAt(owed, last, options.minIntervalMs) > at.toISOString()) return;
        const incident = await findIncident(tx.execute, incidentId);
        const ids = new Set(owed.map((o) => o.updateId));
        const updates = incident?.updates.filter((u) => ids.has(u.id)) ?? [];
        if (!incident || incident.visibility !== 'public' || updates.length === 0) {
          // Made private since: nobody is told.
          await dropFanouts(tx, [...ids]);
          return;
        }
        const marker = newMarker();
        const body = renderBody(
          mail,
          UPDATE_TEMPLATE,
          updateVariables(content, options.siteUrl, incident, updates, marker),
          randomId(16),
          marker,
          listHeaders(content, marker),
        );
        await insertMailBody(tx, body, at.toISOString());
        await insertNotification(
          tx,
          {
            id: randomId(16),
            incident_id: incidentId,
            lead_update_id: owed[0]!.updateId,
            body_id: body.id,
            audience: audienceOf(
              content.catalog,
              incident,
              updates,
              owed.some((o) => o.followers),
            ),
            created_at: at.toISOString(),
          },
          [...ids],
        );
        stats.notifications += 1;
      });
    } catch (error) {
      if (!(error instanceof StaleFanout)) throw error;
    }
  }

  /**
   * Makes the email a maintenance event owes: rendered once, recorded as a notification for the
   * subscribers of its components (and their groups) in the same transaction that marks the event
   * mailed, so two processes make it once. Maintenance emails are never coalesced: each is its own
   * moment (announced, starting soon, started, completed).
   */
  async function makeMaintenanceNotification(event: MaintenanceEvent): Promise<void> {
    const at = now().toISOString();
    try {
      await db.write(async (tx) => {
        const m = await findMaintenance(tx.execute, event.maintenance_id);
        if (!m) {
          await markMaintenanceMailed(tx, event.key, 'dropped');
          return;
        }
        const marker = newMarker();
        const body = renderBody(
          mail,
          MAINTENANCE_TEMPLATE,
          maintenanceVariables(content, options.siteUrl, m, event.kind, event.created_at, marker),
          randomId(16),
          marker,
          listHeaders(content, marker),
        );
        const id = randomId(16);
        if (!(await markMaintenanceMailed(tx, event.key, id))) throw new StaleFanout();
        await insertMailBody(tx, body, at);
        await insertStandaloneNotification(tx, {
          id,
          incident_id: m.id,
          lead_update_id: `maintenance/${event.key}`,
          body_id: body.id,
          audience: audienceOf(
            content.catalog,
            { id: m.id, components: m.components.map((c) => ({ id: c })) },
            [],
            false,
          ),
          created_at: at,
        });
        stats.notifications += 1;
      });
    } catch (error) {
      if (!(error instanceof StaleFanout)) throw error;
    }
  }

  /** Expands one notification to the end, unless another process holds it. */
  async function expand(id: string): Promise<void> {
    const lease = `fanout:${id}`;
    const leaseUntil = () => new Date(now().getTime() + options.leaseMs).toISOString();
    if (!(await acquireLease(db, lease, holder, now().toISOString(), leaseUntil()))) return;
    let leasedAt = now().getTime();
    try {
      for (;;) {
        const started = performance.now();
        const chunk = await db.write((tx) =>
          expandChunk(tx, id, options.chunkSize, now().toISOString()),
        );
        if (!chunk) return;
        stats.deliveries_queued += chunk.added;
        if (chunk.added > 0) options.onQueued();
        if (chunk.done || halting) return;
        // Renewed once a third of it has passed: a write of its own per chunk would cost as much
        // as a small chunk.
        if (now().getTime() - leasedAt >= options.leaseMs / 3) {
          if (!(await acquireLease(db, lease, holder, now().toISOString(), leaseUntil()))) return;
          leasedAt = now().getTime();
        }
        // The embedded driver runs a chunk on the event loop. Resting four times as long as the
        // chunk took leaves requests (and the mailer, and the publisher) most of the loop: posting
        // an update stays fast while a large fan-out expands. Expansion still runs far ahead of
        // sending (about 5,000 rows/s here, against 500/s at 5 requests/s of 100).
        await sleep(Math.min(MAX_REST_MS, REST_PER_BUSY * (performance.now() - started)));
      }
    } finally {
      await releaseLease(db, lease, holder);
    }
  }

  let backlogAt = 0;
  async function runOnce(): Promise<void> {
    nextWake = null;
    for (const owed of await owedSummaries(db.query)) {
      const entries = [{ createdAt: owed.first, resolves: false }];
      if (owed.firstResolving) entries.push({ createdAt: owed.firstResolving, resolves: true });
      const due = Date.parse(
        notificationDueAt(entries, owed.lastNotifiedAt, options.minIntervalMs),
      );
      if (due <= now().getTime()) await makeNotification(owed.incidentId);
      else nextWake = Math.min(nextWake ?? due, due);
    }
    for (const event of await owedMaintenanceEmails(db.query, 100)) {
      if (halting) break;
      await makeMaintenanceNotification(event);
    }
    for (const notification of await unexpandedNotifications(db.query)) {
      if (halting) break;
      await expand(notification.id);
    }
    // The health figures count rows: at most once a second, however often updates kick the worker.
    if (Date.now() - backlogAt >= 1000) {
      backlogAt = Date.now();
      const backlog = await fanoutBacklog(db.query);
      stats.owed = backlog.owed;
      stats.expanding = backlog.expanding;
      stats.queue_depth = backlog.queueDepth;
      stats.suppressed = backlog.suppressed;
    }
    stats.last_run_at = now().toISOString();
  }

  const loop = createRunLoop({
    run: runOnce,
    onError: reportRunError(stats, log, now, 'subscriber fan-out failed; retrying'),
    nextDelay: (kicked) => {
      // A burst of updates becomes one more run shortly, not one run per update.
      if (kicked) return KICK_SPACING_MS;
      const untilDue = nextWake === null ? options.pollMs : nextWake - now().getTime();
      return Math.max(0, Math.min(options.pollMs, untilDue));
    },
  });

  return {
    name: 'subscriptions',
    runOnce,
    kick: loop.kick,
    onChange(change) {
      if (change.update?.notify && change.incident.visibility === 'public') loop.kick();
    },
    onMaintenanceChange(change) {
      if (change.owed) loop.kick();
    },
    async start() {
      halting = false;
      loop.start();
    },
    async stop() {
      halting = true;
      await loop.stop();
    },
    health: () => ({
      ...stats,
      ...(options.mailCounts?.() ?? { sent: 0, failed: 0 }),
    }),
  };
}
