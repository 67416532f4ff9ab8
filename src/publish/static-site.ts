import { readFileSync } from 'node:fs';
import { buildCatalog, type Catalog, type Policy, type SiteConfig } from '../config/content.ts';
import type { IncidentRecord } from '../domain/types.ts';
import { allRoutes, routeFromPath, type Route } from './routes.ts';
import type { SiteSnapshot } from './snapshot.ts';
import { viewForRoute } from './views/route-view.ts';

/**
 * Support for building the same pages with a plain static `astro build` (the benchmark's
 * comparison): the snapshot is read from the JSON file named by `HERALD_STATIC_SNAPSHOT`, routes
 * come from `getStaticPaths`, and each view is computed at build time.
 */
export const STATIC_SNAPSHOT_ENV = 'HERALD_STATIC_SNAPSHOT';

export interface SerialisedSnapshot {
  site: SiteConfig;
  siteUrl: string;
  catalogSource: Parameters<typeof buildCatalog>[0];
  policy: Policy;
  incidents: IncidentRecord[];
  componentStatus: Array<
    [string, { status: IncidentRecord['components'][number]['status']; updated_at: string }]
  >;
  now: string;
}

/** Turns a catalog back into the shape `components.yaml` has, so it can be rebuilt after JSON. */
export function catalogSource(catalog: Catalog): SerialisedSnapshot['catalogSource'] {
  const toRaw = (id: string) => {
    const c = catalog.byId.get(id)!;
    return {
      id: c.id,
      name: c.name,
      description: c.description,
      only_show_if_degraded: c.onlyShowIfDegraded,
      initial_status: c.initialStatus,
    };
  };
  return {
    groups: catalog.groups.map((g) => ({
      id: g.id,
      name: g.name,
      description: g.description,
      components: g.componentIds.map(toRaw),
    })),
    components: catalog.components.filter((c) => c.groupId === null).map((c) => toRaw(c.id)),
  };
}

export function serialiseSnapshot(snapshot: SiteSnapshot): SerialisedSnapshot {
  return {
    site: snapshot.site,
    siteUrl: snapshot.siteUrl,
    catalogSource: catalogSource(snapshot.catalog),
    policy: snapshot.policy,
    incidents: snapshot.incidents,
    componentStatus: [...snapshot.componentStatus],
    now: snapshot.now.toISOString(),
  };
}

export function deserialiseSnapshot(data: SerialisedSnapshot): SiteSnapshot {
  return {
    site: data.site,
    siteUrl: data.siteUrl,
    catalog: buildCatalog(data.catalogSource),
    policy: data.policy,
    incidents: data.incidents,
    componentStatus: new Map(data.componentStatus),
    now: new Date(data.now),
  };
}

let cached: SiteSnapshot | null = null;

function staticSnapshot(): SiteSnapshot {
  if (cached) return cached;
  const file = process.env[STATIC_SNAPSHOT_ENV];
  if (!file)
    throw new Error(
      `no view for this route: rendered without locals and without ${STATIC_SNAPSHOT_ENV}`,
    );
  cached = deserialiseSnapshot(JSON.parse(readFileSync(file, 'utf8')) as SerialisedSnapshot);
  return cached;
}

/** The site's zone in a plain static build (no locals); UTC when there is no snapshot. */
export function staticSiteZone(): string {
  return process.env[STATIC_SNAPSHOT_ENV] ? staticSnapshot().site.timezone : 'UTC';
}

export function staticView(pathname: string): unknown {
  const route = routeFromPath(pathname.replace(/index\.html$/, ''));
  if (!route) throw new Error(`no route for ${pathname}`);
  return viewForRoute(staticSnapshot(), route);
}

/** `getStaticPaths` for a dynamic page: the parameters of every route of one kind. */
export function staticPaths(
  kind: Route['kind'],
): Array<{ params: Record<string, string | undefined> }> {
  if (!process.env[STATIC_SNAPSHOT_ENV]) return [];
  return allRoutes(staticSnapshot())
    .filter((route) => route.kind === kind)
    .map((route) => ({ params: paramsOf(route) }));
}

function paramsOf(route: Route): Record<string, string | undefined> {
  switch (route.kind) {
    case 'history':
      return { page: route.page === 1 ? undefined : String(route.page) };
    case 'api':
      return { file: route.file };
    case 'incident':
    case 'component':
    case 'component-feed':
    case 'component-atom':
    case 'component-calendar':
    case 'maintenance':
      return { id: route.id };
    default:
      return {};
  }
}
