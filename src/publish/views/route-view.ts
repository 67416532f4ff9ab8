import { badgeSvg, type BadgeView } from '../badge.ts';
import {
  buildAtom,
  buildRss,
  FEED_ITEMS,
  feedItems,
  type FeedItem,
  type FeedView,
} from '../feed.ts';
import { buildCalendar, type CalendarView } from '../ics.ts';
import { buildMaintenanceView, calendarView, maintenanceFeedItems } from './maintenance-view.ts';
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
    case 'maintenance':
      return buildMaintenanceView(snapshot, route.id);
    case 'calendar':
      return calendarView(snapshot);
    case 'component-calendar':
      return calendarView(snapshot, route.id);
  }
}

/** Incident updates and maintenance updates together, newest first, as many as a feed carries. */
function withMaintenance(items: FeedItem[], maintenance: FeedItem[]): FeedItem[] {
  if (maintenance.length === 0) return items;
  return [...items, ...maintenance]
    .sort((a, b) => (a.date === b.date ? 0 : a.date < b.date ? 1 : -1))
    .slice(0, FEED_ITEMS);
}

/** RSS 2.0 or Atom 1.0: the same items, the same links. */
type FeedFormat = 'rss' | 'atom';

/** A feed's items, per snapshot: the RSS and the Atom version of a feed are rendered from one. */
const feedMemo = new WeakMap<SiteSnapshot, Map<string, FeedItem[]>>();

function memoItems(snapshot: SiteSnapshot, key: string, build: () => FeedItem[]): FeedItem[] {
  let items = feedMemo.get(snapshot);
  if (!items) feedMemo.set(snapshot, (items = new Map()));
  let found = items.get(key);
  if (!found) items.set(key, (found = build()));
  return found;
}

function siteFeed(snapshot: SiteSnapshot, format: FeedFormat): FeedView {
  const name = cleanText(snapshot.site.name);
  return {
    title: `${name} status: incident history`,
    description: `Every public update about ${name} incidents and scheduled maintenance.`,
    siteUrl: snapshot.siteUrl,
    feedUrl: `${snapshot.siteUrl}/history.${format}`,
    items: memoItems(snapshot, '', () =>
      withMaintenance(
        feedItems(snapshot.siteUrl, snapshot.incidents, (c) => componentName(snapshot, c)),
        maintenanceFeedItems(snapshot),
      ),
    ),
  };
}

function componentFeed(snapshot: SiteSnapshot, id: string, format: FeedFormat): FeedView | null {
  const component = snapshot.catalog.byId.get(id);
  if (!component) return null;
  const name = cleanText(component.name);
  return {
    title: `${cleanText(snapshot.site.name)} status: ${name}`,
    description: `Every public update about incidents and maintenance affecting ${name}.`,
    siteUrl: `${snapshot.siteUrl}/components/${id}/`,
    feedUrl: `${snapshot.siteUrl}/components/${id}/history.${format}`,
    items: memoItems(snapshot, `component:${id}`, () =>
      withMaintenance(
        feedItems(snapshot.siteUrl, incidentsOfComponent(snapshot, id), (c) =>
          componentName(snapshot, c),
        ),
        maintenanceFeedItems(snapshot, id),
      ),
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
  calendar: (view: CalendarView) => buildCalendar(view),
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
