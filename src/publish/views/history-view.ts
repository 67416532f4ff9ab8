import type { SiteSnapshot } from '../snapshot.ts';
import { historyMonths, routePath } from '../routes.ts';
import { monthKey, monthName } from '../../lib/time.ts';
import { componentName, pageMeta, siteView, type PageMeta, type SiteView } from './common.ts';
import { IMPACT_LABEL } from './status.ts';
import { incidentSummary, type IncidentSummaryView } from './incident-parts.ts';

export interface HistoryView {
  site: SiteView;
  meta: PageMeta;
  page: number;
  pageCount: number;
  months: Array<{ month: string; name: string; incidents: IncidentSummaryView[] }>;
  newer: string | null;
  older: string | null;
  /** The choices of the filter (components of the catalog, impacts worst first). */
  filter: {
    components: Array<{ id: string; name: string }>;
    impacts: Array<{ value: string; label: string }>;
  };
}

export function buildHistoryView(snapshot: SiteSnapshot, page: number): HistoryView {
  const zone = snapshot.site.timezone;
  const all = historyMonths(snapshot);
  const months = [all[page - 1] ?? all[0]!];
  const byMonth = new Map(months.map((m) => [m, [] as IncidentSummaryView[]]));
  const oldest = months[months.length - 1]!;
  for (const incident of snapshot.incidents) {
    const month = monthKey(Date.parse(incident.started_at), zone);
    // Incidents are newest first: past this page's oldest month, nothing more can match.
    if (month < oldest) break;
    byMonth.get(month)?.push(incidentSummary(snapshot, incident));
  }
  const pageCount = all.length;
  const first = monthName(months[months.length - 1]!);
  const last = monthName(months[0]!);
  const span = first === last ? first : `${first} to ${last}`;
  return {
    site: siteView(snapshot),
    meta: pageMeta(
      snapshot,
      routePath({ kind: 'history', page }),
      `Incident history, ${span} · ${snapshot.site.name}`,
      `Past incidents of ${snapshot.site.name}: ${span}.`,
    ),
    page,
    pageCount,
    months: months.map((m) => ({ month: m, name: monthName(m), incidents: byMonth.get(m)! })),
    newer: page > 1 ? routePath({ kind: 'history', page: page - 1 }) : null,
    older: page < pageCount ? routePath({ kind: 'history', page: page + 1 }) : null,
    filter: {
      components: snapshot.catalog.components.map((c) => ({
        id: c.id,
        name: componentName(snapshot, c.id),
      })),
      impacts: (['critical', 'major', 'minor', 'none'] as const).map((value) => ({
        value,
        label: IMPACT_LABEL[value],
      })),
    },
  };
}
