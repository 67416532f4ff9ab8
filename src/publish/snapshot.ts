import type { Catalog, Policy, SiteConfig } from '../config/content.ts';
import type { ComponentStatus, IncidentRecord } from '../domain/types.ts';
import type { Db } from '../storage/db.ts';
import type { MaintenanceRecord } from '../domain/maintenances/types.ts';
import { listMaintenances } from '../storage/maintenances.ts';
import { publicPostmortem, type Postmortem } from '../domain/postmortems/review.ts';
import { catalogFirstSeen } from '../storage/catalog.ts';
import {
  componentStatuses,
  findIncident,
  findIncidents,
  listIncidents,
} from '../storage/incidents.ts';
import { publishedPostmortems } from '../storage/postmortems.ts';
import type { HistorySource } from './history-index.ts';
import type { UptimeRecord } from './uptime.ts';

/**
 * What the publisher's `HistoryIndex` keeps of every public incident: enough to plan which routes a
 * change touches, to page the history by month, and to pick the incidents the site-wide routes
 * show, but no timeline. Full records are read from the database per route (one incident page,
 * one month of history) or kept for the few the site-wide routes need (`hotIncidentIds`).
 */
export interface IncidentSummary {
  id: string;
  started_at: string;
  /** When it was resolved, in whole minutes since the epoch (`minuteOf`); null while open. */
  resolved_minute: number | null;
  status: IncidentRecord['status'];
  version: number;
  /** Every component the incident ever touched (`touchedComponents`). */
  touched: readonly string[];
  /**
   * The newest update's `display_at` in whole minutes since the epoch; null without updates. The
   * feeds' order to the minute: enough to pick, ties included, a superset of the incidents whose
   * updates lead the feeds.
   */
  latest_minute: number | null;
  /** When its postmortem was published; null without one. */
  postmortem_at: string | null;
}

/** A time (ISO 8601) in whole minutes since the epoch, rounded down. */
export function minuteOf(iso: string): number {
  return Math.floor(Date.parse(iso) / 60_000);
}

/** Everything the public site is rendered from. Only public incidents ever enter it. */
export interface SiteSnapshot {
  site: SiteConfig;
  /** Public base URL, used for absolute links in feeds and JSON. */
  siteUrl: string;
  /** The API's public URL, where subscribe forms post; the site's own when absent. */
  apiUrl?: string;
  catalog: Catalog;
  policy: Policy;
  /**
   * Public incidents, newest started first, in full: every one (tests, the static build), or, from
   * the publisher, those the route being rendered reads (see `hotIncidentIds`; one incident for
   * its page, one month for a history page), so memory does not grow with the history.
   */
  incidents: IncidentRecord[];
  /**
   * The whole public history, paged without being held (the publisher's `HistoryIndex`); absent:
   * `incidents` is all of it.
   */
  history?: HistorySource;
  /**
   * `incidents` by component (each list newest started first, never changed in place), kept by
   * the publisher for its site-wide snapshot; absent: built from `incidents` when asked.
   */
  incidentsByComponent?: ReadonlyMap<string, IncidentRecord[]>;
  /**
   * Per component, the incidents its uptime bars read, newest started first, kept by the
   * publisher: every one open, or started or resolved within the uptime window, those of
   * `incidents` in full and the others as their timelines alone (`uptimeRecord`); absent: the
   * component's `incidents`.
   */
  uptimeIncidentsByComponent?: ReadonlyMap<string, readonly UptimeRecord[]>;
  /**
   * Component id → when its oldest public incident started, over the whole history, kept by the
   * publisher with `history`; absent: found from `incidents`.
   */
  oldestStarts?: ReadonlyMap<string, string>;
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
  const all: IncidentRecord[] = [];
  await eachPublicIncidentPage(db, (page) => void all.push(...page));
  return all;
}

/**
 * Every public incident, newest started first, handed over a page at a time (with its published
 * postmortem), so a caller that keeps only a summary never holds the whole history.
 */
export async function eachPublicIncidentPage(
  db: Db,
  visit: (page: IncidentRecord[]) => void | Promise<void>,
): Promise<void> {
  const read = db.query;
  const published = await publishedPostmortems(read);
  let before: string | undefined;
  for (;;) {
    const page = await listIncidents(read, { visibility: 'public', limit: PAGE, before });
    await visit(page.map((i) => withPostmortem(i, published.get(i.id))));
    if (page.length < PAGE) break;
    before = page[page.length - 1]!.id;
  }
}

/** The public ones among `ids`, with their published postmortems, in no particular order. */
export async function loadPublicIncidentsById(
  db: Db,
  ids: readonly string[],
): Promise<IncidentRecord[]> {
  const found: IncidentRecord[] = [];
  for (let i = 0; i < ids.length; i += PAGE) {
    const chunk = ids.slice(i, i + PAGE);
    const incidents = (await findIncidents(db.query, chunk)).filter(
      (incident) => incident.visibility === 'public',
    );
    const published = await publishedPostmortems(
      db.query,
      incidents.map((incident) => incident.id),
    );
    for (const incident of incidents)
      found.push(withPostmortem(incident, published.get(incident.id)));
  }
  return found;
}

function withPostmortem(
  incident: IncidentRecord,
  postmortem: Postmortem | undefined,
): IncidentRecord {
  return postmortem ? { ...incident, postmortem: publicPostmortem(postmortem) } : incident;
}

/** One incident if, and only if, it is public now; null when private or gone. */
export async function loadPublicIncident(db: Db, id: string): Promise<IncidentRecord | null> {
  const incident = await findIncident(db.query, id);
  if (incident?.visibility !== 'public') return null;
  return withPostmortem(incident, (await publishedPostmortems(db.query, [id])).get(id));
}

export async function loadComponentStatuses(db: Db): Promise<SiteSnapshot['componentStatus']> {
  return componentStatuses(db.query);
}

export async function loadFirstSeen(db: Db): Promise<Map<string, string>> {
  return catalogFirstSeen(db.query);
}

/** Orders incidents as the snapshot keeps them: newest started first, then by id. */
export function compareIncidents(
  a: Pick<IncidentRecord, 'started_at' | 'id'>,
  b: Pick<IncidentRecord, 'started_at' | 'id'>,
): number {
  if (a.started_at !== b.started_at) return a.started_at < b.started_at ? 1 : -1;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** Every maintenance, latest start first: the site shows them all (a few per month at most). */
export async function loadMaintenances(db: Db): Promise<MaintenanceRecord[]> {
  return listMaintenances(db.query);
}

/** Where `incident` goes in `list` (newest started first): the first place not before it. */
export function insertionPoint(
  list: ReadonlyArray<Pick<IncidentRecord, 'started_at' | 'id'>>,
  incident: Pick<IncidentRecord, 'started_at' | 'id'>,
): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (compareIncidents(list[mid]!, incident) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
