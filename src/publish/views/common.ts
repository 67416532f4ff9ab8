import type { SiteSnapshot } from '../snapshot.ts';
import { cleanText } from '../text.ts';
import { formatDuration } from '../../lib/time.ts';
import { contentSecurityPolicy } from './page-security.ts';
import type { IncidentRecord } from '../../domain/types.ts';

/** What every HTML page shows around its content. */
export interface SiteView {
  name: string;
  description: string;
  links: Array<{ label: string; url: string }>;
  generatedAt: string;
  /** Where subscribe forms post: relative when the API serves the site, absolute otherwise. */
  subscribeAction: string;
  /** The page's Content-Security-Policy (forms may post to the API's origin). */
  contentSecurityPolicy: string;
  /** The site's IANA zone: times are printed in it, zone named, before the script localises them. */
  timeZone: string;
  /** `data:` URIs from `site.yaml` (`logo` may be absent: the name stands alone). */
  logo: string | null;
  favicon: string;
}

/** Herald's mark, the tab icon when `site.yaml` names none. */
export const DEFAULT_FAVICON =
  'data:image/svg+xml,' +
  encodeURIComponent(
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="8" fill="#1a7f4b"/><path d="M9 16.5l4.5 4.5L23 11.5" fill="none" stroke="#fff" stroke-width="3.4" stroke-linecap="round" stroke-linejoin="round"/></svg>',
  );

/**
 * Where "Powered by Herald" points: the instance's own API reference, which says what Herald is
 * and how to use it (Herald has no public project site to link to).
 */
export const POWERED_BY_URL = '/docs';

export interface PageMeta {
  title: string;
  description: string;
  /** Path of this page, for the canonical link and the feed link. */
  path: string;
  canonical: string;
}

export function siteView(snapshot: SiteSnapshot): SiteView {
  return {
    name: cleanText(snapshot.site.name),
    description: cleanText(snapshot.site.description),
    links: snapshot.site.links.map((l) => ({ label: cleanText(l.label), url: l.url })),
    generatedAt: snapshot.now.toISOString(),
    subscribeAction:
      !snapshot.apiUrl || snapshot.apiUrl === snapshot.siteUrl
        ? '/v1/subscriptions'
        : `${snapshot.apiUrl}/v1/subscriptions`,
    contentSecurityPolicy: contentSecurityPolicy(
      snapshot.apiUrl && snapshot.apiUrl !== snapshot.siteUrl ? snapshot.apiUrl : null,
    ),
    timeZone: snapshot.site.timezone,
    logo: snapshot.site.logo ?? null,
    favicon: snapshot.site.favicon ?? DEFAULT_FAVICON,
  };
}

export function pageMeta(
  snapshot: SiteSnapshot,
  path: string,
  title: string,
  description: string,
): PageMeta {
  return {
    title: cleanText(title),
    description: cleanText(description),
    path,
    canonical: `${snapshot.siteUrl}${path}`,
  };
}

export function componentName(snapshot: SiteSnapshot, id: string): string {
  return cleanText(snapshot.catalog.byId.get(id)?.name ?? id);
}

/** How long an incident lasted (or has lasted so far). */
export function incidentDuration(incident: IncidentRecord, now: Date): string {
  const end = incident.resolved_at ? Date.parse(incident.resolved_at) : now.getTime();
  return formatDuration(end - Date.parse(incident.started_at));
}
