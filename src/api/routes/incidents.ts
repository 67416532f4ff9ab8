import { Hono } from 'hono';
import { computeCadence } from '../../domain/cadence.ts';
import { addUpdate } from '../../domain/incidents/add-update.ts';
import type { IncidentContext } from '../../domain/incidents/context.ts';
import { declareIncident } from '../../domain/incidents/declare.ts';
import { editIncident } from '../../domain/incidents/edit.ts';
import { NotFoundError } from '../../domain/errors.ts';
import { renderUpdateTemplate } from '../../domain/templates.ts';
import { findIncident, listIncidents } from '../../storage/incidents.ts';
import { parseOr422, readBody } from '../body.ts';
import type { AppDeps } from '../deps.ts';
import type { AppEnv } from '../env.ts';
import { ApiError } from '../errors.ts';
import { requireScope } from '../middleware/auth.ts';
import { idempotency } from '../middleware/idempotency.ts';
import { presentIncident, presentUpdate } from '../present.ts';
import {
  addUpdateBody,
  declareIncidentBody,
  editIncidentBody,
  listIncidentsQuery,
} from '../schemas.ts';

/**
 * `If-Match: "3"` (or `3`, or `W/"3"`) → 3. It is required: two responders editing the same
 * incident would otherwise overwrite each other's changes without either knowing (428 when absent,
 * 400 when malformed).
 */
function parseIfMatch(header: string | undefined): number {
  if (header === undefined) {
    throw new ApiError(
      428,
      'precondition_required',
      'PATCH needs If-Match with the incident version you are editing, like If-Match: "3" (the ETag of GET /v1/incidents/{id}), so that an edit never silently overwrites another',
    );
  }
  const match = /^(?:W\/)?"?(\d{1,15})"?$/.exec(header.trim());
  if (!match)
    throw new ApiError(400, 'bad_request', 'If-Match must be the incident version, like "3"');
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
      const incidents = await listIncidents(query, {
        status: q.overdue === 'true' ? 'open' : q.status,
        severity: q.severity,
        visibility: q.visibility,
        limit: q.overdue === 'true' ? undefined : q.limit,
        before: q.before,
      });
      let presented = incidents.map((i) => presentIncident(deps, i, now));
      if (q.overdue !== undefined) {
        const wanted = q.overdue === 'true';
        presented = presented.filter((i) => i.cadence.overdue === wanted).slice(0, q.limit);
      }
      const last = presented.at(-1);
      return c.json({
        incidents: presented,
        next_cursor: presented.length === q.limit && last ? last.id : null,
      });
    })
    .get('/:id', read, async (c) => {
      const incident = await findIncident(query, c.req.param('id'));
      if (!incident) throw new NotFoundError('incident', c.req.param('id'));
      c.header('ETag', `"${incident.version}"`);
      return c.json(presentIncident(deps, incident, deps.now()));
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
