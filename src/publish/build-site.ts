/**
 * `npm run build:site`: a full export of the published site from the database, without starting
 * the server. The same directory can then be copied to any static host.
 */
import { loadContent } from '../config/content.ts';
import { readSettings, withSiteYamlUrl } from '../config/env.ts';
import { openDatabase } from '../storage/db.ts';
import { migrate } from '../storage/migrations.ts';
import { createSitePublisher, siteDirOf } from './setup.ts';
import { SiteLockedError } from './site-lock.ts';

const now = () => new Date();
const log = (line: Record<string, unknown>) => process.stderr.write(`${JSON.stringify(line)}\n`);

const envSettings = readSettings(process.env);
const content = await loadContent(envSettings.contentDir);
const settings = withSiteYamlUrl(envSettings, content.site.url);
const db = await openDatabase({ url: settings.databaseUrl, authToken: settings.databaseAuthToken });
const publisher = createSitePublisher(settings, { db, content }, now, log);
try {
  await migrate(db, now);
  const stats = await publisher.fullExport();
  const perPage = stats.durationMs / Math.max(1, stats.routes);
  process.stdout.write(
    `exported ${stats.routes} routes (${(stats.bytes / 1e6).toFixed(1)} MB) to ${siteDirOf(settings)} in ${(stats.durationMs / 1000).toFixed(2)} s (${perPage.toFixed(2)} ms/route); removed ${stats.removed} stale files\n`,
  );
  const failed = publisher.health().last_error;
  if (failed) {
    process.stderr.write(`some routes failed: ${failed.message}\n`);
    process.exitCode = 1;
  }
} catch (error) {
  if (!(error instanceof SiteLockedError)) throw error;
  process.stderr.write(`build:site refused: ${error.message}\n`);
  process.exitCode = 1;
} finally {
  await publisher.stop!();
  db.close();
}
