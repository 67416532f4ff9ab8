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
    site: siteView(snapshot),
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
