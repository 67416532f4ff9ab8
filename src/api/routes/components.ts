import { Hono } from 'hono';
import { componentStatuses } from '../../storage/incidents.ts';
import type { AppDeps } from '../deps.ts';
import type { AppEnv } from '../env.ts';
import { requireScope } from '../middleware/auth.ts';

export function componentRoutes(deps: AppDeps) {
  return new Hono<AppEnv>().get('/', requireScope(deps.db, deps.now, 'read'), async (c) => {
    const current = await componentStatuses(deps.db.query);
    const { catalog } = deps.content;
    return c.json({
      groups: catalog.groups.map((g) => ({
        id: g.id,
        name: g.name,
        description: g.description,
        position: g.position,
        components: g.componentIds,
      })),
      components: catalog.components.map((component) => ({
        id: component.id,
        name: component.name,
        description: component.description,
        group_id: component.groupId,
        position: component.position,
        status: current.get(component.id)?.status ?? component.initialStatus,
        updated_at: current.get(component.id)?.updated_at ?? null,
      })),
    });
  });
}
