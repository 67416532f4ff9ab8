import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findIncident } from '../../src/storage/incidents.ts';
import { migrate } from '../../src/storage/migrations.ts';
import { tempDatabase } from '../mail/support.ts';

let env: Awaited<ReturnType<typeof tempDatabase>>;
beforeEach(async () => {
  env = await tempDatabase();
});
afterEach(() => env.cleanup());

const read = (sql: string, args?: Parameters<typeof env.db.query>[1]) => env.db.query(sql, args);

describe('migration 003 on a database that has incidents', () => {
  it('backfills public_since from created_at for public incidents only', async () => {
    // The database as it was before 003: the same file with 003 taken back out.
    await env.db.batch([
      { sql: 'ALTER TABLE incidents DROP COLUMN public_since' },
      { sql: 'ALTER TABLE cadence_notices DROP COLUMN outcome' },
      { sql: "DELETE FROM schema_migrations WHERE version LIKE '003_%'" },
      ...['public', 'private'].map((visibility) => ({
        sql: `INSERT INTO incidents (id, title, severity, status, impact, visibility, started_at,
                created_at, updated_at)
              VALUES (?, 'Title', 'SEV2', 'investigating', 'major', ?, ?, ?, ?)`,
        args: [
          visibility,
          visibility,
          '2026-11-23T09:50:00.000Z',
          '2026-11-23T10:00:00.000Z',
          '2026-11-23T10:00:00.000Z',
        ],
      })),
    ]);
    expect(await migrate(env.db, () => new Date())).toEqual(['003_public_since_notice_outcome']);
    expect((await findIncident(read, 'public'))!.public_since).toBe('2026-11-23T10:00:00.000Z');
    expect((await findIncident(read, 'private'))!.public_since).toBeNull();
  });
});
