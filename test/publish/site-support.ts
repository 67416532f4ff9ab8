import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { createApp } from '../../src/app.ts';
import {
  createPublisher,
  type Publisher,
  type PublisherOptions,
} from '../../src/publish/publisher.ts';
import { listPublished } from '../../src/publish/write.ts';
import type { Db } from '../../src/storage/db.ts';
import { SiteFiles } from '../../src/serve/site.ts';
import { createHarness, REPO_ROOT, type Harness } from '../support/harness.ts';

export interface SiteHarness extends Omit<Harness, 'close'> {
  publisher: Publisher;
  siteDir: string;
  logs: Array<Record<string, unknown>>;
  /** The app as `main.ts` builds it, serving the site directory at `/`. */
  site: ReturnType<typeof createApp>;
  read(file: string): Promise<string>;
  /** Every published file with its text; compressed siblings (`.br`, `.gz`) decompressed. */
  files(): Promise<Array<{ file: string; text: string }>>;
  /** Stops the publisher (its last run finishes) and only then closes the database. */
  close(): Promise<void>;
}

/** The real app on a temp database with a real publisher (Astro server build) fed by its changes. */
export async function createSiteHarness(
  options: {
    contentDir?: string;
    publisher?: Partial<PublisherOptions>;
    /** Wraps the database the publisher reads (not the API's), e.g. to inject a failed read. */
    wrapDb?: (db: Db) => Db;
  } = {},
): Promise<SiteHarness> {
  let publisher: Publisher | null = null;
  const h = await createHarness({
    ...(options.contentDir ? { contentDir: options.contentDir } : {}),
    onChange: (change) => publisher?.onChange?.(change),
  });
  const siteDir = join(h.dir, 'site');
  const logs: Array<Record<string, unknown>> = [];
  publisher = createPublisher({
    db: options.wrapDb ? options.wrapDb(h.db) : h.db,
    content: h.content,
    siteUrl: 'https://status.example.test',
    siteDir,
    now: h.clock.now,
    log: (line) => logs.push(line),
    root: REPO_ROOT,
    ...options.publisher,
  });
  await publisher.start!();
  await publisher.idle();
  const site = createApp({
    db: h.db,
    content: h.content,
    templates: new Map(),
    now: h.clock.now,
    siteUrl: 'https://status.example.test',
    log: () => undefined,
    onChange: () => undefined,
    health: () => ({ publisher: publisher!.health() }),
    site: new SiteFiles(siteDir),
  });
  return {
    ...h,
    publisher,
    siteDir,
    logs,
    site,
    read: (file) => readFile(join(siteDir, file), 'utf8'),
    async files() {
      const files = await listPublished(siteDir);
      return Promise.all(
        files.map(async (file) => ({
          file,
          text: decoded(file, await readFile(join(siteDir, file))),
        })),
      );
    },
    async close() {
      await publisher!.stop!();
      h.close();
    },
  };
}

/** A published file's text, whatever encoding it is stored in. */
export function decoded(file: string, bytes: Buffer): string {
  if (file.endsWith('.br')) return brotliDecompressSync(bytes).toString('utf8');
  if (file.endsWith('.gz')) return gunzipSync(bytes).toString('utf8');
  return bytes.toString('utf8');
}
