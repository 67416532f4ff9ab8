import type { SiteSnapshot } from '../snapshot.ts';
import { worstComponentStatus } from '../../domain/types.ts';
import { addDays, dayKey, formatDay } from '../../lib/time.ts';
import { cleanText } from '../text.ts';
import { pageMeta, siteView, type PageMeta, type SiteView } from './common.ts';
import {
  activeIncidentView,
  incidentSummary,
  type ActiveIncidentView,
  type IncidentSummaryView,
} from './incident-parts.ts';
import {
  COMPONENT_STATUS_LABEL,
  COMPONENT_STATUS_TONE,
  activeIncidents,
  currentStatus,
  overallStatus,
  type Overall,
  type Tone,
} from './status.ts';
import { incidentDays } from './indexes.ts';
import { uptimeView, type UptimeView } from './uptime-view.ts';
import { currentMaintenances, type MaintenanceSummaryView } from './maintenance-view.ts';

export interface ComponentRowView {
  id: string;
  href: string;
  name: string;
  description: string;
  statusLabel: string;
  tone: Tone;
  uptime: UptimeView;
}

export interface GroupView {
  id: string | null;
  name: string | null;
  /** The worst status of its components. */
  statusLabel: string;
  tone: Tone;
  components: ComponentRowView[];
}

export interface IndexView {
  site: SiteView;
  meta: PageMeta;
  overall: Overall;
  active: ActiveIncidentView[];
  /** Maintenance in progress, then upcoming (soonest first); the section shows only when any. */
  maintenance: MaintenanceSummaryView[];
  groups: GroupView[];
  recent: IncidentSummaryView[];
  /** The last `PAST_DAYS` days in the site's zone, newest first, each with the incidents begun on it. */
  past: PastDayView[];
}

export interface PastDayView {
  day: string;
  label: string;
  incidents: IncidentSummaryView[];
  /** Incidents of that day not listed here (see the history page). */
  more: number;
}

/** "Past incidents" covers this many days, day by day, as Statuspage does. */
export const PAST_DAYS = 15;
/** Per day on the index; a busy day links to the history for the rest. */
const PAST_PER_DAY = 3;

export function pastDays(snapshot: SiteSnapshot): PastDayView[] {
  const zone = snapshot.site.timezone;
  const today = dayKey(snapshot.now.getTime(), zone);
  const oldest = addDays(today, -(PAST_DAYS - 1));
  const byDay = new Map<string, IncidentSummaryView[]>();
  const counts = new Map<string, number>();
  for (const incident of snapshot.incidents) {
    const day = incidentDays(incident, zone).start;
    // Newest started first: past the oldest day shown, nothing more can match.
    if (day < oldest) break;
    if (day > today) continue;
    counts.set(day, (counts.get(day) ?? 0) + 1);
    const list = byDay.get(day) ?? [];
    if (list.length < PAST_PER_DAY) list.push(incidentSummary(snapshot, incident));
    byDay.set(day, list);
  }
  return Array.from({ length: PAST_DAYS }, (_, i) => {
    const day = addDays(today, -i);
    const incidents = byDay.get(day) ?? [];
    return {
      day,
      label: formatDay(day),
      incidents,
      more: (counts.get(day) ?? 0) - incidents.length,
    };
  });
}

/** Resolved incidents from this many days back are listed under "Recently resolved". */
const RECENT_DAYS = 7;
const RECENT_LIMIT = 5;

export function componentRow(snapshot: SiteSnapshot, id: string): ComponentRowView | null {
  const component = snapshot.catalog.byId.get(id);
  if (!component) return null;
  const status = currentStatus(snapshot, id);
  // Statuspage's only_show_if_degraded: hidden while all is well.
  if (component.onlyShowIfDegraded && status === 'operational') return null;
  return {
    id,
    href: `/components/${id}/`,
    name: cleanText(component.name),
    description: cleanText(component.description),
    statusLabel: COMPONENT_STATUS_LABEL[status],
    tone: COMPONENT_STATUS_TONE[status],
    uptime: uptimeView(snapshot, id),
  };
}

export function buildIndexView(snapshot: SiteSnapshot): IndexView {
  const { catalog } = snapshot;
  const open = activeIncidents(snapshot).length > 0;
  // While an incident is open, the affected components rise to the top of their group.
  const rows = (ids: string[]) => {
    const list = ids.map((id) => componentRow(snapshot, id)).filter((r) => r !== null);
    return open
      ? [...list.filter((r) => r.tone !== 'ok'), ...list.filter((r) => r.tone === 'ok')]
      : list;
  };
  const group = (id: string | null, name: string | null, ids: string[]): GroupView => {
    const worst = worstComponentStatus(ids.map((c) => currentStatus(snapshot, c)));
    return {
      id,
      name,
      statusLabel: COMPONENT_STATUS_LABEL[worst],
      tone: COMPONENT_STATUS_TONE[worst],
      components: rows(ids),
    };
  };
  const groups: GroupView[] = catalog.groups.map((g) =>
    group(g.id, cleanText(g.name), g.componentIds),
  );
  const ungroupedIds = catalog.components.filter((c) => c.groupId === null).map((c) => c.id);
  if (ungroupedIds.length > 0) groups.push(group(null, null, ungroupedIds));
  const since = new Date(snapshot.now.getTime() - RECENT_DAYS * 86_400_000).toISOString();
  const recent = snapshot.incidents
    .filter((i) => i.resolved_at !== null && i.status === 'resolved' && i.resolved_at >= since)
    .sort((a, b) => (a.resolved_at! < b.resolved_at! ? 1 : -1))
    .slice(0, RECENT_LIMIT)
    .map((i) => incidentSummary(snapshot, i));
  const overall = overallStatus(snapshot);
  return {
    site: siteView(snapshot),
    meta: pageMeta(
      snapshot,
      '/',
      `${snapshot.site.name} status`,
      `${overall.description}. ${snapshot.site.description}`,
    ),
    overall,
    active: activeIncidents(snapshot).map((i) => activeIncidentView(snapshot, i)),
    maintenance: currentMaintenances(snapshot),
    groups: groups.filter((g) => g.components.length > 0),
    recent,
    past: pastDays(snapshot),
  };
}
