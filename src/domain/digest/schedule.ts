import type { DigestPolicy } from '../../config/content.ts';
import { addDays, dayKey, startOfDay } from '../../lib/time.ts';
import { severityAt, type SeverityChange } from '../severity-history.ts';
import type { IncidentRecord } from '../types.ts';

export type DigestKind = 'daily' | 'severe' | 'manual';

/** One scheduled digest: its unique key and the moment it is for. */
export interface DigestSlot {
  key: string;
  kind: Exclude<DigestKind, 'manual'>;
  at: string;
}

export type ScheduleIncident = Pick<IncidentRecord, 'severity' | 'started_at' | 'resolved_at'> & {
  severity_history?: readonly SeverityChange[] | undefined;
};

/** The most recent daily slot at or before `now`: the local time of day in the site's zone. */
export function latestDailySlot(dailyAtSeconds: number, timeZone: string, now: Date): DigestSlot {
  const today = dayKey(now.getTime(), timeZone);
  for (const day of [today, addDays(today, -1)]) {
    const at = startOfDay(day, timeZone) + dailyAtSeconds * 1000;
    if (at <= now.getTime())
      return { key: `daily/${day}`, kind: 'daily', at: new Date(at).toISOString() };
  }
  // Only reached when a DST jump swallows the time: take the day before yesterday.
  const day = addDays(today, -2);
  const at = startOfDay(day, timeZone) + dailyAtSeconds * 1000;
  return { key: `daily/${day}`, kind: 'daily', at: new Date(at).toISOString() };
}

/** Whether an incident of a `severe` severity was open at `atMs` (by the severity then). */
export function severeOpenAt(
  policy: DigestPolicy,
  incidents: readonly ScheduleIncident[],
  atMs: number,
): boolean {
  return incidents.some((incident) => {
    if (Date.parse(incident.started_at) > atMs) return false;
    if (incident.resolved_at !== null && Date.parse(incident.resolved_at) <= atMs) return false;
    return policy.severe.includes(severityAt(incident.severity_history, incident.severity, atMs));
  });
}

/**
 * The digest slots owed at `now`: the latest daily slot, and the latest "every N while severe"
 * slot (slots are aligned to multiples of N since the epoch) if a severe incident was open at its
 * start, each unless already sent or earlier than `since` (when the schedule first ran). Only the
 * latest slot of each kind is owed: a server down through several slots sends the last one, late,
 * once. Pure; the caller records each slot under its unique key.
 */
export function dueDigestSlots(
  policy: DigestPolicy | null,
  timeZone: string,
  incidents: readonly ScheduleIncident[],
  since: string,
  sent: ReadonlySet<string>,
  now: Date,
): DigestSlot[] {
  if (policy === null) return [];
  const sinceMs = Date.parse(since);
  const slots: DigestSlot[] = [];
  if (policy.dailyAtSeconds !== null) {
    slots.push(latestDailySlot(policy.dailyAtSeconds, timeZone, now));
  }
  if (policy.whileSevereEverySeconds !== null) {
    const every = policy.whileSevereEverySeconds * 1000;
    const at = Math.floor(now.getTime() / every) * every;
    if (severeOpenAt(policy, incidents, at)) {
      slots.push({
        key: `severe/${new Date(at).toISOString()}`,
        kind: 'severe',
        at: new Date(at).toISOString(),
      });
    }
  }
  return slots.filter((slot) => Date.parse(slot.at) >= sinceMs && !sent.has(slot.key));
}
