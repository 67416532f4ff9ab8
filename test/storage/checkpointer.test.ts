import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SAFETY_PAGES, startCheckpointer } from '../../src/storage/checkpointer.ts';
import { openDatabase, type Db } from '../../src/storage/db.ts';

/** Writes `rounds` transactions of about 400 KB each, with a pause between (and `between`, when
 * given, awaited after each), and returns the largest size the write-ahead log reached. */
async function fill(
  db: Db,
  file: string,
  rounds: number,
  between?: () => Promise<void>,
): Promise<number> {
  await db.query('CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, body TEXT)');
  const body = 'x'.repeat(4_000);
  let largest = 0;
  for (let round = 0; round < rounds; round++) {
    await db.batch(
      Array.from({ length: 100 }, () => ({ sql: 'INSERT INTO t (body) VALUES (?)', args: [body] })),
    );
    largest = Math.max(largest, statSync(`${file}-wal`).size);
    await new Promise((r) => setTimeout(r, 40));
    await between?.();
  }
  return largest;
}

describe('the background checkpointer', () => {
  it('keeps the write-ahead log short from a worker thread, the commits no longer checkpointing it themselves', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'herald-checkpoint-'));
    // The server's database: the main connection's own checkpoint is only the far-off fallback.
    const served = await openDatabase({
      url: `file:${join(dir, 'served.db')}`,
      checkpointInBackground: true,
    });
    const [row] = await served.query('PRAGMA wal_autocheckpoint');
    expect(Object.values(row!)[0]).toBe(SAFETY_PAGES);
    served.close();

    // Two files whose connections checkpoint only at that fallback; one has the worker.
    const files = [join(dir, 'alone.db'), join(dir, 'worker.db')];
    const [alone, helped] = await Promise.all(
      files.map(async (file) => {
        const db = await openDatabase({ url: `file:${file}` });
        await db.query(`PRAGMA wal_autocheckpoint = ${SAFETY_PAGES}`);
        return db;
      }),
    );
    const worker = startCheckpointer(files[1]!, 100);
    try {
      expect(await worker.count()).toBeGreaterThanOrEqual(0); // answers: it is running
      // About 16 MB each: four times SQLite's default threshold (1,000 pages, 4 MB).
      const aloneLargest = await fill(alone!, files[0]!, 40);
      // The log's file keeps its largest size, so one tick of the worker lost to a loaded machine
      // (CI runs other test files beside this one) would show for the rest of the run: after each
      // transaction the writer waits until the worker has run another checkpoint, as it would
      // have within 100 ms on a machine with a core to spare. What is tested is that the
      // worker's checkpoints, not the commits, keep the log short.
      const ticked = async () => {
        const before = await worker.count();
        const deadline = Date.now() + 10_000;
        while ((await worker.count()) === before && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 20));
        }
      };
      const helpedLargest = await fill(helped!, files[1]!, 40, ticked);
      expect(aloneLargest).toBeGreaterThan(12_000_000);
      // Checkpointed between transactions, the log stays near one transaction's size (400 KB)
      // where the commits alone let it reach 16 MB.
      expect(helpedLargest).toBeLessThan(aloneLargest / 8);
      expect(await worker.count()).toBeGreaterThanOrEqual(40);
      const [count] = await helped!.query('SELECT COUNT(*) AS n FROM t');
      expect(count!.n).toBe(4_000);
    } finally {
      await worker.stop();
      alone!.close();
      helped!.close();
    }
  });
});
