import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { ApiError, createErrorHandler, errorBody } from './api/errors.ts';
import type { AppDeps } from './api/deps.ts';
import type { AppEnv } from './api/env.ts';
import { renderDocsPage } from './api/docs-page.ts';
import { requestLog } from './api/middleware/request-log.ts';
import { buildOpenApi } from './api/openapi.ts';
import { auditRoutes } from './api/routes/audit.ts';
import { cadenceRoutes } from './api/routes/cadence.ts';
import { componentRoutes } from './api/routes/components.ts';
import { incidentRoutes } from './api/routes/incidents.ts';
import { keyRoutes } from './api/routes/keys.ts';
import { resendWebhookRoutes } from './api/routes/resend-webhook.ts';
import { subscriberRoutes } from './api/routes/subscribers.ts';
import { subscriptionRoutes } from './api/routes/subscriptions.ts';
import { metricsRoutes } from './api/routes/metrics.ts';
import { digestRoutes } from './api/routes/digests.ts';
import { incidentPostmortemRoutes, postmortemListRoutes } from './api/routes/postmortems.ts';
import { templateRoutes } from './api/routes/templates.ts';
import { maintenanceRoutes } from './api/routes/maintenances.ts';
import { pendingMigrations } from './storage/migrations.ts';
import {
  webhookAdminRoutes,
  webhookPublicRoutes,
  webhookSubscribe,
} from './api/routes/webhooks.ts';

export const MAX_BODY_BYTES = 64 * 1024;

/** Paths the app's own routes answer; the site's files never stand in for them. */
const APP_PATHS = new Set(['/healthz', '/readyz', '/openapi.json', '/docs', '/v1']);
export function isAppPath(pathname: string): boolean {
  return APP_PATHS.has(pathname) || pathname.startsWith('/v1/');
}

/** Builds the whole HTTP app from its parts; `main.ts` and the tests call this. */
export function createApp(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  app.onError(createErrorHandler(deps.log));
  app.use(requestLog(deps.log, deps.now));
  const limitBody = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw new ApiError(
        413,
        'payload_too_large',
        `request body is larger than ${MAX_BODY_BYTES} bytes`,
      );
    },
  });
  // The bulk import of subscribers has its own, larger limit.
  app.use('/v1/*', (c, next) =>
    c.req.method === 'POST' && c.req.path === '/v1/subscribers' ? next() : limitBody(c, next),
  );

  const v1 = new Hono<AppEnv>()
    .route('/incidents', incidentRoutes(deps))
    .route('/incidents', incidentPostmortemRoutes(deps))
    .route('/postmortems', postmortemListRoutes(deps))
    .route('/cadence', cadenceRoutes(deps))
    .route('/templates', templateRoutes(deps))
    .route('/components', componentRoutes(deps))
    .route('/audit', auditRoutes(deps))
    .route('/keys', keyRoutes(deps))
    .route('/metrics', metricsRoutes(deps))
    .route('/maintenances', maintenanceRoutes(deps, deps.onMaintenanceChange ?? (() => undefined)));
  if (deps.webhooks) {
    // Before the email subscription route: it takes the bodies that name a `webhook`.
    v1.post('/subscriptions', webhookSubscribe(deps.webhooks))
      .route(
        '/subscriptions/webhooks',
        webhookPublicRoutes(deps.webhooks, { name: deps.content.site.name, siteUrl: deps.siteUrl }),
      )
      .route('/webhooks', webhookAdminRoutes(deps.webhooks));
  }
  if (deps.subscriptions) {
    const { ctx, webhookSecret } = deps.subscriptions;
    v1.route('/subscriptions', subscriptionRoutes(deps.subscriptions))
      .route('/subscribers', subscriberRoutes(ctx))
      .route('/webhooks/resend', resendWebhookRoutes(ctx, webhookSecret));
  }
  if (deps.mail) v1.route('/digests', digestRoutes({ ...deps, mail: deps.mail }));
  app.route('/v1', v1);
  app.all('/v1/*', (c) =>
    c.json(errorBody('not_found', `no route ${c.req.method} ${c.req.path}`), 404),
  );

  app.get('/healthz', async (c) => {
    const extra = deps.health?.() ?? {};
    try {
      await deps.db.query('SELECT 1');
      return c.json({ status: 'ok', database: 'ok', time: deps.now().toISOString(), ...extra });
    } catch (error) {
      return c.json(
        { status: 'degraded', database: 'unreachable', error: (error as Error).message, ...extra },
        503,
      );
    }
  });

  // Readiness, for a load balancer or an orchestrator: traffic only once the database is migrated
  // and every service does its part (the site exported, the scheduler and the mailer running).
  app.get('/readyz', async (c) => {
    c.header('Cache-Control', 'no-store');
    let database: string | null;
    try {
      const pending = await pendingMigrations(deps.db);
      database = pending.length === 0 ? null : `migrations not applied: ${pending.join(', ')}`;
    } catch (error) {
      database = `unreachable: ${(error as Error).message}`;
    }
    const parts = { database, ...deps.readiness?.() };
    const reasons = Object.entries(parts)
      .filter(([, why]) => why !== null)
      .map(([name, why]) => `${name}: ${why}`);
    const checks = Object.fromEntries(Object.entries(parts).map(([n, why]) => [n, why ?? 'ok']));
    if (reasons.length > 0) return c.json({ status: 'not_ready', reasons, checks }, 503);
    return c.json({ status: 'ready', checks });
  });

  const openApi = buildOpenApi(deps.siteUrl);
  const docs = renderDocsPage(openApi);
  app.get('/openapi.json', (c) => c.json(openApi));
  app.get('/docs', (c) => c.html(docs));

  if (deps.site) app.use('/*', deps.site.middleware());
  return app;
}
