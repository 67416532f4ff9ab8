import type { IncidentRecord } from './types.ts';

/** An incident's public page, or null when the incident is private (it has no public page). */
export function incidentUrl(siteUrl: string, incident: Pick<IncidentRecord, 'id' | 'visibility'>) {
  return incident.visibility === 'public'
    ? `${siteUrl.replace(/\/$/, '')}/incidents/${incident.id}/`
    : null;
}
