import type { SeverityChange } from '../domain/severity-history.ts';
import type { Severity } from '../domain/types.ts';
import { str, type Tx } from './db.ts';
import type { Reader } from './incidents.ts';

/** Records that the incident has had `severity` since `at` (inside the caller's transaction). */
export async function recordSeverityChange(
  tx: Tx,
  incidentId: string,
  at: string,
  severity: Severity,
): Promise<void> {
  await tx.run('INSERT INTO severity_changes (incident_id, at, severity) VALUES (?, ?, ?)', [
    incidentId,
    at,
    severity,
  ]);
}

/** The severity history of the given incidents (all when `ids` is omitted), oldest first. */
export async function severityHistories(
  read: Reader,
  ids?: readonly string[],
): Promise<Map<string, SeverityChange[]>> {
  const rows = ids
    ? await read(
        `SELECT incident_id, at, severity FROM severity_changes
         WHERE incident_id IN (SELECT value FROM json_each(?)) ORDER BY incident_id, at, rowid`,
        [JSON.stringify(ids)],
      )
    : await read(
        'SELECT incident_id, at, severity FROM severity_changes ORDER BY incident_id, at, rowid',
      );
  const result = new Map<string, SeverityChange[]>();
  for (const row of rows) {
    const id = str(row, 'incident_id');
    const change = { at: str(row, 'at'), severity: str(row, 'severity') as Severity };
    const list = result.get(id);
    if (list) list.push(change);
    else result.set(id, [change]);
  }
  return result;
}
