import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { ApiError, createErrorHandler, errorBody } from './api/errors.ts';
import type { AppDeps } from './api/deps.ts';
import type { AppEnv } from './api/env.ts';
import { renderDocsPage } from './api/docs-page.ts';
import { serveSite } from './api/static-site.ts';
import { requestLog } from './api/middleware/request-log.ts';
import { buildOpenApi } from './api/openapi.ts';
import { auditRoutes } from './api/routes/audit.ts';
import { cadenceRoutes } from './api/routes/cadence.ts';
import { componentRoutes } from './api/routes/components.ts';
import { incidentRoutes } from './api/routes/incidents.ts';
import { keyRoutes } from './api/routes/keys.ts';
import { metricsRoutes } from './api/routes/metrics.ts';
import { digestRoutes } from './api/routes/digests.ts';
import { incidentPostmortemRoutes, postmortemListRoutes } from './api/routes/postmortems.ts';
import { templateRoutes } from './api/routes/templates.ts';

export const MAX_BODY_BYTES = 64 * 1024;

/** Builds the whole HTTP app from its parts; `main.ts` and the tests call this. */
export function createApp(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  app.onError(createErrorHandler(deps.log));
  app.use(requestLog(deps.log, deps.now));
  app.use(
    '/v1/*',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new ApiError(
          413,
          'payload_too_large',
          `request body is larger than ${MAX_BODY_BYTES} bytes`,
        );
      },
    }),
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
    .route('/metrics', metricsRoutes(deps));
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

  const openApi = buildOpenApi(deps.siteUrl);
  const docs = renderDocsPage(openApi);
  app.get('/openapi.json', (c) => c.json(openApi));
  app.get('/docs', (c) => c.html(docs));

  if (deps.siteDir) app.use('/*', serveSite(deps.siteDir));
  return app;
}
