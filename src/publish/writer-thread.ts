import { Worker } from 'node:worker_threads';
import { unchanged, writePublished, type WriteOptions } from './write.ts';

/** Writes published files (`writePublished`): on this thread, or on a thread of its own. */
export interface SiteWriter {
  /** Writes `body` as `file`; the caller must not use `body` after. */
  write(file: string, body: Buffer): Promise<void>;
  /** Waits for nothing more; a thread's writer ends its thread. */
  close(): Promise<void>;
}

/** `writePublished` on the calling thread, with `options`. */
export function inlineWriter(siteDir: string, options: WriteOptions = {}): SiteWriter {
  return {
    write: (file, body) => writePublished(siteDir, file, body, options),
    close: async () => undefined,
  };
}

export interface WriteRequest {
  id: number;
  file: string;
  body: Uint8Array;
}

export interface WriteResult {
  id: number;
  error?: string;
}

/** How the writer thread writes, and the calling thread when the writer thread cannot. */
export const WRITER_THREAD_OPTIONS: WriteOptions = { syncCompress: true };

/**
 * `writePublished` on a worker thread of its own, for a full export: there the comparison with
 * the file on disk, the two compressions and a dozen system calls per route (more than half of
 * the main thread's time at 100,000 incidents) run on the second core while the main thread
 * renders the next routes. A write resolves once its files are in place, or rejects with the
 * worker's error (the route then counts as failed, and is retried like a failed render). If the
 * thread cannot start, every write is made on the calling thread; if it fails later, every write
 * waiting on it rejects (and is retried), and later ones are made on the calling thread.
 */
export function threadWriter(siteDir: string): SiteWriter {
  const waiting = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  let next = 0;
  let failed: Error | null = null;
  const worker = new Worker(new URL('./writer-worker.ts', import.meta.url), {
    workerData: { siteDir },
    // It holds a few pages at a time: a small young generation keeps its memory small too.
    resourceLimits: { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 256 },
  });
  const fail = (error: Error) => {
    failed ??= error;
    for (const { reject } of waiting.values()) reject(error);
    waiting.clear();
  };
  worker.on('message', ({ id, error }: WriteResult) => {
    const request = waiting.get(id);
    waiting.delete(id);
    if (error === undefined) request?.resolve();
    else request?.reject(new Error(error));
  });
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`the site writer thread exited (code ${code})`)));
  // Nothing is sent before the thread runs: a thread that cannot start (a runtime that cannot load
  // its module) leaves every write to this thread, with its body still here.
  const online = new Promise<boolean>((resolve) => {
    worker.once('online', () => resolve(true));
    worker.once('error', () => resolve(false));
    worker.once('exit', () => resolve(false));
  });
  return {
    async write(file, body) {
      if (!(await online) || failed)
        return writePublished(siteDir, file, body, WRITER_THREAD_OPTIONS);
      const id = next++;
      return new Promise<void>((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        // A body that owns its whole memory moves to the thread without a copy.
        const owned = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength;
        const transfer = owned && body.buffer instanceof ArrayBuffer ? [body.buffer] : [];
        worker.postMessage({ id, file, body } satisfies WriteRequest, transfer);
      });
    },
    async close() {
      await worker.terminate();
    },
  };
}

/**
 * For a full export over an earlier site: each file is compared with the one on disk on the
 * calling thread (most come out unchanged, and comparing costs less than handing them over), and
 * only a changed one goes to a writer thread (`threadWriter`), started at the first. When every
 * page changed (the site renamed, new markup after an upgrade), their compression and writes ran
 * on the main thread, one after another: measured at 100,000 incidents, 110.5 s for the export
 * where the same export with nothing changed took 44.6.
 */
export function changedFilesWriter(siteDir: string): SiteWriter {
  let thread: SiteWriter | null = null;
  return {
    async write(file, body) {
      if (unchanged(siteDir, file, body)) return;
      thread ??= threadWriter(siteDir);
      return thread.write(file, body);
    },
    async close() {
      await thread?.close();
    },
  };
}
