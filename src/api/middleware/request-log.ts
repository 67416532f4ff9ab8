import type { MiddlewareHandler } from 'hono';
import type { Logger } from '../../lib/log.ts';

/** One structured line per request: method, path, status, duration, and the key that made it. */
export function requestLog(log: Logger, now: () => Date): MiddlewareHandler {
  return async function logRequest(c, next) {
    const started = performance.now();
    await next();
    const actor = c.get('actor') as { id: string } | undefined;
    log({
      time: now().toISOString(),
      level: c.res.status >= 500 ? 'error' : 'info',
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      ms: Math.round((performance.now() - started) * 100) / 100,
      key: actor?.id,
    });
  };
}
