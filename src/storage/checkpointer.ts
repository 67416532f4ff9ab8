import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * SQLite copies the write-ahead log back into the database file (a checkpoint, with an fsync) in
 * whichever commit finds the log past `wal_autocheckpoint` pages. With the embedded driver that
 * commit runs on the event loop, so during a subscriber fan-out, whose deliveries fill the log
 * quickly, an API request now and then waited tens of milliseconds behind a checkpoint.
 *
 * Here a worker thread, with a connection of its own, checkpoints every `intervalMs` in PASSIVE
 * mode (it never waits for, nor blocks, the readers and writers), so the log stays short and the
 * main connection's own automatic checkpoint (`SAFETY_PAGES`, far above what the worker lets the
 * log reach) is only the fallback should the worker fall behind or die.
 */
export const SAFETY_PAGES = 16_384;

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { timeout: 0 });
let done = 0;
const timer = setInterval(() => {
  try {
    // exec, not a kept statement: a statement left open would hold a read mark on the log and
    // keep the next writer from starting it over.
    db.exec('PRAGMA wal_checkpoint(PASSIVE)');
    done++;
  } catch {
    // Busy or locked: the next tick tries again; the main connection's fallback still holds.
  }
}, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message === 'count') parentPort.postMessage(done);
  if (message === 'stop') {
    clearInterval(timer);
    db.close();
    parentPort.postMessage('stopped');
  }
});
`;

export interface Checkpointer {
  /** How many checkpoints the worker has run (for tests and health). */
  count(): Promise<number>;
  stop(): Promise<void>;
}

export function startCheckpointer(path: string, intervalMs = 200): Checkpointer {
  const worker = new Worker(WORKER, {
    eval: true,
    workerData: { path, intervalMs, driver: createRequire(import.meta.url).resolve('libsql') },
  });
  // The process may exit while it runs: checkpointing is an optimisation, never a reason to stay.
  worker.unref();
  let stopped: Promise<void> | null = null;
  return {
    count: () =>
      new Promise((resolve, reject) => {
        const failed = (error: Error) => reject(error);
        worker.once('error', failed);
        worker.once('message', (n: number) => {
          worker.off('error', failed);
          resolve(n);
        });
        worker.postMessage('count');
      }),
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        // Its connection closed, the worker is ended (an error ends it too).
        const end = () => void worker.terminate().then(() => resolve());
        worker.once('message', end);
        worker.once('error', end);
        worker.postMessage('stop');
      });
      return stopped;
    },
  };
}
