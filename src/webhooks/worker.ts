import { randomBytes } from 'node:crypto';
import type { Content } from '../config/content.ts';
import { audienceOf } from '../domain/subscriptions/fanout.ts';
import type { IncidentRecord, Update } from '../domain/types.ts';
import { chatBody, type ChatSummary } from '../domain/webhooks/chat.ts';
import { nextAttemptAt, outcomeOf, shouldDisable } from '../domain/webhooks/retry.ts';
import { SIGNATURE_HEADER, signatureHeader } from '../domain/webhooks/signature.ts';
import { unsubscribeToken } from '../domain/webhooks/tokens.ts';
import { unsubscribeUrl } from '../domain/webhooks/actions.ts';
import type { Logger } from '../lib/log.ts';
import { createRunLoop, reportRunError } from '../lib/run-loop.ts';
import type { SiteSnapshot } from '../publish/snapshot.ts';
import type { Service } from '../service.ts';
import type { Db } from '../storage/db.ts';
import { componentStatuses, findIncident, listIncidents } from '../storage/incidents.ts';
import { randomId } from '../storage/keys.ts';
import { acquireLease, releaseLease } from '../storage/leases.ts';
import { enqueueEmail } from '../storage/outbox.ts';
import {
  claimDeliveries,
  confirmByChallenge,
  deliveryCounts,
  disableWebhook,
  expandHookChunk,
  insertHookEvent,
  markSourced,
  recordAttempt,
  releaseDeliveries,
  unexpandedHookEvents,
  unsourcedUpdates,
  type DueDelivery,
  type NewHookEvent,
} from '../storage/webhooks.ts';
import { hashToken } from '../storage/keys.ts';
import { componentEvent, incidentEvent, maintenanceEvent } from './payloads.ts';
import { maintenanceFacts } from '../publish/statuspage.ts';
import {
  findMaintenance,
  markMaintenanceHooked,
  owedMaintenanceHooks,
} from '../storage/maintenances.ts';
import type { PostRequest, PostResult } from './http-transport.ts';
import type { Target } from './resolve.ts';

export interface WebhookWorkerOptions {
  db: Db;
  content: Content;
  siteUrl: string;
  apiUrl: string;
  /** The server secret: unsubscribe tokens derive from it. */
  secret: Buffer;
  now: () => Date;
  log: Logger;
  /** Opens a sealed signing secret. */
  openSecret(webhookId: string, sealed: string): string;
  /** The address policy, resolving the name again for every delivery. */
  checkUrl(url: string): Promise<Target>;
  post(req: PostRequest): Promise<PostResult>;
  pollMs: number;
  /** Deliveries in flight at once (per process). */
  concurrency: number;
  /** Webhooks looked at per transaction while expanding an event. */
  chunkSize: number;
  leaseMs: number;
  /** Per attempt. */
  timeoutMs: number;
  /** First retry delay; doubles per attempt, at most an hour (unless `Retry-After` says otherwise). */
  backoffBaseMs: number;
  /** An owner email was queued (a disabled endpoint): the mailer should look. */
  onMailQueued(): void;
  random?: () => number;
  holder?: string;
}

export interface WebhookWorker extends Service {
  kick(): void;
  /** Makes due events, expands them, and sends every due delivery; resolves when nothing is due. */
  drain(): Promise<void>;
}

/** A snapshot with what an event's `page` and objects need: open public incidents and component statuses. */
async function eventSnapshot(
  db: Db,
  content: Content,
  siteUrl: string,
  now: Date,
): Promise<SiteSnapshot> {
  return {
    site: content.site,
    siteUrl,
    catalog: content.catalog,
    policy: content.policy,
    incidents: await listIncidents(db.query, { visibility: 'public', status: 'open' }),
    componentStatus: await componentStatuses(db.query),
    now,
  };
}

/** The events one update makes: the incident event, and a component event per status it changed. */
function eventsOf(
  snapshot: SiteSnapshot,
  content: Content,
  incident: IncidentRecord,
  update: Update,
  at: string,
): NewHookEvent[] {
  const rendered = incidentEvent(snapshot, randomId(16), incident, update);
  const events: NewHookEvent[] = [
    {
      id: rendered.body.meta.event_id as string,
      type: rendered.type,
      sourceKey: `update:${update.id}`,
      incidentId: incident.id,
      payload: rendered.body,
      chat: rendered.chat,
      keys: audienceOf(content.catalog, incident, [update], false).keys,
      target: null,
      at,
    },
  ];
  for (const change of update.components) {
    const old =
      change.old_status ?? content.catalog.byId.get(change.id)?.initialStatus ?? 'operational';
    if (old === change.new_status) continue;
    const event = componentEvent(snapshot, randomId(16), {
      updateId: update.id,
      componentId: change.id,
      oldStatus: old,
      newStatus: change.new_status,
      at: update.created_at,
    });
    if (!event) continue;
    const group = content.catalog.byId.get(change.id)?.groupId;
    events.push({
      id: event.body.meta.event_id as string,
      type: event.type,
      sourceKey: `component:${update.id}:${change.id}`,
      incidentId: incident.id,
      payload: event.body,
      chat: event.chat,
      keys: group ? [change.id, group] : [change.id],
      target: null,
      at,
    });
  }
  return events;
}

/**
 * Webhook and chat deliveries, the email fan-out's sibling. The update's transaction already
 * records that an update is owed (`fanouts`); this worker turns each owed update into events
 * (rendered once), expands each event into one delivery row per concerned endpoint (chunked,
 * resumable, unique per endpoint and event, strictly in event order under a lease), and sends the
 * deliveries: each the oldest owed to its endpoint, claimed with a lease, signed, retried with
 * back-off, every result written only while the claim holds.
 */
export function createWebhookWorker(options: WebhookWorkerOptions): WebhookWorker {
  const { db, content, now, log } = options;
  const holder = options.holder ?? `webhooks-${randomBytes(6).toString('hex')}`;
  const random = options.random ?? Math.random;
  /** Set by `stop`: an expansion or a sending round in progress ends early (it resumes later). */
  let halting = false;
  const inFlight = new Set<string>();
  /** Database-wide counts for `/healthz`, refreshed after every pass. */
  let counts: Record<string, number> = {};
  const stats = { sent: 0, failed: 0, retried: 0, disabled: 0, last_error: null as string | null };

  async function makeEvents(): Promise<void> {
    for (;;) {
      const owed = await unsourcedUpdates(db.query, 50);
      for (const { updateId, incidentId } of owed) {
        const at = now();
        const incident = await findIncident(db.query, incidentId);
        const update = incident?.updates.find((u) => u.id === updateId);
        const events =
          incident && update && incident.visibility === 'public'
            ? eventsOf(
                await eventSnapshot(db, content, options.siteUrl, at),
                content,
                incident,
                update,
                at.toISOString(),
              )
            : [];
        await db.write(async (tx) => {
          if (!(await markSourced(tx, updateId, at.toISOString()))) return;
          for (const event of events) await insertHookEvent(tx, event);
        });
      }
      if (owed.length < 50) break;
    }
    await makeMaintenanceEvents();
  }

  /**
   * The maintenance events owed (announced, rescheduled, updated, started, completed, cancelled):
   * one event each, for the webhooks following its components, made once (the event's source key
   * and the owed row's mark are written together).
   */
  async function makeMaintenanceEvents(): Promise<void> {
    for (;;) {
      const owed = await owedMaintenanceHooks(db.query, 50);
      for (const event of owed) {
        const at = now();
        const found = await findMaintenance(db.query, event.maintenance_id);
        // The maintenance as of the event: its timeline up to it, and the status it then had.
        const updates = found?.updates.filter((u) => u.created_at <= event.created_at) ?? [];
        const m = found && {
          ...found,
          updates,
          status: updates[0]?.status ?? found.status,
        };
        const rendered = m
          ? maintenanceEvent(
              {
                ...(await eventSnapshot(db, content, options.siteUrl, at)),
                maintenances: [m],
              },
              randomId(16),
              maintenanceFacts(m),
            )
          : null;
        await db.write(async (tx) => {
          if (!(await markMaintenanceHooked(tx, event.key, at.toISOString()))) return;
          if (!m || !rendered) return;
          await insertHookEvent(tx, {
            id: rendered.body.meta.event_id as string,
            type: rendered.type,
            sourceKey: `maintenance:${event.key}`,
            incidentId: null,
            payload: rendered.body,
            chat: rendered.chat,
            keys: audienceOf(
              content.catalog,
              { id: m.id, components: m.components.map((id) => ({ id })) },
              [],
              false,
            ).keys,
            target: null,
            at: at.toISOString(),
          });
        });
      }
      if (owed.length < 50) return;
    }
  }

  /** Expands events strictly in order, under one lease: a later event never overtakes an earlier one. */
  async function expandEvents(): Promise<void> {
    const lease = 'webhooks:expand';
    const until = () => new Date(now().getTime() + options.leaseMs).toISOString();
    if (!(await acquireLease(db, lease, holder, now().toISOString(), until()))) return;
    try {
      for (const seq of await unexpandedHookEvents(db.query)) {
        for (;;) {
          const chunk = await db.write((tx) =>
            expandHookChunk(tx, seq, options.chunkSize, now().toISOString()),
          );
          if (!chunk || chunk.done || halting) break;
          if (!(await acquireLease(db, lease, holder, now().toISOString(), until()))) return;
          await new Promise((resolve) => setImmediate(resolve));
        }
        if (halting) return;
      }
    } finally {
      await releaseLease(db, lease, holder);
    }
  }

  /** Bounded caches: an event's rendered JSON, an endpoint's unsubscribe link and opened secret. */
  const cached = <V>(map: Map<string, V>, key: string, make: () => V): V => {
    let value = map.get(key);
    if (value === undefined) {
      value = make();
      map.set(key, value);
      if (map.size > 10_000) map.delete(map.keys().next().value!);
    }
    return value;
  };
  const payloads = new Map<string, string>();
  const unsubscribeLinks = new Map<string, string>();
  const secrets = new Map<string, string>();
  /** How every rendered body begins (payloads.ts writes `meta` first, its links empty). */
  const META_PREFIX = '{"meta":{"unsubscribe":"","documentation":""';

  function bodyOf(d: DueDelivery): string {
    if (d.format !== 'statuspage') {
      return JSON.stringify(chatBody(d.format, JSON.parse(d.chat) as ChatSummary));
    }
    const payload = cached(payloads, d.eventId, () => JSON.stringify(JSON.parse(d.payload)));
    if (!payload.startsWith(META_PREFIX)) throw new Error(`event ${d.eventId} has no meta first`);
    const unsubscribe = cached(unsubscribeLinks, d.webhookId, () =>
      unsubscribeUrl(options.apiUrl, unsubscribeToken(options.secret, d.webhookId)),
    );
    return `{"meta":{"unsubscribe":${JSON.stringify(unsubscribe)},"documentation":${JSON.stringify(`${options.apiUrl}/docs`)}${payload.slice(META_PREFIX.length)}`;
  }

  async function attempt(d: DueDelivery): Promise<{ result: PostResult; durationMs: number }> {
    const started = performance.now();
    const target = await options.checkUrl(d.url);
    if (!target.ok)
      return { result: { error: `address refused: ${target.reason}` }, durationMs: 0 };
    const body = bodyOf(d);
    const secret = cached(secrets, `${d.webhookId}:${d.secretBox}`, () =>
      options.openSecret(d.webhookId, d.secretBox),
    );
    const result = await options.post({
      url: target.url,
      address: target.address,
      family: target.family,
      body,
      timeoutMs: options.timeoutMs,
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Herald-Webhooks/1.0',
        'herald-event-id': d.eventId,
        'herald-event-type': d.eventType,
        'herald-delivery-id': d.id,
        'herald-attempt': String(d.attempts + 1),
        [SIGNATURE_HEADER.toLowerCase()]: signatureHeader(
          secret,
          Math.floor(now().getTime() / 1000),
          body,
        ),
      },
    });
    return { result, durationMs: Math.round(performance.now() - started) };
  }

  /** The verification event was answered with its code: the endpoint echoed it and is confirmed. */
  function echoedCode(d: DueDelivery, answer: string | undefined): string | null {
    if (d.eventType !== 'verification' || !answer) return null;
    const code = (JSON.parse(d.payload) as { verification: { code: string } }).verification.code;
    try {
      const parsed = JSON.parse(answer) as { code?: unknown };
      if (parsed.code === code) return code;
    } catch {
      if (answer.trim() === code) return code;
    }
    return null;
  }

  async function deliver(d: DueDelivery): Promise<void> {
    let outcome: ReturnType<typeof outcomeOf>;
    let result: PostResult;
    let durationMs: number;
    try {
      ({ result, durationMs } = await attempt(d));
      outcome = outcomeOf(result);
    } catch (error) {
      result = { error: `could not send: ${(error as Error).message}` };
      durationMs = 0;
      outcome = 'permanent';
    }
    const at = now();
    const retryAt =
      outcome === 'retry'
        ? nextAttemptAt({
            attempts: d.attempts + 1,
            now: at,
            createdAt: d.createdAt,
            retryAfter: 'statusCode' in result ? result.retryAfter : null,
            baseMs: options.backoffBaseMs,
            jitter: random(),
          })
        : null;
    const state = outcome === 'delivered' ? 'delivered' : retryAt ? 'retry' : 'failed';
    const code = outcome === 'delivered' ? echoedCode(d, result.answer) : null;
    let mailed = false;
    const recorded = await db.write(async (tx) => {
      const ok = await recordAttempt(tx, {
        deliveryId: d.id,
        webhookId: d.webhookId,
        holder,
        at: at.toISOString(),
        statusCode: 'statusCode' in result ? result.statusCode : null,
        durationMs,
        error:
          'error' in result
            ? result.error
            : outcome === 'delivered'
              ? null
              : `HTTP ${result.statusCode}`,
        state,
        nextAttemptAt: retryAt,
      });
      if (!ok) return false;
      if (code) await confirmByChallenge(tx, hashToken(code), at.toISOString());
      const failingSince = outcome === 'delivered' ? null : (d.failingSince ?? at.toISOString());
      // Retried for the whole window without success also means failing for 24 h.
      const gaveUp = outcome === 'retry' && retryAt === null;
      if (d.webhookStatus === 'active' && (gaveUp || shouldDisable(failingSince, at))) {
        const reason = `failing since ${failingSince}: ${'error' in result ? result.error : `HTTP ${result.statusCode}`}`;
        if (await disableWebhook(tx, d.webhookId, at.toISOString(), reason)) {
          stats.disabled += 1;
          if (d.ownerEmail) {
            mailed = await enqueueEmail(
              tx,
              randomId(16),
              disabledEmail(content.site.name, d, reason, options.apiUrl, at.toISOString()),
              at.toISOString(),
            );
          }
          log({
            time: at.toISOString(),
            level: 'warn',
            msg: 'webhook disabled',
            webhook: d.webhookId,
            reason,
            owner_told: Boolean(d.ownerEmail),
          });
        }
      }
      return true;
    });
    if (!recorded) return;
    if (mailed) options.onMailQueued();
    if (state === 'delivered') stats.sent += 1;
    else if (state === 'failed') stats.failed += 1;
    else stats.retried += 1;
  }

  /** Sends every due delivery, keeping up to `concurrency` in flight; returns when none is due. */
  async function send(): Promise<void> {
    const pool = new Set<Promise<void>>();
    for (;;) {
      if (halting) break;
      const free = options.concurrency - pool.size;
      const claimed =
        free > 0
          ? await claimDeliveries(
              db,
              holder,
              now().toISOString(),
              new Date(now().getTime() + options.leaseMs).toISOString(),
              free,
            )
          : [];
      for (const d of claimed) {
        inFlight.add(d.id);
        const job: Promise<void> = deliver(d)
          .catch((error: unknown) => {
            stats.last_error = String(error);
            log({
              time: now().toISOString(),
              level: 'error',
              msg: 'webhook delivery failed to record',
              delivery: d.id,
              error: String(error),
            });
          })
          .finally(() => {
            inFlight.delete(d.id);
            pool.delete(job);
          });
        pool.add(job);
      }
      if (pool.size === 0) break;
      // Claim again once a quarter of the slots are free (or all, when few are busy): one claim
      // transaction per several deliveries rather than one each.
      const refill =
        claimed.length === 0 ? pool.size - 1 : Math.floor((options.concurrency * 3) / 4);
      while (pool.size > refill) await Promise.race(pool);
    }
    await Promise.all(pool);
  }

  async function runOnce(): Promise<void> {
    await makeEvents();
    await expandEvents();
    await send();
    counts = await deliveryCounts(db.query);
  }

  const loop = createRunLoop({
    run: runOnce,
    onError: reportRunError(stats, log, now, 'webhook worker failed; retrying'),
    nextDelay: (kicked) => (kicked ? 0 : options.pollMs),
  });

  return {
    name: 'webhooks',
    kick: loop.kick,
    async drain() {
      const wasHalting = halting;
      halting = false;
      try {
        await loop.settled();
        await runOnce();
      } finally {
        halting = wasHalting;
      }
    },
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
      await releaseDeliveries(db, holder, [...inFlight]);
    },
    health: () => ({
      ...counts,
      sent_by_this_process: stats.sent,
      failed_by_this_process: stats.failed,
      retried: stats.retried,
      disabled_by_this_process: stats.disabled,
      last_error: stats.last_error,
    }),
  };
}

/** The email an endpoint's owner gets when it is disabled. */
function disabledEmail(
  siteName: string,
  d: DueDelivery,
  reason: string,
  apiUrl: string,
  at: string,
) {
  const host = (() => {
    try {
      return new URL(d.url).host;
    } catch {
      return 'your endpoint';
    }
  })();
  const text = [
    `Herald stopped sending ${siteName} status updates to your webhook at ${host}.`,
    '',
    `It failed every delivery for 24 hours (${reason}).`,
    'Fix the endpoint, then ask the status page administrator to re-enable it, or subscribe again.',
    '',
    `Disabled at ${at}. Webhook id: ${d.webhookId}.`,
    `API: ${apiUrl}`,
  ].join('\n');
  const escape = (s: string) =>
    s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return {
    dedupeKey: `webhook-disabled/${d.webhookId}/${at}`,
    kind: 'webhook.disabled',
    to: d.ownerEmail!,
    subject: `Webhook disabled — ${siteName} status`,
    text,
    html: `<p>${text
      .split('\n\n')
      .map((p) => escape(p).replace(/\n/g, '<br>'))
      .join('</p><p>')}</p>`,
  };
}
