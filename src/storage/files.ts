import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

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
  const temp = join(dir, `.${randomBytes(6).toString('hex')}.tmp`);
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
  const temps: Array<{ temp: string; target: string }> = [];
  try {
    for (const { file, data } of files) {
      const target = join(root, file);
      const dir = dirname(target);
      await mkdir(dir, { recursive: true });
      const temp = join(dir, `.${randomBytes(6).toString('hex')}.tmp`);
      temps.push({ temp, target });
      await writeFile(temp, data);
      if (mtime) await utimes(temp, mtime, mtime);
    }
    for (const { temp, target } of temps) await rename(temp, target);
  } catch (error) {
    await Promise.all(temps.map(({ temp }) => rm(temp, { force: true })));
    throw error;
  }
}
