import { readdir, rm, rmdir } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';

/** Removes a published file and the directory it leaves empty (an incident's own folder). */
export async function removePublished(siteDir: string, file: string): Promise<void> {
  const target = join(siteDir, file);
  await rm(target, { force: true });
  const dir = dirname(target);
  if (dir !== siteDir) await rmdir(dir).catch(() => undefined);
}

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const nested = await Promise.all(
    entries.map((e) =>
      e.isDirectory() ? walk(join(dir, e.name)) : Promise.resolve([join(dir, e.name)]),
    ),
  );
  return nested.flat();
}

/** Every file under the site directory, as paths relative to it with `/` separators. */
export async function listPublished(siteDir: string): Promise<string[]> {
  return (await walk(siteDir)).map((path) => relative(siteDir, path).split(sep).join('/'));
}

/**
 * Deletes every file that is not part of the site just exported (a page of an incident that went
 * private while the server was down, leftovers of a crash), then the directories left empty.
 */
export async function pruneSite(siteDir: string, keep: ReadonlySet<string>): Promise<number> {
  let removed = 0;
  for (const file of await listPublished(siteDir)) {
    if (keep.has(file)) continue;
    await removePublished(siteDir, file);
    removed++;
  }
  return removed;
}
