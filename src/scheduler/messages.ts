import { SAMPLE_AT, sampleIncident } from '../domain/sample-incident.ts';
import type { Content } from '../config/content.ts';
import { formatDuration } from '../config/duration.ts';
import { businessContext, formatMoney } from '../domain/business-impact.ts';
import { buildDigest, digestVariables } from '../domain/digest/build.ts';
import type { Cadence } from '../domain/cadence.ts';
import { incidentUrl } from '../domain/incident-url.ts';
import type { NoticeKind } from '../domain/notifications.ts';
import type { IncidentRecord } from '../domain/types.ts';
import { humanSeconds, utcClock, utcDateTime } from '../lib/time.ts';

/** The template each notice is written from (under `templates/`). */
export const TEMPLATE_FOR: Record<NoticeKind, string> = {
  reminder: 'email/cadence-reminder',
  overdue: 'email/cadence-overdue',
  escalate_commander: 'email/cadence-escalation',
  escalate_executives: 'executive/escalation',
  executive_notice: 'executive/notice',
  review_reminder: 'email/review-reminder',
  review_overdue: 'email/review-overdue',
};

export interface NoticeFacts {
  kind: NoticeKind;
  incident: IncidentRecord;
  cadence: Cadence;
  content: Content;
  siteUrl: string;
  now: Date;
  /** When the post-incident review is due (review notices); null otherwise. */
  reviewDueAt?: string | null;
}

/**
 * Everything a cadence or executive template may use, with values already formatted so the
 * templates stay logic-free. Every key is always present (null when unknown): the templates are
 * rendered with strict variables.
 */
export function noticeVariables(facts: NoticeFacts): Record<string, unknown> {
  const { incident, cadence, content, now } = facts;
  const base = facts.siteUrl.replace(/\/$/, '');
  const business = businessContext(
    incident.business_impact,
    incident.started_at,
    incident.resolved_at,
    now,
  );
  const latest = incident.updates[0] ?? null;
  const reviewDue = facts.reviewDueAt ?? null;
  const reviewOverdueBy = reviewDue
    ? Math.max(0, Math.floor((now.getTime() - Date.parse(reviewDue)) / 1000))
    : 0;
  return {
    site: { name: content.site.name },
    notice: { kind: facts.kind },
    incident: {
      id: incident.id,
      title: incident.title,
      severity: incident.severity,
      severity_description: content.policy.severities[incident.severity].description,
      status: incident.status,
      visibility: incident.visibility,
      started_at: utcDateTime(incident.started_at),
      eta: utcDateTime(incident.eta),
      commander: incident.roles.commander ?? null,
      communications: incident.roles.communications ?? null,
      components: incident.components.map((c) => content.catalog.byId.get(c.id)?.name ?? c.id),
      url: incidentUrl(base, incident),
      api_url: `${base}/v1/incidents/${incident.id}`,
      latest_message: latest?.message ?? null,
      resolved_at: utcDateTime(incident.resolved_at),
    },
    review: {
      due_at: utcDateTime(reviewDue),
      overdue_by: reviewOverdueBy > 0 ? humanSeconds(reviewOverdueBy) : null,
      api_url: `${base}/v1/incidents/${incident.id}/postmortem`,
    },
    cadence: {
      interval: cadence.interval_seconds === null ? null : formatDuration(cadence.interval_seconds),
      last_update_at: utcDateTime(cadence.last_public_update_at),
      next_update_due_at: cadence.next_update_due_at,
      next_update_by: utcClock(cadence.next_update_due_at),
      overdue: cadence.overdue,
      overdue_by: cadence.overdue ? humanSeconds(cadence.overdue_by_seconds) : null,
      escalation_level: cadence.escalation_level,
    },
    business: {
      summary: business.summary,
      customers_affected:
        business.customers_affected === null
          ? null
          : new Intl.NumberFormat('en-US').format(business.customers_affected),
      revenue_per_minute: formatMoney(business.revenue_per_minute, business.currency),
      estimated_cost: formatMoney(business.estimated_cost, business.currency),
      minutes_elapsed: business.minutes_elapsed,
    },
  };
}

/** A made-up incident used to try every template once at start-up. */
export function sampleVariables(
  content: Content,
  siteUrl: string,
): Record<string, Record<string, unknown>> {
  const at = SAMPLE_AT;
  const incident = sampleIncident({
    severity: 'SEV1',
    impact: 'critical',
    roles: { commander: 'commander@example.com', communications: 'comms@example.com' },
    business_impact: {
      summary: 'Sample',
      customers_affected: 1,
      revenue_per_minute: 1,
      currency: 'USD',
    },
  });
  const cadence: Cadence = {
    interval_seconds: 900,
    last_public_update_at: at,
    next_update_due_at: '2026-01-01T10:15:00.000Z',
    overdue: true,
    overdue_by_seconds: 60,
    escalation_level: 3,
  };
  const now = new Date('2026-01-01T10:16:00.000Z');
  return {
    ...Object.fromEntries(
      (Object.keys(TEMPLATE_FOR) as NoticeKind[]).map((kind) => [
        TEMPLATE_FOR[kind],
        noticeVariables({
          kind,
          incident: kind.startsWith('review_')
            ? { ...incident, status: 'resolved', resolved_at: '2026-01-01T10:10:00.000Z' }
            : incident,
          cadence,
          content,
          siteUrl,
          now,
          reviewDueAt: kind.startsWith('review_') ? '2026-01-02T10:10:00.000Z' : null,
        }),
      ]),
    ),
    'executive/digest': sampleDigestVariables(content, siteUrl, incident, now),
  };
}

/** A digest with one of everything (active, resolved, a repeat, overdue review and item). */
function sampleDigestVariables(
  content: Content,
  siteUrl: string,
  incident: IncidentRecord,
  now: Date,
): Record<string, unknown> {
  const sample = { ...incident, components: [{ id: 'sample', status: 'major_outage' as const }] };
  const earlier: IncidentRecord = {
    ...sample,
    id: 'earlier',
    status: 'resolved',
    started_at: '2026-01-01T08:00:00.000Z',
    detected_at: '2026-01-01T08:00:00.000Z',
    acknowledged_at: '2026-01-01T08:05:00.000Z',
    resolved_at: '2026-01-01T09:00:00.000Z',
  };
  const data = buildDigest(
    content,
    {
      incidents: [sample, earlier],
      severityHistory: new Map(),
      rootCauseCategory: new Map(),
      overdue: {
        reviews: [
          {
            incident_id: 'earlier',
            title: 'Sample review',
            severity: 'SEV1',
            commander: 'commander@example.com',
            resolved_at: '2025-12-30T09:00:00.000Z',
            review_due_at: '2025-12-31T09:00:00.000Z',
            overdue: true,
            overdue_by_seconds: 3600,
          },
        ],
        action_items: [
          {
            incident_id: 'earlier',
            id: 'item',
            title: 'Sample action',
            owner: 'owner@example.com',
            priority: 'P1',
            due_date: '2025-12-31',
            state: 'open',
            created_at: '2025-12-30T09:00:00.000Z',
            updated_at: '2025-12-30T09:00:00.000Z',
          },
        ],
      },
    },
    'daily',
    new Date('2025-12-31T10:16:00.000Z'),
    now,
  );
  return digestVariables(content, siteUrl, data);
}
