import type { Policy } from '../config/content.ts';
import { intervalFor } from './cadence.ts';
import { severityAt, type SeverityChange } from './severity-history.ts';
import type { Severity, Update, Visibility } from './types.ts';

export interface AdherenceInput {
  severity: Severity;
  visibility: Visibility;
  /** When the incident became public (null: public from its first record). */
  public_since: string | null;
  updates: ReadonlyArray<Pick<Update, 'created_at' | 'status'>>;
  /** Severities with their times; without it, `severity` is taken to have held throughout. */
  severity_history?: readonly SeverityChange[] | undefined;
}

export interface Adherence {
  /** Windows whose due time has passed or that were closed by the next public update. */
  windows_due: number;
  /** Of those, the ones closed by a public update at or before the due time. */
  windows_met: number;
  /** windows_met / windows_due; null while no window has come due. */
  ratio: number | null;
}

/**
 * The share of due windows met on time. Every update opens a window of the interval for its
 * status, counted from when it was posted (as the cadence is); the next update (including the one
 * that resolves) closes it. Updates posted while the incident was private open no window of their
 * own: the first window opens when it became public, with the status it had then. The open window
 * counts only once its due time has passed, as a miss. Each window is judged by the interval of
 * the severity in force when it opened (a SEV3 raised to SEV1 mid-incident is held to SEV1's
 * interval from the next window on, and not retroactively).
 */
export function cadenceAdherence(policy: Policy, incident: AdherenceInput, now: Date): Adherence {
  if (incident.visibility === 'private') return { windows_due: 0, windows_met: 0, ratio: null };
  const publicFrom = incident.public_since === null ? null : Date.parse(incident.public_since);
  const posted = incident.updates
    .map((u) => ({ at: Date.parse(u.created_at), status: u.status }))
    .sort((a, b) => a.at - b.at);
  const timeline: typeof posted = [];
  posted.forEach((update, index) => {
    if (publicFrom === null || update.at >= publicFrom) timeline.push(update);
    else if ((posted[index + 1]?.at ?? Number.POSITIVE_INFINITY) > publicFrom) {
      timeline.push({ at: publicFrom, status: update.status });
    }
  });
  let due = 0;
  let met = 0;
  timeline.forEach((update, index) => {
    if (update.status === 'resolved') return;
    const severity = severityAt(incident.severity_history, incident.severity, update.at);
    const interval = intervalFor(policy, severity, update.status);
    if (interval === null) return;
    const dueAt = update.at + interval * 1000;
    const next = timeline[index + 1];
    if (next) {
      due += 1;
      if (next.at <= dueAt) met += 1;
    } else if (now.getTime() > dueAt) {
      due += 1;
    }
  });
  return { windows_due: due, windows_met: met, ratio: due === 0 ? null : met / due };
}
