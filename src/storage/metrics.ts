import type { MetricsInput } from '../domain/metrics.ts';
import { str } from './db.ts';
import { listIncidents, type Reader } from './incidents.ts';
import { severityHistories } from './severity-history.ts';

/** The postmortem root-cause category of every incident that has one. */
export async function rootCauseCategories(read: Reader): Promise<Map<string, string>> {
  const rows = await read(
    "SELECT incident_id, root_cause_category FROM postmortems WHERE coalesce(root_cause_category, '') != ''",
  );
  return new Map(rows.map((row) => [str(row, 'incident_id'), str(row, 'root_cause_category')]));
}

/**
 * What the metrics of a period read: every incident (those of the period and those resolved in
 * the 30 days before it, for repeats), their severity histories and root-cause categories.
 */
export async function loadMetricsInput(read: Reader): Promise<MetricsInput> {
  const incidents = await listIncidents(read, {});
  return {
    incidents,
    severityHistory: await severityHistories(read),
    rootCauseCategory: await rootCauseCategories(read),
  };
}
