import type { Content } from '../config/content.ts';
import { computeCadence } from '../domain/cadence.ts';
import { incidentUrl } from '../domain/incident-url.ts';
import { ValidationError } from '../domain/errors.ts';
import type { IncidentRecord, Update } from '../domain/types.ts';
import type { IncidentListItem } from '../storage/incidents.ts';
import { UPDATES_PER_PAGE } from './schemas.ts';

export interface PresentDeps {
  content: Content;
  siteUrl: string;
}

export function presentUpdate(update: Update) {
  return {
    id: update.id,
    status: update.status,
    message: update.message,
    components: update.components,
    notify: update.notify,
    display_at: update.display_at,
    created_at: update.created_at,
    author: update.author,
  };
}

/** One page of a timeline (newest first): at most `limit` updates after the one named `before`. */
export interface UpdatesPage {
  before?: string | undefined;
  limit: number;
}

function pageOfUpdates(updates: Update[], page: UpdatesPage) {
  let start = 0;
  if (page.before !== undefined) {
    const index = updates.findIndex((u) => u.id === page.before);
    if (index < 0)
      throw ValidationError.field('updates_before', 'is not an update of this incident');
    start = index + 1;
  }
  const slice = updates.slice(start, start + page.limit);
  return {
    updates: slice.map(presentUpdate),
    update_count: updates.length,
    updates_next_cursor: start + page.limit < updates.length ? slice.at(-1)!.id : null,
  };
}

/**
 * The incident as the API returns it (SPEC §5), with its cadence as of `now` and one page of its
 * timeline (the newest `UPDATES_PER_PAGE` updates unless `page` says otherwise).
 */
export function presentIncident(
  deps: PresentDeps,
  incident: IncidentRecord,
  now: Date,
  page: UpdatesPage = { limit: UPDATES_PER_PAGE },
) {
  return {
    ...presentIncidentFields(deps, incident),
    cadence: computeCadence(deps.content.policy, incident, now),
    ...pageOfUpdates(incident.updates, page),
  };
}

/**
 * An incident in a list: its newest update and how many there are, never the whole timeline
 * (`GET /v1/incidents/{id}` pages through it).
 */
export function presentIncidentListItem(deps: PresentDeps, item: IncidentListItem, now: Date) {
  // The cadence needs only when the last update was posted.
  const posted = { display_at: item.last_posted_at, created_at: item.last_posted_at };
  return {
    ...presentIncidentFields(deps, item),
    cadence: computeCadence(deps.content.policy, { ...item, updates: [posted] }, now),
    latest_update: presentUpdate(item.latest_update),
    update_count: item.update_count,
  };
}

function presentIncidentFields(deps: PresentDeps, incident: Omit<IncidentRecord, 'updates'>) {
  return {
    id: incident.id,
    title: incident.title,
    severity: incident.severity,
    status: incident.status,
    impact: incident.impact,
    visibility: incident.visibility,
    components: incident.components.map((c) => ({
      id: c.id,
      name: deps.content.catalog.byId.get(c.id)?.name ?? c.id,
      status: c.status,
    })),
    roles: incident.roles,
    business_impact: incident.business_impact,
    eta: incident.eta,
    started_at: incident.started_at,
    detected_at: incident.detected_at,
    acknowledged_at: incident.acknowledged_at,
    resolved_at: incident.resolved_at,
    created_at: incident.created_at,
    updated_at: incident.updated_at,
    version: incident.version,
    url: incidentUrl(deps.siteUrl, incident),
  };
}
