import type { Policy } from '../config/content.ts';
import type { IncidentStatus, Severity, Update, Visibility } from './types.ts';

export interface CadenceInput {
  severity: Severity;
  status: IncidentStatus;
  visibility: Visibility;
  started_at: string;
  /** When the incident last became public; null while private, or public from its first record. */
  public_since: string | null;
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

const later = (a: string, b: string) => (Date.parse(a) >= Date.parse(b) ? a : b);

/**
 * When the last update was posted (`created_at`), whatever its `display_at`: communication counts
 * when it happened. A back-dated update posted now is news now; an update shown in the future
 * does not stretch the silence allowed.
 */
export function lastPostedAt(updates: CadenceInput['updates']): string | null {
  let last: string | null = null;
  for (const update of updates) {
    if (last === null || Date.parse(update.created_at) > Date.parse(last)) last = update.created_at;
  }
  return last;
}

/**
 * The last update customers could see: the last one posted, unless it was posted while the
 * incident was private (before `public_since`).
 */
export function lastPublicUpdateAt(
  incident: Pick<CadenceInput, 'public_since' | 'updates'>,
): string | null {
  const last = lastPostedAt(incident.updates);
  if (last === null || incident.public_since === null) return last;
  return Date.parse(last) >= Date.parse(incident.public_since) ? last : null;
}

/**
 * Where the current cadence window starts: the later of the last posted update and the moment the
 * incident became public. Making a private incident public therefore opens a fresh window instead
 * of finding it long overdue. It also names the window: a new update, or going public again, starts
 * a new one, in which every notice of the ladder can go again.
 */
export function cadenceWindowStart(
  incident: Pick<CadenceInput, 'public_since' | 'updates' | 'started_at'>,
): string {
  const last = lastPostedAt(incident.updates) ?? incident.started_at;
  return incident.public_since === null ? last : later(last, incident.public_since);
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
  // A private incident has no public update at all, whatever it posted.
  const last = incident.visibility === 'private' ? null : lastPublicUpdateAt(incident);
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
  const due = Date.parse(cadenceWindowStart(incident)) + interval * 1000;
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
