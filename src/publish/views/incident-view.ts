import type { IncidentRecord } from '../../domain/types.ts';
import type { SiteSnapshot } from '../snapshot.ts';
import { pageMeta, siteView, type PageMeta, type SiteView } from './common.ts';
import {
  componentImpacts,
  incidentSummary,
  nextUpdate,
  updateView,
  type ComponentImpactView,
  type IncidentSummaryView,
  type NextUpdateView,
  type UpdateView,
} from './incident-parts.ts';
import { postmortemView, type PostmortemView } from './postmortem-view.ts';

export interface IncidentView {
  site: SiteView;
  meta: PageMeta;
  incident: IncidentSummaryView & NextUpdateView;
  /** What the incident did to each component it touched. */
  impacts: ComponentImpactView[];
  /** Newest first, as status pages show them. */
  updates: UpdateView[];
  /** The published postmortem, when there is one. */
  postmortem: PostmortemView | null;
}

export function buildIncidentView(snapshot: SiteSnapshot, incident: IncidentRecord): IncidentView {
  const summary = { ...incidentSummary(snapshot, incident), ...nextUpdate(snapshot, incident) };
  return {
    site: { ...siteView(snapshot), generatedAt: contentTime(snapshot, incident) },
    meta: pageMeta(
      snapshot,
      `/incidents/${incident.id}/`,
      `${incident.title} · ${snapshot.site.name} status`,
      `${summary.statusLabel}: ${incident.title}`,
    ),
    incident: summary,
    impacts: componentImpacts(snapshot, incident),
    updates: incident.updates.map((u) => updateView(snapshot, u)),
    postmortem: incident.postmortem ? postmortemView(incident.postmortem) : null,
  };
}

/**
 * What the page's "Updated" time says: for an open incident, now (the page runs with the clock:
 * its duration, the next update's time); for a resolved one, when its public record last changed
 * (its last update posted, its resolution, its postmortem's publication). A resolved incident's
 * page is then the same bytes at every export, so it is not written again, and readers' caches
 * keep it, instead of every one of them changing at each restart for its footer alone.
 */
function contentTime(snapshot: SiteSnapshot, incident: IncidentRecord): string {
  if (incident.status !== 'resolved') return snapshot.now.toISOString();
  let latest = incident.resolved_at ?? incident.started_at;
  for (const update of incident.updates) if (update.created_at > latest) latest = update.created_at;
  const published = incident.postmortem?.published_at;
  if (published && published > latest) latest = published;
  return latest;
}
