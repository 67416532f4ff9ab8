import type { SiteSnapshot } from '../snapshot.ts';
import { incidentsOfComponent } from './indexes.ts';
import { cleanText } from '../text.ts';
import { pageMeta, siteView, type PageMeta, type SiteView } from './common.ts';
import { incidentSummary, type IncidentSummaryView } from './incident-parts.ts';
import {
  COMPONENT_STATUS_LABEL,
  COMPONENT_STATUS_TONE,
  currentStatus,
  type Tone,
} from './status.ts';
import { uptimeView, type UptimeView } from './uptime-view.ts';
import { currentMaintenances, type MaintenanceSummaryView } from './maintenance-view.ts';

export interface ComponentView {
  site: SiteView;
  meta: PageMeta;
  component: {
    id: string;
    name: string;
    description: string;
    groupName: string | null;
    statusLabel: string;
    tone: Tone;
  };
  uptime: UptimeView;
  incidents: IncidentSummaryView[];
  /** Maintenance of this component in progress or to come. */
  maintenance: MaintenanceSummaryView[];
  feed: string;
  calendar: string;
}

/** The component page lists this many of its most recent incidents; the rest are in the history. */
export const COMPONENT_INCIDENTS = 50;

export function buildComponentView(snapshot: SiteSnapshot, id: string): ComponentView | null {
  const component = snapshot.catalog.byId.get(id);
  if (!component) return null;
  const group = snapshot.catalog.groups.find((g) => g.id === component.groupId);
  const status = currentStatus(snapshot, id);
  const incidents: IncidentSummaryView[] = incidentsOfComponent(snapshot, id)
    .slice(0, COMPONENT_INCIDENTS)
    .map((incident) => incidentSummary(snapshot, incident));
  const name = cleanText(component.name);
  return {
    site: siteView(snapshot),
    meta: pageMeta(
      snapshot,
      `/components/${id}/`,
      `${component.name} · ${snapshot.site.name} status`,
      `${COMPONENT_STATUS_LABEL[status]}. Status, uptime and incidents of ${component.name}.`,
    ),
    component: {
      id,
      name,
      description: cleanText(component.description),
      groupName: group ? cleanText(group.name) : null,
      statusLabel: COMPONENT_STATUS_LABEL[status],
      tone: COMPONENT_STATUS_TONE[status],
    },
    uptime: uptimeView(snapshot, id),
    incidents,
    maintenance: currentMaintenances(snapshot, id),
    feed: `/components/${id}/history.rss`,
    calendar: `/components/${id}/maintenance.ics`,
  };
}
