import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
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
