import RSS from 'rss';
import type { IncidentRecord, Update } from '../domain/types.ts';
import { messageToHtml } from './message.ts';
import { touchedComponents } from './routes.ts';
import { cleanText, escapeHtml } from './text.ts';
import { INCIDENT_STATUS_LABEL } from './views/status.ts';

/** Feeds carry the newest updates; older ones stay on the incident pages and in the history. */
export const FEED_ITEMS = 100;

export interface FeedItem {
  guid: string;
  title: string;
  html: string;
  /** The update's anchor on its incident page. */
  url: string;
  date: string;
  /** The incident's components: `term` is the id, `label` the name. */
  categories: Array<{ term: string; label: string }>;
}

export interface FeedView {
  title: string;
  description: string;
  siteUrl: string;
  feedUrl: string;
  items: FeedItem[];
}

/**
 * The `limit` newest updates (by `display_at`, then acceptance order) of the given incidents,
 * newest first, without sorting the whole history: most updates are older than the current cut.
 */
export function newestUpdates(
  incidents: readonly IncidentRecord[],
  limit: number,
): Array<{ incident: IncidentRecord; update: Update }> {
  const top: Array<{ incident: IncidentRecord; update: Update }> = [];
  const newer = (a: Update, b: Update) =>
    a.display_at !== b.display_at
      ? a.display_at > b.display_at
      : a.seq > b.seq || (a.seq === b.seq && a.id > b.id);
  for (const incident of incidents) {
    // An incident whose newest update is not newer than the cut has nothing to offer.
    if (top.length === limit && latestKey(incident) <= feedOrderKey(top[top.length - 1]!.update))
      continue;
    for (const update of incident.updates) {
      if (top.length === limit && !newer(update, top[top.length - 1]!.update)) continue;
      let index = top.length;
      while (index > 0 && newer(update, top[index - 1]!.update)) index--;
      top.splice(index, 0, { incident, update });
      if (top.length > limit) top.pop();
    }
  }
  return top;
}

/** An update's place in the order feeds list them by (newest `display_at`, then `seq`, then id). */
export function feedOrderKey(update: { display_at: string; seq: number; id: string }): string {
  return `${update.display_at}|${String(update.seq).padStart(10, '0')}|${update.id}`;
}

/**
 * A record's newest update in feed order (`feedOrderKey`; '' without updates), kept per record:
 * records are never changed in place.
 */
const latestKeys = new WeakMap<IncidentRecord, string>();

export function latestKey(incident: IncidentRecord): string {
  let key = latestKeys.get(incident);
  if (key === undefined) {
    key = '';
    for (const update of incident.updates) {
      const k = feedOrderKey(update);
      if (k > key) key = k;
    }
    latestKeys.set(incident, key);
  }
  return key;
}

export function feedItems(
  siteUrl: string,
  incidents: readonly IncidentRecord[],
  componentName: (id: string) => string,
): FeedItem[] {
  const categories = (incident: IncidentRecord) =>
    touchedComponents(incident).map((id) => ({ term: id, label: componentName(id) }));
  const updates = newestUpdates(incidents, FEED_ITEMS).map(({ incident, update }) => ({
    guid: update.id,
    title: `${INCIDENT_STATUS_LABEL[update.status]}: ${incident.title}`,
    html: messageToHtml(update.message),
    url: `${siteUrl}/incidents/${incident.id}/#update-${update.id}`,
    date: update.display_at,
    categories: categories(incident),
  }));
  // A published postmortem is an item of its own, dated when it was published.
  const postmortems = incidents.flatMap((incident) =>
    incident.postmortem
      ? [
          {
            guid: `${incident.id}-postmortem`,
            title: `Postmortem: ${incident.title}`,
            html: messageToHtml(incident.postmortem.summary),
            url: `${siteUrl}/incidents/${incident.id}/#postmortem`,
            date: incident.postmortem.published_at,
            categories: categories(incident),
          },
        ]
      : [],
  );
  if (postmortems.length === 0) return updates;
  return [...updates, ...postmortems]
    .sort((a, b) => (a.date === b.date ? 0 : a.date < b.date ? 1 : -1))
    .slice(0, FEED_ITEMS);
}

/** RSS 2.0 through the `rss` package; every text is cleaned of XML-invalid characters first. */
export function buildRss(view: FeedView): string {
  const feed = new RSS({
    title: cleanText(view.title),
    description: cleanText(view.description),
    site_url: view.siteUrl,
    feed_url: view.feedUrl,
    generator: 'Herald',
    pubDate: view.items[0]?.date,
    ttl: 1,
  });
  for (const item of view.items) {
    feed.item({
      // Many readers render item titles as HTML: escaped, they show the text and run nothing.
      title: escapeHtml(item.title),
      description: cleanText(item.html),
      url: item.url,
      guid: item.guid,
      date: item.date,
      // Escaped for the same reason as the title.
      categories: item.categories.map((c) => escapeHtml(c.label)),
    });
  }
  // The package stamps the channel with the clock at rendering; the channel's content last changed
  // with its newest item, and that date keeps an unchanged feed byte for byte the same at the next
  // export (so it is not written again, and readers' caches stay valid). Without items, none.
  const built = view.items[0]
    ? `<lastBuildDate>${new Date(view.items[0].date).toUTCString()}</lastBuildDate>`
    : '';
  // Found right after the generator, where the package puts it (not in a title's text).
  return feed
    .xml()
    .replace(
      /<generator>Herald<\/generator><lastBuildDate>[^<]*<\/lastBuildDate>/,
      `<generator>Herald</generator>${built}`,
    );
}

/**
 * Atom 1.0 (RFC 4287) beside each RSS feed, as Statuspage offers both. Written by hand: every
 * text is escaped, entry ids are the updates' stable anchors.
 */
export function buildAtom(view: FeedView): string {
  const x = escapeHtml;
  const updated = view.items[0]?.date ?? new Date(0).toISOString();
  const entries = view.items.map(
    (item) =>
      `<entry><id>${x(item.url)}</id><title type="text">${x(item.title)}</title>` +
      `<link rel="alternate" type="text/html" href="${x(item.url)}"/>` +
      `<published>${x(item.date)}</published><updated>${x(item.date)}</updated>` +
      item.categories.map((c) => `<category term="${x(c.term)}" label="${x(c.label)}"/>`).join('') +
      `<content type="html">${x(item.html)}</content></entry>`,
  );
  return (
    '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">' +
    `<id>${x(view.feedUrl)}</id><title type="text">${x(view.title)}</title>` +
    `<subtitle type="text">${x(view.description)}</subtitle>` +
    `<link rel="self" type="application/atom+xml" href="${x(view.feedUrl)}"/>` +
    `<link rel="alternate" type="text/html" href="${x(view.siteUrl)}"/>` +
    `<updated>${x(updated)}</updated><author><name>${x(view.title)}</name></author>` +
    `<generator>Herald</generator>${entries.join('')}</feed>\n`
  );
}
