import { badgeSvg, type BadgeView } from '../badge.ts';
import { buildAtom, buildRss, feedItems, type FeedView } from '../feed.ts';
import { historyPageCount, type Route } from '../routes.ts';
import { incidentById, incidentsOfComponent } from './indexes.ts';
import type { SiteSnapshot } from '../snapshot.ts';
import { statuspageDocument } from '../statuspage.ts';
import { cleanText } from '../text.ts';
import { buildComponentView } from './component-view.ts';
import { buildHistoryView } from './history-view.ts';
import { buildIncidentView } from './incident-view.ts';
import { buildIndexView } from './index-view.ts';
import { componentName, pageMeta, siteView, type PageMeta, type SiteView } from './common.ts';
import { overallStatus } from './status.ts';

/**
 * The plain data one route renders from, as the Astro page or endpoint receives it in
 * `Astro.locals.view`; null when the route does not exist (its file should not either).
 */
export function viewForRoute(snapshot: SiteSnapshot, route: Route): unknown {
  switch (route.kind) {
    case 'index':
      return buildIndexView(snapshot);
    case 'incident': {
      const incident = incidentById(snapshot, route.id);
      return incident ? buildIncidentView(snapshot, incident) : null;
    }
    case 'history':
      return route.page >= 1 && route.page <= historyPageCount(snapshot)
        ? buildHistoryView(snapshot, route.page)
        : null;
    case 'component':
      return buildComponentView(snapshot, route.id);
    case 'feed':
      return siteFeed(snapshot, 'rss');
    case 'component-feed':
      return componentFeed(snapshot, route.id, 'rss');
    case 'atom':
      return siteFeed(snapshot, 'atom');
    case 'component-atom':
      return componentFeed(snapshot, route.id, 'atom');
    case 'not-found':
      return buildNotFoundView(snapshot);
    case 'api':
      return statuspageDocument(snapshot, route.file);
    case 'badge':
      return badge(snapshot);
  }
}

/** RSS 2.0 or Atom 1.0: the same items, the same links. */
type FeedFormat = 'rss' | 'atom';

function siteFeed(snapshot: SiteSnapshot, format: FeedFormat): FeedView {
  const name = cleanText(snapshot.site.name);
  return {
    title: `${name} status: incident history`,
    description: `Every public update about ${name} incidents.`,
    siteUrl: snapshot.siteUrl,
    feedUrl: `${snapshot.siteUrl}/history.${format}`,
    items: feedItems(snapshot.siteUrl, snapshot.incidents, (c) => componentName(snapshot, c)),
  };
}

function componentFeed(snapshot: SiteSnapshot, id: string, format: FeedFormat): FeedView | null {
  const component = snapshot.catalog.byId.get(id);
  if (!component) return null;
  const name = cleanText(component.name);
  return {
    title: `${cleanText(snapshot.site.name)} status: ${name}`,
    description: `Every public update about incidents affecting ${name}.`,
    siteUrl: `${snapshot.siteUrl}/components/${id}/`,
    feedUrl: `${snapshot.siteUrl}/components/${id}/history.${format}`,
    items: feedItems(snapshot.siteUrl, incidentsOfComponent(snapshot, id), (c) =>
      componentName(snapshot, c),
    ),
  };
}

function badge(snapshot: SiteSnapshot): BadgeView {
  const overall = overallStatus(snapshot);
  return { label: 'status', message: overall.description.toLowerCase(), tone: overall.tone };
}

/** Serialisers the endpoints use, so the feeds, JSON and badge have one definition each. */
export const serialise = {
  feed: (view: FeedView) => buildRss(view),
  atom: (view: FeedView) => buildAtom(view),
  json: (view: unknown) => JSON.stringify(view),
  badge: (view: BadgeView) => badgeSvg(view),
};

/** The styled page a static host (and Herald's own server) answers unknown addresses with. */
export interface NotFoundView {
  site: SiteView;
  meta: PageMeta;
}

function buildNotFoundView(snapshot: SiteSnapshot): NotFoundView {
  return {
    site: siteView(snapshot),
    meta: pageMeta(
      snapshot,
      '/404.html',
      `Page not found · ${snapshot.site.name} status`,
      'There is no page at this address.',
    ),
  };
}
