// The database queue's order: a request's work (through `urgent`) goes before background work that
// is waiting, background work still gets its turn under a flood, and a failing job stops nothing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, urgent, type Db } from '../../src/storage/db.ts';

let dir: string;
for (const driver of ['embedded', 'client'] as const) {
  describe(`the ${driver} driver's queue`, () => {
    let db: Db;
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'herald-queue-'));
      db = await openDatabase({ url: `file:${join(dir, 'queue.db')}`, driver });
      await db.write((tx) => tx.run('CREATE TABLE t (n INTEGER)'));
    });
    afterAll(() => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    });

    /** A background write that holds the queue (it has begun) until `release` is called. */
    async function hold() {
      let release!: () => void;
      let begun!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const started = new Promise<void>((resolve) => (begun = resolve));
      const held = db.write(async (tx) => {
        begun();
        await tx.run('INSERT INTO t (n) VALUES (0)');
        await gate;
      });
      await started;
      return { release, held };
    }

    it('runs urgent work before the background work waiting ahead of it', async () => {
      const { release, held } = await hold();
      const order: string[] = [];
      const waiting = [
        db.query('SELECT 1').then(() => order.push('background 1')),
        db.query('SELECT 2').then(() => order.push('background 2')),
        urgent(db)
          .query('SELECT 3')
          .then(() => order.push('urgent')),
        urgent(db)
          .write((tx) => tx.run('INSERT INTO t (n) VALUES (1)'))
          .then(() => order.push('urgent write')),
      ];
      release();
      await Promise.all([held, ...waiting]);
      expect(order).toEqual(['urgent', 'urgent write', 'background 1', 'background 2']);
    });

    it('lets one waiting background job run after every eight urgent ones', async () => {
      const { release, held } = await hold();
      const order: string[] = [];
      const waiting = [db.query('SELECT 0').then(() => order.push('background'))];
      for (let i = 0; i < 20; i++)
        waiting.push(
          urgent(db)
            .query('SELECT ?', [i])
            .then(() => order.push(`urgent ${i}`)),
        );
      release();
      await Promise.all([held, ...waiting]);
      expect(order.indexOf('background'), order.join()).toBe(8);
      expect(order.filter((o) => o.startsWith('urgent'))).toHaveLength(20);
    });

    it('lets the event loop turn during a long queue, so new requests are read', async () => {
      const spin = (ms: number) => {
        const until = performance.now() + ms;
        while (performance.now() < until) {
          // CPU-bound work inside a transaction, as a large chunk would be
        }
      };
      let done = 0;
      const jobs = Array.from({ length: 40 }, () =>
        db.write(async () => {
          spin(2);
          done++;
        }),
      );
      const seenAt = await new Promise<number>((resolve) => setImmediate(() => resolve(done)));
      await Promise.all(jobs);
      expect(done).toBe(40);
      // Without the breaks all 40 jobs (80 ms) would run before the loop turned once.
      expect(seenAt).toBeLessThan(10);
    });

    it('keeps going after a job that fails, in either lane', async () => {
      await expect(db.query('SELECT * FROM missing_table')).rejects.toThrow(/missing_table/);
      await expect(urgent(db).write(() => Promise.reject(new Error('nope')))).rejects.toThrow(
        'nope',
      );
      await expect(
        urgent(db).write(() => {
          throw new Error('thrown at once');
        }),
      ).rejects.toThrow('thrown at once');
      expect(await db.query('SELECT COUNT(*) AS c FROM t')).toEqual([{ c: 3 }]);
    });
  });
}
