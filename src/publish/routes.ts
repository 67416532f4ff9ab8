import type { IncidentRecord } from '../domain/types.ts';
import type { MonthCount } from './history-index.ts';
import { insertionPoint, type IncidentSummary, type SiteSnapshot } from './snapshot.ts';
import { monthKey, startOfDay } from '../lib/time.ts';

export const API_FILES = [
  'summary.json',
  'status.json',
  'components.json',
  'incidents.json',
  'incidents/unresolved.json',
  'scheduled-maintenances.json',
  'scheduled-maintenances/upcoming.json',
  'scheduled-maintenances/active.json',
] as const;
export type ApiFile = (typeof API_FILES)[number];

/** One published output of the site. */
export type Route =
  | { kind: 'index' }
  | { kind: 'incident'; id: string }
  | { kind: 'history'; page: number }
  | { kind: 'component'; id: string }
  | { kind: 'feed' }
  | { kind: 'component-feed'; id: string }
  | { kind: 'atom' }
  | { kind: 'component-atom'; id: string }
  | { kind: 'api'; file: ApiFile }
  | { kind: 'badge' }
  | { kind: 'maintenance'; id: string }
  | { kind: 'calendar' }
  | { kind: 'component-calendar'; id: string }
  | { kind: 'not-found' };

/** Ids become directory names; anything else is never used as a path. */
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export function isSafeId(id: string): boolean {
  return SAFE_ID.test(id);
}

export function routePath(route: Route): string {
  switch (route.kind) {
    case 'index':
      return '/';
    case 'incident':
      return `/incidents/${route.id}/`;
    case 'history':
      return route.page === 1 ? '/history/' : `/history/${route.page}/`;
    case 'component':
      return `/components/${route.id}/`;
    case 'feed':
      return '/history.rss';
    case 'component-feed':
      return `/components/${route.id}/history.rss`;
    case 'atom':
      return '/history.atom';
    case 'component-atom':
      return `/components/${route.id}/history.atom`;
    case 'not-found':
      return '/404.html';
    case 'api':
      return `/api/v2/${route.file}`;
    case 'badge':
      return '/badge.svg';
    case 'maintenance':
      return `/maintenances/${route.id}/`;
    case 'calendar':
      return '/maintenance.ics';
    case 'component-calendar':
      return `/components/${route.id}/maintenance.ics`;
  }
}

/**
 * The path the Astro build renders a route at: its public path, except the not-found page, which
 * Astro would answer with status 404 under `/404.html` (`src/pages/not-found.astro`).
 */
export function renderPath(route: Route): string {
  return route.kind === 'not-found' ? '/not-found/' : routePath(route);
}

/** Where a route lives under the site directory: directory routes become `index.html`. */
export function routeFile(route: Route): string {
  const path = routePath(route).slice(1);
  return path === '' || path.endsWith('/') ? `${path}index.html` : path;
}

/** The route a URL path names, or null: the inverse of `routePath`. */
export function routeFromPath(path: string): Route | null {
  if (path === '/' || path === '') return { kind: 'index' };
  if (path === '/history.rss') return { kind: 'feed' };
  if (path === '/badge.svg') return { kind: 'badge' };
  if (path === '/history.atom') return { kind: 'atom' };
  if (path === '/maintenance.ics') return { kind: 'calendar' };
  if (path === '/404.html' || path === '/not-found/') return { kind: 'not-found' };
  let m = /^\/incidents\/([^/]+)\/?$/.exec(path);
  if (m && isSafeId(m[1]!)) return { kind: 'incident', id: m[1]! };
  m = /^\/history(?:\/(\d{1,4}))?\/?$/.exec(path);
  if (m) return { kind: 'history', page: m[1] ? Number(m[1]) : 1 };
  m = /^\/components\/([^/]+)\/history\.rss$/.exec(path);
  if (m && isSafeId(m[1]!)) return { kind: 'component-feed', id: m[1]! };
  m = /^\/components\/([^/]+)\/maintenance\.ics$/.exec(path);
  if (m && isSafeId(m[1]!)) return { kind: 'component-calendar', id: m[1]! };
  m = /^\/maintenances\/([^/]+)\/?$/.exec(path);
  if (m && isSafeId(m[1]!)) return { kind: 'maintenance', id: m[1]! };
  m = /^\/components\/([^/]+)\/history\.atom$/.exec(path);
  if (m && isSafeId(m[1]!)) return { kind: 'component-atom', id: m[1]! };
  m = /^\/components\/([^/]+)\/?$/.exec(path);
  if (m && isSafeId(m[1]!)) return { kind: 'component', id: m[1]! };
  m = /^\/api\/v2\/(.+)$/.exec(path);
  if (m && (API_FILES as readonly string[]).includes(m[1]!))
    return { kind: 'api', file: m[1] as ApiFile };
  return null;
}

/** At most this many incidents on one history page: a busier month spans several pages. */
export const HISTORY_PAGE_SIZE = 250;

/**
 * One history page: a calendar month (site time zone), or one part of a month that had more than
 * `HISTORY_PAGE_SIZE` incidents. `from`/`to` are its incidents' positions in the history (newest
 * started first), `first` the position of its month's newest incident.
 */
export interface HistoryPage {
  month: string;
  /** 1 is the month's newest part. */
  part: number;
  parts: number;
  from: number;
  to: number;
  first: number;
}

/** The history's pages, newest first, and which page a position in the history is on. */
export interface HistoryLayout {
  pages: HistoryPage[];
  /** Changes whenever any page's number or month part changes (all pages must be rendered). */
  key: string;
  /** The page (1-based) of the incident at `position` (`historyPosition`); 0 for -1. */
  pageAt(position: number): number;
  /**
   * The pages whose content changes when an incident enters or leaves the history at `position`:
   * its own, and its month's newer parts (every incident after it moves by one).
   */
  pagesFrom(position: number): number[];
}

const layoutCache = new WeakMap<readonly MonthCount[], { key: string; layout: HistoryLayout }>();
const monthsCache = new WeakMap<
  readonly IncidentRecord[],
  { zone: string; months: MonthCount[] }
>();

/**
 * The history pages, newest first: the current month (the first page, even when it is quiet) and
 * every month (site time zone) in which an incident started, each split into parts of at most
 * `HISTORY_PAGE_SIZE`. Months without incidents get no page, so the number of pages never exceeds
 * the number of incidents plus one, whatever dates they carry. A month's parts are counted from its
 * oldest incident, so a new incident (the newest) changes only the month's newest part, until that
 * part is full and a new one begins.
 */
export function historyLayout(
  snapshot: Pick<SiteSnapshot, 'incidents' | 'history' | 'now' | 'site'>,
): HistoryLayout {
  const zone = snapshot.site.timezone;
  const current = monthKey(snapshot.now.getTime(), zone);
  const cacheKey = `${current} ${zone}`;
  const months = snapshot.history?.months() ?? monthsOf(snapshot.incidents, zone);
  const cached = layoutCache.get(months);
  if (cached?.key === cacheKey) return cached.layout;
  const pages: HistoryPage[] = [];
  let first = 0;
  for (const { month, count: n } of months) {
    const parts = Math.max(1, Math.ceil(n / HISTORY_PAGE_SIZE));
    for (let part = 1; part <= parts; part++) {
      // Counted from the oldest: chunk `parts - part` holds ranks [chunk × size, …), oldest first.
      const chunk = parts - part;
      const from = first + n - Math.min((chunk + 1) * HISTORY_PAGE_SIZE, n);
      pages.push({ month, part, parts, from, to: first + n - chunk * HISTORY_PAGE_SIZE, first });
    }
    first += n;
  }
  if (!months.some((m) => m.month === current)) {
    // Where the current month's incidents would be: after every later month's.
    let at = 0;
    for (const m of months) if (m.month > current) at += m.count;
    pages.push({ month: current, part: 1, parts: 1, from: at, to: at, first: at });
  }
  const sorted = pages.sort((a, b) =>
    a.month === b.month ? a.part - b.part : a.month < b.month ? 1 : -1,
  );
  const layout: HistoryLayout = {
    pages: sorted,
    key: sorted.map((p) => `${p.month}/${p.part}/${p.parts}`).join(' '),
    pageAt: (position) =>
      position < 0 ? 0 : sorted.findIndex((p) => p.from <= position && position < p.to) + 1,
    pagesFrom: (position) => {
      const page = layout.pageAt(position);
      if (page === 0) return [];
      const { part } = sorted[page - 1]!;
      return Array.from({ length: part }, (_, k) => page - k);
    },
  };
  layoutCache.set(months, { key: cacheKey, layout });
  return layout;
}

/**
 * How many incidents of `incidents` (newest started first) started in each month, newest first.
 * Each month's key is computed once and its end found by halving, so this costs a few steps per
 * month, not a date parse per incident.
 */
function monthsOf(incidents: readonly IncidentRecord[], zone: string): MonthCount[] {
  const cached = monthsCache.get(incidents);
  if (cached?.zone === zone) return cached.months;
  const months: MonthCount[] = [];
  for (let i = 0; i < incidents.length;) {
    const month = monthKey(Date.parse(incidents[i]!.started_at), zone);
    // The month ends at the first incident started before it began.
    const monthStart = startOfDay(`${month}-01`, zone);
    let lo = i + 1;
    let hi = incidents.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (Date.parse(incidents[mid]!.started_at) < monthStart) hi = mid;
      else lo = mid + 1;
    }
    months.push({ month, count: lo - i });
    i = lo;
  }
  monthsCache.set(incidents, { zone, months });
  return months;
}

/** Where `incident` stands in the snapshot's history (newest started first); -1: not in it. */
export function historyPosition(
  snapshot: Pick<SiteSnapshot, 'incidents' | 'history'>,
  incident: Pick<IncidentRecord, 'started_at' | 'id'>,
): number {
  if (snapshot.history) return snapshot.history.positionOf(incident);
  const at = insertionPoint(snapshot.incidents, incident);
  return snapshot.incidents[at]?.id === incident.id ? at : -1;
}

export function historyPageCount(
  snapshot: Pick<SiteSnapshot, 'incidents' | 'history' | 'now' | 'site'>,
): number {
  return historyLayout(snapshot).pages.length;
}

const touchedCache = new WeakMap<IncidentRecord, readonly string[]>();

/**
 * The components an incident has ever touched: currently affected or named by any update.
 * Incident records are replaced, never mutated, so the answer is kept per record.
 */
export function touchedComponents(incident: IncidentRecord | IncidentSummary): readonly string[] {
  if ('touched' in incident) return incident.touched;
  let ids = touchedCache.get(incident);
  if (!ids) {
    const set = new Set(incident.components.map((c) => c.id));
    for (const update of incident.updates)
      for (const change of update.components) set.add(change.id);
    ids = [...set];
    touchedCache.set(incident, ids);
  }
  return ids;
}

/** Outputs that summarise the whole site and change with any incident. */
function siteWideRoutes(): Route[] {
  return [
    { kind: 'index' },
    { kind: 'feed' },
    { kind: 'atom' },
    { kind: 'badge' },
    ...API_FILES.map((file): Route => ({ kind: 'api', file })),
  ];
}

/**
 * Every route of the site, for a full export; `incidentIds` (every incident of the history by
 * default) chooses the incident pages.
 */
export function allRoutes(
  snapshot: SiteSnapshot,
  incidentIds: readonly string[] = snapshot.history?.allIds() ??
    snapshot.incidents.map((i) => i.id),
): Route[] {
  const pages = historyPageCount(snapshot);
  return [
    ...siteWideRoutes(),
    { kind: 'not-found' },
    ...Array.from({ length: pages }, (_, i): Route => ({ kind: 'history', page: i + 1 })),
    ...snapshot.catalog.components.flatMap((c): Route[] => [
      { kind: 'component', id: c.id },
      { kind: 'component-feed', id: c.id },
      { kind: 'component-atom', id: c.id },
    ]),
    ...incidentIds.filter(isSafeId).map((id): Route => ({ kind: 'incident', id })),
    { kind: 'calendar' },
    ...snapshot.catalog.components.map((c): Route => ({ kind: 'component-calendar', id: c.id })),
    ...(snapshot.maintenances ?? [])
      .filter((m) => isSafeId(m.id))
      .map((m): Route => ({ kind: 'maintenance', id: m.id })),
  ];
}

/**
 * What maintenance changes affect: everything that summarises the site, the calendars, the
 * pages of the components they touch (status, uptime, feeds) and their own pages.
 */
export function planMaintenanceChange(
  changedIds: string[],
  componentIds: Iterable<string>,
  knownComponents: ReadonlySet<string>,
): Route[] {
  const render: Route[] = [...siteWideRoutes(), { kind: 'calendar' }];
  for (const id of changedIds) if (isSafeId(id)) render.push({ kind: 'maintenance', id });
  for (const id of new Set(componentIds)) {
    if (!knownComponents.has(id)) continue;
    render.push(
      { kind: 'component', id },
      { kind: 'component-feed', id },
      { kind: 'component-atom', id },
      { kind: 'component-calendar', id },
    );
  }
  return render;
}

export interface RoutePlan {
  render: Route[];
  /** Routes whose file must disappear (an incident that went private or was removed). */
  remove: Route[];
}

/**
 * What one incident change affects. `before` and `after` are the public versions of the incident
 * (null when it was, or is now, not public). `historyBefore`/`historyAfter` are the history's pages
 * (`historyLayout`) without and with the change, `beforeAt`/`afterAt` where the incident stood in
 * each (`historyPosition`, -1 when absent): when their pages differ, every page moves and is
 * rendered; else the incident's own page, and when it entered or left a month (new, removed,
 * redated), that month's newer parts, whose incidents moved by one.
 */
export function planChange(input: {
  id: string;
  before: IncidentRecord | IncidentSummary | null;
  after: IncidentRecord | IncidentSummary | null;
  historyBefore: HistoryLayout;
  historyAfter: HistoryLayout;
  beforeAt: number;
  afterAt: number;
  knownComponents: ReadonlySet<string>;
}): RoutePlan {
  const { before, after, historyBefore, historyAfter } = input;
  if (!before && !after) {
    // Nothing public changed, but make sure no stale page of this id survives.
    return { render: [], remove: isSafeId(input.id) ? [{ kind: 'incident', id: input.id }] : [] };
  }
  const render: Route[] = siteWideRoutes();
  const remove: Route[] = [];
  if (isSafeId(input.id)) {
    if (after) render.push({ kind: 'incident', id: input.id });
    else remove.push({ kind: 'incident', id: input.id });
  }
  const pages = new Set<number>();
  const countBefore = historyBefore.pages.length;
  const countAfter = historyAfter.pages.length;
  if (historyBefore.key !== historyAfter.key) {
    for (let p = 1; p <= Math.max(countBefore, countAfter); p++) pages.add(p);
  } else if (before && after && before.started_at === after.started_at) {
    pages.add(historyAfter.pageAt(input.afterAt));
  } else {
    for (const p of historyBefore.pagesFrom(input.beforeAt)) pages.add(p);
    for (const p of historyAfter.pagesFrom(input.afterAt)) pages.add(p);
  }
  pages.delete(0);
  for (const page of [...pages].sort((a, b) => a - b)) {
    if (page <= countAfter) render.push({ kind: 'history', page });
    else remove.push({ kind: 'history', page });
  }
  const components = new Set([
    ...(before ? touchedComponents(before) : []),
    ...(after ? touchedComponents(after) : []),
  ]);
  for (const id of components) {
    if (!input.knownComponents.has(id)) continue;
    render.push(
      { kind: 'component', id },
      { kind: 'component-feed', id },
      { kind: 'component-atom', id },
    );
  }
  return { render, remove };
}

/**
 * Routes rendered together: `pages` (incident and maintenance pages) first, then `after` (history
 * pages listing them), all from the records of `ids`, read at once.
 */
export interface RenderBatch {
  ids: string[];
  pages: Route[];
  after: Route[];
}

/** The ids of the incidents on history page `page` (1-based), in history order; null: no page. */
export function historyPageIds(
  snapshot: Pick<SiteSnapshot, 'incidents' | 'history' | 'site' | 'now'>,
  page: number,
): string[] | null {
  const at = historyLayout(snapshot).pages[page - 1];
  if (!at) return null;
  if (snapshot.history)
    return snapshot.history.idsOf(at.month, at.from - at.first, at.to - at.first);
  return snapshot.incidents.slice(at.from, at.to).map((i) => i.id);
}

/**
 * `routes` in the order and groups they are rendered in: `batches` holds the incident, maintenance
 * and history routes, at most `size` pages a batch, each history page with the incident pages it
 * lists, so that a full export reads each record once for both (reading them again for the history
 * pages cost about a tenth of a 100,000-incident export); an incident page always comes before the
 * history page that links to it. `rest` holds every other route (the index, components, feeds),
 * rendered once all of those are written.
 */
export function renderBatches(
  snapshot: SiteSnapshot,
  routes: Route[],
  size: number,
): { batches: RenderBatch[]; rest: Route[] } {
  const pending = new Map<string, Route>();
  const maintenance: Route[] = [];
  const history: Array<Extract<Route, { kind: 'history' }>> = [];
  const rest: Route[] = [];
  for (const route of routes) {
    if (route.kind === 'incident') pending.set(route.id, route);
    else if (route.kind === 'maintenance') maintenance.push(route);
    else if (route.kind === 'history') history.push(route);
    else rest.push(route);
  }
  const batches: RenderBatch[] = [];
  for (const route of history) {
    const ids = historyPageIds(snapshot, route.page) ?? [];
    const pages = ids.flatMap((id) => {
      const page = pending.get(id);
      pending.delete(id);
      return page ? [page] : [];
    });
    batches.push({ ids, pages, after: [route] });
  }
  const unlisted = [...pending.values(), ...maintenance];
  for (let start = 0; start < unlisted.length; start += size) {
    const pages = unlisted.slice(start, start + size);
    batches.push({
      ids: pages.flatMap((r) => (r.kind === 'incident' ? [r.id] : [])),
      pages,
      after: [],
    });
  }
  return { batches, rest };
}
