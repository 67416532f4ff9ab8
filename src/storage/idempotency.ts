import { ConflictError } from '../domain/errors.ts';
import { num, str, strOrNull, type Db, type Tx } from './db.ts';

export type IdempotencyClaim =
  | { kind: 'new' }
  | { kind: 'replay'; status: number; body: string; headers: Record<string, string> }
  | { kind: 'mismatch' }
  | { kind: 'in_progress'; claimedUntil: string }
  /** The request was applied, but its process stopped before storing the answer. */
  | { kind: 'answer_lost' };

/**
 * Claims an idempotency key for one request. The first request with a key reserves it, as a lease
 * held by `claimant` until `until`; a retry with the same method, path and body gets the stored
 * response, or takes the claim over when its holder's lease ran out (the process died before it
 * applied anything); anything else is a conflict. A claim whose request was applied but never
 * answered (the process died in between) is never run again.
 */
export async function claimIdempotencyKey(
  db: Db,
  input: {
    keyId: string;
    key: string;
    method: string;
    path: string;
    bodyHash: string;
    at: string;
    /** Who holds the claim (one id per request) and until when, unless renewed. */
    claimant: string;
    until: string;
  },
): Promise<IdempotencyClaim> {
  const { claimant, until } = input;
  return db.write(async (tx) => {
    const rows = await tx.execute(
      'SELECT * FROM idempotency_keys WHERE key_id = ? AND idempotency_key = ?',
      [input.keyId, input.key],
    );
    const row = rows[0];
    if (!row) {
      await tx.run(
        `INSERT INTO idempotency_keys (key_id, idempotency_key, method, path, body_hash, created_at, claimed_by, claimed_until)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          input.keyId,
          input.key,
          input.method,
          input.path,
          input.bodyHash,
          input.at,
          claimant,
          until,
        ],
      );
      return { kind: 'new' };
    }
    if (
      str(row, 'method') !== input.method ||
      str(row, 'path') !== input.path ||
      str(row, 'body_hash') !== input.bodyHash
    ) {
      return { kind: 'mismatch' };
    }
    const response = strOrNull(row, 'response');
    if (response === null) {
      const claimedUntil = strOrNull(row, 'claimed_until');
      if (claimedUntil !== null && Date.parse(claimedUntil) > Date.parse(input.at)) {
        return { kind: 'in_progress', claimedUntil };
      }
      if (strOrNull(row, 'applied_at') !== null) return { kind: 'answer_lost' };
      await tx.run(
        `UPDATE idempotency_keys SET claimed_by = ?, claimed_until = ?
         WHERE key_id = ? AND idempotency_key = ? AND response IS NULL`,
        [claimant, until, input.keyId, input.key],
      );
      return { kind: 'new' };
    }
    const headers = strOrNull(row, 'headers');
    return {
      kind: 'replay',
      status: num(row, 'status'),
      body: response,
      headers: headers ? (JSON.parse(headers) as Record<string, string>) : {},
    };
  });
}

/**
 * Records, inside the transaction that makes the request's change, that the change is applied, and
 * refuses (rolling the change back) when the claim is no longer this request's: a retry took it
 * over after its lease ran out, so the retry is the one that applies.
 */
export async function markIdempotencyApplied(
  tx: Tx,
  input: { keyId: string; key: string; claimant: string; at: string },
): Promise<void> {
  const changed = await tx.run(
    `UPDATE idempotency_keys SET applied_at = ?
     WHERE key_id = ? AND idempotency_key = ? AND claimed_by = ? AND response IS NULL`,
    [input.at, input.keyId, input.key, input.claimant],
  );
  if (changed !== 1) {
    throw new ConflictError(
      'this request took too long and a retry with the same Idempotency-Key took its place; nothing was changed by this one',
    );
  }
}

/** Extends a claim while its request runs; false when another request has taken it over. */
export async function renewIdempotencyClaim(
  db: Db,
  input: { keyId: string; key: string; claimant: string; until: string },
): Promise<boolean> {
  return db.write(
    async (tx) =>
      (await tx.run(
        `UPDATE idempotency_keys SET claimed_until = ?
         WHERE key_id = ? AND idempotency_key = ? AND claimed_by = ? AND response IS NULL`,
        [input.until, input.keyId, input.key, input.claimant],
      )) === 1,
  );
}

export async function completeIdempotencyKey(
  db: Db,
  input: {
    keyId: string;
    key: string;
    claimant: string;
    status: number;
    body: string;
    headers: Record<string, string>;
  },
): Promise<void> {
  await db.batch([
    {
      sql: `UPDATE idempotency_keys SET status = ?, response = ?, headers = ?, claimed_until = NULL
            WHERE key_id = ? AND idempotency_key = ? AND claimed_by = ? AND response IS NULL`,
      args: [
        input.status,
        input.body,
        JSON.stringify(input.headers),
        input.keyId,
        input.key,
        input.claimant,
      ],
    },
  ]);
}

/**
 * Forgets a claim whose request failed on our side before changing anything, so the client may
 * retry it. A claim whose change was applied stays: running it again would apply it twice.
 */
export async function releaseIdempotencyKey(
  db: Db,
  keyId: string,
  key: string,
  claimant: string,
): Promise<void> {
  await db.batch([
    {
      sql: `DELETE FROM idempotency_keys
            WHERE key_id = ? AND idempotency_key = ? AND claimed_by = ? AND response IS NULL AND applied_at IS NULL`,
      args: [keyId, key, claimant],
    },
  ]);
}
