/**
 * The site writer thread (`threadWriter`): writes each file it is sent with `writePublished`,
 * and answers with the request's id and, if the write failed, its error.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { WRITER_THREAD_OPTIONS, type WriteRequest, type WriteResult } from './writer-thread.ts';
import { writePublished } from './write.ts';
import { youngCollector } from '../lib/gc.ts';

const { siteDir } = workerData as { siteDir: string };
const port = parentPort!;

/** The pages it is sent, and their compressed copies, go after each 16 MiB received (see gc.ts). */
const COLLECT_EVERY_BYTES = 16 * 2 ** 20;
const collect = youngCollector();
let received = 0;

port.on('message', ({ id, file, body }: WriteRequest) => {
  const data = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  received += body.byteLength;
  if (collect && received >= COLLECT_EVERY_BYTES) {
    received = 0;
    collect();
  }
  writePublished(siteDir, file, data, WRITER_THREAD_OPTIONS).then(
    () => port.postMessage({ id } satisfies WriteResult),
    (error: Error) => port.postMessage({ id, error: error.message } satisfies WriteResult),
  );
});
