import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/storage/db.ts';
import { migrate } from '../../src/storage/migrations.ts';

describe('migrations', () => {
  it('apply once, are recorded, and are a no-op the second time', async () => {
    const url = `file:${join(mkdtempSync(join(tmpdir(), 'herald-mig-')), 'herald.db')}`;
    const now = () => new Date('2026-11-23T10:00:00Z');
    const db = await openDatabase({ url });
    const first = await migrate(db, now);
    expect(first[0]).toBe('001_incidents');
    expect(await migrate(db, now)).toEqual([]);
    db.close();
    const again = await openDatabase({ url });
    expect(await migrate(again, now)).toEqual([]);
    const recorded = await again.query('SELECT version FROM schema_migrations ORDER BY version');
    expect(recorded.map((r) => r.version)).toEqual(first);
    again.close();
  });

  it('open a file whose write lock another process holds, once it lets go', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'herald-mig-')), 'herald.db');
    // Another connection, on a thread of its own, creates the file and holds its write lock (as a
    // second server's migrations do) for 300 ms.
    const holder = new Worker(
      `const Database = require('libsql');
       const { parentPort, workerData } = require('node:worker_threads');
       const db = new Database(workerData);
       db.exec('CREATE TABLE held (x); BEGIN IMMEDIATE; INSERT INTO held VALUES (1)');
       parentPort.postMessage('locked');
       setTimeout(() => { db.exec('COMMIT'); db.close(); parentPort.postMessage('released'); }, 300);`,
      { eval: true, workerData: path },
    );
    const messages: string[] = [];
    const released = new Promise<void>((resolve) =>
      holder.on('message', (m: string) => {
        messages.push(m);
        if (m === 'released') resolve();
      }),
    );
    await new Promise<void>((resolve) => holder.once('message', () => resolve()));
    const started = Date.now();
    const db = await openDatabase({ url: `file:${path}` });
    // It waited for the lock instead of failing with SQLITE_BUSY at once.
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    await released;
    expect(messages).toEqual(['locked', 'released']);
    expect(await db.query('SELECT x FROM held')).toEqual([{ x: 1 }]);
    expect(await db.query('PRAGMA journal_mode')).toEqual([{ journal_mode: 'wal' }]);
    db.close();
    await holder.terminate();
  });

  it('are applied exactly once when two processes migrate one file at once', async () => {
    const url = `file:${join(mkdtempSync(join(tmpdir(), 'herald-mig-')), 'herald.db')}`;
    const script = join(import.meta.dirname, 'fixtures/migrate.ts');
    const migrateIn = () =>
      new Promise<string[]>((resolve, reject) => {
        execFile(process.execPath, ['--import', 'tsx', script, url], (error, stdout, stderr) =>
          error
            ? reject(new Error(stderr || String(error)))
            : resolve(JSON.parse(stdout) as string[]),
        );
      });
    const [a, b] = await Promise.all([migrateIn(), migrateIn()]);
    const all = [...a, ...b].sort();
    // every migration applied by exactly one of the two
    expect(all).toEqual([...new Set(all)].sort());
    const db = await openDatabase({ url });
    const recorded = await db.query('SELECT version FROM schema_migrations ORDER BY version');
    expect(recorded.map((r) => r.version)).toEqual(all);
    db.close();
  });
});
