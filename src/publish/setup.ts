import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from '../lib/log.ts';
import type { Foundation } from '../bootstrap.ts';
import type { Settings } from '../config/env.ts';
import { createPublisher, type Publisher } from './publisher.ts';

/** Where `astro.config.mjs` and `src/pages` live. */
export const PROJECT_ROOT = resolve(import.meta.dirname, '../..');

/** The published site's directory: `data/site/` (SPEC §3). */
export function siteDirOf(settings: Pick<Settings, 'dataDir'>): string {
  return join(settings.dataDir, 'site');
}

/** The publisher as the composition root wires it: the site under the data directory. */
export function createSitePublisher(
  settings: Settings,
  foundation: Pick<Foundation, 'db' | 'content'>,
  now: () => Date,
  log: Logger,
): Publisher {
  const siteDir = siteDirOf(settings);
  mkdirSync(siteDir, { recursive: true });
  return createPublisher({
    db: foundation.db,
    content: foundation.content,
    siteUrl: settings.siteUrl,
    apiUrl: settings.publicApiUrl,
    siteDir,
    now,
    log,
    root: PROJECT_ROOT,
  });
}
