import type { Row } from '@libsql/client';
import type { WebhookFormat } from '../domain/webhooks/chat.ts';
import { num, str, strOrNull, type Db, type Tx } from './db.ts';
import type { Reader } from './incidents.ts';

export type WebhookStatus = 'pending' | 'active' | 'disabled';

export interface Webhook {
  id: string;
  url: string;
  format: WebhookFormat;
  status: WebhookStatus;
  follows: 'all' | 'components';
  components: string[];
  secret_box: string;
  owner_email: string | null;
  source: 'public' | 'admin';
  created_at: string;
  confirmed_at: string | null;
  disabled_at: string | null;
  disabled_reason: string | null;
  failing_since: string | null;
  failure_count: number;
  last_attempt_at: string | null;
  last_result: string | null;
}

function toWebhook(row: Row): Webhook {
  return {
    id: str(row, 'id'),
    url: str(row, 'url'),
    format: str(row, 'format') as WebhookFormat,
    status: str(row, 'status') as WebhookStatus,
    follows: str(row, 'follows') as Webhook['follows'],
    components: JSON.parse(strOrNull(row, 'components') ?? '[]') as string[],
    secret_box: str(row, 'secret_box'),
    owner_email: strOrNull(row, 'owner_email'),
    source: str(row, 'source') as Webhook['source'],
    created_at: str(row, 'created_at'),
    confirmed_at: strOrNull(row, 'confirmed_at'),
    disabled_at: strOrNull(row, 'disabled_at'),
    disabled_reason: strOrNull(row, 'disabled_reason'),
    failing_since: strOrNull(row, 'failing_since'),
    failure_count: num(row, 'failure_count'),
    last_attempt_at: strOrNull(row, 'last_attempt_at'),
    last_result: strOrNull(row, 'last_result'),
  };
}

const WEBHOOK_SELECT = `SELECT w.*, (SELECT json_group_array(component_id) FROM webhook_components c
  WHERE c.webhook_id = w.id) AS components FROM webhooks w`;

export interface NewWebhook {
  id: string;
  url: string;
  format: WebhookFormat;
  status: WebhookStatus;
  components: string[] | null;
  secretBox: string;
  ownerEmail: string | null;
  source: 'public' | 'admin';
  challengeHash: string | null;
  challengeExpiresAt: string | null;
  unsubscribeHash: string;
  at: string;
}

export async function insertWebhook(tx: Tx, w: NewWebhook): Promise<void> {
  await tx.run(
    `INSERT INTO webhooks (id, url, format, status, follows, secret_box, owner_email, source,
       challenge_hash, challenge_expires_at, unsubscribe_hash, created_at, confirmed_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      w.id,
      w.url,
      w.format,
      w.status,
      w.components ? 'components' : 'all',
      w.secretBox,
      w.ownerEmail,
      w.source,
      w.challengeHash,
      w.challengeExpiresAt,
      w.unsubscribeHash,
      w.at,
      w.status === 'active' ? w.at : null,
      w.at,
    ],
  );
  for (const component of w.components ?? []) {
    await tx.run(
      'INSERT INTO webhook_components (webhook_id, component_id) VALUES (?, ?) ON CONFLICT DO NOTHING',
      [w.id, component],
    );
  }
}

export async function findWebhook(read: Reader, id: string): Promise<Webhook | null> {
  const rows = await read(`${WEBHOOK_SELECT} WHERE w.id = ?`, [id]);
  return rows[0] ? toWebhook(rows[0]) : null;
}

export async function listWebhooks(
  read: Reader,
  options: { limit: number; after?: string | undefined; status?: WebhookStatus | undefined },
): Promise<Webhook[]> {
  const rows = await read(
    `${WEBHOOK_SELECT} WHERE w.id > ? AND (?2 IS NULL OR w.status = ?2) ORDER BY w.id LIMIT ?3`,
    [options.after ?? '', options.status ?? null, options.limit],
  );
  return rows.map(toWebhook);
}

/** Confirms the pending webhook whose live challenge has this digest; its id, or null. */
export async function confirmByChallenge(tx: Tx, hash: string, at: string): Promise<string | null> {
  const rows = await tx.execute(
    `UPDATE webhooks SET status = 'active', confirmed_at = ?1, challenge_hash = NULL, updated_at = ?1
     WHERE challenge_hash = ?2 AND status = 'pending' AND challenge_expires_at > ?1 RETURNING id`,
    [at, hash],
  );
  return rows[0] ? str(rows[0], 'id') : null;
}

/** Back to active with a clean failure record (after the owner fixed the endpoint). */
export async function reenableWebhook(tx: Tx, id: string, at: string): Promise<boolean> {
  const changed = await tx.run(
    `UPDATE webhooks SET status = 'active', confirmed_at = coalesce(confirmed_at, ?1),
       challenge_hash = NULL, disabled_at = NULL, disabled_reason = NULL, failing_since = NULL,
       failure_count = 0, updated_at = ?1
     WHERE id = ?2`,
    [at, id],
  );
  return changed === 1;
}

export async function replaceSecret(tx: Tx, id: string, box: string, at: string): Promise<boolean> {
  return (
    (await tx.run('UPDATE webhooks SET secret_box = ?, updated_at = ? WHERE id = ?', [
      box,
      at,
      id,
    ])) === 1
  );
}

/** Removes the webhook; deliveries still owed to it are skipped, its history kept. */
export async function deleteWebhook(tx: Tx, id: string, at: string): Promise<boolean> {
  await skipPending(tx, id, at, 'endpoint removed');
  return (await tx.run('DELETE FROM webhooks WHERE id = ?', [id])) === 1;
}

export async function deleteWebhookByUnsubscribe(
  tx: Tx,
  hash: string,
  at: string,
): Promise<boolean> {
  const rows = await tx.execute('SELECT id FROM webhooks WHERE unsubscribe_hash = ?', [hash]);
  if (!rows[0]) return false;
  return deleteWebhook(tx, str(rows[0], 'id'), at);
}

async function skipPending(tx: Tx, webhookId: string, at: string, why: string): Promise<void> {
  await tx.run(
    `UPDATE hook_deliveries SET state = 'skipped', finished_at = ?, error = ?, holder = NULL,
       lease_until = NULL
     WHERE webhook_id = ? AND state = 'pending'`,
    [at, why, webhookId],
  );
}

// ---- Events -------------------------------------------------------------------------------

/**
 * Owed updates (the email fan-out's `fanouts` rows) not yet turned into webhook events, in the
 * order they were committed (rowid): events, and so deliveries, keep the order of the updates.
 */
export async function unsourcedUpdates(
  read: Reader,
  limit: number,
): Promise<Array<{ updateId: string; incidentId: string }>> {
  const rows = await read(
    `SELECT f.update_id, f.incident_id FROM fanouts f
     WHERE NOT EXISTS (SELECT 1 FROM hook_sources h WHERE h.update_id = f.update_id)
     ORDER BY f.rowid LIMIT ?`,
    [limit],
  );
  return rows.map((r) => ({ updateId: str(r, 'update_id'), incidentId: str(r, 'incident_id') }));
}

/** Marks the update's events as made; false if another process made them first. */
export async function markSourced(tx: Tx, updateId: string, at: string): Promise<boolean> {
  return (
    (await tx.run('INSERT INTO hook_sources (update_id, at) VALUES (?, ?) ON CONFLICT DO NOTHING', [
      updateId,
      at,
    ])) === 1
  );
}

export interface NewHookEvent {
  id: string;
  type: string;
  sourceKey: string;
  incidentId: string | null;
  payload: unknown;
  chat: unknown;
  /** Component and group ids; null: every webhook. */
  keys: string[] | null;
  /** Only this webhook (the verification event), expanded at once. */
  target: string | null;
  at: string;
}

/** Records an event, once per source key; its sequence number, or null when it existed. */
export async function insertHookEvent(tx: Tx, e: NewHookEvent): Promise<number | null> {
  const rows = await tx.execute(
    `INSERT INTO hook_events (id, type, source_key, incident_id, payload, chat, audience,
       target_webhook_id, created_at, expanded_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, CASE WHEN ?8 IS NULL THEN NULL ELSE ?9 END)
     ON CONFLICT (source_key) DO NOTHING RETURNING seq`,
    [
      e.id,
      e.type,
      e.sourceKey,
      e.incidentId,
      JSON.stringify(e.payload),
      JSON.stringify(e.chat),
      e.keys ? JSON.stringify({ keys: e.keys }) : null,
      e.target,
      e.at,
    ],
  );
  const seq = rows[0] ? num(rows[0], 'seq') : null;
  if (seq !== null && e.target !== null) {
    await tx.run(
      `INSERT INTO hook_deliveries (id, webhook_id, event_seq, state, next_attempt_at, created_at)
       VALUES (?, ?, ?, 'pending', ?, ?)`,
      [`${e.id}-${e.target}`, e.target, seq, e.at, e.at],
    );
  }
  return seq;
}

/** Events still being expanded, oldest first: they are expanded strictly in this order. */
export async function unexpandedHookEvents(read: Reader): Promise<number[]> {
  const rows = await read('SELECT seq FROM hook_events WHERE expanded_at IS NULL ORDER BY seq');
  return rows.map((r) => num(r, 'seq'));
}

/**
 * Expands the next chunk of an event into deliveries: active webhooks after the cursor that the
 * event concerns, one row each, unique per (webhook, event); the cursor moves in the same
 * transaction. A crash loses at most this uncommitted chunk; a chunk done twice adds nothing.
 */
export async function expandHookChunk(
  tx: Tx,
  seq: number,
  chunk: number,
  at: string,
): Promise<{ added: number; done: boolean } | null> {
  const rows = await tx.execute('SELECT * FROM hook_events WHERE seq = ?', [seq]);
  const event = rows[0];
  if (!event) return null;
  if (strOrNull(event, 'expanded_at') !== null) return { added: 0, done: true };
  const cursor = str(event, 'cursor');
  const audience = strOrNull(event, 'audience');
  const keys = audience ? JSON.stringify((JSON.parse(audience) as { keys: string[] }).keys) : null;
  const ends = await tx.execute(
    'SELECT id FROM webhooks WHERE id > ? ORDER BY id LIMIT 1 OFFSET ?',
    [cursor, chunk - 1],
  );
  const end = ends[0] ? str(ends[0], 'id') : null;
  const added = await tx.run(
    `INSERT INTO hook_deliveries (id, webhook_id, event_seq, state, next_attempt_at, created_at)
     SELECT ?1 || '-' || w.id, w.id, ?2, 'pending', ?3, ?3 FROM webhooks w
     WHERE w.id > ?4 AND (?5 IS NULL OR w.id <= ?5) AND w.status = 'active'
       AND (?6 IS NULL OR w.follows = 'all' OR EXISTS (SELECT 1 FROM webhook_components c
         WHERE c.webhook_id = w.id AND c.component_id IN (SELECT value FROM json_each(?6))))
     ORDER BY w.id
     ON CONFLICT (webhook_id, event_seq) DO NOTHING`,
    [str(event, 'id'), seq, at, cursor, end, keys],
  );
  await tx.run(
    `UPDATE hook_events SET cursor = coalesce(?1, cursor),
       expanded_at = CASE WHEN ?1 IS NULL THEN ?2 END WHERE seq = ?3`,
    [end, at, seq],
  );
  return { added, done: end === null };
}

// ---- Deliveries ---------------------------------------------------------------------------

/** A claimed delivery with what sending it needs. */
export interface DueDelivery {
  id: string;
  webhookId: string;
  attempts: number;
  createdAt: string;
  eventId: string;
  eventType: string;
  payload: string;
  chat: string;
  url: string;
  format: WebhookFormat;
  secretBox: string;
  webhookStatus: WebhookStatus;
  failingSince: string | null;
  ownerEmail: string | null;
}

/**
 * Claims up to `limit` deliveries for `holder` until `until`: due, not under a live claim, to an
 * active endpoint (or the verification event of a pending one), and each the oldest still owed
 * to its endpoint, so one endpoint's deliveries go out in event order, one at a time. Nothing
 * is sent for an event before every earlier event is fully expanded.
 */
export async function claimDeliveries(
  db: Db,
  holder: string,
  now: string,
  until: string,
  limit: number,
): Promise<DueDelivery[]> {
  return db.write(async (tx) => {
    const rows = await tx.execute(
      `SELECT d.id FROM hook_deliveries d
       JOIN webhooks w ON w.id = d.webhook_id
       JOIN hook_events e ON e.seq = d.event_seq
       WHERE d.state = 'pending' AND d.next_attempt_at <= ?1
         AND (d.lease_until IS NULL OR d.lease_until <= ?1)
         AND (w.status = 'active' OR (w.status = 'pending' AND e.target_webhook_id = w.id))
         AND d.event_seq <= coalesce((SELECT min(seq) FROM hook_events WHERE expanded_at IS NULL), d.event_seq)
         AND NOT EXISTS (SELECT 1 FROM hook_deliveries p WHERE p.webhook_id = d.webhook_id
           AND p.state = 'pending' AND p.event_seq < d.event_seq)
       ORDER BY d.next_attempt_at LIMIT ?2`,
      [now, limit],
    );
    if (rows.length === 0) return [];
    const ids = JSON.stringify(rows.map((r) => str(r, 'id')));
    await tx.run(
      `UPDATE hook_deliveries SET holder = ?, lease_until = ?
       WHERE id IN (SELECT value FROM json_each(?))`,
      [holder, until, ids],
    );
    const claimed = await tx.execute(
      `SELECT d.id, d.webhook_id, d.attempts, d.created_at, e.id AS event_id, e.type, e.payload,
         e.chat, w.url, w.format, w.secret_box, w.status, w.failing_since, w.owner_email
       FROM hook_deliveries d JOIN hook_events e ON e.seq = d.event_seq
       JOIN webhooks w ON w.id = d.webhook_id
       WHERE d.id IN (SELECT value FROM json_each(?))`,
      [ids],
    );
    return claimed.map((r) => ({
      id: str(r, 'id'),
      webhookId: str(r, 'webhook_id'),
      attempts: num(r, 'attempts'),
      createdAt: str(r, 'created_at'),
      eventId: str(r, 'event_id'),
      eventType: str(r, 'type'),
      payload: str(r, 'payload'),
      chat: str(r, 'chat'),
      url: str(r, 'url'),
      format: str(r, 'format') as WebhookFormat,
      secretBox: str(r, 'secret_box'),
      webhookStatus: str(r, 'status') as WebhookStatus,
      failingSince: strOrNull(r, 'failing_since'),
      ownerEmail: strOrNull(r, 'owner_email'),
    }));
  });
}

export interface AttemptRecord {
  deliveryId: string;
  webhookId: string;
  holder: string;
  at: string;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  /** delivered, retry (with `nextAttemptAt`), or failed (given up). */
  state: 'delivered' | 'retry' | 'failed';
  nextAttemptAt: string | null;
}

/**
 * Records one attempt, only while the claim is still `holder`'s: false, and nothing written,
 * when it is not (the lease ran out and another process took the delivery over).
 */
export async function recordAttempt(tx: Tx, a: AttemptRecord): Promise<boolean> {
  const result = a.error ?? (a.statusCode === null ? null : `HTTP ${a.statusCode}`);
  const changed = await tx.run(
    `UPDATE hook_deliveries SET attempts = attempts + 1, status_code = ?, duration_ms = ?,
       error = ?, holder = NULL, lease_until = NULL,
       state = CASE ?4 WHEN 'retry' THEN 'pending' ELSE ?4 END,
       next_attempt_at = coalesce(?5, next_attempt_at),
       finished_at = CASE ?4 WHEN 'retry' THEN NULL ELSE ?6 END
     WHERE id = ?7 AND holder = ?8 AND state = 'pending'`,
    [a.statusCode, a.durationMs, a.error, a.state, a.nextAttemptAt, a.at, a.deliveryId, a.holder],
  );
  if (changed !== 1) return false;
  await tx.run(
    `INSERT INTO hook_attempts (delivery_id, webhook_id, at, status_code, duration_ms, error)
     VALUES (?, ?, ?, ?, ?, ?)`,
    [a.deliveryId, a.webhookId, a.at, a.statusCode, a.durationMs, a.error],
  );
  if (a.state === 'delivered') {
    await tx.run(
      `UPDATE webhooks SET failing_since = NULL, failure_count = 0, last_attempt_at = ?,
         last_result = ? WHERE id = ?`,
      [a.at, result, a.webhookId],
    );
  } else {
    await tx.run(
      `UPDATE webhooks SET failing_since = coalesce(failing_since, ?1),
         failure_count = failure_count + 1, last_attempt_at = ?1, last_result = ?2 WHERE id = ?3`,
      [a.at, result, a.webhookId],
    );
  }
  return true;
}

/** Gives up on an endpoint: disabled, what it is still owed skipped. False if it already was. */
export async function disableWebhook(
  tx: Tx,
  id: string,
  at: string,
  reason: string,
): Promise<boolean> {
  const changed = await tx.run(
    `UPDATE webhooks SET status = 'disabled', disabled_at = ?1, disabled_reason = ?2, updated_at = ?1
     WHERE id = ?3 AND status != 'disabled'`,
    [at, reason, id],
  );
  if (changed !== 1) return false;
  await skipPending(tx, id, at, 'endpoint disabled');
  return true;
}

/** Clears the claim of a delivery this process will not finish (a clean stop). */
export async function releaseDeliveries(db: Db, holder: string, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await db.write((tx) =>
    tx.run(
      `UPDATE hook_deliveries SET holder = NULL, lease_until = NULL
       WHERE holder = ? AND id IN (SELECT value FROM json_each(?))`,
      [holder, JSON.stringify(ids)],
    ),
  );
}

export interface DeliveryView {
  id: string;
  event_id: string;
  event_type: string;
  state: string;
  attempts: number;
  created_at: string;
  finished_at: string | null;
  next_attempt_at: string | null;
  status_code: number | null;
  duration_ms: number | null;
  error: string | null;
}

/** The newest deliveries of one webhook, with their last attempt's result. */
export async function lastDeliveries(
  read: Reader,
  webhookId: string,
  limit: number,
): Promise<DeliveryView[]> {
  const rows = await read(
    `SELECT d.*, e.id AS event_id, e.type FROM hook_deliveries d JOIN hook_events e ON e.seq = d.event_seq
     WHERE d.webhook_id = ? ORDER BY d.event_seq DESC LIMIT ?`,
    [webhookId, limit],
  );
  return rows.map((r) => ({
    id: str(r, 'id'),
    event_id: str(r, 'event_id'),
    event_type: str(r, 'type'),
    state: str(r, 'state'),
    attempts: num(r, 'attempts'),
    created_at: str(r, 'created_at'),
    finished_at: strOrNull(r, 'finished_at'),
    next_attempt_at: str(r, 'state') === 'pending' ? str(r, 'next_attempt_at') : null,
    status_code: r.status_code === null ? null : num(r, 'status_code'),
    duration_ms: r.duration_ms === null ? null : num(r, 'duration_ms'),
    error: strOrNull(r, 'error'),
  }));
}

/** Counts for `/healthz`: what is still owed and what became of the rest. */
export async function deliveryCounts(read: Reader): Promise<Record<string, number>> {
  const rows = await read(
    `SELECT (SELECT count(*) FROM hook_deliveries WHERE state = 'pending') AS pending,
            (SELECT count(*) FROM hook_deliveries WHERE state = 'delivered') AS delivered,
            (SELECT count(*) FROM hook_deliveries WHERE state = 'failed') AS failed,
            (SELECT count(*) FROM hook_events WHERE expanded_at IS NULL) AS expanding,
            (SELECT count(*) FROM webhooks WHERE status = 'disabled') AS disabled`,
  );
  const r = rows[0]!;
  return {
    pending: num(r, 'pending'),
    delivered: num(r, 'delivered'),
    failed: num(r, 'failed'),
    expanding: num(r, 'expanding'),
    disabled: num(r, 'disabled'),
  };
}
