import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PAGE_SCRIPT, PAGE_SCRIPT_FILE } from './views/page-security.ts';
import { listPublished } from './write.ts';

/** A file every page links, as published under the site directory. */
export interface SiteAsset {
  file: string;
  data: Buffer;
}

/**
 * The files the pages link, each named by its content's hash: the stylesheets the Astro build
 * emitted (`_astro/…css`, from the build's `client` directory) and the page script
 * (`PAGE_SCRIPT_FILE`). A full export writes them before any page that links them.
 */
export async function siteAssets(buildDir: string): Promise<SiteAsset[]> {
  const client = join(buildDir, 'client');
  const built = await Promise.all(
    (await listPublished(client)).map(async (file) => ({
      file,
      data: await readFile(join(client, file)),
    })),
  );
  return [...built, { file: PAGE_SCRIPT_FILE, data: Buffer.from(PAGE_SCRIPT) }];
}

/**
 * Where the hashed files live (the build's stylesheets, the page script): a new version is a new
 * name beside the old ones, so the server lets caches keep them for good.
 */
export const ASSET_DIRS = ['_astro', 'assets'] as const;

/**
 * How long a replaced stylesheet or page script stays published: as long as a cache may still
 * serve a page that links it (`stale-if-error=86400` in the pages' Cache-Control).
 */
export const ASSET_GRACE_MS = 86_400_000;

/**
 * The hashed files already published that a full export keeps beside its own: every one when a
 * page failed to render (its previous version stays live and links the files it was built with),
 * else those written within `ASSET_GRACE_MS` (pages still cached elsewhere link them).
 */
export async function assetsToKeep(
  siteDir: string,
  now: number,
  pageFailed: boolean,
): Promise<string[]> {
  const kept: string[] = [];
  for (const dir of ASSET_DIRS) {
    for (const name of await listPublished(join(siteDir, dir))) {
      const file = `${dir}/${name}`;
      const info = await stat(join(siteDir, file)).catch(() => null);
      if (info && (pageFailed || now - info.mtimeMs < ASSET_GRACE_MS)) kept.push(file);
    }
  }
  return kept;
}
