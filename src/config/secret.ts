import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from './content.ts';

/**
 * The secret subscription links are derived from: `HERALD_SECRET` when set (needed when several
 * instances with their own data directories share one database), otherwise `<data>/secret.key`,
 * created on first start. It lives outside the database, so a copy of the database holds no
 * usable link.
 */
export async function loadSecret(fromEnv: string | undefined, dataDir: string): Promise<Buffer> {
  if (fromEnv !== undefined) return Buffer.from(fromEnv, 'utf8');
  const file = join(dataDir, 'secret.key');
  await mkdir(dataDir, { recursive: true });
  try {
    // `wx`: two processes starting at once do not both create it; the second reads the first's.
    await writeFile(file, randomBytes(32).toString('base64url') + '\n', {
      flag: 'wx',
      mode: 0o600,
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new ConfigError(`${file} cannot be created: ${(error as Error).message}`);
    }
  }
  for (let attempt = 0; ; attempt++) {
    const text = (await readFile(file, 'utf8')).trim();
    if (text.length >= 32) return Buffer.from(text, 'utf8');
    // Another process created it a moment ago and is still writing.
    if (attempt > 20)
      throw new ConfigError(`${file} holds no usable secret; delete it to make a new one`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
