import { Hono } from 'hono';
import { computeMetrics } from '../../domain/metrics.ts';
import { loadMetricsInput } from '../../storage/metrics.ts';
import { parseOr422 } from '../body.ts';
import type { AppDeps } from '../deps.ts';
import type { AppEnv } from '../env.ts';
import { ApiError } from '../errors.ts';
import { requireScope } from '../middleware/auth.ts';
import { metricsQuery } from '../schemas.ts';

const DAY_MS = 86_400_000;

/**
 * `GET /v1/metrics?from=&to=`: incident response metrics of the incidents started in [from, to)
 * (default: the 30 days up to now). No money: a read key may see them.
 */
export function metricsRoutes(deps: AppDeps) {
  return new Hono<AppEnv>().get('/', requireScope(deps.db, deps.now, 'read'), async (c) => {
    const q = parseOr422(metricsQuery, c.req.query());
    const now = deps.now();
    const to = q.to ? new Date(q.to) : now;
    const from = q.from ? new Date(q.from) : new Date(to.getTime() - 30 * DAY_MS);
    if (from.getTime() >= to.getTime()) {
      throw new ApiError(422, 'validation_failed', 'from must be before to', [
        { field: 'from', message: 'must be before to' },
      ]);
    }
    const input = await loadMetricsInput(deps.db.query);
    return c.json(computeMetrics(deps.content.policy, input, { from, to }, now));
  });
}
