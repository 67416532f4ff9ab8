import { Hono } from 'hono';
import { listAudit } from '../../storage/audit.ts';
import { parseOr422 } from '../body.ts';
import type { AppDeps } from '../deps.ts';
import type { AppEnv } from '../env.ts';
import { requireScope } from '../middleware/auth.ts';
import { auditQuery } from '../schemas.ts';

export function auditRoutes(deps: AppDeps) {
  return new Hono<AppEnv>().get('/', requireScope(deps.db, deps.now, 'admin'), async (c) => {
    const q = parseOr422(auditQuery, c.req.query());
    const entries = await listAudit(deps.db.query, {
      limit: q.limit,
      before: q.before,
      targetId: q.target_id,
    });
    return c.json({
      entries,
      next_cursor: entries.length === q.limit ? String(entries.at(-1)!.id) : null,
    });
  });
}
