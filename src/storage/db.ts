import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { createClient, type Client, type InArgs, type Row, type Transaction } from '@libsql/client';

/** What a write transaction may do: run statements and read their results. */
export interface Tx {
  execute(sql: string, args?: InArgs): Promise<Row[]>;
  run(sql: string, args?: InArgs): Promise<number>;
}

export interface Db {
  readonly url: string;
  /** Rows of one read statement. */
  query(sql: string, args?: InArgs): Promise<Row[]>;
  /** Runs `work` inside one `BEGIN IMMEDIATE` transaction; commits when it returns, rolls back when it throws. */
  write<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
  /** Runs statements atomically in one round trip. */
  batch(statements: Array<{ sql: string; args?: InArgs }>): Promise<void>;
  close(): void;
}

/**
 * Serialises this process's database work. The embedded driver is synchronous, so queueing costs
 * no throughput, and it keeps one process from waiting on its own write lock; other processes on
 * the same file are ordered by SQLite's lock with a busy timeout.
 */
class Queue {
  #tail: Promise<unknown> = Promise.resolve();
  run<T>(job: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(job, job);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}

export interface OpenOptions {
  url: string;
  authToken?: string | undefined;
}

export async function openDatabase({ url, authToken }: OpenOptions): Promise<Db> {
  const isFile = url.startsWith('file:');
  if (isFile) {
    const path = url.slice('file:'.length);
    if (path !== ':memory:' && path !== '') mkdirSync(dirname(path), { recursive: true });
  }
  const client: Client = createClient({
    url,
    authToken,
    // One connection keeps the per-connection pragmas below in force.
    concurrency: isFile ? 1 : 20,
    timeout: isFile ? 10_000 : undefined,
  });
  if (isFile) {
    await client.execute('PRAGMA journal_mode = WAL');
    await client.execute('PRAGMA synchronous = NORMAL');
    await client.execute('PRAGMA foreign_keys = ON');
  }
  const queue = new Queue();
  return {
    url,
    query: (sql, args) =>
      queue.run(async () => (await client.execute({ sql, args: args ?? [] })).rows),
    batch: (statements) =>
      queue.run(async () => {
        await client.batch(
          statements.map((s) => ({ sql: s.sql, args: s.args ?? [] })),
          'write',
        );
      }),
    write: (work) =>
      queue.run(async () => {
        const transaction: Transaction = await client.transaction('write');
        const tx: Tx = {
          execute: async (sql, args) => (await transaction.execute({ sql, args: args ?? [] })).rows,
          run: async (sql, args) =>
            (await transaction.execute({ sql, args: args ?? [] })).rowsAffected,
        };
        try {
          const result = await work(tx);
          await transaction.commit();
          return result;
        } catch (error) {
          await transaction.rollback().catch(() => undefined);
          throw error;
        } finally {
          transaction.close();
        }
      }),
    close: () => client.close(),
  };
}

export function str(row: Row, column: string): string {
  return row[column] as string;
}
export function strOrNull(row: Row, column: string): string | null {
  const value = row[column];
  return value === null || value === undefined ? null : String(value);
}
export function num(row: Row, column: string): number {
  return Number(row[column]);
}
