import type { InArgs, InValue, Row } from '@libsql/client';
import {
  OPEN_STATUSES,
  type ComponentStatus,
  type IncidentRecord,
  type Update,
} from '../domain/types.ts';
import { str, type Tx } from './db.ts';

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

function placeholders(count: number): string {
  return Array.from({ length: count }, () => '?').join(', ');
}

/**
 * One JSON document per incident, assembled by SQLite: its columns, its components and its updates
 * (newest first, each with its component changes). The client decodes every column of every row
 * at a cost of microseconds each, so a whole incident as one column is several times cheaper than
 * reading its rows.
 */
const INCIDENT_FIELDS = `
  'id', i.id, 'title', i.title, 'severity', i.severity, 'status', i.status, 'impact', i.impact,
  'impact_override', json(CASE i.impact_override WHEN 1 THEN 'true' ELSE 'false' END),
  'visibility', i.visibility, 'public_since', i.public_since, 'roles', json(i.roles),
  'business_impact', json(i.business_impact), 'eta', i.eta, 'started_at', i.started_at, 'detected_at', i.detected_at,
  'acknowledged_at', i.acknowledged_at, 'resolved_at', i.resolved_at,
  'monitoring_at', i.monitoring_at, 'created_at', i.created_at, 'updated_at', i.updated_at,
  'version', i.version,
  'components', json(coalesce((SELECT json_group_array(json_object('id', ic.component_id, 'status', ic.status) ORDER BY ic.position)
     FROM incident_components ic WHERE ic.incident_id = i.id), '[]'))`;

/** One update of alias `u` as a JSON object, with its component changes. */
const UPDATE_OBJECT = `json_object(
  'id', u.id, 'incident_id', u.incident_id, 'seq', u.seq, 'status', u.status,
  'message', u.message, 'notify', json(CASE u.notify WHEN 1 THEN 'true' ELSE 'false' END),
  'display_at', u.display_at, 'created_at', u.created_at, 'author', u.author,
  'components', json(coalesce((SELECT json_group_array(json_object(
      'id', uc.component_id, 'old_status', uc.old_status, 'new_status', uc.new_status) ORDER BY uc.rowid)
    FROM update_components uc WHERE uc.update_id = u.id), '[]')))`;

const WHOLE_INCIDENT = `json_object(${INCIDENT_FIELDS},
  'updates', json(coalesce((SELECT json_group_array(${UPDATE_OBJECT} ORDER BY u.display_at DESC, u.seq DESC)
     FROM updates u WHERE u.incident_id = i.id), '[]'))
) AS doc`;

/**
 * The incident without its timeline, plus its newest update (by display time) and its highest
 * sequence number: all the write path needs for an update that is not back-dated, at a cost
 * that does not grow with the length of the timeline.
 */
const INCIDENT_HEAD = `json_object(${INCIDENT_FIELDS},
  'latest_update', json((SELECT ${UPDATE_OBJECT} FROM updates u WHERE u.incident_id = i.id
     ORDER BY u.display_at DESC, u.seq DESC LIMIT 1)),
  'max_seq', (SELECT MAX(seq) FROM updates WHERE incident_id = i.id)
) AS doc`;

/**
 * The incident without its timeline, for lists: its newest update (by display time), how many
 * updates it has and when the last one was posted (what the cadence needs). Its size does not
 * grow with the timeline.
 */
const INCIDENT_LIST_ITEM = `json_object(${INCIDENT_FIELDS},
  'latest_update', json((SELECT ${UPDATE_OBJECT} FROM updates u WHERE u.incident_id = i.id
     ORDER BY u.display_at DESC, u.seq DESC LIMIT 1)),
  'update_count', (SELECT COUNT(*) FROM updates WHERE incident_id = i.id),
  'last_posted_at', (SELECT MAX(created_at) FROM updates WHERE incident_id = i.id)
) AS doc`;

function toIncidentRecord(row: Row): IncidentRecord {
  return JSON.parse(str(row, 'doc')) as IncidentRecord;
}

export interface IncidentHead extends Omit<IncidentRecord, 'updates'> {
  latest_update: Update;
  max_seq: number;
}

export async function findIncidentHead(read: Reader, id: string): Promise<IncidentHead | null> {
  const rows = await read(`SELECT ${INCIDENT_HEAD} FROM incidents i WHERE i.id = ?`, [id]);
  return rows[0] ? (JSON.parse(str(rows[0], 'doc')) as IncidentHead) : null;
}

export async function findIncident(read: Reader, id: string): Promise<IncidentRecord | null> {
  const rows = await read(`SELECT ${WHOLE_INCIDENT} FROM incidents i WHERE i.id = ?`, [id]);
  return rows[0] ? toIncidentRecord(rows[0]) : null;
}

/** The incidents among `ids` (unknown ids are skipped), in no particular order. */
export async function findIncidents(
  read: Reader,
  ids: readonly string[],
): Promise<IncidentRecord[]> {
  if (ids.length === 0) return [];
  const rows = await read(
    `SELECT ${WHOLE_INCIDENT} FROM incidents i WHERE i.id IN (SELECT value FROM json_each(?))`,
    [JSON.stringify(ids)],
  );
  return rows.map(toIncidentRecord);
}

export interface IncidentListItem extends Omit<IncidentRecord, 'updates'> {
  latest_update: Update;
  update_count: number;
  last_posted_at: string;
}

export async function listIncidents(
  read: Reader,
  filter: IncidentFilter,
): Promise<IncidentRecord[]> {
  return (await read(...listQuery(WHOLE_INCIDENT, filter))).map(toIncidentRecord);
}

/** Like `listIncidents`, without the timelines: each with its newest update and a count. */
export async function listIncidentItems(
  read: Reader,
  filter: IncidentFilter,
): Promise<IncidentListItem[]> {
  return (await read(...listQuery(INCIDENT_LIST_ITEM, filter))).map(
    (row) => JSON.parse(str(row, 'doc')) as IncidentListItem,
  );
}

/**
 * The open statuses as an SQL list: `status IN (…)` reads the open incidents through the status
 * index, where `status != 'resolved'` walks the whole history.
 */
export const OPEN_STATUS_LIST = `(${OPEN_STATUSES.map((s) => `'${s}'`).join(', ')})`;

function listQuery(columns: string, filter: IncidentFilter): [string, Array<string | number>] {
  const where: string[] = [];
  const args: Array<string | number> = [];
  if (filter.status === 'open') where.push(`i.status IN ${OPEN_STATUS_LIST}`);
  if (filter.status === 'resolved') where.push("i.status = 'resolved'");
  if (filter.severity) {
    where.push('i.severity = ?');
    args.push(filter.severity);
  }
  if (filter.visibility) {
    where.push('i.visibility = ?');
    args.push(filter.visibility);
  }
  if (filter.before) {
    where.push('(started_at, id) < (SELECT started_at, id FROM incidents WHERE id = ?)');
    args.push(filter.before);
  }
  const sql = `SELECT ${columns} FROM incidents i
    ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY i.started_at DESC, i.id DESC ${filter.limit ? `LIMIT ${Math.floor(filter.limit)}` : ''}`;
  return [sql, args];
}

/** The incidents table's columns, in one order shared by every writer (the API and the seed). */
export const INCIDENT_COLUMNS = [
  'id',
  'title',
  'severity',
  'status',
  'impact',
  'impact_override',
  'visibility',
  'public_since',
  'roles',
  'business_impact',
  'eta',
  'started_at',
  'detected_at',
  'acknowledged_at',
  'resolved_at',
  'monitoring_at',
  'created_at',
  'updated_at',
  'version',
] as const;

/** One incident's values for `INCIDENT_COLUMNS`. */
export function incidentValues(incident: IncidentRow): InValue[] {
  return INCIDENT_COLUMNS.map((column): InValue => {
    if (column === 'impact_override') return incident.impact_override ? 1 : 0;
    if (column === 'roles') return JSON.stringify(incident.roles);
    if (column === 'business_impact')
      return incident.business_impact ? JSON.stringify(incident.business_impact) : null;
    return incident[column];
  });
}

const INSERT_INCIDENT = `INSERT INTO incidents (${INCIDENT_COLUMNS.join(', ')})
  VALUES (${placeholders(INCIDENT_COLUMNS.length)})`;

/** Every column but the identity and the creation time can change. */
const MUTABLE_COLUMNS = INCIDENT_COLUMNS.filter((c) => c !== 'id' && c !== 'created_at');

const SAVE_INCIDENT = `UPDATE incidents SET ${MUTABLE_COLUMNS.map((c) => `${c} = ?`).join(', ')}
  WHERE id = ? AND version = ?`;

export async function insertIncident(tx: Tx, incident: IncidentRow): Promise<void> {
  await tx.run(INSERT_INCIDENT, incidentValues(incident));
}

/** Writes every mutable column and bumps the version, only if the version is still `expectedVersion`. */
export async function saveIncident(
  tx: Tx,
  incident: IncidentRow,
  expectedVersion: number,
): Promise<boolean> {
  const values = incidentValues(incident).filter(
    (_, i) => INCIDENT_COLUMNS[i] !== 'id' && INCIDENT_COLUMNS[i] !== 'created_at',
  );
  const changed = await tx.run(SAVE_INCIDENT, [...values, incident.id, expectedVersion]);
  return changed === 1;
}

/** The updates table's columns, shared by every writer. */
export const UPDATE_COLUMNS = [
  'id',
  'incident_id',
  'seq',
  'status',
  'message',
  'notify',
  'display_at',
  'created_at',
  'author',
] as const;

export function updateValues(update: Update): InValue[] {
  return UPDATE_COLUMNS.map((column): InValue =>
    column === 'notify' ? (update.notify ? 1 : 0) : update[column],
  );
}

const INSERT_UPDATE = `INSERT INTO updates (${UPDATE_COLUMNS.join(', ')})
  VALUES (${placeholders(UPDATE_COLUMNS.length)})`;

export async function insertUpdate(tx: Tx, update: Update): Promise<void> {
  await tx.run(INSERT_UPDATE, updateValues(update));
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
  // A running maintenance holds its components under maintenance; an incident may make them worse.
  const rows = await read(
    `SELECT ic.component_id, ic.status FROM incident_components ic
     JOIN incidents i ON i.id = ic.incident_id
     WHERE i.status IN ${OPEN_STATUS_LIST} AND i.visibility = 'public'
       AND ic.component_id IN (${placeholders(componentIds.length)})
     UNION ALL
     SELECT mc.component_id, 'under_maintenance' FROM maintenance_components mc
     JOIN maintenances m ON m.id = mc.maintenance_id
     WHERE m.status IN ('in_progress', 'verifying')
       AND mc.component_id IN (${placeholders(componentIds.length)})`,
    [...componentIds, ...componentIds],
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
