import type { SiteSnapshot } from '../snapshot.ts';
import { historyLayout, routePath } from '../routes.ts';
import { monthName } from '../../lib/time.ts';
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
  const layout = historyLayout(snapshot);
  const at = layout.pages[page - 1] ?? layout.pages[0]!;
  // The page's incidents, in history order. With an index of the history, `incidents` holds the
  // page's full records (`PublicIncidents.snapshotFor`); else it is the whole history.
  const records = snapshot.history ? snapshot.incidents : snapshot.incidents.slice(at.from, at.to);
  const incidents = records.map((record) => incidentSummary(snapshot, record));
  const pageCount = layout.pages.length;
  const name = monthName(at.month);
  const span = at.parts > 1 ? `${name}, part ${at.part} of ${at.parts}` : name;
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
    months: [
      {
        month: at.month,
        name: at.parts > 1 ? `${name} (part ${at.part} of ${at.parts})` : name,
        incidents,
      },
    ],
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
