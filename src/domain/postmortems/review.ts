import type { Policy } from '../../config/content.ts';
import type { PlannedNotice, SentNotice } from '../notifications.ts';
import { worstSeverityBetween, type SeverityChange } from '../severity-history.ts';
import type { IncidentRecord, Severity, Update } from '../types.ts';

export const PRIORITIES = ['P1', 'P2', 'P3', 'P4'] as const;
export type Priority = (typeof PRIORITIES)[number];
export const ACTION_STATES = ['open', 'in_progress', 'done'] as const;
export type ActionState = (typeof ACTION_STATES)[number];

export interface ActionItem {
  id: string;
  title: string;
  owner: string | null;
  priority: Priority;
  /** `YYYY-MM-DD`, a day in the site's time zone. */
  due_date: string | null;
  state: ActionState;
  created_at: string;
  updated_at: string;
}

/** A post-incident review as stored. */
export interface Postmortem {
  incident_id: string;
  summary: string;
  root_cause: string;
  root_cause_category: string | null;
  contributing_factors: string[];
  impact: string;
  what_went_well: string[];
  what_could_improve: string[];
  /** For the team only: never published. */
  internal_notes: string;
  action_items: ActionItem[];
  /** When the review was marked complete (publishing completes it); null while in progress. */
  completed_at: string | null;
  published_at: string | null;
  created_at: string;
  updated_at: string;
  version: number;
}

/**
 * What the public sees of a published postmortem: the review's findings and what is being done,
 * without owners, internal notes or anything about business figures.
 */
export interface PublicPostmortem {
  summary: string;
  root_cause: string;
  root_cause_category: string | null;
  contributing_factors: string[];
  impact: string;
  what_went_well: string[];
  what_could_improve: string[];
  action_items: Array<{ title: string; priority: Priority; state: ActionState }>;
  published_at: string;
}

export function publicPostmortem(postmortem: Postmortem): PublicPostmortem | null {
  if (postmortem.published_at === null) return null;
  return {
    summary: postmortem.summary,
    root_cause: postmortem.root_cause,
    root_cause_category: postmortem.root_cause_category,
    contributing_factors: postmortem.contributing_factors,
    impact: postmortem.impact,
    what_went_well: postmortem.what_went_well,
    what_could_improve: postmortem.what_could_improve,
    action_items: postmortem.action_items.map((item) => ({
      title: item.title,
      priority: item.priority,
      state: item.state,
    })),
    published_at: postmortem.published_at,
  };
}

export type ReviewIncident = Pick<
  IncidentRecord,
  'severity' | 'status' | 'started_at' | 'resolved_at'
> & { severity_history?: readonly SeverityChange[] | undefined };

/**
 * The severity whose review rule applies: the most severe the incident ever was. A SEV1 lowered
 * to SEV3 before it was resolved still owes a SEV1's review.
 */
export function reviewSeverity(incident: ReviewIncident): Severity {
  return worstSeverityBetween(
    incident.severity_history,
    incident.severity,
    Date.parse(incident.started_at),
    incident.resolved_at ? Date.parse(incident.resolved_at) : Number.POSITIVE_INFINITY,
  );
}

/** When the review is due: the policy's `review_within` after resolution; null while open. */
export function reviewDueAt(policy: Policy, incident: ReviewIncident): string | null {
  if (incident.status !== 'resolved' || incident.resolved_at === null) return null;
  const within = policy.severities[reviewSeverity(incident)].reviewWithinSeconds;
  return new Date(Date.parse(incident.resolved_at) + within * 1000).toISOString();
}

/** A review overdue by more than this when first seen is listed, not emailed (old history). */
export const REVIEW_NOTICE_HORIZON_MS = 7 * 86_400_000;

/**
 * The review notices due at `now` and not yet sent: a reminder to the commander from
 * `review_remind_before` ahead of the due time, and the overdue notice once it has passed. Each
 * is keyed by the due time, so a reopened and resolved-again incident owes a new review. A
 * completed review needs nothing; a process that was down until past the due time sends only the
 * overdue notice.
 */
export function planReviewNotices(
  policy: Policy,
  incident: ReviewIncident,
  completedAt: string | null,
  sent: readonly SentNotice[],
  now: Date,
): PlannedNotice[] {
  const due = reviewDueAt(policy, incident);
  if (due === null || completedAt !== null) return [];
  const dueMs = Date.parse(due);
  const nowMs = now.getTime();
  const done = new Set(sent.filter((n) => n.window_key === due).map((n) => n.kind));
  if (nowMs > dueMs) {
    if (nowMs - dueMs > REVIEW_NOTICE_HORIZON_MS || done.has('review_overdue')) return [];
    return [{ kind: 'review_overdue', window_key: due }];
  }
  const remindBefore = policy.severities[reviewSeverity(incident)].reviewRemindBeforeSeconds;
  if (nowMs >= dueMs - remindBefore * 1000 && !done.has('review_reminder')) {
    return [{ kind: 'review_reminder', window_key: due }];
  }
  return [];
}

/** Open action items whose due date (a local day) is before today: overdue. */
export function isActionItemOverdue(item: ActionItem, today: string): boolean {
  return item.state !== 'done' && item.due_date !== null && item.due_date < today;
}

export interface TimelineEntry {
  at: string;
  /** `update` for a timeline update; otherwise the audit log's action (`incident.edit`, …). */
  kind: string;
  actor: string;
  status?: Update['status'];
  message?: string;
  details?: Record<string, unknown>;
}

/**
 * The review's timeline, built from what was recorded: every update at its display time and every
 * audit entry about the incident (declaration, edits such as a severity change, the review's own
 * changes), oldest first; at the same instant the audit entry comes first. The audit entry of an
 * update is left out: the update itself is the richer record of the same event.
 */
export function buildTimeline(
  updates: readonly Update[],
  audit: ReadonlyArray<{
    at: string;
    actor: string;
    action: string;
    details: Record<string, unknown>;
  }>,
): TimelineEntry[] {
  const entries: TimelineEntry[] = [
    ...audit
      .filter((a) => a.action !== 'incident.update')
      .map((a) => ({ at: a.at, kind: a.action, actor: a.actor, details: a.details })),
    ...updates.map((u) => ({
      at: u.display_at,
      kind: 'update',
      actor: u.author,
      status: u.status,
      message: u.message,
    })),
  ];
  return entries.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

export interface PendingReviewInput extends ReviewIncident {
  id: string;
  title: string;
  roles: { commander?: string | undefined };
  resolved_at: string;
}

export interface ReviewListing {
  reviews: Array<{
    incident_id: string;
    title: string;
    severity: Severity;
    commander: string | null;
    resolved_at: string;
    review_due_at: string;
    overdue: boolean;
    overdue_by_seconds: number;
  }>;
  action_items: Array<ActionItem & { incident_id: string }>;
}

/**
 * The reviews not complete and the unfinished action items (with a due date) that are overdue
 * (`overdue: true`) or due but not yet overdue (`false`), soonest due first. `today` is the local
 * day in the site's time zone: an action item is overdue from the day after its due date.
 */
export function reviewListing(
  policy: Policy,
  pending: readonly PendingReviewInput[],
  postmortems: ReadonlyArray<Pick<Postmortem, 'incident_id' | 'action_items'>>,
  overdue: boolean,
  today: string,
  now: Date,
): ReviewListing {
  const reviews = pending
    .map((incident) => {
      const due = reviewDueAt(policy, incident)!;
      const overdueBy = Math.floor((now.getTime() - Date.parse(due)) / 1000);
      return {
        incident_id: incident.id,
        title: incident.title,
        severity: reviewSeverity(incident),
        commander: incident.roles.commander ?? null,
        resolved_at: incident.resolved_at,
        review_due_at: due,
        overdue: overdueBy > 0,
        overdue_by_seconds: Math.max(0, overdueBy),
      };
    })
    .filter((r) => r.overdue === overdue)
    .sort((a, b) => a.review_due_at.localeCompare(b.review_due_at));
  const actionItems = postmortems
    .flatMap((p) => p.action_items.map((item) => ({ incident_id: p.incident_id, ...item })))
    .filter(
      (item) =>
        item.state !== 'done' &&
        item.due_date !== null &&
        isActionItemOverdue(item, today) === overdue,
    )
    .sort((a, b) => a.due_date!.localeCompare(b.due_date!));
  return { reviews, action_items: actionItems };
}
