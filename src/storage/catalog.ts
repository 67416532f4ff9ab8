import type { Db } from './db.ts';
import { str } from './db.ts';
import type { Reader } from './incidents.ts';

/** Notes the catalog ids not seen before, at `at`; ids seen earlier keep their first date. */
export async function recordCatalogSeen(db: Db, ids: readonly string[], at: string): Promise<void> {
  if (ids.length === 0) return;
  await db.batch(
    ids.map((id) => ({
      sql: 'INSERT INTO catalog_first_seen (id, first_seen_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING',
      args: [id, at],
    })),
  );
}

/** Catalog id → when this installation first saw it. */
export async function catalogFirstSeen(read: Reader): Promise<Map<string, string>> {
  const rows = await read('SELECT id, first_seen_at FROM catalog_first_seen');
  return new Map(rows.map((row) => [str(row, 'id'), str(row, 'first_seen_at')]));
}
