import type { Content } from '../../config/content.ts';
import { humanSeconds, formatDuration, utcDateTime } from '../../lib/time.ts';
import { businessContext, formatMoney } from '../business-impact.ts';
import { computeCadence } from '../cadence.ts';
import { incidentUrl } from '../incident-url.ts';
import {
  computeMetrics,
  type DurationStat,
  type MetricsInput,
  type RepeatIncident,
} from '../metrics.ts';
import type { ReviewListing } from '../postmortems/review.ts';
import type { IncidentRecord, Severity } from '../types.ts';
import type { DigestKind } from './schedule.ts';

export interface DigestInput extends MetricsInput {
  incidents: readonly IncidentRecord[];
  /** The overdue reviews and action items (see `reviewListing`). */
  overdue: ReviewListing;
}

export interface DigestIncident {
  id: string;
  title: string;
  severity: Severity;
  status: IncidentRecord['status'];
  visibility: IncidentRecord['visibility'];
  started_at: string;
  resolved_at: string | null;
  duration_seconds: number;
  customers_affected: number | null;
  revenue_per_minute: number | null;
  currency: string | null;
  /** Revenue per minute × minutes from start to resolution (or to the digest, while open). */
  estimated_cost: number | null;
  eta: string | null;
  commander: string | null;
  next_update_due_at: string | null;
  /** Whether public updates are on time; null when no cadence applies. */
  updates_on_time: boolean | null;
}

/** What a digest reports, as data: kept with every digest sent and returned by the preview. */
export interface DigestData {
  kind: DigestKind;
  generated_at: string;
  period: { from: string; to: string };
  previous_period: { from: string; to: string };
  active: DigestIncident[];
  resolved: DigestIncident[];
  metrics: {
    current: { incidents: number; mtta: DurationStat; mttr: DurationStat };
    previous: { incidents: number; mtta: DurationStat; mttr: DurationStat };
  };
  repeats: RepeatIncident[];
  overdue_reviews: ReviewListing['reviews'];
  overdue_action_items: Array<ReviewListing['action_items'][number] & { incident_title: string }>;
  nothing_to_report: boolean;
}

function digestIncident(content: Content, incident: IncidentRecord, now: Date): DigestIncident {
  const business = businessContext(
    incident.business_impact,
    incident.started_at,
    incident.resolved_at,
    now,
  );
  const cadence = computeCadence(content.policy, incident, now);
  const end = incident.resolved_at ? Date.parse(incident.resolved_at) : now.getTime();
  return {
    id: incident.id,
    title: incident.title,
    severity: incident.severity,
    status: incident.status,
    visibility: incident.visibility,
    started_at: incident.started_at,
    resolved_at: incident.resolved_at,
    duration_seconds: Math.max(0, Math.floor((end - Date.parse(incident.started_at)) / 1000)),
    customers_affected: business.customers_affected,
    revenue_per_minute: business.revenue_per_minute,
    currency: business.currency,
    estimated_cost: business.estimated_cost,
    eta: incident.eta,
    commander: incident.roles.commander ?? null,
    next_update_due_at: cadence.next_update_due_at,
    updates_on_time: cadence.interval_seconds === null ? null : !cadence.overdue,
  };
}

const bySeverityThenStart = (a: DigestIncident, b: DigestIncident) =>
  a.severity.localeCompare(b.severity) || a.started_at.localeCompare(b.started_at);

/**
 * The executive digest for the period [from, now]: the incidents open now, those resolved in the
 * period, MTTA and MTTR of the incidents started in the period against the period of the same
 * length before it, repeats, and the overdue reviews and action items. Pure.
 */
export function buildDigest(
  content: Content,
  input: DigestInput,
  kind: DigestKind,
  from: Date,
  now: Date,
): DigestData {
  const fromMs = from.getTime();
  const nowMs = now.getTime();
  const previousFrom = new Date(fromMs - Math.max(0, nowMs - fromMs));
  const active = input.incidents
    .filter((i) => i.status !== 'resolved' && Date.parse(i.started_at) <= nowMs)
    .map((i) => digestIncident(content, i, now))
    .sort(bySeverityThenStart);
  const resolved = input.incidents
    .filter((i) => {
      if (i.status !== 'resolved' || i.resolved_at === null) return false;
      const at = Date.parse(i.resolved_at);
      return at > fromMs && at <= nowMs;
    })
    .map((i) => digestIncident(content, i, now))
    .sort(bySeverityThenStart);
  const current = computeMetrics(content.policy, input, { from, to: now }, now);
  const previous = computeMetrics(content.policy, input, { from: previousFrom, to: from }, now);
  const titles = new Map(input.incidents.map((i) => [i.id, i.title]));
  const overdueActions = input.overdue.action_items.map((item) => ({
    ...item,
    incident_title: titles.get(item.incident_id) ?? item.incident_id,
  }));
  return {
    kind,
    generated_at: now.toISOString(),
    period: { from: from.toISOString(), to: now.toISOString() },
    previous_period: { from: previousFrom.toISOString(), to: from.toISOString() },
    active,
    resolved,
    metrics: {
      current: { incidents: current.incidents.total, mtta: current.mtta, mttr: current.mttr },
      previous: { incidents: previous.incidents.total, mtta: previous.mtta, mttr: previous.mttr },
    },
    repeats: current.repeats,
    overdue_reviews: input.overdue.reviews,
    overdue_action_items: overdueActions,
    nothing_to_report:
      active.length === 0 &&
      resolved.length === 0 &&
      current.repeats.length === 0 &&
      input.overdue.reviews.length === 0 &&
      overdueActions.length === 0,
  };
}

function trend(current: number | null, previous: number | null): string {
  if (current === null) return 'no incidents to measure';
  if (previous === null) return 'no figure for the previous period';
  if (current === previous) return 'unchanged';
  return current < previous
    ? `better than ${humanSeconds(previous)}`
    : `worse than ${humanSeconds(previous)}`;
}

function formatIncident(siteUrl: string, incident: DigestIncident) {
  return {
    title: incident.title,
    severity: incident.severity,
    status: incident.status,
    private: incident.visibility === 'private',
    started_at: utcDateTime(incident.started_at),
    resolved_at: utcDateTime(incident.resolved_at),
    duration: formatDuration(incident.duration_seconds * 1000),
    customers_affected:
      incident.customers_affected === null
        ? null
        : new Intl.NumberFormat('en-US').format(incident.customers_affected),
    estimated_cost: formatMoney(incident.estimated_cost, incident.currency),
    eta: utcDateTime(incident.eta),
    commander: incident.commander,
    next_update_by: utcDateTime(incident.next_update_due_at),
    on_time:
      incident.updates_on_time === null
        ? 'no cadence'
        : incident.updates_on_time
          ? 'on time'
          : 'OVERDUE',
    url: incidentUrl(siteUrl, { id: incident.id, visibility: incident.visibility }),
  };
}

function formatStat(current: DurationStat, previous: DurationStat) {
  return {
    mean: current.mean_seconds === null ? 'n/a' : humanSeconds(current.mean_seconds),
    count: current.count,
    missing: current.missing,
    trend: trend(current.mean_seconds, previous.mean_seconds),
  };
}

/**
 * Everything `templates/executive/digest.*` may use, formatted so the templates stay logic-free.
 * Every key is always present (strict variables).
 */
export function digestVariables(
  content: Content,
  siteUrl: string,
  data: DigestData,
): Record<string, unknown> {
  const base = siteUrl.replace(/\/$/, '');
  return {
    site: { name: content.site.name },
    digest: {
      kind: data.kind,
      generated_at: utcDateTime(data.generated_at),
      since: utcDateTime(data.period.from),
      nothing_to_report: data.nothing_to_report,
      active_count: data.active.length,
      resolved_count: data.resolved.length,
    },
    active: data.active.map((i) => formatIncident(base, i)),
    resolved: data.resolved.map((i) => formatIncident(base, i)),
    metrics: {
      mtta: formatStat(data.metrics.current.mtta, data.metrics.previous.mtta),
      mttr: formatStat(data.metrics.current.mttr, data.metrics.previous.mttr),
      incidents: data.metrics.current.incidents,
      previous_incidents: data.metrics.previous.incidents,
    },
    repeats: data.repeats.map((r) => ({
      title: r.title,
      of: r.repeat_of.map((m) => m.title).join('; '),
      matched_on: [...new Set(r.repeat_of.flatMap((m) => m.matched_on))]
        .map((m) => (m === 'components' ? 'same components' : 'same root cause'))
        .join(', '),
    })),
    overdue_reviews: data.overdue_reviews.map((r) => ({
      title: r.title,
      severity: r.severity,
      due_at: utcDateTime(r.review_due_at),
      overdue_by: humanSeconds(r.overdue_by_seconds),
      commander: r.commander,
    })),
    overdue_action_items: data.overdue_action_items.map((item) => ({
      title: item.title,
      incident: item.incident_title,
      owner: item.owner,
      priority: item.priority,
      due_date: item.due_date,
    })),
  };
}
