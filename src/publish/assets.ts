import { readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { PAGE_SCRIPT, PAGE_SCRIPT_FILE } from './views/page-security.ts';
import { filesUnder } from './write.ts';

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
  const files = await filesUnder(client);
  const built = await Promise.all(
    files.map(async (path) => ({
      file: relative(client, path).split(sep).join('/'),
      data: await readFile(path),
    })),
  );
  return [...built, { file: PAGE_SCRIPT_FILE, data: Buffer.from(PAGE_SCRIPT) }];
}
