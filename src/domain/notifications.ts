import type { Policy } from '../config/content.ts';
import { cadenceWindowStart, computeCadence, type CadenceInput } from './cadence.ts';
import { SEVERITIES, type Roles, type Severity } from './types.ts';

/**
 * The escalation ladder of one overdue window, in order, the executive notice (once per
 * incident and severity level, independent of windows) and the post-incident review's reminder
 * and overdue notice (once per review due time).
 */
export const NOTICE_KINDS = [
  'reminder',
  'overdue',
  'escalate_commander',
  'escalate_executives',
  'executive_notice',
  'review_reminder',
  'review_overdue',
] as const;
export type NoticeKind = (typeof NOTICE_KINDS)[number];

export type Audience = 'communications' | 'commander' | 'executives';

export const AUDIENCE_OF: Record<NoticeKind, Audience> = {
  reminder: 'communications',
  overdue: 'communications',
  escalate_commander: 'commander',
  escalate_executives: 'executives',
  executive_notice: 'executives',
  review_reminder: 'commander',
  review_overdue: 'commander',
};

/**
 * What became of a recorded notice: its emails were queued, or there was nobody to send it to
 * (recorded all the same, so it is reported once instead of retried at every tick).
 */
export type NoticeOutcome = 'queued' | 'skipped_no_recipients';

/** A notice already recorded for an incident. */
export interface SentNotice {
  window_key: string;
  kind: NoticeKind;
  sent_at: string;
}

/** A notice that is due now and not yet recorded. */
export interface PlannedNotice {
  kind: NoticeKind;
  /** The cadence window's start for ladder notices; the severity for an executive notice. */
  window_key: string;
}

/**
 * Which notices are due at `now` and not yet sent. Pure: the scheduler records each planned notice
 * under a unique key in the same transaction that queues its emails, so planning twice (two
 * processes, a restart) is harmless.
 */
export function planNotices(
  policy: Policy,
  incident: CadenceInput,
  sent: readonly SentNotice[],
  now: Date,
): PlannedNotice[] {
  if (incident.status === 'resolved') return [];
  const planned: PlannedNotice[] = [];
  const executive = executiveNoticeDue(policy, incident, sent, now);
  if (executive) planned.push(executive);

  const cadence = computeCadence(policy, incident, now);
  if (cadence.next_update_due_at === null) return planned;
  const window = cadenceWindowStart(incident);
  const rule = policy.severities[incident.severity];
  const ladder: NoticeKind[] = [];
  if (!cadence.overdue) {
    // From the reminder time until the due time the reminder is due, so one that fell due while
    // no scheduler ran (a restart, a slow tick) still goes out, late, as long as it can help.
    const remindAt = Date.parse(cadence.next_update_due_at) - rule.remindBeforeSeconds * 1000;
    if (rule.remindBeforeSeconds > 0 && now.getTime() >= remindAt) ladder.push('reminder');
  } else {
    // Once the window is overdue the overdue notice supersedes an unsent reminder: "an update is
    // due soon" would be false. A process that was down past several steps sends every step it
    // missed, in order.
    ladder.push('overdue');
    if (cadence.escalation_level >= 2) ladder.push('escalate_commander');
    if (cadence.escalation_level >= 3) ladder.push('escalate_executives');
  }
  const done = new Set(sent.filter((n) => n.window_key === window).map((n) => n.kind));
  for (const kind of ladder) if (!done.has(kind)) planned.push({ kind, window_key: window });
  return planned;
}

const LEVEL_OF: Partial<Record<NoticeKind, number>> = {
  overdue: 1,
  escalate_commander: 2,
  escalate_executives: 3,
};

/**
 * How far the window `window` has actually escalated: the highest ladder step whose emails were
 * queued (0: none yet). The clock may say more is due; this says what people were told.
 */
export function recordedEscalationLevel(
  notices: ReadonlyArray<SentNotice & { outcome: NoticeOutcome }>,
  window: string,
): number {
  let level = 0;
  for (const notice of notices) {
    if (notice.window_key !== window || notice.outcome !== 'queued') continue;
    level = Math.max(level, LEVEL_OF[notice.kind] ?? 0);
  }
  return level;
}

/**
 * The severities whose rules can send something to executives (an executive notice or an
 * escalation): with no executive addresses in the policy, those notices would reach nobody.
 */
export function severitiesNotifyingExecutives(policy: Policy): Severity[] {
  return SEVERITIES.filter((severity) => {
    const rule = policy.severities[severity];
    return rule.executiveNotice.kind !== 'never' || rule.escalateExecutivesAfterSeconds !== null;
  });
}

function severityRank(severity: string): number {
  const rank = SEVERITIES.indexOf(severity as Severity);
  return rank === -1 ? Number.POSITIVE_INFINITY : rank;
}

/**
 * The executive notice the severity's rule calls for, if executives have not already been told
 * about this incident at this severity or a worse one. Raising SEV3 to SEV1 therefore notifies at
 * once (SEV1 is `immediate`); lowering it again does not send a second, milder notice.
 */
export function executiveNoticeDue(
  policy: Policy,
  incident: Pick<CadenceInput, 'severity' | 'status' | 'started_at'>,
  sent: readonly SentNotice[],
  now: Date,
): PlannedNotice | null {
  if (incident.status === 'resolved') return null;
  const rule = policy.severities[incident.severity].executiveNotice;
  if (rule.kind === 'never') return null;
  if (rule.kind === 'if_unresolved_after') {
    const dueAt = Date.parse(incident.started_at) + rule.seconds * 1000;
    if (now.getTime() < dueAt) return null;
  }
  const rank = severityRank(incident.severity);
  const told = sent.some(
    (n) => n.kind === 'executive_notice' && severityRank(n.window_key) <= rank,
  );
  return told ? null : { kind: 'executive_notice', window_key: incident.severity };
}

const EMAIL = /^[^\s@<>()",;:]+@[^\s@<>()",;:]+\.[^\s@<>()",;:]+$/;

export function looksLikeEmail(text: string | undefined | null): text is string {
  return typeof text === 'string' && EMAIL.test(text.trim());
}

/**
 * Who receives a notice. The incident's roles win when they are email addresses; otherwise the
 * policy's default communications lead. A commander known only by name cannot be emailed, so the
 * commander escalation goes to the communications recipients rather than nowhere.
 */
export function recipientsFor(audience: Audience, policy: Policy, roles: Roles): string[] {
  const communications = looksLikeEmail(roles.communications)
    ? [roles.communications.trim()]
    : policy.recipients.communicationsLead
      ? [policy.recipients.communicationsLead]
      : [];
  let list: string[];
  if (audience === 'communications') list = communications;
  else if (audience === 'commander')
    list = looksLikeEmail(roles.commander) ? [roles.commander.trim()] : communications;
  else list = policy.recipients.executives;
  const seen = new Set<string>();
  return list.filter((address) => {
    const key = address.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
