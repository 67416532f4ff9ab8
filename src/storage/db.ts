import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import type { InArgs, Row } from '@libsql/client';
import { openClient } from './drivers/client.ts';
import { openEmbedded } from './drivers/embedded.ts';

/** What a write transaction may do: run statements and read their results. Its functions use no
 * `this`, so `tx.execute` can be passed on as a `Reader`. */
export interface Tx {
  execute: (sql: string, args?: InArgs) => Promise<Row[]>;
  run: (sql: string, args?: InArgs) => Promise<number>;
}

export interface Db {
  readonly url: string;
  /** Rows of one read statement (uses no `this`: `db.query` can be passed on as a `Reader`). */
  query: (sql: string, args?: InArgs) => Promise<Row[]>;
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
 *
 * Work asked for through an `urgent` view (the API's requests) goes before background work that
 * is waiting (fan-out chunks, mail claims, the publisher's reads), so posting an update does not
 * queue behind a subscriber fan-out; after `URGENT_IN_A_ROW` urgent jobs, one waiting background
 * job runs, so a flood of requests never stops the mail.
 */
class Queue {
  #urgent: Array<() => void> = [];
  #background: Array<() => void> = [];
  #busy = false;
  #urgentInARow = 0;
  #sliceStart = 0;

  run<T>(job: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      // The job runs in its caller's async context, as a promise continuation would.
      const start = AsyncResource.bind(() => {
        let result: Promise<T>;
        try {
          result = job();
        } catch (error) {
          result = Promise.reject(error);
        }
        void result.then(resolve, reject).finally(() => this.#next());
      });
      (urgency.getStore() ? this.#urgent : this.#background).push(start);
      if (!this.#busy) {
        this.#busy = true;
        queueMicrotask(() => {
          this.#sliceStart = performance.now();
          this.#next();
        });
      }
    });
  }

  #next(): void {
    // Jobs started from the previous one's completion run as microtasks: without a break, a long
    // queue would keep the event loop from reading new requests (whose work is the urgent kind)
    // until it is empty. After `SLICE_MS` of running jobs back to back, let the loop turn once.
    const at = performance.now();
    if (at - this.#sliceStart > SLICE_MS) {
      this.#busy = true;
      setImmediate(() => {
        this.#sliceStart = performance.now();
        this.#next();
      });
      return;
    }
    const turnOfBackground =
      this.#background.length > 0 &&
      (this.#urgent.length === 0 || this.#urgentInARow >= URGENT_IN_A_ROW);
    const start = turnOfBackground ? this.#background.shift() : this.#urgent.shift();
    this.#busy = start !== undefined;
    this.#urgentInARow = turnOfBackground ? 0 : this.#urgentInARow + 1;
    start?.();
  }
}

const URGENT_IN_A_ROW = 8;
const SLICE_MS = 5;
const urgency = new AsyncLocalStorage<true>();

/** The same database, its work going before waiting background work (see `Queue`). */
export function urgent(db: Db): Db {
  return {
    ...db,
    query: (sql, args) => urgency.run(true, () => db.query(sql, args)),
    write: (work) => urgency.run(true, () => db.write(work)),
    batch: (statements) => urgency.run(true, () => db.batch(statements)),
  };
}

export interface OpenOptions {
  url: string;
  authToken?: string | undefined;
  /**
   * `embedded` (the default for `file:` URLs) caches prepared statements; `client` is
   * `@libsql/client`, the only choice for remote URLs, and selectable for a file to test it.
   */
  driver?: 'embedded' | 'client' | undefined;
  /**
   * A file opened by the embedded driver has its write-ahead log checkpointed by a worker thread
   * (`checkpointer.ts`) instead of inside commits on the event loop. The server turns it on.
   */
  checkpointInBackground?: boolean | undefined;
}

export async function openDatabase({
  url,
  authToken,
  driver,
  checkpointInBackground,
}: OpenOptions): Promise<Db> {
  const queue = new Queue();
  const run = <T>(job: () => Promise<T>) => queue.run(job);
  if (!url.startsWith('file:')) return fenced(await openClient(url, authToken, run));
  const path = url.slice('file:'.length);
  if (path !== ':memory:' && path !== '') {
    mkdirSync(dirname(path), { recursive: true });
    keepPrivate(path);
  }
  if (driver === 'client') return fenced(await openClient(url, authToken, run));
  const background = checkpointInBackground === true && path !== ':memory:' && path !== '';
  return fenced(openEmbedded(path, run, { checkpointInBackground: background }));
}

type Fence = (tx: Tx) => Promise<void>;
const fences = new AsyncLocalStorage<Fence>();

/**
 * Runs `work` so that every write transaction it starts also runs `fence` just before committing,
 * in the same transaction: a fence that throws rolls the write back. The idempotency middleware
 * uses it to record "applied" atomically with the change itself, and to stop a request whose
 * claim a retry has taken over from changing anything.
 */
export function withWriteFence<T>(fence: Fence, work: () => Promise<T>): Promise<T> {
  return fences.run(fence, work);
}

function fenced(db: Db): Db {
  return {
    ...db,
    write<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
      const fence = fences.getStore();
      if (!fence) return db.write(work);
      return db.write(async (tx) => {
        const result = await work(tx);
        await fence(tx);
        return result;
      });
    },
  };
}

/**
 * The database holds key digests, private incidents and executive data: only its owner may read
 * it. The file is created `0600` before SQLite opens it (SQLite gives its `-wal` and `-shm` files
 * the same mode), and an existing file is tightened.
 */
export function keepPrivate(path: string): void {
  closeSync(openSync(path, 'a', 0o600));
  chmodSync(path, 0o600);
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
