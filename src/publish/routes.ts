import type { IncidentRecord } from '../domain/types.ts';
import { historyOf, type IncidentSummary, type SiteSnapshot } from './snapshot.ts';
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

const monthsCache = new WeakMap<
  ReadonlyArray<IncidentSummary | IncidentRecord>,
  { key: string; months: string[] }
>();

/**
 * The months of the history, newest first, one page each: the current month (the first page, even
 * when it is quiet) and every month (site time zone) in which an incident started. Months without
 * incidents get no page, so the number of pages never exceeds the number of incidents plus one,
 * whatever dates they carry. Incidents are newest first, so each month's key is computed once.
 */
export function historyMonths(
  snapshot: Pick<SiteSnapshot, 'incidents' | 'history' | 'now' | 'site'>,
): string[] {
  const zone = snapshot.site.timezone;
  const current = monthKey(snapshot.now.getTime(), zone);
  const key = `${current} ${zone}`;
  const history = historyOf(snapshot);
  const cached = monthsCache.get(history);
  if (cached?.key === key) return cached.months;
  const found = new Set([current]);
  let monthStart = Infinity;
  for (const incident of history) {
    const at = Date.parse(incident.started_at);
    if (at >= monthStart) continue; // same month as the incident before it
    const month = monthKey(at, zone);
    found.add(month);
    monthStart = startOfDay(`${month}-01`, zone);
  }
  const months = [...found].sort().reverse();
  monthsCache.set(history, { key, months });
  return months;
}

/** The history page of the month an incident started in (1 when the month has no page). */
export function historyPageOf(startedAt: string, months: string[], timeZone: string): number {
  return Math.max(0, months.indexOf(monthKey(Date.parse(startedAt), timeZone))) + 1;
}

export function historyPageCount(
  snapshot: Pick<SiteSnapshot, 'incidents' | 'history' | 'now' | 'site'>,
): number {
  return historyMonths(snapshot).length;
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

/** Every route of the site, for a full export. */
export function allRoutes(snapshot: SiteSnapshot): Route[] {
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
    ...historyOf(snapshot)
      .filter((i) => isSafeId(i.id))
      .map((i): Route => ({ kind: 'incident', id: i.id })),
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
 * (null when it was, or is now, not public). `monthsBefore`/`monthsAfter` are the history's months
 * (`historyMonths`): when they differ, pages shift and every history page changes.
 */
export function planChange(input: {
  id: string;
  before: IncidentRecord | IncidentSummary | null;
  after: IncidentRecord | IncidentSummary | null;
  timeZone: string;
  monthsBefore: string[];
  monthsAfter: string[];
  knownComponents: ReadonlySet<string>;
}): RoutePlan {
  const { before, after, timeZone, monthsBefore, monthsAfter } = input;
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
  if (monthsBefore.join() !== monthsAfter.join()) {
    for (let p = 1; p <= Math.max(monthsBefore.length, monthsAfter.length); p++) pages.add(p);
  }
  if (before) pages.add(historyPageOf(before.started_at, monthsBefore, timeZone));
  if (after) pages.add(historyPageOf(after.started_at, monthsAfter, timeZone));
  for (const page of [...pages].sort((a, b) => a - b)) {
    if (page <= monthsAfter.length) render.push({ kind: 'history', page });
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
