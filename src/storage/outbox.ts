import type { Row } from '@libsql/client';
import { num, str, strOrNull, type Db, type Tx } from './db.ts';
import type { Reader } from './incidents.ts';

/** An email as queued: always both an HTML and a plain-text part. */
export interface OutgoingEmail {
  /** Names the logical message; queueing the same key twice queues it once. */
  dedupeKey: string;
  /** What the message is for (`cadence.reminder`, `subscriber.update`, …): for logs and metrics. */
  kind: string;
  to: string;
  subject: string;
  html: string;
  text: string;
  /** Extra headers such as List-Unsubscribe. */
  headers?: Record<string, string>;
  /**
   * A shared body (`mail_bodies`) this message is made from when it is sent, with the links of
   * `subscriberId` (manage, unsubscribe) and `confirmationId` (confirm); subject, html and text
   * are then empty in the row.
   */
  bodyId?: string | null;
  subscriberId?: string | null;
  confirmationId?: string | null;
}

/** A queued email with its delivery state. */
export interface OutboxMessage extends Required<
  Omit<OutgoingEmail, 'bodyId' | 'subscriberId' | 'confirmationId'>
> {
  id: string;
  bodyId: string | null;
  subscriberId: string | null;
  confirmationId: string | null;
  /** `cancelled`: not sent because its subscriber left, was removed or suppressed before. */
  status: 'pending' | 'sent' | 'failed' | 'cancelled';
  attempts: number;
  batchKey: string | null;
  createdAt: string;
  sentAt: string | null;
  lastError: string | null;
  providerId: string | null;
}

function toMessage(row: Row): OutboxMessage {
  return {
    id: str(row, 'id'),
    dedupeKey: str(row, 'dedupe_key'),
    kind: str(row, 'kind'),
    to: str(row, 'to_address'),
    subject: str(row, 'subject'),
    html: str(row, 'html'),
    text: str(row, 'text'),
    headers: JSON.parse(str(row, 'headers')) as Record<string, string>,
    status: str(row, 'status') as OutboxMessage['status'],
    attempts: num(row, 'attempts'),
    batchKey: strOrNull(row, 'batch_key'),
    createdAt: str(row, 'created_at'),
    sentAt: strOrNull(row, 'sent_at'),
    lastError: strOrNull(row, 'last_error'),
    providerId: strOrNull(row, 'provider_id'),
    bodyId: strOrNull(row, 'body_id'),
    subscriberId: strOrNull(row, 'subscriber_id'),
    confirmationId: strOrNull(row, 'confirmation_id'),
  };
}

/** Queues one email inside the caller's transaction; false when its dedupe key was already queued. */
export async function enqueueEmail(
  tx: Tx,
  id: string,
  email: OutgoingEmail,
  at: string,
): Promise<boolean> {
  const inserted = await tx.run(
    `INSERT INTO mail_outbox (id, dedupe_key, kind, to_address, subject, html, text, headers,
       next_attempt_at, created_at, body_id, subscriber_id, confirmation_id)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dedupe_key) DO NOTHING`,
    [
      id,
      email.dedupeKey,
      email.kind,
      email.to,
      email.subject,
      email.html,
      email.text,
      JSON.stringify(email.headers ?? {}),
      at,
      at,
      email.bodyId ?? null,
      email.subscriberId ?? null,
      email.confirmationId ?? null,
    ],
  );
  return inserted === 1;
}

/**
 * Claims up to `limit` messages that are due and not under someone else's live lease, for
 * `holder` until `until`. Messages that were attempted together before (same batch key) are
 * claimed together, so a retry after a crash repeats the exact batch and its idempotency key.
 */
export async function claimDue(
  db: Db,
  holder: string,
  now: string,
  until: string,
  limit: number,
): Promise<OutboxMessage[]> {
  return db.write(async (tx) => {
    // The unary + on a column keeps SQLite off its index: the oldest due messages are read in
    // order from (status, created_at) instead of sorting every due one, and the rest of a batch
    // is found by its key. With tens of thousands queued, this is the difference between a
    // fraction of a millisecond and a quarter of a second per claim.
    const free = `+next_attempt_at <= ?1
      AND (claimed_until IS NULL OR claimed_until < ?1 OR claimed_by = ?2)`;
    const rows = await tx.execute(
      `WITH chosen AS (
         SELECT id, batch_key FROM mail_outbox WHERE status = 'pending' AND ${free}
         ORDER BY created_at, rowid LIMIT ?4
       )
       UPDATE mail_outbox SET claimed_by = ?2, claimed_until = ?3
       WHERE id IN (SELECT id FROM chosen)
          OR (batch_key IN (SELECT batch_key FROM chosen WHERE batch_key IS NOT NULL)
              AND +status = 'pending' AND ${free})
       RETURNING *`,
      [now, holder, until, limit],
    );
    return rows.map(toMessage);
  });
}

// Statements that pick messages by id say `+status`: the unary + keeps SQLite from walking the
// (status, …) indexes, every pending message, instead of looking up the ids it was given.

/**
 * Among messages `holder` just claimed and has not yet put in a batch, cancels the subscriber
 * mail that must no longer go out: an update to someone who is no longer a confirmed subscriber
 * (unsubscribed, suppressed, removed), or any subscriber mail to a suppressed address. Returns
 * the ids cancelled. Messages already in a batch are left alone: a retry must repeat the batch.
 */
export async function cancelUndeliverable(
  db: Db,
  holder: string,
  ids: string[],
): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  return db.write(async (tx) => {
    const rows = await tx.execute(
      `UPDATE mail_outbox AS m SET status = 'cancelled', claimed_by = NULL, claimed_until = NULL,
         last_error = 'not sent: the subscriber left, was removed or the address is suppressed'
       WHERE m.id IN (SELECT value FROM json_each(?1)) AND m.claimed_by = ?2
         AND +m.status = 'pending' AND +m.batch_key IS NULL AND m.kind LIKE 'subscriber.%'
         AND (EXISTS (SELECT 1 FROM suppressions x WHERE x.email_key = lower(m.to_address))
           OR (m.kind = 'subscriber.update' AND NOT EXISTS (SELECT 1 FROM subscribers s
                 WHERE s.id = m.subscriber_id AND s.status = 'confirmed')))
       RETURNING id`,
      [JSON.stringify(ids), holder],
    );
    return new Set(rows.map((row) => str(row, 'id')));
  });
}

/**
 * Fixes which messages go to the provider together, before their first attempt, for the messages
 * `holder` still holds: a batch key once stored is never replaced, so whichever sender stored it
 * first decided the batch. Returns the claimed messages `holder` still holds, with the batch keys
 * as stored, which is what the caller must group by: another sender whose claim ran out while it
 * stalled may have stored different ones.
 */
export async function assignBatches(
  db: Db,
  holder: string,
  claimedIds: string[],
  batches: Array<{ ids: string[]; key: string }>,
): Promise<OutboxMessage[]> {
  return db.write(async (tx) => {
    for (const batch of batches) {
      await tx.run(
        `UPDATE mail_outbox SET batch_key = ?1
         WHERE id IN (SELECT value FROM json_each(?2)) AND +batch_key IS NULL
           AND claimed_by = ?3 AND +status = 'pending'`,
        [batch.key, JSON.stringify(batch.ids), holder],
      );
    }
    const rows = await tx.execute(
      `SELECT * FROM mail_outbox WHERE id IN (SELECT value FROM json_each(?1))
         AND claimed_by = ?2 AND +status = 'pending' AND +batch_key IS NOT NULL
       ORDER BY batch_key, created_at, rowid`,
      [JSON.stringify(claimedIds), holder],
    );
    return rows.map(toMessage);
  });
}

/**
 * Renews `holder`'s claim on a whole batch until `until`, right before it is handed to the
 * provider. True only when `holder` holds every pending message of the batch and these are exactly
 * `ids`: a sender whose claim ran out, or that holds part of a batch, must not send it (the same
 * key with other messages would be refused, the same messages twice would be delivered twice).
 */
export async function renewBatch(
  db: Db,
  holder: string,
  batchKey: string,
  ids: string[],
  until: string,
): Promise<boolean> {
  return db.write(async (tx) => {
    const pending = await tx.execute(
      "SELECT id, claimed_by FROM mail_outbox WHERE batch_key = ? AND +status = 'pending'",
      [batchKey],
    );
    const wanted = new Set(ids);
    const held =
      pending.length === ids.length &&
      pending.every((row) => wanted.has(str(row, 'id')) && row.claimed_by === holder);
    if (!held) return false;
    await tx.run(
      `UPDATE mail_outbox SET claimed_until = ? WHERE batch_key = ? AND +status = 'pending'
         AND claimed_by = ?`,
      [until, batchKey, holder],
    );
    return true;
  });
}

/** Gives up `holder`'s claim on messages it will not send now, so any sender may take them. */
export async function releaseClaims(db: Db, holder: string, ids: string[]): Promise<void> {
  await db.write(async (tx) => {
    await tx.run(
      `UPDATE mail_outbox SET claimed_by = NULL, claimed_until = NULL
       WHERE id IN (SELECT value FROM json_each(?)) AND claimed_by = ?`,
      [JSON.stringify(ids), holder],
    );
  });
}

/**
 * Records a delivery. Only the holder's rows change: a sender whose claim was taken over does not
 * overwrite what the new holder records (it sent the same batch under the same idempotency key, so
 * the provider delivered it once). Returns how many rows were recorded.
 */
export async function markSent(
  db: Db,
  holder: string,
  sent: Array<{ id: string; providerId: string | null }>,
  at: string,
): Promise<number> {
  return db.write(async (tx) => {
    let changed = 0;
    for (const { id, providerId } of sent) {
      changed += await tx.run(
        `UPDATE mail_outbox SET status = 'sent', sent_at = ?, provider_id = ?, attempts = attempts + 1,
           claimed_by = NULL, claimed_until = NULL, last_error = NULL
         WHERE id = ? AND claimed_by = ? AND status = 'pending'`,
        [at, providerId, id, holder],
      );
    }
    return changed;
  });
}

/**
 * A transient failure: try again at `nextAttemptAt`, keeping the batch and its idempotency key.
 * `countAttempt` is false for the provider's rate limit, which says nothing about the message.
 */
export async function markRetry(
  db: Db,
  holder: string,
  ids: string[],
  retry: { nextAttemptAt: string; error: string; countAttempt: boolean },
): Promise<void> {
  await db.write(async (tx) => {
    await tx.run(
      `UPDATE mail_outbox SET attempts = attempts + ?1, next_attempt_at = ?2, last_error = ?3,
         claimed_by = NULL, claimed_until = NULL
       WHERE id IN (SELECT value FROM json_each(?4)) AND claimed_by = ?5 AND +status = 'pending'`,
      [retry.countAttempt ? 1 : 0, retry.nextAttemptAt, retry.error, JSON.stringify(ids), holder],
    );
  });
}

/**
 * A permanent failure: recorded with its reason and never attempted again. `attempted` is false
 * when the message is given up without being handed over this time.
 */
export async function markFailed(
  db: Db,
  holder: string,
  ids: string[],
  failure: { at: string; error: string; attempted: boolean },
): Promise<void> {
  await db.write(async (tx) => {
    await tx.run(
      `UPDATE mail_outbox SET status = 'failed', failed_at = ?1, attempts = attempts + ?2,
         last_error = ?3, claimed_by = NULL, claimed_until = NULL
       WHERE id IN (SELECT value FROM json_each(?4)) AND claimed_by = ?5 AND +status = 'pending'`,
      [failure.at, failure.attempted ? 1 : 0, failure.error, JSON.stringify(ids), holder],
    );
  });
}

/**
 * The provider refused a whole batch: give each message its own batch so the next attempt finds
 * which one is at fault and the others still go out.
 */
export async function splitBatch(db: Db, holder: string, ids: string[], at: string): Promise<void> {
  await db.write(async (tx) => {
    await tx.run(
      `UPDATE mail_outbox SET batch_key = 'herald-single-' || id, next_attempt_at = ?1,
         claimed_by = NULL, claimed_until = NULL
       WHERE id IN (SELECT value FROM json_each(?2)) AND claimed_by = ?3 AND +status = 'pending'`,
      [at, JSON.stringify(ids), holder],
    );
  });
}

export async function listOutbox(read: Reader): Promise<OutboxMessage[]> {
  const rows = await read('SELECT * FROM mail_outbox ORDER BY created_at, rowid');
  return rows.map(toMessage);
}
