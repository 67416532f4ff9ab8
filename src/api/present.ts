import type { Content } from '../config/content.ts';
import { computeCadence } from '../domain/cadence.ts';
import { incidentUrl } from '../domain/incident-url.ts';
import type { IncidentRecord, Update } from '../domain/types.ts';

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

/** The incident as the API returns it (SPEC §5), with its cadence as of `now`. */
export function presentIncident(deps: PresentDeps, incident: IncidentRecord, now: Date) {
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
    cadence: computeCadence(deps.content.policy, incident, now),
    updates: incident.updates.map(presentUpdate),
  };
}
