import type { InArgs, Row } from '@libsql/client';
import type {
  BusinessImpact,
  ComponentChange,
  ComponentStatus,
  IncidentRecord,
  Roles,
  Update,
} from '../domain/types.ts';
import { num, str, strOrNull, type Tx } from './db.ts';

/** Anything that can run a read: the database itself or an open transaction. */
export type Reader = (sql: string, args?: InArgs) => Promise<Row[]>;

export interface IncidentFilter {
  status?: 'open' | 'resolved' | undefined;
  severity?: string | undefined;
  visibility?: 'public' | 'private' | undefined;
  limit?: number | undefined;
  /** Only incidents started before this id's started_at (keyset pagination). */
  before?: string | undefined;
}

type IncidentRow = Omit<IncidentRecord, 'components' | 'updates'>;

function toIncidentRow(row: Row): IncidentRow {
  return {
    id: str(row, 'id'),
    title: str(row, 'title'),
    severity: str(row, 'severity') as IncidentRow['severity'],
    status: str(row, 'status') as IncidentRow['status'],
    impact: str(row, 'impact') as IncidentRow['impact'],
    impact_override: num(row, 'impact_override') === 1,
    visibility: str(row, 'visibility') as IncidentRow['visibility'],
    roles: JSON.parse(str(row, 'roles')) as Roles,
    business_impact: row.business_impact
      ? (JSON.parse(str(row, 'business_impact')) as BusinessImpact)
      : null,
    eta: strOrNull(row, 'eta'),
    started_at: str(row, 'started_at'),
    detected_at: strOrNull(row, 'detected_at'),
    acknowledged_at: strOrNull(row, 'acknowledged_at'),
    resolved_at: strOrNull(row, 'resolved_at'),
    monitoring_at: strOrNull(row, 'monitoring_at'),
    created_at: str(row, 'created_at'),
    updated_at: str(row, 'updated_at'),
    version: num(row, 'version'),
  };
}

function toUpdate(row: Row, changes: ComponentChange[]): Update {
  return {
    id: str(row, 'id'),
    incident_id: str(row, 'incident_id'),
    seq: num(row, 'seq'),
    status: str(row, 'status') as Update['status'],
    message: str(row, 'message'),
    components: changes,
    notify: num(row, 'notify') === 1,
    display_at: str(row, 'display_at'),
    created_at: str(row, 'created_at'),
    author: str(row, 'author'),
  };
}

function placeholders(count: number): string {
  return Array.from({ length: count }, () => '?').join(', ');
}

/** Loads whole incidents (components and updates, newest update first) for the given rows. */
async function hydrate(read: Reader, rows: Row[]): Promise<IncidentRecord[]> {
  if (rows.length === 0) return [];
  const incidents = rows.map(toIncidentRow);
  const ids = incidents.map((i) => i.id);
  const inList = placeholders(ids.length);
  const [componentRows, updateRows, changeRows] = await Promise.all([
    read(
      `SELECT incident_id, component_id, status FROM incident_components WHERE incident_id IN (${inList}) ORDER BY position`,
      ids,
    ),
    read(
      `SELECT * FROM updates WHERE incident_id IN (${inList}) ORDER BY display_at DESC, seq DESC`,
      ids,
    ),
    read(
      `SELECT uc.update_id, uc.component_id, uc.old_status, uc.new_status FROM update_components uc
       JOIN updates u ON u.id = uc.update_id WHERE u.incident_id IN (${inList}) ORDER BY uc.rowid`,
      ids,
    ),
  ]);
  const changesByUpdate = new Map<string, ComponentChange[]>();
  for (const row of changeRows) {
    const list = changesByUpdate.get(str(row, 'update_id')) ?? [];
    list.push({
      id: str(row, 'component_id'),
      old_status: strOrNull(row, 'old_status') as ComponentStatus | null,
      new_status: str(row, 'new_status') as ComponentStatus,
    });
    changesByUpdate.set(str(row, 'update_id'), list);
  }
  const byId = new Map<string, IncidentRecord>(
    incidents.map((i) => [i.id, { ...i, components: [], updates: [] }]),
  );
  for (const row of componentRows) {
    byId.get(str(row, 'incident_id'))!.components.push({
      id: str(row, 'component_id'),
      status: str(row, 'status') as ComponentStatus,
    });
  }
  for (const row of updateRows) {
    byId
      .get(str(row, 'incident_id'))!
      .updates.push(toUpdate(row, changesByUpdate.get(str(row, 'id')) ?? []));
  }
  return [...byId.values()];
}

export async function findIncident(read: Reader, id: string): Promise<IncidentRecord | null> {
  const rows = await read('SELECT * FROM incidents WHERE id = ?', [id]);
  const [incident] = await hydrate(read, rows);
  return incident ?? null;
}

export async function listIncidents(
  read: Reader,
  filter: IncidentFilter,
): Promise<IncidentRecord[]> {
  const where: string[] = [];
  const args: Array<string | number> = [];
  if (filter.status === 'open') where.push("status != 'resolved'");
  if (filter.status === 'resolved') where.push("status = 'resolved'");
  if (filter.severity) {
    where.push('severity = ?');
    args.push(filter.severity);
  }
  if (filter.visibility) {
    where.push('visibility = ?');
    args.push(filter.visibility);
  }
  if (filter.before) {
    where.push('(started_at, id) < (SELECT started_at, id FROM incidents WHERE id = ?)');
    args.push(filter.before);
  }
  const sql = `SELECT * FROM incidents ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY started_at DESC, id DESC ${filter.limit ? `LIMIT ${Math.floor(filter.limit)}` : ''}`;
  return hydrate(read, await read(sql, args));
}

export async function insertIncident(tx: Tx, incident: IncidentRow): Promise<void> {
  await tx.run(
    `INSERT INTO incidents (id, title, severity, status, impact, impact_override, visibility, roles,
      business_impact, eta, started_at, detected_at, acknowledged_at, resolved_at, monitoring_at,
      created_at, updated_at, version)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      incident.id,
      incident.title,
      incident.severity,
      incident.status,
      incident.impact,
      incident.impact_override ? 1 : 0,
      incident.visibility,
      JSON.stringify(incident.roles),
      incident.business_impact ? JSON.stringify(incident.business_impact) : null,
      incident.eta,
      incident.started_at,
      incident.detected_at,
      incident.acknowledged_at,
      incident.resolved_at,
      incident.monitoring_at,
      incident.created_at,
      incident.updated_at,
      incident.version,
    ],
  );
}

/** Writes every mutable column and bumps the version, only if the version is still `expectedVersion`. */
export async function saveIncident(
  tx: Tx,
  incident: IncidentRow,
  expectedVersion: number,
): Promise<boolean> {
  const changed = await tx.run(
    `UPDATE incidents SET title = ?, severity = ?, status = ?, impact = ?, impact_override = ?,
       visibility = ?, roles = ?, business_impact = ?, eta = ?, started_at = ?, detected_at = ?,
       acknowledged_at = ?, resolved_at = ?, monitoring_at = ?, updated_at = ?, version = ?
     WHERE id = ? AND version = ?`,
    [
      incident.title,
      incident.severity,
      incident.status,
      incident.impact,
      incident.impact_override ? 1 : 0,
      incident.visibility,
      JSON.stringify(incident.roles),
      incident.business_impact ? JSON.stringify(incident.business_impact) : null,
      incident.eta,
      incident.started_at,
      incident.detected_at,
      incident.acknowledged_at,
      incident.resolved_at,
      incident.monitoring_at,
      incident.updated_at,
      incident.version,
      incident.id,
      expectedVersion,
    ],
  );
  return changed === 1;
}

export async function insertUpdate(tx: Tx, update: Update): Promise<void> {
  await tx.run(
    `INSERT INTO updates (id, incident_id, seq, status, message, notify, display_at, created_at, author)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      update.id,
      update.incident_id,
      update.seq,
      update.status,
      update.message,
      update.notify ? 1 : 0,
      update.display_at,
      update.created_at,
      update.author,
    ],
  );
  for (const change of update.components) {
    await tx.run(
      'INSERT INTO update_components (update_id, component_id, old_status, new_status) VALUES (?, ?, ?, ?)',
      [update.id, change.id, change.old_status, change.new_status],
    );
  }
}

/** Replaces the incident's current component statuses. */
export async function saveIncidentComponents(
  tx: Tx,
  incidentId: string,
  components: Array<{ id: string; status: ComponentStatus }>,
): Promise<void> {
  await tx.run('DELETE FROM incident_components WHERE incident_id = ?', [incidentId]);
  let position = 0;
  for (const component of components) {
    await tx.run(
      'INSERT INTO incident_components (incident_id, component_id, status, position) VALUES (?, ?, ?, ?)',
      [incidentId, component.id, component.status, position++],
    );
  }
}

/** Statuses the given components have in open public incidents. */
export async function openPublicComponentStatuses(
  read: Reader,
  componentIds: string[],
): Promise<Map<string, ComponentStatus[]>> {
  const result = new Map<string, ComponentStatus[]>(componentIds.map((id) => [id, []]));
  if (componentIds.length === 0) return result;
  const rows = await read(
    `SELECT ic.component_id, ic.status FROM incident_components ic
     JOIN incidents i ON i.id = ic.incident_id
     WHERE i.status != 'resolved' AND i.visibility = 'public'
       AND ic.component_id IN (${placeholders(componentIds.length)})`,
    componentIds,
  );
  for (const row of rows) {
    result.get(str(row, 'component_id'))!.push(str(row, 'status') as ComponentStatus);
  }
  return result;
}

export async function saveComponentStatus(
  tx: Tx,
  componentId: string,
  status: ComponentStatus,
  at: string,
): Promise<void> {
  await tx.run(
    `INSERT INTO component_status (component_id, status, updated_at) VALUES (?, ?, ?)
     ON CONFLICT (component_id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at
     WHERE component_status.status != excluded.status`,
    [componentId, status, at],
  );
}

export async function componentStatuses(
  read: Reader,
): Promise<Map<string, { status: ComponentStatus; updated_at: string }>> {
  const rows = await read('SELECT component_id, status, updated_at FROM component_status');
  return new Map(
    rows.map((row) => [
      str(row, 'component_id'),
      { status: str(row, 'status') as ComponentStatus, updated_at: str(row, 'updated_at') },
    ]),
  );
}
