import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Db } from './db.ts';

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

/** Splits a migration file into statements (no statement in our migrations contains a `;` literal). */
function statements(sql: string): string[] {
  return sql
    .split(/;\s*$/m)
    .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
    .filter((s) => s.length > 0);
}

async function migrationVersions(): Promise<string[]> {
  return (await readdir(MIGRATIONS_DIR))
    .filter((f) => /^\d+_.+\.sql$/.test(f))
    .sort()
    .map((f) => f.replace(/\.sql$/, ''));
}

/**
 * The migrations this code knows that the database has not recorded (for `/readyz`); throws when
 * the database cannot be read.
 */
export async function pendingMigrations(db: Db): Promise<string[]> {
  const rows = await db.query('SELECT version FROM schema_migrations');
  const applied = new Set(rows.map((r) => String(r.version)));
  return (await migrationVersions()).filter((v) => !applied.has(v));
}

/**
 * Applies every `NNN_name.sql` not yet recorded in `schema_migrations`, each in one transaction
 * together with its record, so a crash mid-way leaves it unapplied, and two processes starting at
 * once apply it exactly once.
 */
export async function migrate(db: Db, now: () => Date): Promise<string[]> {
  await db.batch([
    {
      sql: 'CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at TEXT NOT NULL)',
    },
  ]);
  const applied: string[] = [];
  for (const version of await migrationVersions()) {
    const sql = await readFile(`${MIGRATIONS_DIR}${version}.sql`, 'utf8');
    const didApply = await db.write(async (tx) => {
      const done = await tx.execute('SELECT 1 FROM schema_migrations WHERE version = ?', [version]);
      if (done.length > 0) return false;
      for (const statement of statements(sql)) await tx.run(statement);
      await tx.run('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)', [
        version,
        now().toISOString(),
      ]);
      return true;
    });
    if (didApply) applied.push(version);
  }
  return applied;
}
