import { computeCadence } from '../../domain/cadence.ts';
import { worstComponentStatus, type IncidentRecord, type Update } from '../../domain/types.ts';
import { parseMessage, type Paragraph } from '../message.ts';
import type { SiteSnapshot } from '../snapshot.ts';
import { cleanText } from '../text.ts';
import { dayKey, formatClockInZone, formatDuration, formatInZone } from '../../lib/time.ts';
import { touchedComponents } from '../routes.ts';
import { incidentIntervals } from '../uptime.ts';
import { componentName, incidentDuration } from './common.ts';
import {
  COMPONENT_STATUS_LABEL,
  COMPONENT_STATUS_TONE,
  IMPACT_LABEL,
  IMPACT_TONE,
  INCIDENT_STATUS_LABEL,
  type Tone,
} from './status.ts';

export interface UpdateView {
  id: string;
  statusLabel: string;
  at: string;
  paragraphs: Paragraph[];
  changes: Array<{ name: string; from: string | null; to: string; tone: Tone }>;
}

export interface IncidentSummaryView {
  id: string;
  href: string;
  title: string;
  impact: IncidentRecord['impact'];
  impactLabel: string;
  tone: Tone;
  statusLabel: string;
  resolved: boolean;
  startedAt: string;
  resolvedAt: string | null;
  duration: string;
  components: Array<{ id: string; name: string; statusLabel: string; tone: Tone }>;
}

/** What an incident did to one component: its worst status during the incident, and for how long. */
export interface ComponentImpactView {
  id: string;
  href: string;
  name: string;
  /** `Major outage`, or `No status change` when the incident never changed it. */
  worstLabel: string;
  tone: Tone;
  /** Time spent in any non-operational status, `1 h 5 min`; null when none. */
  duration: string | null;
}

/** The promised next update: "Next update by 11:00 UTC", or "Update overdue since …" once missed. */
export interface NextUpdateView {
  /** ISO time of the next promised update, or null when no cadence applies. */
  nextUpdateAt: string | null;
  nextUpdateLabel: string | null;
  /** `11:00 UTC` in the site's zone, with the date in front when it is not today there. */
  nextUpdateClock: string | null;
}

export interface ActiveIncidentView extends IncidentSummaryView, NextUpdateView {
  latest: UpdateView;
}

export function incidentHref(id: string): string {
  return `/incidents/${id}/`;
}

export function updateView(snapshot: SiteSnapshot, update: Update): UpdateView {
  return {
    id: update.id,
    statusLabel: INCIDENT_STATUS_LABEL[update.status],
    at: update.display_at,
    paragraphs: parseMessage(update.message),
    changes: update.components.map((c) => ({
      name: componentName(snapshot, c.id),
      from: c.old_status ? COMPONENT_STATUS_LABEL[c.old_status] : null,
      to: COMPONENT_STATUS_LABEL[c.new_status],
      tone: COMPONENT_STATUS_TONE[c.new_status],
    })),
  };
}

export function incidentSummary(
  snapshot: SiteSnapshot,
  incident: IncidentRecord,
): IncidentSummaryView {
  return {
    id: incident.id,
    href: incidentHref(incident.id),
    title: cleanText(incident.title),
    impact: incident.impact,
    impactLabel: IMPACT_LABEL[incident.impact],
    tone: IMPACT_TONE[incident.impact],
    statusLabel: INCIDENT_STATUS_LABEL[incident.status],
    resolved: incident.status === 'resolved',
    startedAt: incident.started_at,
    resolvedAt: incident.resolved_at,
    duration: incidentDuration(incident, snapshot.now),
    // What this incident did to each component, as of its latest update: a resolved incident's
    // page shows how it ended, never what a later incident is doing to the same component.
    components: touchedComponents(incident)
      .map((id) => ({
        id,
        status: incident.components.find((c) => c.id === id)?.status ?? 'operational',
      }))
      .map((c) => ({
        id: c.id,
        name: componentName(snapshot, c.id),
        statusLabel: COMPONENT_STATUS_LABEL[c.status],
        tone: COMPONENT_STATUS_TONE[c.status],
      })),
  };
}

/**
 * Each component the incident touched, with the worst status the incident gave it and how long it
 * was not operational because of it: the page says what happened, not what is true today.
 */
export function componentImpacts(
  snapshot: SiteSnapshot,
  incident: IncidentRecord,
): ComponentImpactView[] {
  const end = incident.resolved_at ? Date.parse(incident.resolved_at) : snapshot.now.getTime();
  return touchedComponents(incident).map((id) => {
    const intervals = incidentIntervals(incident, id, end);
    const worst = worstComponentStatus(intervals.map((i) => i.status));
    const ms = intervals.reduce((sum, i) => sum + (i.end - i.start), 0);
    return {
      id,
      href: `/components/${id}/`,
      name: componentName(snapshot, id),
      worstLabel: worst === 'operational' ? 'No status change' : COMPONENT_STATUS_LABEL[worst],
      tone: COMPONENT_STATUS_TONE[worst],
      duration: ms > 0 ? formatDuration(ms) : null,
    };
  });
}

/** The newest update by timeline order (updates are stored newest first). */
export function latestUpdate(incident: IncidentRecord): Update {
  return incident.updates[0]!;
}

/** When the next update is promised (SPEC §2 cadence); null for resolved incidents or no cadence. */
export function nextUpdate(snapshot: SiteSnapshot, incident: IncidentRecord): NextUpdateView {
  const due = computeCadence(snapshot.policy, incident, snapshot.now).next_update_due_at;
  if (!due) return { nextUpdateAt: null, nextUpdateLabel: null, nextUpdateClock: null };
  const zone = snapshot.site.timezone;
  const sameDay = dayKey(Date.parse(due), zone) === dayKey(snapshot.now.getTime(), zone);
  return {
    nextUpdateAt: due,
    nextUpdateLabel:
      Date.parse(due) < snapshot.now.getTime() ? 'Update overdue since' : 'Next update by',
    nextUpdateClock: sameDay ? formatClockInZone(due, zone) : formatInZone(due, zone),
  };
}

export function activeIncidentView(
  snapshot: SiteSnapshot,
  incident: IncidentRecord,
): ActiveIncidentView {
  return {
    ...incidentSummary(snapshot, incident),
    latest: updateView(snapshot, latestUpdate(incident)),
    ...nextUpdate(snapshot, incident),
  };
}
