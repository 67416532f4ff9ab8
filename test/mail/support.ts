import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Db } from '../../src/storage/db.ts';
import { migrate } from '../../src/storage/migrations.ts';
import { enqueueEmail, type OutgoingEmail } from '../../src/storage/outbox.ts';

/** A migrated database on a real libSQL file in a fresh temporary directory. */
export async function tempDatabase(): Promise<{
  db: Db;
  dir: string;
  file: string;
  cleanup(): void;
}> {
  const dir = mkdtempSync(join(tmpdir(), 'herald-mail-'));
  const file = join(dir, 'herald.db');
  const db = await openDatabase({ url: `file:${file}` });
  await migrate(db, () => new Date());
  return {
    db,
    dir,
    file,
    cleanup() {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function email(n: number, extra: Partial<OutgoingEmail> = {}): OutgoingEmail {
  return {
    dedupeKey: `test/${n}`,
    kind: 'test',
    to: `person${n}@example.com`,
    subject: `Message ${n}`,
    html: `<p>Message ${n}</p>`,
    text: `Message ${n}\n`,
    ...extra,
  };
}

/** Queues the emails with creation times a few milliseconds apart, all already due. */
export async function enqueue(db: Db, emails: OutgoingEmail[], at = new Date()): Promise<string[]> {
  const ids: string[] = [];
  const first = at.getTime() - emails.length;
  await db.write(async (tx) => {
    for (const [i, e] of emails.entries()) {
      const id = `msg${String(i).padStart(3, '0')}${e.dedupeKey.replace(/[^a-z0-9]/g, '')}`;
      if (await enqueueEmail(tx, id, e, new Date(first + i).toISOString())) ids.push(id);
    }
  });
  return ids;
}

/**
 * The same database, through a handle whose `write` number `n` (counting from 1) waits until
 * `resume()`: a sender stalled at that point (a long pause of its process) while others go on.
 */
export function stallingAtWrite(
  db: Db,
  n: number,
): { db: Db; stalled: Promise<void>; resume(): void } {
  let count = 0;
  let reached!: () => void;
  let resume!: () => void;
  const stalled = new Promise<void>((resolve) => (reached = resolve));
  const gate = new Promise<void>((resolve) => (resume = resolve));
  return {
    db: {
      url: db.url,
      query: (sql, args) => db.query(sql, args),
      batch: (statements) => db.batch(statements),
      close: () => db.close(),
      async write(work) {
        count += 1;
        if (count === n) {
          reached();
          await gate;
        }
        return db.write(work);
      },
    },
    stalled,
    resume,
  };
}
