import { Hono } from 'hono';
import { computeCadence } from '../../domain/cadence.ts';
import { addUpdate } from '../../domain/incidents/add-update.ts';
import type { IncidentContext } from '../../domain/incidents/context.ts';
import { declareIncident } from '../../domain/incidents/declare.ts';
import { editIncident } from '../../domain/incidents/edit.ts';
import { NotFoundError } from '../../domain/errors.ts';
import { renderUpdateTemplate } from '../../domain/templates.ts';
import { findIncident, listIncidentItems } from '../../storage/incidents.ts';
import { parseOr422, readBody } from '../body.ts';
import type { AppDeps } from '../deps.ts';
import type { AppEnv } from '../env.ts';
import { ApiError } from '../errors.ts';
import { requireScope } from '../middleware/auth.ts';
import { idempotency } from '../middleware/idempotency.ts';
import { presentIncident, presentIncidentListItem, presentUpdate } from '../present.ts';
import {
  addUpdateBody,
  declareIncidentBody,
  editIncidentBody,
  incidentQuery,
  listIncidentsQuery,
} from '../schemas.ts';

/** With an `overdue` filter, incidents are read in batches of this many until a page is full. */
const FILTER_BATCH = 200;

/**
 * `If-Match: "3"` (or `3`, or `W/"3"`) → 3. It is required: two responders editing the same
 * incident would otherwise overwrite each other's changes without either knowing (428 when absent,
 * 400 when malformed).
 */
export function parseIfMatch(
  header: string | undefined,
  resource: 'incident' | 'maintenance' = 'incident',
): number {
  if (header === undefined) {
    throw new ApiError(
      428,
      'precondition_required',
      `PATCH needs If-Match with the ${resource} version you are editing, like If-Match: "3" (the ETag of GET /v1/${resource === 'incident' ? 'incidents' : 'maintenances'}/{id}), so that an edit never silently overwrites another`,
    );
  }
  const match = /^(?:W\/)?"?(\d{1,15})"?$/.exec(header.trim());
  if (!match)
    throw new ApiError(400, 'bad_request', `If-Match must be the ${resource} version, like "3"`);
  return Number(match[1]);
}

export function incidentRoutes(deps: AppDeps) {
  const ctx: IncidentContext = {
    db: deps.db,
    content: deps.content,
    now: deps.now,
    onChange: deps.onChange,
  };
  const read = requireScope(deps.db, deps.now, 'read');
  const write = requireScope(deps.db, deps.now, 'write');
  const idempotent = idempotency(deps.db, deps.now);
  const query = deps.db.query;

  /** Resolves `message` or `template` into the message text (and the template's status). */
  function messageOf(body: {
    message?: string | undefined;
    template?: { id: string; vars: Record<string, unknown> } | undefined;
  }) {
    if (body.message !== undefined) return { message: body.message, status: undefined };
    return renderUpdateTemplate(deps.templates, body.template!.id, body.template!.vars);
  }

  return new Hono<AppEnv>()
    .post('/', write, idempotent, async (c) => {
      const body = await readBody(c, declareIncidentBody);
      const { message, status } = messageOf(body);
      const incident = await declareIncident(ctx, c.get('actor'), {
        ...body,
        message,
        status: body.status ?? (status === 'resolved' ? undefined : status),
      });
      c.header('Location', `/v1/incidents/${incident.id}`);
      c.header('ETag', `"${incident.version}"`);
      return c.json(presentIncident(deps, incident, deps.now()), 201);
    })
    .get('/', read, async (c) => {
      const q = parseOr422(listIncidentsQuery, c.req.query());
      const now = deps.now();
      // `overdue` depends on the clock, so it is decided here, not in SQL: read in batches until
      // the page is full (one more than asked tells whether there is a next page) or none are left.
      const overdue = q.overdue === undefined ? null : q.overdue === 'true';
      const batch = overdue === null ? q.limit + 1 : FILTER_BATCH;
      const page: Array<ReturnType<typeof presentIncidentListItem>> = [];
      let before = q.before;
      for (;;) {
        const items = await listIncidentItems(query, {
          status: overdue === true ? 'open' : q.status,
          severity: q.severity,
          visibility: q.visibility,
          limit: batch,
          before,
        });
        for (const item of items) {
          const presented = presentIncidentListItem(deps, item, now);
          if (overdue === null || presented.cadence.overdue === overdue) page.push(presented);
        }
        if (page.length > q.limit || items.length < batch) break;
        before = items.at(-1)!.id;
      }
      const incidents = page.slice(0, q.limit);
      return c.json({
        incidents,
        next_cursor: page.length > q.limit ? incidents.at(-1)!.id : null,
      });
    })
    .get('/:id', read, async (c) => {
      const q = parseOr422(incidentQuery, c.req.query());
      const incident = await findIncident(query, c.req.param('id'));
      if (!incident) throw new NotFoundError('incident', c.req.param('id'));
      c.header('ETag', `"${incident.version}"`);
      return c.json(
        presentIncident(deps, incident, deps.now(), {
          before: q.updates_before,
          limit: q.updates_limit,
        }),
      );
    })
    .patch('/:id', write, async (c) => {
      const body = await readBody(c, editIncidentBody);
      const expected = parseIfMatch(c.req.header('if-match'));
      const incident = await editIncident(ctx, c.get('actor'), c.req.param('id'), body, expected);
      c.header('ETag', `"${incident.version}"`);
      return c.json(presentIncident(deps, incident, deps.now()));
    })
    .post('/:id/updates', write, idempotent, async (c) => {
      const body = await readBody(c, addUpdateBody);
      const { message, status } = messageOf(body);
      const { update, incident, latestBefore } = await addUpdate(
        ctx,
        c.get('actor'),
        c.req.param('id'),
        {
          ...body,
          message,
          status: body.status ?? status,
        },
      );
      c.header('Location', `/v1/incidents/${incident.id}`);
      c.header('ETag', `"${incident.version}"`);
      // The new update and the one that was newest before it decide the cadence; the rest of the
      // timeline is older than both.
      const cadence = computeCadence(
        deps.content.policy,
        { ...incident, updates: [update, latestBefore] },
        deps.now(),
      );
      return c.json(
        {
          ...presentUpdate(update),
          incident_id: incident.id,
          incident_status: incident.status,
          cadence,
        },
        201,
      );
    });
}
