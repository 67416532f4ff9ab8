import type { Catalog, Policy, SiteConfig } from '../config/content.ts';
import type { ComponentStatus, IncidentRecord } from '../domain/types.ts';
import type { Db } from '../storage/db.ts';
import type { MaintenanceRecord } from '../domain/maintenances/types.ts';
import { listMaintenances } from '../storage/maintenances.ts';
import { publicPostmortem } from '../domain/postmortems/review.ts';
import { catalogFirstSeen } from '../storage/catalog.ts';
import { componentStatuses, findIncident, listIncidents } from '../storage/incidents.ts';
import { publishedPostmortems } from '../storage/postmortems.ts';

/** Everything the public site is rendered from. Only public incidents ever enter it. */
export interface SiteSnapshot {
  site: SiteConfig;
  /** Public base URL, used for absolute links in feeds and JSON. */
  siteUrl: string;
  /** The API's public URL, where subscribe forms post; the site's own when absent. */
  apiUrl?: string;
  catalog: Catalog;
  policy: Policy;
  /** Public incidents, newest started first. */
  incidents: IncidentRecord[];
  componentStatus: Map<string, { status: ComponentStatus; updated_at: string }>;
  /**
   * Catalog id → when this installation first saw it. Uptime days before a component's first
   * record (this or its oldest incident, whichever is earlier) show as "no data". Absent: none.
   */
  firstSeen?: ReadonlyMap<string, string>;
  /** Every scheduled maintenance (they are all public), latest start first. Absent: none. */
  maintenances?: MaintenanceRecord[];
  now: Date;
}

const PAGE = 500;

/** Every public incident, read in pages so that no query grows with the size of the history. */
export async function loadPublicIncidents(db: Db): Promise<IncidentRecord[]> {
  const read = db.query;
  const all: IncidentRecord[] = [];
  let before: string | undefined;
  for (;;) {
    const page = await listIncidents(read, { visibility: 'public', limit: PAGE, before });
    all.push(...page);
    if (page.length < PAGE) break;
    before = page[page.length - 1]!.id;
  }
  const published = await publishedPostmortems(read);
  return published.size === 0
    ? all
    : all.map((i) => {
        const postmortem = published.get(i.id);
        return postmortem ? { ...i, postmortem: publicPostmortem(postmortem) } : i;
      });
}

/** One incident if, and only if, it is public now; null when private or gone. */
export async function loadPublicIncident(db: Db, id: string): Promise<IncidentRecord | null> {
  const incident = await findIncident(db.query, id);
  if (incident?.visibility !== 'public') return null;
  const postmortem = (await publishedPostmortems(db.query, [id])).get(id);
  return postmortem ? { ...incident, postmortem: publicPostmortem(postmortem) } : incident;
}

export async function loadComponentStatuses(db: Db): Promise<SiteSnapshot['componentStatus']> {
  return componentStatuses(db.query);
}

export async function loadFirstSeen(db: Db): Promise<Map<string, string>> {
  return catalogFirstSeen(db.query);
}

/** Orders incidents as the snapshot keeps them: newest started first, then by id. */
export function compareIncidents(a: IncidentRecord, b: IncidentRecord): number {
  if (a.started_at !== b.started_at) return a.started_at < b.started_at ? 1 : -1;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** Every maintenance, latest start first: the site shows them all (a few per month at most). */
export async function loadMaintenances(db: Db): Promise<MaintenanceRecord[]> {
  return listMaintenances(db.query);
}
