import { serve } from '@hono/node-server';
import { ConfigError } from './config/content.ts';
import { readSettings, withSiteYamlUrl } from './config/env.ts';
import { createApp } from './app.ts';
import { bootstrap } from './bootstrap.ts';
import type { LogLine } from './lib/log.ts';
import { healthOf, notifyAll, type Service } from './service.ts';
import { createCadenceServices } from './scheduler/setup.ts';
import { createSitePublisher, siteDirOf } from './publish/setup.ts';

function log(line: LogLine): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

/**
 * The composition root, loaded by `main.ts` once the Node.js version is known to be supported:
 * settings → foundation (content, db) → app → server, and a clean stop.
 */
async function main(): Promise<void> {
  const now = () => new Date();
  const foundation = await bootstrap(readSettings(process.env), now);
  const settings = withSiteYamlUrl(readSettings(process.env), foundation.content.site.url);
  if (foundation.generatedAdminToken) {
    process.stdout.write(
      `\n  First start: generated an admin API key. It is shown only this once; store it now.\n\n    ${foundation.generatedAdminToken}\n\n`,
    );
  }
  // Background services, in start order. Each is built from the foundation and the settings.
  // The mailer drains the outbox the scheduler fills; it stops last (services stop in reverse).
  const cadence = await createCadenceServices(settings, foundation, now, log);
  const publisher = createSitePublisher(settings, foundation, now, log);
  const services: Service[] = [cadence.mailer, cadence.scheduler, publisher];
  for (const service of services) await service.start?.();
  const app = createApp({
    db: foundation.db,
    content: foundation.content,
    templates: foundation.templates,
    now,
    siteUrl: settings.siteUrl,
    log,
    onChange: notifyAll(services, log),
    health: () => ({ ...healthOf(services)(), unhandled_rejections: unhandledRejections }),
    siteDir: siteDirOf(settings),
  });
  const server = serve(
    { fetch: app.fetch, port: settings.port, hostname: settings.host },
    (info) => {
      log({
        time: now().toISOString(),
        level: 'info',
        msg: 'listening',
        node: process.version,
        url: `http://${settings.host}:${info.port}`,
        database: settings.databaseUrl.replace(/\/\/[^@]*@/, '//***@'),
        site_url: settings.siteUrl,
      });
    },
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log({ time: now().toISOString(), level: 'info', msg: 'shutting down', signal });
    // In-flight requests finish; new connections are refused; then the database closes.
    server.close(async () => {
      for (const service of [...services].reverse()) await service.stop?.();
      foundation.db.close();
      log({ time: now().toISOString(), level: 'info', msg: 'stopped' });
      process.exit(0);
    });
    // A connection that finishes its last request while we drain goes idle: close it then, rather
    // than waiting out the keep-alive timeout.
    if ('closeIdleConnections' in server) {
      server.closeIdleConnections();
      setInterval(() => server.closeIdleConnections(), 50).unref();
    }
    setTimeout(() => process.exit(1), 10_000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

// Loading Astro's server build installs its own `unhandledRejection` listener, which logs any
// rejection in the process as a render error. Herald logs them itself, with their stack, and
// counts them in /healthz: a status page stays up during an incident, and nothing is swallowed.
let unhandledRejections = 0;
process.on('unhandledRejection', (reason: unknown) => {
  unhandledRejections++;
  log({
    time: new Date().toISOString(),
    level: 'error',
    msg: 'unhandled promise rejection',
    error: reason instanceof Error ? (reason.stack ?? reason.message) : String(reason),
  });
});

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`herald: cannot start: ${error.message}\n`);
  } else {
    process.stderr.write(`herald: cannot start: ${(error as Error).stack ?? String(error)}\n`);
  }
  process.exit(1);
});
