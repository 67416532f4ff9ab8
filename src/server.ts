import { ConfigError } from './config/content.ts';
import { readSettings, withSiteYamlUrl } from './config/env.ts';
import { createApp, isAppPath } from './app.ts';
import { bootstrap } from './bootstrap.ts';
import type { LogLine } from './lib/log.ts';
import { healthOf, notifyAll, notifyMaintenanceAll, readinessOf, type Service } from './service.ts';
import { createCadenceServices } from './scheduler/setup.ts';
import { createSitePublisher, siteDirOf } from './publish/setup.ts';
import { createSubscriptionServices } from './fanout/setup.ts';
import { createWebhookServices, webhookSettings } from './webhooks/setup.ts';
import { createHttpServer } from './serve/http.ts';
import { startNativeHeapTrimmer, trimNativeHeap } from './lib/native-heap.ts';
import { startIdleCollector } from './lib/gc.ts';
import { SiteFiles } from './serve/site.ts';
import { urgent } from './storage/db.ts';

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
  if (foundation.adminTokenRevoked) {
    log({
      time: now().toISOString(),
      level: 'warn',
      msg: 'HERALD_ADMIN_TOKEN is set, but that token was revoked through the API: it stays revoked and authenticates nothing; remove it from the environment, or set a new token to register that one',
    });
  }
  // Background services, in start order. Each is built from the foundation and the settings.
  // The mailer drains the outbox the scheduler fills; it stops last (services stop in reverse).
  const subscriptions = await createSubscriptionServices(settings, foundation, now, log);
  // The scheduler moves maintenances; every service hears of it (bound once the list exists).
  let onMaintenanceChange: ReturnType<typeof notifyMaintenanceAll> = () => undefined;
  const cadence = await createCadenceServices(
    settings,
    foundation,
    now,
    log,
    subscriptions.personalise,
    (change) => onMaintenanceChange(change),
  );
  const fanout = subscriptions.fanout(cadence.mailer);
  const webhooks = createWebhookServices({
    ...foundation,
    ...webhookSettings(settings),
    now,
    log,
    secret: subscriptions.ctx.secret,
    onMailQueued: () => cadence.mailer.kick(),
  });
  const publisher = createSitePublisher(settings, foundation, now, log);
  const services: Service[] = [
    cadence.mailer,
    cadence.scheduler,
    fanout,
    webhooks.worker,
    publisher,
  ];
  onMaintenanceChange = notifyMaintenanceAll(services, log);
  for (const service of services) await service.start?.();
  const serviceReadiness = readinessOf(services);
  let stopping = false;
  // The site on disk (a previous run's, or the one another process publishes) is served at once;
  // a file it lacks waits for the publisher's first export instead of being a 404.
  const site = new SiteFiles(siteDirOf(settings), {
    availability: publisher,
    reserved: isAppPath,
  });
  const app = createApp({
    // A request's database work goes before the background services' waiting work.
    db: urgent(foundation.db),
    content: foundation.content,
    templates: foundation.templates,
    now,
    siteUrl: settings.siteUrl,
    log,
    onChange: notifyAll(services, log),
    onMaintenanceChange,
    health: () => ({
      ...healthOf(services)(),
      site: site.stats(),
      unhandled_rejections: unhandledRejections,
    }),
    site,
    subscriptions: {
      ctx: subscriptions.ctx,
      apiUrl: settings.publicApiUrl,
      allowedOrigins: [new URL(settings.siteUrl).origin],
      webhookSecret: settings.resendWebhookSecret,
    },
    // Once stopping, tell the load balancer at once, while in-flight requests finish.
    readiness: () => ({ ...serviceReadiness(), server: stopping ? 'shutting down' : null }),
    webhooks: webhooks.ctx,
    mail: cadence.mail,
    onMailQueued: () => cadence.mailer.kick(),
  });
  const server = createHttpServer(app.fetch, site);
  // The C heaps' free pages go back to the system after a burst (see native-heap.ts).
  const trimmer = startNativeHeapTrimmer();
  // And V8's heap, once the process is idle after a burst (see gc.ts).
  const collector = startIdleCollector({
    onCollect: ({ rssBefore, rssAfter, ms }) =>
      log({
        time: now().toISOString(),
        level: 'info',
        msg: 'memory given back',
        rss_before_mib: Math.round(rssBefore / 2 ** 20),
        rss_after_mib: Math.round(rssAfter / 2 ** 20),
        ms: Math.round(ms),
      }),
  });
  server.listen(settings.port, settings.host, () => {
    const address = server.address();
    log({
      time: now().toISOString(),
      level: 'info',
      msg: 'listening',
      node: process.version,
      url: `http://${settings.host}:${typeof address === 'object' && address ? address.port : settings.port}`,
      database: settings.databaseUrl.replace(/\/\/[^@]*@/, '//***@'),
      site_url: settings.siteUrl,
      native_heap_trim: trimNativeHeap(),
    });
  });

  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log({ time: now().toISOString(), level: 'info', msg: 'shutting down', signal });
    // In-flight requests finish; new connections are refused; then the database closes.
    server.close(async () => {
      trimmer.stop();
      collector.stop();
      for (const service of [...services].reverse()) await service.stop?.();
      foundation.db.close();
      log({ time: now().toISOString(), level: 'info', msg: 'stopped' });
      process.exit(0);
    });
    // A connection that finishes its last request while we drain goes idle: close it then, rather
    // than waiting out the keep-alive timeout.
    server.closeIdleConnections();
    setInterval(() => server.closeIdleConnections(), 50).unref();
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
