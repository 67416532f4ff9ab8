import { Hono } from 'hono';
import { computeCadence } from '../../domain/cadence.ts';
import { listIncidents } from '../../storage/incidents.ts';
import type { AppDeps } from '../deps.ts';
import type { AppEnv } from '../env.ts';
import { requireScope } from '../middleware/auth.ts';

export function cadenceRoutes(deps: AppDeps) {
  return new Hono<AppEnv>().get('/', requireScope(deps.db, deps.now, 'read'), async (c) => {
    const now = deps.now();
    const open = await listIncidents((sql, args) => deps.db.query(sql, args), { status: 'open' });
    const incidents = open
      .map((incident) => ({
        incident_id: incident.id,
        title: incident.title,
        severity: incident.severity,
        status: incident.status,
        visibility: incident.visibility,
        ...computeCadence(deps.content.policy, incident, now),
      }))
      // most urgent first: overdue longest, then due soonest
      .sort((a, b) =>
        (a.next_update_due_at ?? '9999').localeCompare(b.next_update_due_at ?? '9999'),
      );
    return c.json({ now: now.toISOString(), incidents });
  });
}
