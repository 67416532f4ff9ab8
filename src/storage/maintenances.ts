import type { InValue, Row } from '@libsql/client';
import type {
  MaintenanceEvent,
  MaintenanceRecord,
  MaintenanceStatus,
  MaintenanceUpdate,
} from '../domain/maintenances/types.ts';
import { num, str, type Tx } from './db.ts';
import type { Reader } from './incidents.ts';

/** One maintenance as a JSON document assembled by SQLite: columns, components, updates. */
const WHOLE_MAINTENANCE = `json_object(
  'id', m.id, 'title', m.title, 'status', m.status,
  'scheduled_for', m.scheduled_for, 'scheduled_until', m.scheduled_until,
  'auto_start', json(CASE m.auto_start WHEN 1 THEN 'true' ELSE 'false' END),
  'auto_complete', json(CASE m.auto_complete WHEN 1 THEN 'true' ELSE 'false' END),
  'notify', json(m.notify), 'started_at', m.started_at, 'completed_at', m.completed_at,
  'cancelled_at', m.cancelled_at, 'sequence', m.sequence, 'created_at', m.created_at,
  'updated_at', m.updated_at, 'version', m.version,
  'components', json(coalesce((SELECT json_group_array(mc.component_id ORDER BY mc.position)
     FROM maintenance_components mc WHERE mc.maintenance_id = m.id), '[]')),
  'updates', json(coalesce((SELECT json_group_array(json_object(
      'id', u.id, 'maintenance_id', u.maintenance_id, 'seq', u.seq, 'status', u.status,
      'message', u.message, 'display_at', u.display_at, 'created_at', u.created_at,
      'author', u.author) ORDER BY u.display_at DESC, u.seq DESC)
     FROM maintenance_updates u WHERE u.maintenance_id = m.id), '[]'))
) AS doc`;

function toRecord(row: Row): MaintenanceRecord {
  return JSON.parse(str(row, 'doc')) as MaintenanceRecord;
}

export async function findMaintenance(read: Reader, id: string): Promise<MaintenanceRecord | null> {
  const rows = await read(`SELECT ${WHOLE_MAINTENANCE} FROM maintenances m WHERE m.id = ?`, [id]);
  return rows[0] ? toRecord(rows[0]) : null;
}

export interface MaintenanceFilter {
  status?: MaintenanceStatus[] | undefined;
  limit?: number | undefined;
}

/** Maintenances by start time, latest first (the whole list when no limit). */
export async function listMaintenances(
  read: Reader,
  filter: MaintenanceFilter = {},
): Promise<MaintenanceRecord[]> {
  const where: string[] = [];
  const args: Array<string | number> = [];
  if (filter.status) {
    where.push('m.status IN (SELECT value FROM json_each(?))');
    args.push(JSON.stringify(filter.status));
  }
  let sql = `SELECT ${WHOLE_MAINTENANCE} FROM maintenances m ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY m.scheduled_for DESC, m.id DESC`;
  if (filter.limit !== undefined) {
    sql += ' LIMIT ?';
    args.push(filter.limit);
  }
  return (await read(sql, args)).map(toRecord);
}

/** The ones the scheduler may have to move: not finished. */
export async function openMaintenances(read: Reader): Promise<MaintenanceRecord[]> {
  return listMaintenances(read, { status: ['scheduled', 'in_progress', 'verifying'] });
}

/** `max(updated_at)` and the count: changes when any maintenance does (what the publisher polls). */
export async function maintenanceWatermark(read: Reader): Promise<string> {
  const rows = await read('SELECT count(*) AS n, max(updated_at) AS at FROM maintenances');
  return `${num(rows[0]!, 'n')}|${String(rows[0]!.at ?? '')}`;
}

type MaintenanceRow = Omit<MaintenanceRecord, 'updates'>;

/** The maintenances table's columns, in one order shared by the insert and the update. */
const MAINTENANCE_COLUMNS = [
  'id',
  'title',
  'status',
  'scheduled_for',
  'scheduled_until',
  'auto_start',
  'auto_complete',
  'notify',
  'started_at',
  'completed_at',
  'cancelled_at',
  'sequence',
  'created_at',
  'updated_at',
  'version',
] as const;

/** Every column but the identity and the creation time can change. */
const MUTABLE_COLUMNS = MAINTENANCE_COLUMNS.filter((c) => c !== 'id' && c !== 'created_at');

/** One maintenance's value for a column: booleans as 0/1, the notify choices as JSON. */
function columnValue(m: MaintenanceRow, column: (typeof MAINTENANCE_COLUMNS)[number]): InValue {
  if (column === 'auto_start' || column === 'auto_complete') return m[column] ? 1 : 0;
  if (column === 'notify') return JSON.stringify(m.notify);
  return m[column];
}

const INSERT_MAINTENANCE = `INSERT INTO maintenances (${MAINTENANCE_COLUMNS.join(', ')})
  VALUES (${MAINTENANCE_COLUMNS.map(() => '?').join(', ')})`;

const SAVE_MAINTENANCE = `UPDATE maintenances SET ${MUTABLE_COLUMNS.map((c) => `${c} = ?`).join(', ')}
  WHERE id = ? AND version = ?`;

export async function insertMaintenance(tx: Tx, m: MaintenanceRow): Promise<void> {
  await tx.run(
    INSERT_MAINTENANCE,
    MAINTENANCE_COLUMNS.map((c) => columnValue(m, c)),
  );
  await saveMaintenanceComponents(tx, m.id, m.components);
}

/**
 * Writes the maintenance's columns if it is still at `expectedVersion`: false when another
 * writer (a person, or the scheduler in another process) got there first.
 */
export async function saveMaintenance(
  tx: Tx,
  m: MaintenanceRow,
  expectedVersion: number,
): Promise<boolean> {
  const changed = await tx.run(SAVE_MAINTENANCE, [
    ...MUTABLE_COLUMNS.map((c) => columnValue(m, c)),
    m.id,
    expectedVersion,
  ]);
  return changed === 1;
}

export async function saveMaintenanceComponents(
  tx: Tx,
  id: string,
  components: string[],
): Promise<void> {
  await tx.run('DELETE FROM maintenance_components WHERE maintenance_id = ?', [id]);
  for (const [position, componentId] of components.entries()) {
    await tx.run(
      'INSERT INTO maintenance_components (maintenance_id, component_id, position) VALUES (?, ?, ?)',
      [id, componentId, position],
    );
  }
}

export async function insertMaintenanceUpdate(tx: Tx, u: MaintenanceUpdate): Promise<void> {
  await tx.run(
    `INSERT INTO maintenance_updates (id, maintenance_id, seq, status, message, display_at,
       created_at, author) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    [u.id, u.maintenance_id, u.seq, u.status, u.message, u.display_at, u.created_at, u.author],
  );
}

/** Records what is owed; false when an event with this key exists already (done before). */
export async function insertMaintenanceEvent(tx: Tx, e: MaintenanceEvent): Promise<boolean> {
  const added = await tx.run(
    `INSERT INTO maintenance_events (key, maintenance_id, kind, created_at, email, webhook)
     VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING`,
    [e.key, e.maintenance_id, e.kind, e.created_at, e.email ? 1 : 0, e.webhook ? 1 : 0],
  );
  return added === 1;
}

export async function hasMaintenanceEvent(read: Reader, key: string): Promise<boolean> {
  return (await read('SELECT 1 FROM maintenance_events WHERE key = ?', [key])).length > 0;
}

/** Keys of the reminders recorded for these maintenances. */
export async function remindedMaintenances(read: Reader): Promise<Set<string>> {
  const rows = await read(`SELECT maintenance_id FROM maintenance_events WHERE kind = 'reminder'`);
  return new Set(rows.map((r) => str(r, 'maintenance_id')));
}

function toEvent(row: Row): MaintenanceEvent {
  return {
    key: str(row, 'key'),
    maintenance_id: str(row, 'maintenance_id'),
    kind: str(row, 'kind') as MaintenanceEvent['kind'],
    created_at: str(row, 'created_at'),
    email: num(row, 'email') === 1,
    webhook: num(row, 'webhook') === 1,
  };
}

/** Emails owed and not yet made into a notification, oldest first. */
export async function owedMaintenanceEmails(
  read: Reader,
  limit: number,
): Promise<MaintenanceEvent[]> {
  const rows = await read(
    `SELECT * FROM maintenance_events WHERE email = 1 AND notification_id IS NULL
     ORDER BY created_at, rowid LIMIT ?`,
    [limit],
  );
  return rows.map(toEvent);
}

/** Marks an owed email made (or `dropped`); false when another process did it first. */
export async function markMaintenanceMailed(
  tx: Tx,
  key: string,
  notificationId: string,
): Promise<boolean> {
  return (
    (await tx.run(
      'UPDATE maintenance_events SET notification_id = ? WHERE key = ? AND notification_id IS NULL',
      [notificationId, key],
    )) === 1
  );
}

/** Webhook events owed and not yet made, oldest first. */
export async function owedMaintenanceHooks(
  read: Reader,
  limit: number,
): Promise<MaintenanceEvent[]> {
  const rows = await read(
    `SELECT * FROM maintenance_events WHERE webhook = 1 AND hooked_at IS NULL
     ORDER BY created_at, rowid LIMIT ?`,
    [limit],
  );
  return rows.map(toEvent);
}

export async function markMaintenanceHooked(tx: Tx, key: string, at: string): Promise<boolean> {
  return (
    (await tx.run(
      'UPDATE maintenance_events SET hooked_at = ? WHERE key = ? AND hooked_at IS NULL',
      [at, key],
    )) === 1
  );
}

export async function maintenanceEmailBacklog(read: Reader): Promise<number> {
  const rows = await read(
    'SELECT count(*) AS n FROM maintenance_events WHERE email = 1 AND notification_id IS NULL',
  );
  return num(rows[0]!, 'n');
}
