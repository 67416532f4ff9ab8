import type { Row } from '@libsql/client';
import type { Audience, OwedFanout } from '../domain/subscriptions/fanout.ts';
import { num, str, strOrNull, type Tx } from './db.ts';
import type { Reader } from './incidents.ts';

/** Records, inside the update's own transaction, that subscribers are owed this update. */
export async function insertFanout(tx: Tx, owed: OwedFanout): Promise<void> {
  await tx.run(
    `INSERT INTO fanouts (update_id, incident_id, created_at, resolves, followers)
     VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    [owed.updateId, owed.incidentId, owed.createdAt, owed.resolves ? 1 : 0, owed.followers ? 1 : 0],
  );
}

function toOwed(row: Row): OwedFanout {
  return {
    updateId: str(row, 'update_id'),
    incidentId: str(row, 'incident_id'),
    createdAt: str(row, 'created_at'),
    resolves: num(row, 'resolves') === 1,
    followers: num(row, 'followers') === 1,
  };
}

/** Per incident with owed updates: the oldest, the oldest that resolves, and its last email. */
export interface OwedSummary {
  incidentId: string;
  first: string;
  firstResolving: string | null;
  lastNotifiedAt: string | null;
}

/** What the worker needs to decide which incidents are due, in one small query. */
export async function owedSummaries(read: Reader): Promise<OwedSummary[]> {
  const rows = await read(
    `SELECT f.incident_id, min(f.created_at) AS first,
       min(CASE WHEN f.resolves = 1 THEN f.created_at END) AS first_resolving,
       (SELECT max(n.created_at) FROM notifications n WHERE n.incident_id = f.incident_id) AS last
     FROM fanouts f WHERE f.notification_id IS NULL GROUP BY f.incident_id`,
  );
  return rows.map((row) => ({
    incidentId: str(row, 'incident_id'),
    first: str(row, 'first'),
    firstResolving: strOrNull(row, 'first_resolving'),
    lastNotifiedAt: strOrNull(row, 'last'),
  }));
}

export async function unassignedFanoutsOf(read: Reader, incidentId: string): Promise<OwedFanout[]> {
  const rows = await read(
    `SELECT * FROM fanouts WHERE notification_id IS NULL AND incident_id = ?
     ORDER BY created_at, update_id`,
    [incidentId],
  );
  return rows.map(toOwed);
}

/** When the incident's latest notification was made (the coalescing interval counts from it). */
export async function lastNotifiedAt(read: Reader, incidentId: string): Promise<string | null> {
  const rows = await read('SELECT max(created_at) AS at FROM notifications WHERE incident_id = ?', [
    incidentId,
  ]);
  return rows[0] ? strOrNull(rows[0], 'at') : null;
}

/** Owed updates that will never be sent (the incident went private): marked so, not left owed. */
export async function dropFanouts(tx: Tx, updateIds: string[]): Promise<void> {
  await tx.run(
    `UPDATE fanouts SET notification_id = 'dropped'
     WHERE update_id IN (SELECT value FROM json_each(?)) AND notification_id IS NULL`,
    [JSON.stringify(updateIds)],
  );
}

export interface MailBody {
  id: string;
  subject: string;
  html: string;
  text: string;
  headers: Record<string, string>;
  /** Stands for a delivery's own links in the body until it is sent. */
  marker: string;
}

export async function insertMailBody(tx: Tx, body: MailBody, at: string): Promise<void> {
  await tx.run(
    `INSERT INTO mail_bodies (id, subject, html, text, headers, marker, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
    [body.id, body.subject, body.html, body.text, JSON.stringify(body.headers), body.marker, at],
  );
}

export async function findMailBodies(read: Reader, ids: string[]): Promise<Map<string, MailBody>> {
  const rows = await read(
    'SELECT * FROM mail_bodies WHERE id IN (SELECT value FROM json_each(?))',
    [JSON.stringify(ids)],
  );
  return new Map(
    rows.map((row) => [
      str(row, 'id'),
      {
        id: str(row, 'id'),
        subject: str(row, 'subject'),
        html: str(row, 'html'),
        text: str(row, 'text'),
        headers: JSON.parse(str(row, 'headers')) as Record<string, string>,
        marker: str(row, 'marker'),
      },
    ]),
  );
}

export interface Notification {
  id: string;
  incident_id: string;
  lead_update_id: string;
  body_id: string;
  audience: Audience;
  created_at: string;
  cursor: string;
  recipients: number;
  expanded_at: string | null;
}

function toNotification(row: Row): Notification {
  return {
    id: str(row, 'id'),
    incident_id: str(row, 'incident_id'),
    lead_update_id: str(row, 'lead_update_id'),
    body_id: str(row, 'body_id'),
    audience: JSON.parse(str(row, 'audience')) as Audience,
    created_at: str(row, 'created_at'),
    cursor: str(row, 'cursor'),
    recipients: num(row, 'recipients'),
    expanded_at: strOrNull(row, 'expanded_at'),
  };
}

/**
 * Records a notification carrying `updateIds`, only if every one of them is still unassigned
 * (another process may have just done it): false, and nothing written, otherwise.
 */
export async function insertNotification(
  tx: Tx,
  n: Omit<Notification, 'cursor' | 'recipients' | 'expanded_at'>,
  updateIds: string[],
): Promise<boolean> {
  const assigned = await tx.run(
    `UPDATE fanouts SET notification_id = ?
     WHERE update_id IN (SELECT value FROM json_each(?)) AND notification_id IS NULL`,
    [n.id, JSON.stringify(updateIds)],
  );
  if (assigned !== updateIds.length) throw new StaleFanout();
  await tx.run(
    `INSERT INTO notifications (id, incident_id, lead_update_id, body_id, audience, created_at)
     VALUES (?, ?, ?, ?, ?, ?)`,
    [n.id, n.incident_id, n.lead_update_id, n.body_id, JSON.stringify(n.audience), n.created_at],
  );
  return true;
}

/** Thrown inside a transaction to roll it back: what it planned from was changed meanwhile. */
export class StaleFanout extends Error {
  override name = 'StaleFanout';
}

export async function unexpandedNotifications(read: Reader): Promise<Notification[]> {
  const rows = await read(
    'SELECT * FROM notifications WHERE expanded_at IS NULL ORDER BY created_at, id',
  );
  return rows.map(toNotification);
}

export async function findNotification(read: Reader, id: string): Promise<Notification | null> {
  const rows = await read('SELECT * FROM notifications WHERE id = ?', [id]);
  return rows[0] ? toNotification(rows[0]) : null;
}

/**
 * Expands the next chunk of a notification into deliveries: subscribers after the cursor, up to
 * `chunk` of them, those the audience concerns each get one outbox row, unique per (subscriber,
 * notification); then the cursor moves on, in the same transaction. A crash loses at most an
 * uncommitted chunk, which is done again; a chunk done twice (two processes) adds nothing.
 */
export async function expandChunk(
  tx: Tx,
  id: string,
  chunk: number,
  at: string,
): Promise<{ added: number; done: boolean } | null> {
  const rows = await tx.execute('SELECT * FROM notifications WHERE id = ?', [id]);
  if (!rows[0]) return null;
  const n = toNotification(rows[0]);
  if (n.expanded_at !== null) return { added: 0, done: true };
  const ends = await tx.execute(
    'SELECT id FROM subscribers WHERE id > ? ORDER BY id LIMIT 1 OFFSET ?',
    [n.cursor, chunk - 1],
  );
  const end = ends[0] ? str(ends[0], 'id') : null;
  const added = await tx.run(
    `INSERT INTO mail_outbox (id, dedupe_key, kind, to_address, subject, html, text, headers,
       next_attempt_at, created_at, body_id, subscriber_id)
     SELECT ?1 || '-' || s.id, 'subscriber/' || ?2 || '/' || s.id, 'subscriber.update', s.email,
       '', '', '', '{}', ?3, ?3, ?4, s.id
     FROM subscribers s
     -- A range of the primary key: the unary + keeps SQLite from walking the status index
     -- (every subscriber) instead; ids are [a-z0-9], so '~' is past the last one.
     WHERE s.id > ?5 AND s.id <= coalesce(?6, '~') AND +s.status = 'confirmed'
       AND (s.follows = 'all'
         OR (s.follows = 'components' AND EXISTS (SELECT 1 FROM subscriber_components c
               WHERE c.subscriber_id = s.id AND c.component_id IN (SELECT value FROM json_each(?7))))
         OR (?8 IS NOT NULL AND EXISTS (SELECT 1 FROM subscriber_incidents i
               WHERE i.subscriber_id = s.id AND i.incident_id = ?8)))
     ORDER BY s.id
     ON CONFLICT (dedupe_key) DO NOTHING`,
    [
      n.id,
      n.lead_update_id,
      at,
      n.body_id,
      n.cursor,
      end,
      JSON.stringify(n.audience.keys),
      n.audience.incidentId,
    ],
  );
  await tx.run(
    `UPDATE notifications SET cursor = coalesce(?, cursor), recipients = recipients + ?,
       expanded_at = CASE WHEN ? IS NULL THEN ? END
     WHERE id = ?`,
    [end, added, end, at, id],
  );
  if (end === null) {
    // Followers of an incident follow it until it is resolved, and have now been told.
    await tx.run(
      `DELETE FROM subscriber_incidents WHERE incident_id = ?
         AND EXISTS (SELECT 1 FROM fanouts WHERE notification_id = ? AND resolves = 1)`,
      [n.incident_id, n.id],
    );
  }
  return { added, done: end === null };
}

/** What is still to do: owed updates, notifications being expanded, mail waiting to be sent. */
export async function fanoutBacklog(
  read: Reader,
): Promise<{ owed: number; expanding: number; queueDepth: number; suppressed: number }> {
  const rows = await read(
    `SELECT (SELECT count(*) FROM fanouts WHERE notification_id IS NULL)
              + (SELECT count(*) FROM maintenance_events WHERE email = 1 AND notification_id IS NULL) AS owed,
            (SELECT count(*) FROM notifications WHERE expanded_at IS NULL) AS expanding,
            (SELECT count(*) FROM mail_outbox WHERE status = 'pending') AS queue_depth,
            (SELECT count(*) FROM suppressions) AS suppressed`,
  );
  const row = rows[0]!;
  return {
    owed: num(row, 'owed'),
    expanding: num(row, 'expanding'),
    queueDepth: num(row, 'queue_depth'),
    suppressed: num(row, 'suppressed'),
  };
}

/**
 * Records a notification that no owed incident update stands behind (a maintenance email): its
 * `lead_update_id` is unique, so the same email made twice fails here and rolls back.
 */
export async function insertStandaloneNotification(
  tx: Tx,
  n: Omit<Notification, 'cursor' | 'recipients' | 'expanded_at'>,
): Promise<void> {
  await tx.run(
    `INSERT INTO notifications (id, incident_id, lead_update_id, body_id, audience, created_at)
     VALUES (?, ?, ?, ?, ?, ?)`,
    [n.id, n.incident_id, n.lead_update_id, n.body_id, JSON.stringify(n.audience), n.created_at],
  );
}
