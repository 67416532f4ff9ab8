import { SEVERITIES, type Severity } from './types.ts';

/** From `at` on, the incident had `severity` (until the next change). */
export interface SeverityChange {
  at: string;
  severity: Severity;
}

/**
 * The severity in force at `atMs`: the last change at or before it. Before the first recorded
 * change (a `started_at` moved earlier) the first one applies; with no history at all, `current`.
 */
export function severityAt(
  history: readonly SeverityChange[] | undefined,
  current: Severity,
  atMs: number,
): Severity {
  if (!history || history.length === 0) return current;
  let found = history[0]!.severity;
  for (const change of history) {
    if (Date.parse(change.at) <= atMs) found = change.severity;
    else break;
  }
  return found;
}

/** The most severe severity in force at any moment of [fromMs, toMs]. */
export function worstSeverityBetween(
  history: readonly SeverityChange[] | undefined,
  current: Severity,
  fromMs: number,
  toMs: number,
): Severity {
  let worst = severityAt(history, current, fromMs);
  for (const change of history ?? []) {
    const at = Date.parse(change.at);
    if (
      at > fromMs &&
      at <= toMs &&
      SEVERITIES.indexOf(change.severity) < SEVERITIES.indexOf(worst)
    )
      worst = change.severity;
  }
  return worst;
}
