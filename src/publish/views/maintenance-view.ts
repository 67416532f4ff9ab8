import { isRunning } from '../../domain/maintenances/lifecycle.ts';
import type { MaintenanceRecord, MaintenanceStatus } from '../../domain/maintenances/types.ts';
import { formatDuration } from '../../lib/time.ts';
import type { FeedItem } from '../feed.ts';
import type { CalendarEvent, CalendarView } from '../ics.ts';
import {
  messageToHtml,
  messageToPlainParagraphs,
  parseMessage,
  type Paragraph,
} from '../message.ts';
import type { SiteSnapshot } from '../snapshot.ts';
import { cleanText } from '../text.ts';
import { componentName, pageMeta, siteView, type PageMeta, type SiteView } from './common.ts';
import type { Tone } from './status.ts';

export const MAINTENANCE_STATUS_LABEL: Record<MaintenanceStatus, string> = {
  scheduled: 'Scheduled',
  in_progress: 'In progress',
  verifying: 'Verifying',
  completed: 'Completed',
  cancelled: 'Cancelled',
};

export interface MaintenanceSummaryView {
  id: string;
  href: string;
  title: string;
  status: MaintenanceStatus;
  statusLabel: string;
  tone: Tone;
  running: boolean;
  startsAt: string;
  endsAt: string;
  /** `2 h`: the planned length of the window. */
  duration: string;
  components: Array<{ id: string; name: string; href: string }>;
}

export interface MaintenanceUpdateView {
  id: string;
  statusLabel: string;
  at: string;
  paragraphs: Paragraph[];
}

export interface MaintenancePageView {
  site: SiteView;
  meta: PageMeta;
  maintenance: MaintenanceSummaryView & {
    startedAt: string | null;
    endedAt: string | null;
    calendarHref: string;
  };
  updates: MaintenanceUpdateView[];
}

export function maintenanceHref(id: string): string {
  return `/maintenances/${id}/`;
}

export function maintenanceSummary(
  snapshot: SiteSnapshot,
  m: MaintenanceRecord,
): MaintenanceSummaryView {
  return {
    id: m.id,
    href: maintenanceHref(m.id),
    title: cleanText(m.title),
    status: m.status,
    statusLabel: MAINTENANCE_STATUS_LABEL[m.status],
    tone: m.status === 'completed' ? 'ok' : m.status === 'cancelled' ? 'minor' : 'maint',
    running: isRunning(m.status),
    startsAt: m.scheduled_for,
    endsAt: m.scheduled_until,
    duration: formatDuration(Date.parse(m.scheduled_until) - Date.parse(m.scheduled_for)),
    components: m.components.map((id) => ({
      id,
      name: componentName(snapshot, id),
      href: `/components/${id}/`,
    })),
  };
}

function maintenancesOf(snapshot: SiteSnapshot, componentId?: string): MaintenanceRecord[] {
  const all = snapshot.maintenances ?? [];
  return componentId === undefined ? all : all.filter((m) => m.components.includes(componentId));
}

/** In progress first, then what is coming, soonest first: the index's maintenance section. */
export function currentMaintenances(
  snapshot: SiteSnapshot,
  componentId?: string,
): MaintenanceSummaryView[] {
  return maintenancesOf(snapshot, componentId)
    .filter((m) => m.status === 'scheduled' || isRunning(m.status))
    .sort((a, b) => {
      if (isRunning(a.status) !== isRunning(b.status)) return isRunning(a.status) ? -1 : 1;
      return a.scheduled_for < b.scheduled_for ? -1 : a.scheduled_for > b.scheduled_for ? 1 : 0;
    })
    .map((m) => maintenanceSummary(snapshot, m));
}

export function buildMaintenanceView(
  snapshot: SiteSnapshot,
  id: string,
): MaintenancePageView | null {
  const m = snapshot.maintenances?.find((x) => x.id === id);
  if (!m) return null;
  const summary = maintenanceSummary(snapshot, m);
  return {
    site: siteView(snapshot),
    meta: pageMeta(
      snapshot,
      maintenanceHref(m.id),
      `${m.title} · ${snapshot.site.name} status`,
      `${summary.statusLabel} maintenance: ${m.title}`,
    ),
    maintenance: {
      ...summary,
      startedAt: m.started_at,
      endedAt: m.completed_at ?? m.cancelled_at,
      calendarHref: '/maintenance.ics',
    },
    updates: m.updates.map((u) => ({
      id: u.id,
      statusLabel: MAINTENANCE_STATUS_LABEL[u.status],
      at: u.display_at,
      paragraphs: parseMessage(u.message),
    })),
  };
}

/** One feed item per maintenance update, like an incident's updates. */
export function maintenanceFeedItems(snapshot: SiteSnapshot, componentId?: string): FeedItem[] {
  return maintenancesOf(snapshot, componentId).flatMap((m) =>
    m.updates.map((u) => ({
      guid: u.id,
      title: `Maintenance ${MAINTENANCE_STATUS_LABEL[u.status].toLowerCase()}: ${m.title}`,
      html: messageToHtml(u.message),
      url: `${snapshot.siteUrl}${maintenanceHref(m.id)}#update-${u.id}`,
      date: u.display_at,
      categories: m.components.map((id) => ({ term: id, label: componentName(snapshot, id) })),
    })),
  );
}

/** The iCalendar feed: every maintenance (of one component), its UID stable, SEQUENCE as stored. */
export function calendarView(snapshot: SiteSnapshot, componentId?: string): CalendarView | null {
  let name = `${cleanText(snapshot.site.name)} maintenance`;
  let path = '/maintenance.ics';
  if (componentId !== undefined) {
    const component = snapshot.catalog.byId.get(componentId);
    if (!component) return null;
    name = `${cleanText(snapshot.site.name)} maintenance: ${cleanText(component.name)}`;
    path = `/components/${componentId}/maintenance.ics`;
  }
  let host = 'herald';
  try {
    host = new URL(snapshot.siteUrl).hostname || host;
  } catch {
    // the site URL is validated at start
  }
  const events = maintenancesOf(snapshot, componentId).map((m): CalendarEvent => ({
    uid: `maintenance-${m.id}@${host}`,
    sequence: m.sequence,
    start: m.scheduled_for,
    end: m.scheduled_until,
    summary: `Maintenance: ${m.title}`,
    description: [
      `Affects ${m.components.map((id) => componentName(snapshot, id)).join(', ')}.`,
      ...m.updates.slice(-1).map((u) => messageToPlainParagraphs(u.message)),
      `${snapshot.siteUrl}${maintenanceHref(m.id)}`,
    ].join('\n\n'),
    url: `${snapshot.siteUrl}${maintenanceHref(m.id)}`,
    cancelled: m.status === 'cancelled',
    created: m.created_at,
    lastModified: m.updated_at,
    categories: m.components.map((id) => componentName(snapshot, id)),
  }));
  return { name, url: `${snapshot.siteUrl}${path}`, events };
}
