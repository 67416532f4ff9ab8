import type { Policy } from '../config/content.ts';
import { isBackdated, intervalFor } from './cadence.ts';
import type { Severity, Update, Visibility } from './types.ts';

export interface AdherenceInput {
  severity: Severity;
  visibility: Visibility;
  updates: ReadonlyArray<Pick<Update, 'display_at' | 'created_at' | 'status'>>;
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
 * The share of due windows met on time. Every public update of an open status opens a window of
 * the interval for its status; the next public update (including the one that resolves) closes
 * it. The open window counts only once its due time has passed, as a miss. Uses the incident's
 * current severity: the timeline does not keep a history of severity changes.
 */
export function cadenceAdherence(policy: Policy, incident: AdherenceInput, now: Date): Adherence {
  if (incident.visibility === 'private') return { windows_due: 0, windows_met: 0, ratio: null };
  const timeline = incident.updates
    .filter((u) => !isBackdated(u))
    .map((u) => ({ at: Date.parse(u.display_at), status: u.status }))
    .sort((a, b) => a.at - b.at);
  let due = 0;
  let met = 0;
  timeline.forEach((update, index) => {
    if (update.status === 'resolved') return;
    const interval = intervalFor(policy, incident.severity, update.status);
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
