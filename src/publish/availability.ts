import { existsSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { writeAtomic } from '../storage/files.ts';

/**
 * What the static server asks the publisher about a URL whose file is not on disk: whether the
 * site will have it soon. Then the reader is asked to retry (503, never cached) instead of being
 * told "not found", which a CDN could keep for the whole outage.
 */
export interface SiteAvailability {
  /**
   * True while the file for `pathname` may be missing although the site is to have it: before
   * this process's first export has finished, or while that route's failed render waits for its
   * retry.
   */
  pending(pathname: string): boolean;
}

/**
 * Written beside the site (never inside it, where it would be published or pruned) after every
 * full export in which every route was written: the site on disk is then whole, if perhaps stale.
 * A server standing by on the same data directory (another process publishes it) relies on it.
 */
export function exportMarkerPath(siteDir: string): string {
  return `${siteDir.replace(/[\\/]+$/, '')}.exported`;
}

export async function markExported(siteDir: string, at: string, routes: number): Promise<void> {
  const marker = exportMarkerPath(siteDir);
  await writeAtomic(dirname(marker), basename(marker), `${JSON.stringify({ at, routes })}\n`);
}

export function wasExported(siteDir: string): boolean {
  return existsSync(exportMarkerPath(siteDir));
}
