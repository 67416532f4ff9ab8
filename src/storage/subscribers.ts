import type { Row } from '@libsql/client';
import type { Follows } from '../domain/subscriptions/fanout.ts';
import { num, str, strOrNull, type Tx } from './db.ts';
import type { Reader } from './incidents.ts';

export type SubscriberStatus = 'pending' | 'confirmed' | 'unsubscribed' | 'suppressed';

export interface Subscriber {
  id: string;
  email: string;
  email_key: string;
  status: SubscriberStatus;
  follows: Follows;
  source: 'form' | 'import';
  created_at: string;
  confirmed_at: string | null;
  unsubscribed_at: string | null;
  updated_at: string;
  /** Component and group ids followed. */
  components: string[];
  /** Open incidents followed. */
  incidents: string[];
}

/** What a confirmation applies when its link is followed. */
export interface ConfirmationRequest {
  follows: Follows;
  components: string[];
  incident_id: string | null;
}

const SELECT_SUBSCRIBER = `SELECT s.*,
    (SELECT json_group_array(component_id) FROM subscriber_components c WHERE c.subscriber_id = s.id) AS components_json,
    (SELECT json_group_array(incident_id) FROM subscriber_incidents i WHERE i.subscriber_id = s.id) AS incidents_json
  FROM subscribers s`;

function toSubscriber(row: Row): Subscriber {
  return {
    id: str(row, 'id'),
    email: str(row, 'email'),
    email_key: str(row, 'email_key'),
    status: str(row, 'status') as SubscriberStatus,
    follows: str(row, 'follows') as Follows,
    source: str(row, 'source') as Subscriber['source'],
    created_at: str(row, 'created_at'),
    confirmed_at: strOrNull(row, 'confirmed_at'),
    unsubscribed_at: strOrNull(row, 'unsubscribed_at'),
    updated_at: str(row, 'updated_at'),
    components: (JSON.parse(str(row, 'components_json')) as string[]).sort(),
    incidents: (JSON.parse(str(row, 'incidents_json')) as string[]).sort(),
  };
}

export async function findSubscriber(read: Reader, id: string): Promise<Subscriber | null> {
  const rows = await read(`${SELECT_SUBSCRIBER} WHERE s.id = ?`, [id]);
  return rows[0] ? toSubscriber(rows[0]) : null;
}

export async function findSubscriberByKey(read: Reader, key: string): Promise<Subscriber | null> {
  const rows = await read(`${SELECT_SUBSCRIBER} WHERE s.email_key = ?`, [key]);
  return rows[0] ? toSubscriber(rows[0]) : null;
}

export async function findSubscriberByManageHash(
  read: Reader,
  hash: string,
): Promise<Subscriber | null> {
  const rows = await read(`${SELECT_SUBSCRIBER} WHERE s.manage_hash = ?`, [hash]);
  return rows[0] ? toSubscriber(rows[0]) : null;
}

export async function insertSubscriber(
  tx: Tx,
  s: {
    id: string;
    email: string;
    email_key: string;
    status: SubscriberStatus;
    follows: Follows;
    manage_hash: string;
    source: Subscriber['source'];
    at: string;
  },
): Promise<boolean> {
  const inserted = await tx.run(
    `INSERT INTO subscribers (id, email, email_key, status, follows, manage_hash, source, created_at,
       confirmed_at, updated_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, CASE WHEN ?4 = 'confirmed' THEN ?8 END, ?8)
     ON CONFLICT (email_key) DO NOTHING`,
    [s.id, s.email, s.email_key, s.status, s.follows, s.manage_hash, s.source, s.at],
  );
  return inserted === 1;
}

/** Replaces what a subscriber follows: everything, chosen components and groups, or nothing. */
export async function savePreferences(
  tx: Tx,
  id: string,
  follows: Follows,
  components: string[],
  at: string,
): Promise<void> {
  await tx.run('DELETE FROM subscriber_components WHERE subscriber_id = ?', [id]);
  for (const component of new Set(components)) {
    await tx.run('INSERT INTO subscriber_components (subscriber_id, component_id) VALUES (?, ?)', [
      id,
      component,
    ]);
  }
  await tx.run('UPDATE subscribers SET follows = ?, updated_at = ? WHERE id = ?', [
    follows,
    at,
    id,
  ]);
}

export async function followIncident(
  tx: Tx,
  id: string,
  incidentId: string,
  at: string,
): Promise<void> {
  await tx.run(
    `INSERT INTO subscriber_incidents (subscriber_id, incident_id, created_at) VALUES (?, ?, ?)
     ON CONFLICT DO NOTHING`,
    [id, incidentId, at],
  );
}

export async function setSubscriberStatus(
  tx: Tx,
  id: string,
  status: SubscriberStatus,
  at: string,
): Promise<void> {
  await tx.run(
    `UPDATE subscribers SET status = ?1, updated_at = ?2,
       confirmed_at = CASE WHEN ?1 = 'confirmed' THEN coalesce(confirmed_at, ?2) ELSE confirmed_at END,
       unsubscribed_at = CASE WHEN ?1 = 'unsubscribed' THEN ?2 ELSE NULL END
     WHERE id = ?3`,
    [status, at, id],
  );
}

/** Removes a subscriber and everything that names them, including mail not yet handed over. */
export async function deleteSubscriber(tx: Tx, id: string): Promise<boolean> {
  await tx.run('DELETE FROM subscriber_components WHERE subscriber_id = ?', [id]);
  await tx.run('DELETE FROM subscriber_incidents WHERE subscriber_id = ?', [id]);
  await tx.run('DELETE FROM subscription_confirmations WHERE subscriber_id = ?', [id]);
  await cancelQueuedMail(tx, 'subscriber_id = ?', [id], 'subscriber removed');
  return (await tx.run('DELETE FROM subscribers WHERE id = ?', [id])) === 1;
}

/**
 * Cancels queued subscriber mail that no sender has handed over yet (a message already in a batch
 * stays, so a retry repeats exactly what the provider may have seen).
 */
async function cancelQueuedMail(
  tx: Tx,
  where: string,
  args: string[],
  reason: string,
): Promise<void> {
  await tx.run(
    `UPDATE mail_outbox SET status = 'cancelled', last_error = ?
     WHERE status = 'pending' AND batch_key IS NULL AND ${where}`,
    [reason, ...args],
  );
}

export async function insertConfirmation(
  tx: Tx,
  c: {
    id: string;
    hash: string;
    subscriber_id: string;
    request: ConfirmationRequest;
    created_at: string;
    expires_at: string;
  },
): Promise<void> {
  await tx.run(
    `INSERT INTO subscription_confirmations (id, hash, subscriber_id, request, created_at, expires_at)
     VALUES (?, ?, ?, ?, ?, ?)`,
    [c.id, c.hash, c.subscriber_id, JSON.stringify(c.request), c.created_at, c.expires_at],
  );
}

export async function countConfirmationsSince(
  read: Reader,
  subscriberId: string,
  since: string,
): Promise<number> {
  const rows = await read(
    'SELECT count(*) AS n FROM subscription_confirmations WHERE subscriber_id = ? AND created_at > ?',
    [subscriberId, since],
  );
  return num(rows[0]!, 'n');
}

export interface Confirmation {
  id: string;
  subscriber_id: string;
  request: ConfirmationRequest;
  expires_at: string;
  used_at: string | null;
}

export async function findConfirmationByHash(
  read: Reader,
  hash: string,
): Promise<Confirmation | null> {
  const rows = await read('SELECT * FROM subscription_confirmations WHERE hash = ?', [hash]);
  const row = rows[0];
  if (!row) return null;
  return {
    id: str(row, 'id'),
    subscriber_id: str(row, 'subscriber_id'),
    request: JSON.parse(str(row, 'request')) as ConfirmationRequest,
    expires_at: str(row, 'expires_at'),
    used_at: strOrNull(row, 'used_at'),
  };
}

/** Marks a confirmation used; false when it already was (a second click, or a race). */
export async function useConfirmation(tx: Tx, id: string, at: string): Promise<boolean> {
  return (
    (await tx.run(
      'UPDATE subscription_confirmations SET used_at = ? WHERE id = ? AND used_at IS NULL',
      [at, id],
    )) === 1
  );
}

export async function isSuppressed(read: Reader, key: string): Promise<boolean> {
  return (await read('SELECT 1 FROM suppressions WHERE email_key = ?', [key])).length > 0;
}

/**
 * Suppresses an address everywhere: recorded for future subscriptions, its subscriber marked
 * suppressed, and its subscriber mail not yet handed over cancelled. False when it already was.
 */
export async function suppressAddress(
  tx: Tx,
  key: string,
  reason: string,
  at: string,
): Promise<boolean> {
  const added = await tx.run(
    'INSERT INTO suppressions (email_key, reason, at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
    [key, reason, at],
  );
  await tx.run(`UPDATE subscribers SET status = 'suppressed', updated_at = ? WHERE email_key = ?`, [
    at,
    key,
  ]);
  await cancelQueuedMail(
    tx,
    `kind LIKE 'subscriber.%' AND lower(to_address) = ?`,
    [key],
    `address suppressed: ${reason}`,
  );
  return added === 1;
}

/** Records a provider event by its id; false when it was seen before (a replay). */
export async function recordWebhookEvent(
  tx: Tx,
  id: string,
  type: string,
  at: string,
): Promise<boolean> {
  return (
    (await tx.run(
      'INSERT INTO webhook_events (id, type, received_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
      [id, type, at],
    )) === 1
  );
}

/** Counts one more event for `key` in the window starting at `windowStart`; returns the count. */
export async function countRateEvent(tx: Tx, key: string, windowStart: string): Promise<number> {
  const rows = await tx.execute(
    `INSERT INTO rate_counters (key, window_start, count) VALUES (?, ?, 1)
     ON CONFLICT (key, window_start) DO UPDATE SET count = count + 1 RETURNING count`,
    [key, windowStart],
  );
  return num(rows[0]!, 'count');
}

export async function pruneRateCounters(tx: Tx, before: string): Promise<void> {
  await tx.run('DELETE FROM rate_counters WHERE window_start < ?', [before]);
}

export interface SubscriberFilter {
  status?: SubscriberStatus | undefined;
  component?: string | undefined;
  incident?: string | undefined;
  /** Part of the address. */
  q?: string | undefined;
  limit: number;
  /** Cursor: the id of the last subscriber of the previous page. */
  after?: string | undefined;
}

export async function listSubscribers(read: Reader, f: SubscriberFilter): Promise<Subscriber[]> {
  const where: string[] = [];
  const args: string[] = [];
  if (f.status) {
    where.push('s.status = ?');
    args.push(f.status);
  }
  if (f.component) {
    where.push(
      `(s.follows = 'all' OR EXISTS (SELECT 1 FROM subscriber_components c
         WHERE c.subscriber_id = s.id AND c.component_id = ?))`,
    );
    args.push(f.component);
  }
  if (f.incident) {
    where.push(
      'EXISTS (SELECT 1 FROM subscriber_incidents i WHERE i.subscriber_id = s.id AND i.incident_id = ?)',
    );
    args.push(f.incident);
  }
  if (f.q) {
    where.push('instr(s.email_key, ?) > 0');
    args.push(f.q.toLowerCase());
  }
  if (f.after) {
    where.push('s.id > ?');
    args.push(f.after);
  }
  const rows = await read(
    `${SELECT_SUBSCRIBER} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY s.id LIMIT ${Math.floor(f.limit)}`,
    args,
  );
  return rows.map(toSubscriber);
}

export async function subscriberCounts(read: Reader): Promise<Record<SubscriberStatus, number>> {
  const rows = await read('SELECT status, count(*) AS n FROM subscribers GROUP BY status');
  const counts: Record<SubscriberStatus, number> = {
    pending: 0,
    confirmed: 0,
    unsubscribed: 0,
    suppressed: 0,
  };
  for (const row of rows) counts[str(row, 'status') as SubscriberStatus] = num(row, 'n');
  return counts;
}

export async function countSuppressions(read: Reader): Promise<number> {
  return num((await read('SELECT count(*) AS n FROM suppressions'))[0]!, 'n');
}
