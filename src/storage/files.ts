import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * Writes a file so that no reader ever sees it half-written: the bytes go to a temporary file in
 * the same directory, which is then renamed over the old one (atomic on one file system).
 * `mtime`, when given, is set on the file before it appears (files published together share it).
 */
export async function writeAtomic(
  root: string,
  file: string,
  data: Buffer | string,
  mtime?: Date,
): Promise<void> {
  const target = join(root, file);
  const dir = dirname(target);
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(temp, data);
    if (mtime) await utimes(temp, mtime, mtime);
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
