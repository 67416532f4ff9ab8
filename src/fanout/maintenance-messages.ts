import type { Content } from '../config/content.ts';
import type { MaintenanceEventKind, MaintenanceRecord } from '../domain/maintenances/types.ts';
import { formatDuration, formatInZone, utcDateTime } from '../lib/time.ts';
import { SAMPLE_AT } from '../domain/sample-incident.ts';
import { linkPlaceholders, paragraphsOf } from './messages.ts';

export const MAINTENANCE_TEMPLATE = 'email/maintenance-notice';

/** What each email says it is about, in the subject and the heading. */
export const MAINTENANCE_NOTICE_LABEL: Record<MaintenanceEventKind, string> = {
  scheduled: 'Scheduled',
  rescheduled: 'Rescheduled',
  reminder: 'Starting soon',
  started: 'In progress',
  completed: 'Completed',
  cancelled: 'Cancelled',
  update: 'Update',
};

/**
 * What a maintenance email shows: the window in the site's zone (and UTC), how long it lasts, the
 * components, the newest message as of the event, and the links. Every key is always present:
 * the templates are strict.
 */
export function maintenanceVariables(
  content: Content,
  siteUrl: string,
  m: MaintenanceRecord,
  kind: MaintenanceEventKind,
  asOf: string,
  marker: string,
): Record<string, unknown> {
  const zone = content.site.timezone;
  const latest = m.updates.find((u) => u.created_at <= asOf) ?? m.updates.at(-1);
  return {
    site: { name: content.site.name, url: siteUrl },
    notice: { kind, label: MAINTENANCE_NOTICE_LABEL[kind] },
    maintenance: {
      id: m.id,
      title: m.title,
      url: `${siteUrl}/maintenances/${m.id}/`,
      calendar_url: `${siteUrl}/maintenance.ics`,
      components: m.components.map((id) => content.catalog.byId.get(id)?.name ?? id),
      starts_at: formatInZone(m.scheduled_for, zone),
      ends_at: formatInZone(m.scheduled_until, zone),
      starts_at_utc: utcDateTime(m.scheduled_for),
      ends_at_utc: utcDateTime(m.scheduled_until),
      duration: formatDuration(Date.parse(m.scheduled_until) - Date.parse(m.scheduled_for)),
    },
    paragraphs: latest ? paragraphsOf(latest.message) : [],
    links: linkPlaceholders(marker),
  };
}

/** A made-up maintenance, to try the template once at start-up. */
export function sampleMaintenance(content: Content): MaintenanceRecord {
  const component = content.catalog.components[0]?.id;
  return {
    id: 'sample',
    title: 'Sample maintenance',
    status: 'scheduled',
    components: component ? [component] : [],
    scheduled_for: SAMPLE_AT,
    scheduled_until: new Date(Date.parse(SAMPLE_AT) + 3_600_000).toISOString(),
    auto_start: true,
    auto_complete: true,
    notify: { scheduled: true, reminder: true, started: true, completed: true },
    started_at: null,
    completed_at: null,
    cancelled_at: null,
    sequence: 0,
    created_at: SAMPLE_AT,
    updated_at: SAMPLE_AT,
    version: 1,
    updates: [
      {
        id: 'sample-update',
        maintenance_id: 'sample',
        seq: 1,
        status: 'scheduled',
        message: 'Sample message.\n\nSecond paragraph with https://example.com/a link.',
        display_at: SAMPLE_AT,
        created_at: SAMPLE_AT,
        author: 'sample',
      },
    ],
  };
}
