import type { Policy } from '../config/content.ts';
import type { IncidentStatus, Severity, Update, Visibility } from './types.ts';

/** An update counts as fresh communication unless it was back-dated by more than this. */
const BACKDATE_TOLERANCE_MS = 60_000;

export interface CadenceInput {
  severity: Severity;
  status: IncidentStatus;
  visibility: Visibility;
  started_at: string;
  updates: ReadonlyArray<Pick<Update, 'display_at' | 'created_at'>>;
}

export interface Cadence {
  interval_seconds: number | null;
  last_public_update_at: string | null;
  next_update_due_at: string | null;
  overdue: boolean;
  overdue_by_seconds: number;
  /** 0 on time, 1 overdue (communications lead), 2 commander, 3 executives. */
  escalation_level: number;
}

/**
 * When the last update customers could see as new was posted. A back-dated update (its
 * `display_at` well before it was accepted) does not count: readers never saw it as news.
 */
export function lastPublicUpdateAt(updates: CadenceInput['updates']): string | null {
  let last: string | null = null;
  for (const update of updates) {
    if (isBackdated(update)) continue;
    if (last === null || update.display_at > last) last = update.display_at;
  }
  return last;
}

/** Shown as older than it is: `display_at` well before the update was accepted. */
export function isBackdated(update: Pick<Update, 'display_at' | 'created_at'>): boolean {
  return Date.parse(update.display_at) < Date.parse(update.created_at) - BACKDATE_TOLERANCE_MS;
}

export function intervalFor(
  policy: Policy,
  severity: Severity,
  status: IncidentStatus,
): number | null {
  const rule = policy.severities[severity];
  return status === 'monitoring' ? rule.monitoringIntervalSeconds : rule.updateIntervalSeconds;
}

/**
 * Computes when the next public update is due and how overdue it is, given `now`.
 * Resolved and private incidents have no cadence: nobody outside is waiting on them.
 */
export function computeCadence(policy: Policy, incident: CadenceInput, now: Date): Cadence {
  const last = lastPublicUpdateAt(incident.updates);
  const interval =
    incident.status === 'resolved' || incident.visibility === 'private'
      ? null
      : intervalFor(policy, incident.severity, incident.status);
  if (interval === null) {
    return {
      interval_seconds: null,
      last_public_update_at: last,
      next_update_due_at: null,
      overdue: false,
      overdue_by_seconds: 0,
      escalation_level: 0,
    };
  }
  const base = Date.parse(last ?? incident.started_at);
  const due = base + interval * 1000;
  const overdueBy = Math.max(0, Math.floor((now.getTime() - due) / 1000));
  const overdue = now.getTime() > due;
  return {
    interval_seconds: interval,
    last_public_update_at: last,
    next_update_due_at: new Date(due).toISOString(),
    overdue,
    overdue_by_seconds: overdueBy,
    escalation_level: overdue ? escalationLevel(policy, incident.severity, overdueBy) : 0,
  };
}

export function escalationLevel(policy: Policy, severity: Severity, overdueBy: number): number {
  const rule = policy.severities[severity];
  if (
    rule.escalateExecutivesAfterSeconds !== null &&
    overdueBy >= rule.escalateExecutivesAfterSeconds
  )
    return 3;
  if (overdueBy >= rule.escalateCommanderAfterSeconds) return 2;
  return 1;
}
