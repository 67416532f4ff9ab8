import { Hono, type Context } from 'hono';
import {
  addMaintenanceUpdate,
  cancelMaintenance,
  createMaintenance,
  editMaintenance,
} from '../../domain/maintenances/actions.ts';
import type { MaintenanceContext } from '../../domain/maintenances/context.ts';
import {
  MAINTENANCE_EMAILS,
  type MaintenanceNotify,
  type MaintenanceRecord,
} from '../../domain/maintenances/types.ts';
import { NotFoundError } from '../../domain/errors.ts';
import { renderUpdateTemplate } from '../../domain/templates.ts';
import { utcDateTime } from '../../lib/time.ts';
import { findMaintenance, listMaintenances } from '../../storage/maintenances.ts';
import { parseOr422, readBody, readJson } from '../body.ts';
import type { AppDeps } from '../deps.ts';
import type { AppEnv } from '../env.ts';
import { requireScope } from '../middleware/auth.ts';
import { idempotency } from '../middleware/idempotency.ts';
import {
  cancelMaintenanceBody,
  createMaintenanceBody,
  editMaintenanceBody,
  listMaintenancesQuery,
  maintenanceUpdateBody,
} from '../schemas.ts';
import { parseIfMatch } from './incidents.ts';

/** `notify` as given (a switch for all, or some of them) over the default: every email on. */
export function notifyFlags(
  given: boolean | Partial<Record<keyof MaintenanceNotify, boolean | undefined>> | undefined,
  base?: MaintenanceNotify,
): MaintenanceNotify {
  if (typeof given === 'boolean')
    return Object.fromEntries(MAINTENANCE_EMAILS.map((k) => [k, given])) as MaintenanceNotify;
  const start =
    base ?? (Object.fromEntries(MAINTENANCE_EMAILS.map((k) => [k, true])) as MaintenanceNotify);
  const flags = { ...start };
  for (const k of MAINTENANCE_EMAILS) if (given?.[k] !== undefined) flags[k] = given[k];
  return flags;
}

export function maintenanceUrl(siteUrl: string, id: string): string {
  return `${siteUrl.replace(/\/$/, '')}/maintenances/${id}/`;
}

export function presentMaintenance(
  deps: Pick<AppDeps, 'content' | 'siteUrl'>,
  m: MaintenanceRecord,
) {
  return {
    id: m.id,
    title: m.title,
    status: m.status,
    components: m.components.map((id) => ({
      id,
      name: deps.content.catalog.byId.get(id)?.name ?? id,
    })),
    scheduled_for: m.scheduled_for,
    scheduled_until: m.scheduled_until,
    auto_start: m.auto_start,
    auto_complete: m.auto_complete,
    notify: m.notify,
    started_at: m.started_at,
    completed_at: m.completed_at,
    cancelled_at: m.cancelled_at,
    sequence: m.sequence,
    created_at: m.created_at,
    updated_at: m.updated_at,
    version: m.version,
    url: maintenanceUrl(deps.siteUrl, m.id),
    updates: m.updates.map((u) => ({
      id: u.id,
      status: u.status,
      message: u.message,
      display_at: u.display_at,
      created_at: u.created_at,
      author: u.author,
    })),
  };
}

/** A body that may be left out entirely (cancel): none is `{}`. */
async function optionalJson(c: Context): Promise<unknown> {
  // Hono keeps the body it read, so `readJson` reads the same bytes again.
  if ((await c.req.arrayBuffer()).byteLength === 0) return {};
  return readJson(c);
}

/**
 * `/v1/maintenances`: scheduled maintenance, in the incident routes' conventions: write scope and
 * idempotency for POSTs, If-Match for PATCH, bodies parsed at the edge, one domain action each.
 */
export function maintenanceRoutes(deps: AppDeps, onChange: MaintenanceContext['onChange']) {
  const ctx: MaintenanceContext = { db: deps.db, content: deps.content, now: deps.now, onChange };
  const read = requireScope(deps.db, deps.now, 'read');
  const write = requireScope(deps.db, deps.now, 'write');
  const idempotent = idempotency(deps.db, deps.now);

  /**
   * `message`, or `template` rendered with the caller's vars over what the maintenance itself
   * says (the `scheduled-maintenance` template's component and window fill themselves in).
   */
  function messageOf(
    body: {
      message?: string | undefined;
      template?: { id: string; vars: Record<string, unknown> } | undefined;
    },
    window: { components: string[]; scheduled_for: string; scheduled_until: string },
  ): string {
    if (body.message !== undefined) return body.message;
    const names = window.components.map((id) => deps.content.catalog.byId.get(id)?.name ?? id);
    const vars = {
      component: names.join(', '),
      components: names.join(', '),
      window_start: utcDateTime(window.scheduled_for),
      window_end: utcDateTime(window.scheduled_until),
      expected_effect: '',
      ...body.template!.vars,
    };
    return renderUpdateTemplate(deps.templates, body.template!.id, vars).message;
  }

  async function found(id: string): Promise<MaintenanceRecord> {
    const m = await findMaintenance(deps.db.query, id);
    if (!m) throw new NotFoundError('maintenance', id);
    return m;
  }

  return new Hono<AppEnv>()
    .post('/', write, idempotent, async (c) => {
      const body = await readBody(c, createMaintenanceBody);
      const maintenance = await createMaintenance(ctx, c.get('actor'), {
        title: body.title,
        message: messageOf(body, body),
        components: body.components,
        scheduled_for: body.scheduled_for,
        scheduled_until: body.scheduled_until,
        notify: notifyFlags(body.notify),
        auto_start: body.auto_start ?? true,
        auto_complete: body.auto_complete ?? true,
      });
      c.header('Location', `/v1/maintenances/${maintenance.id}`);
      c.header('ETag', `"${maintenance.version}"`);
      return c.json(presentMaintenance(deps, maintenance), 201);
    })
    .get('/', read, async (c) => {
      const q = parseOr422(listMaintenancesQuery, c.req.query());
      const status =
        q.status === undefined
          ? undefined
          : q.status === 'open'
            ? (['scheduled', 'in_progress', 'verifying'] as const)
            : [q.status];
      const list = await listMaintenances(deps.db.query, {
        status: status ? [...status] : undefined,
        limit: q.limit,
      });
      return c.json({ maintenances: list.map((m) => presentMaintenance(deps, m)) });
    })
    .get('/:id', read, async (c) => {
      const m = await found(c.req.param('id'));
      c.header('ETag', `"${m.version}"`);
      return c.json(presentMaintenance(deps, m));
    })
    .patch('/:id', write, async (c) => {
      const body = await readBody(c, editMaintenanceBody);
      const expected = parseIfMatch(c.req.header('if-match'), 'maintenance');
      const current = await found(c.req.param('id'));
      const m = await editMaintenance(
        ctx,
        c.get('actor'),
        current.id,
        {
          ...body,
          notify: body.notify === undefined ? undefined : notifyFlags(body.notify, current.notify),
        },
        expected,
      );
      c.header('ETag', `"${m.version}"`);
      return c.json(presentMaintenance(deps, m));
    })
    .post('/:id/updates', write, idempotent, async (c) => {
      const body = await readBody(c, maintenanceUpdateBody);
      const current = await found(c.req.param('id'));
      const { maintenance, update } = await addMaintenanceUpdate(ctx, c.get('actor'), current.id, {
        status: body.status,
        message: messageOf(body, current),
      });
      c.header('Location', `/v1/maintenances/${maintenance.id}`);
      c.header('ETag', `"${maintenance.version}"`);
      return c.json(
        {
          ...presentMaintenance(deps, maintenance).updates[0]!,
          id: update.id,
          maintenance_id: maintenance.id,
          maintenance_status: maintenance.status,
        },
        201,
      );
    })
    .post('/:id/cancel', write, idempotent, async (c) => {
      const body = parseOr422(cancelMaintenanceBody, await optionalJson(c));
      const m = await cancelMaintenance(ctx, c.get('actor'), c.req.param('id'), body.message);
      c.header('ETag', `"${m.version}"`);
      return c.json(presentMaintenance(deps, m));
    });
}
