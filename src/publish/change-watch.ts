import type { Db } from '../storage/db.ts';

/**
 * Finds incidents that changed without this process being told: another instance on the same
 * database changed them. It remembers the newest `updated_at` it has seen (the watermark) and the
 * incidents at or past it, and asks the database for anything at or past the watermark that it
 * has not seen in that version.
 */
export function createChangeWatch(db: Db) {
  let watermark: string | null = null;
  /** id → the `updated_at` seen, for incidents at or past the watermark. */
  const seen = new Map<string, string>();

  function observe(id: string, updatedAt: string): boolean {
    const fresh = seen.get(id) !== updatedAt;
    seen.set(id, updatedAt);
    if (watermark === null || updatedAt > watermark) watermark = updatedAt;
    return fresh;
  }

  return {
    /** Starts from the database as it is now; call before a full export reads it. */
    async reset(): Promise<void> {
      seen.clear();
      const rows = await db.query(
        'SELECT id, updated_at FROM incidents WHERE updated_at = (SELECT MAX(updated_at) FROM incidents)',
      );
      watermark = rows.length > 0 ? String(rows[0]!.updated_at) : '';
      for (const row of rows) seen.set(String(row.id), String(row.updated_at));
    },
    /** A change this process already publishes (told through `onChange`). */
    note(id: string, updatedAt: string): void {
      if (watermark !== null) observe(id, updatedAt);
    },
    /** Incidents changed since the last poll that nobody told this process about. */
    async poll(): Promise<string[]> {
      if (watermark === null) return [];
      const rows = await db.query('SELECT id, updated_at FROM incidents WHERE updated_at >= ?', [
        watermark,
      ]);
      const fresh = rows
        .filter((row) => observe(String(row.id), String(row.updated_at)))
        .map((row) => String(row.id));
      for (const [id, at] of seen) if (at < watermark!) seen.delete(id);
      return fresh;
    },
  };
}
