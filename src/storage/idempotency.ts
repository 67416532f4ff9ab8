import { num, str, strOrNull, type Db } from './db.ts';

export type IdempotencyClaim =
  | { kind: 'new' }
  | { kind: 'replay'; status: number; body: string }
  | { kind: 'mismatch' }
  | { kind: 'in_progress' };

/**
 * Claims an idempotency key for one request. The first request with a key reserves it; a retry
 * with the same method, path and body gets the stored response; anything else is a conflict.
 */
export async function claimIdempotencyKey(
  db: Db,
  input: { keyId: string; key: string; method: string; path: string; bodyHash: string; at: string },
): Promise<IdempotencyClaim> {
  return db.write(async (tx) => {
    const rows = await tx.execute(
      'SELECT * FROM idempotency_keys WHERE key_id = ? AND idempotency_key = ?',
      [input.keyId, input.key],
    );
    const row = rows[0];
    if (!row) {
      await tx.run(
        `INSERT INTO idempotency_keys (key_id, idempotency_key, method, path, body_hash, created_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
        [input.keyId, input.key, input.method, input.path, input.bodyHash, input.at],
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
    if (response === null) return { kind: 'in_progress' };
    return { kind: 'replay', status: num(row, 'status'), body: response };
  });
}

export async function completeIdempotencyKey(
  db: Db,
  input: { keyId: string; key: string; status: number; body: string },
): Promise<void> {
  await db.batch([
    {
      sql: 'UPDATE idempotency_keys SET status = ?, response = ? WHERE key_id = ? AND idempotency_key = ?',
      args: [input.status, input.body, input.keyId, input.key],
    },
  ]);
}

/** Forgets a claim whose request failed on our side, so the client may retry it. */
export async function releaseIdempotencyKey(db: Db, keyId: string, key: string): Promise<void> {
  await db.batch([
    {
      sql: 'DELETE FROM idempotency_keys WHERE key_id = ? AND idempotency_key = ? AND response IS NULL',
      args: [keyId, key],
    },
  ]);
}
