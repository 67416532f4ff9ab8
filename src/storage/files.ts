import { randomBytes } from 'node:crypto';
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
