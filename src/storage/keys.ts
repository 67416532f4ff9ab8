import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Row } from '@libsql/client';
import type { Scope } from '../domain/types.ts';
import { str, strOrNull, type Db } from './db.ts';

export interface ApiKey {
  id: string;
  name: string;
  scope: Scope;
  prefix: string;
  created_at: string;
  created_by: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** A random id of `length` lowercase letters and digits (Statuspage ids look like this). */
export function randomId(length = 12): string {
  const bytes = randomBytes(length * 2);
  let id = '';
  for (let i = 0; id.length < length && i < bytes.length; i++) {
    // 252 = 7 * 36: reject the top values so every character is equally likely
    if (bytes[i]! < 252) id += ALPHABET[bytes[i]! % 36];
  }
  return id.length === length ? id : randomId(length);
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

function toApiKey(r: Row): ApiKey {
  return {
    id: str(r, 'id'),
    name: str(r, 'name'),
    scope: str(r, 'scope') as Scope,
    prefix: str(r, 'prefix'),
    created_at: str(r, 'created_at'),
    created_by: strOrNull(r, 'created_by'),
    last_used_at: strOrNull(r, 'last_used_at'),
    revoked_at: strOrNull(r, 'revoked_at'),
  };
}

export function newToken(id: string): string {
  return `hrd_${id}_${randomBytes(24).toString('base64url')}`;
}

/**
 * Finds the live key for a presented token. Keys are looked up by the SHA-256 digest of the token
 * and the digests are compared in constant time: no timing difference depends on the secret.
 */
export async function findKeyByToken(
  db: Db,
  token: string,
): Promise<Pick<ApiKey, 'id' | 'name' | 'scope'> | null> {
  const digest = hashToken(token);
  // Only the columns auth needs: every column decoded costs microseconds on every request.
  const rows = await db.query(
    'SELECT id, name, scope, hash FROM api_keys WHERE hash = ? AND revoked_at IS NULL',
    [digest],
  );
  const row = rows[0];
  if (!row) return null;
  const stored = Buffer.from(str(row, 'hash'), 'hex');
  const presented = Buffer.from(digest, 'hex');
  if (stored.length !== presented.length || !timingSafeEqual(stored, presented)) return null;
  return { id: str(row, 'id'), name: str(row, 'name'), scope: str(row, 'scope') as Scope };
}

export async function createKey(
  db: Db,
  input: { name: string; scope: Scope; createdBy: string | null; at: string; id?: string },
  token?: string,
): Promise<{ key: ApiKey; token: string }> {
  const id = input.id ?? randomId();
  const secret = token ?? newToken(id);
  const key: ApiKey = {
    id,
    name: input.name,
    scope: input.scope,
    // The public part of the token (`hrd_<id>`), never a part of its secret.
    prefix: `hrd_${id}`,
    created_at: input.at,
    created_by: input.createdBy,
    last_used_at: null,
    revoked_at: null,
  };
  await db.batch([
    {
      sql: `INSERT INTO api_keys (id, name, scope, hash, prefix, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET hash = excluded.hash, prefix = excluded.prefix, scope = excluded.scope, revoked_at = NULL`,
      args: [
        id,
        key.name,
        key.scope,
        hashToken(secret),
        key.prefix,
        key.created_at,
        key.created_by,
      ],
    },
    {
      sql: 'INSERT INTO audit_log (at, actor, action, target_type, target_id, details) VALUES (?, ?, ?, ?, ?, ?)',
      args: [
        input.at,
        input.createdBy ?? 'system',
        'key.create',
        'api_key',
        id,
        JSON.stringify({ name: key.name, scope: key.scope }),
      ],
    },
  ]);
  return { key, token: secret };
}

/** Whether the key `id` was registered with this very token and has been revoked since. */
export async function isRevokedToken(db: Db, id: string, token: string): Promise<boolean> {
  const rows = await db.query(
    'SELECT 1 FROM api_keys WHERE id = ? AND hash = ? AND revoked_at IS NOT NULL',
    [id, hashToken(token)],
  );
  return rows.length > 0;
}

export async function listKeys(db: Db): Promise<ApiKey[]> {
  const rows = await db.query('SELECT * FROM api_keys ORDER BY created_at, id');
  return rows.map(toApiKey);
}

export async function countLiveAdminKeys(db: Db): Promise<number> {
  const rows = await db.query(
    "SELECT COUNT(*) AS n FROM api_keys WHERE scope = 'admin' AND revoked_at IS NULL",
  );
  return Number(rows[0]!.n);
}

/** Revokes a key; false when there is no live key with that id. */
export async function revokeKey(db: Db, id: string, actor: string, at: string): Promise<boolean> {
  return db.write(async (tx) => {
    const changed = await tx.run(
      'UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL',
      [at, id],
    );
    if (changed === 0) return false;
    await tx.run(
      'INSERT INTO audit_log (at, actor, action, target_type, target_id, details) VALUES (?, ?, ?, ?, ?, ?)',
      [at, actor, 'key.revoke', 'api_key', id, '{}'],
    );
    return true;
  });
}

export async function touchKey(db: Db, id: string, at: string): Promise<void> {
  await db.batch([{ sql: 'UPDATE api_keys SET last_used_at = ? WHERE id = ?', args: [at, id] }]);
}
