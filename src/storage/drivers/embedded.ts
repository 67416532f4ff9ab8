import Database from 'libsql';
import type { InArgs, InValue, Row } from '@libsql/client';
import type { Db, Tx } from '../db.ts';
import { SAFETY_PAGES, startCheckpointer, type Checkpointer } from '../checkpointer.ts';

interface Statement {
  reader: boolean;
  all(args: unknown[]): Row[];
  run(args: unknown[]): { changes: number };
}

interface Connection {
  prepare(sql: string): Statement;
  close(): void;
}

/** Booleans become 0/1 as in `@libsql/client`; every other value binds as it is. */
function bindable(args: InArgs | undefined): unknown[] {
  if (!args) return [];
  if (!Array.isArray(args))
    throw new TypeError('the embedded driver binds positional arguments only');
  return args.map((value: InValue) => (typeof value === 'boolean' ? (value ? 1 : 0) : value));
}

/** How long a statement waits for another process's lock on the file. */
const BUSY_TIMEOUT_MS = 10_000;

/**
 * Runs `work` again while it fails with SQLITE_BUSY, for up to `timeoutMs`, blocking (it runs
 * while the database opens, before anything else may use it). Switching a file to WAL waits for
 * no lock: while another process holds the file's write lock (its migrations, in the same
 * second), SQLite answers SQLITE_BUSY at once instead of calling the busy handler, and a server
 * started beside another one failed to open its database.
 */
function whenNotBusy<T>(work: () => T, timeoutMs: number): T {
  const deadline = Date.now() + timeoutMs;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let wait = 5; ; wait = Math.min(wait * 2, 100)) {
    try {
      return work();
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'SQLITE_BUSY' || Date.now() >= deadline)
        throw error;
      Atomics.wait(pause, 0, 0, wait);
    }
  }
}

/**
 * The embedded database file through `libsql`, the driver `@libsql/client` itself wraps for
 * `file:` URLs, with one difference that matters on the hot path: statements are prepared once per
 * connection and reused. `@libsql/client` prepares every statement on every call, and preparing
 * costs up to a hundred microseconds for the larger queries, more than running them.
 */
export function openEmbedded(
  path: string,
  queue: <T>(job: () => Promise<T>) => Promise<T>,
  { checkpointInBackground = false } = {},
): Db {
  const connection = new Database(path, { timeout: BUSY_TIMEOUT_MS }) as unknown as Connection;
  const statements = new Map<string, Statement>();
  function statement(sql: string): Statement {
    let prepared = statements.get(sql);
    if (!prepared) {
      prepared = connection.prepare(sql);
      // Queries are built from a fixed set of shapes; the bound keeps a bug from leaking memory.
      if (statements.size > 500) statements.clear();
      statements.set(sql, prepared);
    }
    return prepared;
  }
  const execute = (sql: string, args?: InArgs): Row[] => {
    const prepared = statement(sql);
    if (prepared.reader) return prepared.all(bindable(args));
    prepared.run(bindable(args));
    return [];
  };
  const run = (sql: string, args?: InArgs): number => {
    const prepared = statement(sql);
    if (prepared.reader) return prepared.all(bindable(args)).length;
    return prepared.run(bindable(args)).changes;
  };
  const tx: Tx = {
    execute: async (sql, args) => execute(sql, args),
    run: async (sql, args) => run(sql, args),
  };
  async function inTransaction<T>(work: () => Promise<T>): Promise<T> {
    run('BEGIN IMMEDIATE');
    try {
      const result = await work();
      run('COMMIT');
      return result;
    } catch (error) {
      try {
        run('ROLLBACK');
      } catch {
        // SQLite already rolled back (for example after SQLITE_FULL); nothing left to undo.
      }
      throw error;
    }
  }
  whenNotBusy(() => execute('PRAGMA journal_mode = WAL'), BUSY_TIMEOUT_MS);
  execute('PRAGMA synchronous = NORMAL');
  execute('PRAGMA foreign_keys = ON');
  let checkpointer: Checkpointer | null = null;
  if (checkpointInBackground) {
    execute(`PRAGMA wal_autocheckpoint = ${SAFETY_PAGES}`);
    checkpointer = startCheckpointer(path);
  }
  return {
    url: `file:${path}`,
    query: (sql, args) => queue(async () => execute(sql, args)),
    write: (work) => queue(() => inTransaction(() => work(tx))),
    batch: (list) =>
      queue(() =>
        inTransaction(async () => {
          for (const s of list) run(s.sql, s.args);
        }),
      ),
    close: () => {
      void checkpointer?.stop();
      connection.close();
    },
  };
}
