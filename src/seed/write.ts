import type { InArgs, InValue } from '@libsql/client';
import {
  worstComponentStatus,
  type ComponentStatus,
  type IncidentRecord,
} from '../domain/types.ts';
import type { Db } from '../storage/db.ts';
import {
  INCIDENT_COLUMNS,
  UPDATE_COLUMNS,
  incidentValues,
  updateValues,
} from '../storage/incidents.ts';

type Value = InValue;

/** Multi-row INSERTs keep 10,000 incidents to a few hundred statements. */
function inserts(table: string, columns: readonly string[], rows: Value[][], perStatement = 100) {
  const statements: Array<{ sql: string; args: InArgs }> = [];
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  for (let i = 0; i < rows.length; i += perStatement) {
    const chunk = rows.slice(i, i + perStatement);
    statements.push({
      sql: `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${chunk.map(() => tuple).join(', ')}`,
      args: chunk.flat(),
    });
  }
  return statements;
}

export async function countIncidents(db: Db): Promise<number> {
  const rows = await db.query('SELECT COUNT(*) AS n FROM incidents');
  return Number(rows[0]!.n);
}

/** Deletes every incident and what hangs off it (for `--reset`). */
export async function clearIncidents(db: Db): Promise<void> {
  await db.batch(
    ['update_components', 'updates', 'incident_components', 'incidents', 'component_status'].map(
      (t) => ({
        sql: `DELETE FROM ${t}`,
      }),
    ),
  );
}

/** Writes the generated history in one atomic batch, with the components' resulting public status. */
export async function writeHistory(db: Db, incidents: IncidentRecord[], at: string): Promise<void> {
  const incidentRows = incidents.map(incidentValues);
  const updates = incidents.flatMap((i) => i.updates);
  const updateRows = updates.map(updateValues);
  const changeRows = updates.flatMap((u) =>
    u.components.map((c): Value[] => [u.id, c.id, c.old_status, c.new_status]),
  );
  const componentRows = incidents.flatMap((i) =>
    i.components.map((c, position): Value[] => [i.id, c.id, c.status, position]),
  );
  const open = new Map<string, ComponentStatus[]>();
  for (const i of incidents) {
    if (i.status === 'resolved' || i.visibility !== 'public') continue;
    for (const c of i.components) open.set(c.id, [...(open.get(c.id) ?? []), c.status]);
  }
  const statusRows = [...open].map(([id, list]): Value[] => [id, worstComponentStatus(list), at]);
  await db.batch([
    ...inserts('incidents', INCIDENT_COLUMNS, incidentRows),
    ...inserts('updates', UPDATE_COLUMNS, updateRows),
    ...inserts(
      'update_components',
      ['update_id', 'component_id', 'old_status', 'new_status'],
      changeRows,
    ),
    ...inserts(
      'incident_components',
      ['incident_id', 'component_id', 'status', 'position'],
      componentRows,
    ),
    ...inserts('component_status', ['component_id', 'status', 'updated_at'], statusRows),
  ]);
}
