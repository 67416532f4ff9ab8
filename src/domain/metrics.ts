import type { Policy } from '../config/content.ts';
import { cadenceAdherence } from './adherence.ts';
import { worstSeverityBetween, type SeverityChange } from './severity-history.ts';
import { SEVERITIES, type IncidentRecord, type Severity } from './types.ts';

/** What the metrics read of an incident. */
export type MetricsIncident = Pick<
  IncidentRecord,
  | 'id'
  | 'title'
  | 'severity'
  | 'visibility'
  | 'public_since'
  | 'started_at'
  | 'detected_at'
  | 'acknowledged_at'
  | 'resolved_at'
> & {
  components: ReadonlyArray<{ id: string }>;
  updates: ReadonlyArray<{ created_at: string; status: IncidentRecord['status'] }>;
};

export interface MetricsInput {
  /** Every incident that may matter: those started in the period and those resolved before it. */
  incidents: readonly MetricsIncident[];
  /** Severity changes per incident id (oldest first); missing: the current severity throughout. */
  severityHistory: ReadonlyMap<string, readonly SeverityChange[]>;
  /** The postmortem root-cause category per incident id, where one was written. */
  rootCauseCategory: ReadonlyMap<string, string>;
}

/** One duration metric: seconds, over the incidents that have both timestamps. */
export interface DurationStat {
  mean_seconds: number | null;
  p50_seconds: number | null;
  p90_seconds: number | null;
  /** Incidents the figure was computed from. */
  count: number;
  /** Incidents of the period left out because a timestamp is missing (open ones have no end). */
  missing: number;
}

export interface RepeatMatch {
  incident_id: string;
  title: string;
  resolved_at: string;
  /** Why it counts as the same trouble. */
  matched_on: Array<'components' | 'root_cause_category'>;
  components: string[];
  root_cause_category: string | null;
}

export interface RepeatIncident {
  incident_id: string;
  title: string;
  started_at: string;
  repeat_of: RepeatMatch[];
}

export interface Metrics {
  from: string;
  to: string;
  incidents: { total: number; by_severity: Record<Severity, number> };
  mttd: DurationStat;
  mtta: DurationStat;
  mttr: DurationStat;
  cadence: { windows_due: number; windows_met: number; ratio: number | null };
  repeats: RepeatIncident[];
}

/** How far back a resolved incident makes a new one a repeat. */
export const REPEAT_WINDOW_MS = 30 * 86_400_000;

/**
 * The p-th percentile by the nearest-rank method: the smallest value with at least p % of the
 * values at or below it. `sorted` is ascending and not empty.
 */
export function percentile(sorted: readonly number[], p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

/** Mean (rounded to whole seconds), p50 and p90 of the durations; null when none. */
export function durationStat(seconds: ReadonlyArray<number | null>): DurationStat {
  const known = seconds.filter((s): s is number => s !== null).sort((a, b) => a - b);
  const missing = seconds.length - known.length;
  if (known.length === 0) {
    return { mean_seconds: null, p50_seconds: null, p90_seconds: null, count: 0, missing };
  }
  const mean = known.reduce((sum, s) => sum + s, 0) / known.length;
  return {
    mean_seconds: Math.round(mean),
    p50_seconds: percentile(known, 50),
    p90_seconds: percentile(known, 90),
    count: known.length,
    missing,
  };
}

/** Seconds from `start` to `end`, or null when either is unknown or `end` is after `limitMs`. */
function secondsBetween(start: string | null, end: string | null, limitMs: number): number | null {
  if (start === null || end === null) return null;
  const endMs = Date.parse(end);
  if (endMs > limitMs) return null;
  return Math.max(0, Math.round((endMs - Date.parse(start)) / 1000));
}

/**
 * The incidents started in [from, to) (the period), in their start order. Everything about them
 * is taken as it stood at the end of the period (`to`, or `now` when that is earlier): a
 * resolution or acknowledgement after it does not count yet, an open window counts only once due.
 */
export function incidentsInPeriod<T extends Pick<MetricsIncident, 'started_at'>>(
  incidents: readonly T[],
  fromMs: number,
  toMs: number,
): T[] {
  return incidents
    .filter((i) => {
      const at = Date.parse(i.started_at);
      return at >= fromMs && at < toMs;
    })
    .sort((a, b) => Date.parse(a.started_at) - Date.parse(b.started_at));
}

/**
 * Incident response metrics for the period [from, to), as of `now`. Pure.
 *
 * - Counts by severity use the most severe severity in force during the period (a SEV3 raised to
 *   SEV1 counts as a SEV1; one lowered from SEV1 after the period still counts as a SEV1 there).
 * - MTTD is detected − started, MTTA acknowledged − detected, MTTR resolved − detected; an
 *   incident without one of the two timestamps (or still open at the end of the period) is left
 *   out of that figure and counted in `missing`.
 * - Cadence adherence sums the windows due and met of the period's public incidents, each window
 *   judged by the severity in force when it opened.
 * - A repeat is an incident of the period whose affected components, or whose postmortem
 *   root-cause category, match an incident resolved in the 30 days before it started.
 */
export function computeMetrics(
  policy: Policy,
  input: MetricsInput,
  period: { from: Date; to: Date },
  now: Date,
): Metrics {
  const fromMs = period.from.getTime();
  const toMs = period.to.getTime();
  const endMs = Math.min(toMs, now.getTime());
  const inPeriod = incidentsInPeriod(input.incidents, fromMs, toMs).filter(
    (i) => Date.parse(i.started_at) <= endMs,
  );

  const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  let windowsDue = 0;
  let windowsMet = 0;
  const mttd: Array<number | null> = [];
  const mtta: Array<number | null> = [];
  const mttr: Array<number | null> = [];
  for (const incident of inPeriod) {
    const history = input.severityHistory.get(incident.id);
    const resolvedMs = incident.resolved_at ? Date.parse(incident.resolved_at) : endMs;
    const worst = worstSeverityBetween(
      history,
      incident.severity,
      Date.parse(incident.started_at),
      Math.min(resolvedMs, endMs),
    );
    bySeverity[worst] += 1;
    mttd.push(secondsBetween(incident.started_at, incident.detected_at, endMs));
    mtta.push(secondsBetween(incident.detected_at, incident.acknowledged_at, endMs));
    mttr.push(secondsBetween(incident.detected_at, incident.resolved_at, endMs));
    const adherence = cadenceAdherence(
      policy,
      {
        severity: incident.severity,
        visibility: incident.visibility,
        public_since: incident.public_since,
        updates: incident.updates.filter((u) => Date.parse(u.created_at) <= endMs),
        severity_history: history,
      },
      new Date(endMs),
    );
    windowsDue += adherence.windows_due;
    windowsMet += adherence.windows_met;
  }
  return {
    from: period.from.toISOString(),
    to: period.to.toISOString(),
    incidents: { total: inPeriod.length, by_severity: bySeverity },
    mttd: durationStat(mttd),
    mtta: durationStat(mtta),
    mttr: durationStat(mttr),
    cadence: {
      windows_due: windowsDue,
      windows_met: windowsMet,
      ratio: windowsDue === 0 ? null : windowsMet / windowsDue,
    },
    repeats: findRepeats(inPeriod, input),
  };
}

/** The incidents of `candidates` that repeat one resolved in the 30 days before they started. */
export function findRepeats(
  candidates: readonly MetricsIncident[],
  input: Pick<MetricsInput, 'incidents' | 'rootCauseCategory'>,
): RepeatIncident[] {
  const category = (id: string) => input.rootCauseCategory.get(id)?.trim().toLowerCase() || null;
  const repeats: RepeatIncident[] = [];
  for (const incident of candidates) {
    const startedMs = Date.parse(incident.started_at);
    const own = new Set(incident.components.map((c) => c.id));
    const ownCategory = category(incident.id);
    const matches: RepeatMatch[] = [];
    for (const earlier of input.incidents) {
      if (earlier.id === incident.id || earlier.resolved_at === null) continue;
      const resolvedMs = Date.parse(earlier.resolved_at);
      if (resolvedMs > startedMs || resolvedMs < startedMs - REPEAT_WINDOW_MS) continue;
      const shared = earlier.components.map((c) => c.id).filter((id) => own.has(id));
      const sameCategory = ownCategory !== null && category(earlier.id) === ownCategory;
      if (shared.length === 0 && !sameCategory) continue;
      matches.push({
        incident_id: earlier.id,
        title: earlier.title,
        resolved_at: earlier.resolved_at,
        matched_on: [
          ...(shared.length > 0 ? (['components'] as const) : []),
          ...(sameCategory ? (['root_cause_category'] as const) : []),
        ],
        components: shared,
        root_cause_category: sameCategory
          ? (input.rootCauseCategory.get(earlier.id) ?? null)
          : null,
      });
    }
    if (matches.length > 0) {
      matches.sort((a, b) => Date.parse(b.resolved_at) - Date.parse(a.resolved_at));
      repeats.push({
        incident_id: incident.id,
        title: incident.title,
        started_at: incident.started_at,
        repeat_of: matches,
      });
    }
  }
  return repeats;
}
