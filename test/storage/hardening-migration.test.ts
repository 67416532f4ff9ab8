import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate } from '../../src/storage/migrations.ts';
import { tempDatabase } from '../mail/support.ts';

let env: Awaited<ReturnType<typeof tempDatabase>>;
beforeEach(async () => {
  env = await tempDatabase();
});
afterEach(() => env.cleanup());

describe('migration 010 on a database written before issue 10', () => {
  it('drops stored key tokens from replay records and makes every prefix the public id (items 3, 9)', async () => {
    const token = 'hrd_k1k1k1k1k1k1_s3cr3ts3cr3ts3cr3ts3cr3ts3cr3ts3cr3t';
    // The database as it was before 010: the same file with 010 taken back out.
    await env.db.batch([
      { sql: 'ALTER TABLE idempotency_keys DROP COLUMN headers' },
      { sql: 'ALTER TABLE idempotency_keys DROP COLUMN claimed_by' },
      { sql: 'ALTER TABLE idempotency_keys DROP COLUMN claimed_until' },
      { sql: 'ALTER TABLE idempotency_keys DROP COLUMN applied_at' },
      { sql: "DELETE FROM schema_migrations WHERE version LIKE '010_%'" },
      {
        sql: `INSERT INTO api_keys (id, name, scope, hash, prefix, created_at)
              VALUES ('k1k1k1k1k1k1', 'bot', 'write', 'digest', ?, '2026-11-23T10:00:00.000Z')`,
        args: [token.slice(0, 8)],
      },
      ...[
        ['/v1/keys', JSON.stringify({ id: 'k1k1k1k1k1k1', token })],
        ['/v1/incidents', '{"id":"i1"}'],
      ].map(([path, response]) => ({
        sql: `INSERT INTO idempotency_keys (key_id, idempotency_key, method, path, body_hash, status, response, created_at)
              VALUES ('admin', ?, 'POST', ?, 'h', 201, ?, '2026-11-23T10:00:00.000Z')`,
        args: [path!, path!, response!],
      })),
    ]);
    expect(await migrate(env.db, () => new Date())).toEqual(['010_hardening']);
    const keys = await env.db.query('SELECT prefix FROM api_keys');
    expect(keys.map((k) => k.prefix)).toEqual(['hrd_k1k1k1k1k1k1']);
    const replays = await env.db.query('SELECT path, response FROM idempotency_keys');
    expect(replays.map((r) => r.path)).toEqual(['/v1/incidents']);
    expect(JSON.stringify(replays)).not.toContain('s3cr3t');
  });
});
