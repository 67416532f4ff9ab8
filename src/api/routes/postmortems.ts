import { Hono } from 'hono';
import { NotFoundError } from '../../domain/errors.ts';
import type { IncidentContext } from '../../domain/incidents/context.ts';
import {
  buildTimeline,
  publicPostmortem,
  reviewDueAt,
  reviewListing,
  type Postmortem,
} from '../../domain/postmortems/review.ts';
import { editActionItem, writePostmortem } from '../../domain/postmortems/write.ts';
import type { IncidentRecord } from '../../domain/types.ts';
import { dayKey } from '../../lib/time.ts';
import { listAudit } from '../../storage/audit.ts';
import { findIncident, type Reader } from '../../storage/incidents.ts';
import {
  findPostmortem,
  reviewsPending,
  unfinishedPostmortems,
} from '../../storage/postmortems.ts';
import { severityHistories } from '../../storage/severity-history.ts';
import { parseOr422, readBody } from '../body.ts';
import type { AppDeps } from '../deps.ts';
import type { AppEnv } from '../env.ts';
import { requireScope } from '../middleware/auth.ts';
import { actionItemPatchBody, postmortemBody, postmortemsQuery } from '../schemas.ts';

/** The postmortem as the API returns it: as stored, plus its timeline, due time and public form. */
async function presentPostmortem(
  deps: AppDeps,
  read: Reader,
  incident: IncidentRecord,
  postmortem: Postmortem,
) {
  const history = (await severityHistories(read, [incident.id])).get(incident.id);
  const audit = await listAudit(read, { limit: 500, targetId: incident.id });
  const due = reviewDueAt(deps.content.policy, { ...incident, severity_history: history });
  const { version: _, ...fields } = postmortem;
  return {
    ...fields,
    completed: postmortem.completed_at !== null,
    published: postmortem.published_at !== null,
    review_due_at: due,
    review_overdue:
      due !== null && postmortem.completed_at === null && Date.parse(due) < deps.now().getTime(),
    timeline: buildTimeline([...incident.updates].reverse(), [...audit].reverse()),
    public: publicPostmortem(postmortem),
  };
}

/** `PUT/GET /v1/incidents/{id}/postmortem` and `PATCH …/action-items/{item_id}`. */
export function incidentPostmortemRoutes(deps: AppDeps) {
  const ctx: IncidentContext = {
    db: deps.db,
    content: deps.content,
    now: deps.now,
    onChange: deps.onChange,
  };
  const read = requireScope(deps.db, deps.now, 'read');
  const write = requireScope(deps.db, deps.now, 'write');
  const query = deps.db.query;

  async function respond(id: string) {
    const incident = await findIncident(query, id);
    if (!incident) throw new NotFoundError('incident', id);
    const postmortem = await findPostmortem(query, id);
    if (!postmortem) throw new NotFoundError('postmortem', id);
    return presentPostmortem(deps, query, incident, postmortem);
  }

  return new Hono<AppEnv>()
    .get('/:id/postmortem', read, async (c) => c.json(await respond(c.req.param('id'))))
    .put('/:id/postmortem', write, async (c) => {
      const body = await readBody(c, postmortemBody);
      await writePostmortem(ctx, c.get('actor'), c.req.param('id'), body);
      return c.json(await respond(c.req.param('id')));
    })
    .patch('/:id/postmortem/action-items/:item', write, async (c) => {
      const body = await readBody(c, actionItemPatchBody);
      const { item } = await editActionItem(
        ctx,
        c.get('actor'),
        c.req.param('id'),
        c.req.param('item'),
        body,
      );
      return c.json(item);
    });
}

/**
 * `GET /v1/postmortems?state=overdue|due`: reviews not complete whose due time has passed (or not
 * yet), and unfinished action items whose due date (a day in the site's time zone) has passed (or
 * not yet).
 */
export function postmortemListRoutes(deps: AppDeps) {
  return new Hono<AppEnv>().get('/', requireScope(deps.db, deps.now, 'read'), async (c) => {
    const q = parseOr422(postmortemsQuery, c.req.query());
    const now = deps.now();
    const query = deps.db.query;
    const pending = await reviewsPending(query, '');
    const history = await severityHistories(
      query,
      pending.map((p) => p.id),
    );
    const today = dayKey(now.getTime(), deps.content.site.timezone);
    const listing = reviewListing(
      deps.content.policy,
      pending.map((p) => ({ ...p, severity_history: history.get(p.id) })),
      await unfinishedPostmortems(query),
      q.state === 'overdue',
      today,
      now,
    );
    return c.json({ state: q.state, today, ...listing });
  });
}
