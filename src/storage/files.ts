import { randomBytes } from 'node:crypto';
import {
  closeSync,
  futimesSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { mkdir, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * Temporary names: this process's own prefix (random, so two processes sharing a directory never
 * collide) and a counter, cheaper than fresh random bytes per file in a 100,000-page export.
 */
const TEMP_PREFIX = `.${randomBytes(6).toString('hex')}-`;
let tempCount = 0;

function tempBeside(target: string): string {
  return join(dirname(target), `${TEMP_PREFIX}${(tempCount++).toString(36)}.tmp`);
}

/**
 * Writes a file so that no reader ever sees it half-written: the bytes go to a temporary file in
 * the same directory, which is then renamed over the old one (atomic on one file system).
 */
export async function writeAtomic(
  root: string,
  file: string,
  data: Buffer | string,
): Promise<void> {
  const target = join(root, file);
  const dir = dirname(target);
  await mkdir(dir, { recursive: true });
  const temp = tempBeside(target);
  try {
    await writeFile(temp, data);
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/**
 * Writes several files so that each appears whole and they appear as close together as renames
 * allow: every temporary file is written first, then each is renamed over its target, one right
 * after another, in the order given. `mtime`, when given, is set on each before it appears.
 */
export async function writeAtomicGroup(
  root: string,
  files: Array<{ file: string; data: Buffer | string }>,
  mtime?: Date,
): Promise<void> {
  const temps = files.map(({ file, data }) => {
    const target = join(root, file);
    return { temp: tempBeside(target), target, data };
  });
  const bytes = temps.reduce((n, { data }) => n + data.length, 0);
  if (bytes <= SYNC_GROUP_BYTES) return writeGroupSync(temps, mtime);
  try {
    for (const dir of new Set(temps.map((t) => dirname(t.target))))
      await mkdir(dir, { recursive: true });
    // Written side by side, all settled before any clean-up; renamed one after another, in order.
    const written = await Promise.allSettled(
      temps.map(async ({ temp, data }) => {
        await writeFile(temp, data);
        if (mtime) await utimes(temp, mtime, mtime);
      }),
    );
    for (const result of written) if (result.status === 'rejected') throw result.reason;
    for (const { temp, target } of temps) await rename(temp, target);
  } catch (error) {
    await Promise.all(temps.map(({ temp }) => rm(temp, { force: true })));
    throw error;
  }
}

/**
 * Groups up to this many bytes (a page and its compressed versions, most of a site) are written
 * with synchronous calls: about a dozen system calls into the page cache, a fraction of a
 * millisecond, where each asynchronous call is a round trip through the thread pool. Measured in a
 * 100,000-incident export: the main thread spent more time handing those calls over and taking
 * their results back than rendering.
 */
const SYNC_GROUP_BYTES = 64 * 1024;

type Temp = { temp: string; target: string; data: Buffer | string };

/** `writeAtomicGroup`'s work in synchronous calls; the directory is made only when missing. */
function writeGroupSync(temps: Temp[], mtime: Date | undefined): void {
  try {
    for (const { temp, data } of temps) {
      const fd = openCreating(temp);
      try {
        const buffer = typeof data === 'string' ? Buffer.from(data) : data;
        for (let at = 0; at < buffer.length;) at += writeSync(fd, buffer, at, buffer.length - at);
        if (mtime) futimesSync(fd, mtime, mtime);
      } finally {
        closeSync(fd);
      }
    }
    for (const { temp, target } of temps) renameSync(temp, target);
  } catch (error) {
    for (const { temp } of temps) rmSync(temp, { force: true });
    throw error;
  }
}

/** Opens a new file for writing, making its directory first if (and only if) it is missing. */
function openCreating(path: string): number {
  try {
    return openSync(path, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    mkdirSync(dirname(path), { recursive: true });
    return openSync(path, 'wx');
  }
}
