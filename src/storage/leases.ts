import type { Db } from './db.ts';

/**
 * Takes or renews the named lease for `holder` until `until` when it is free, expired or already
 * held by `holder`. A crashed holder's lease simply runs out.
 */
export async function acquireLease(
  db: Db,
  name: string,
  holder: string,
  now: string,
  until: string,
): Promise<boolean> {
  return db.write(async (tx) => {
    const changed = await tx.run(
      `INSERT INTO leases (name, holder, until) VALUES (?1, ?2, ?3)
       ON CONFLICT (name) DO UPDATE SET holder = ?2, until = ?3
       WHERE leases.holder = ?2 OR leases.until < ?4`,
      [name, holder, until, now],
    );
    return changed === 1;
  });
}

/** Gives the lease up on a clean stop so another process takes over at its next tick. */
export async function releaseLease(db: Db, name: string, holder: string): Promise<void> {
  await db.batch([
    { sql: 'DELETE FROM leases WHERE name = ? AND holder = ?', args: [name, holder] },
  ]);
}
