import type { Row } from '@libsql/client';
import type { NoticeKind, NoticeOutcome, SentNotice } from '../domain/notifications.ts';
import { str, type Tx } from './db.ts';
import { OPEN_STATUS_LIST, type Reader } from './incidents.ts';

export interface NoticeRecord extends SentNotice {
  incident_id: string;
  recipients: string[];
  outcome: NoticeOutcome;
}

/**
 * Records that a notice went out for a window; false when it already had. The primary key on
 * (incident, window, kind) is what keeps two processes, or one restarted process, from sending it
 * twice: the caller queues the emails in the same transaction only when this returns true.
 */
export async function recordNotice(tx: Tx, notice: NoticeRecord): Promise<boolean> {
  const inserted = await tx.run(
    `INSERT INTO cadence_notices (incident_id, window_key, kind, sent_at, recipients, outcome)
     VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    [
      notice.incident_id,
      notice.window_key,
      notice.kind,
      notice.sent_at,
      JSON.stringify(notice.recipients),
      notice.outcome,
    ],
  );
  return inserted === 1;
}

function toNotice(row: Row): NoticeRecord {
  return {
    incident_id: str(row, 'incident_id'),
    window_key: str(row, 'window_key'),
    kind: str(row, 'kind') as NoticeKind,
    sent_at: str(row, 'sent_at'),
    recipients: JSON.parse(str(row, 'recipients')) as string[],
    outcome: str(row, 'outcome') as NoticeOutcome,
  };
}

/** Every notice recorded for one incident, oldest first. */
export async function noticesForIncident(
  read: Reader,
  incidentId: string,
): Promise<NoticeRecord[]> {
  const rows = await read(
    'SELECT * FROM cadence_notices WHERE incident_id = ? ORDER BY sent_at, rowid',
    [incidentId],
  );
  return rows.map(toNotice);
}

/** Every notice recorded for the incidents that are open, oldest first, grouped by incident. */
export async function noticesForOpenIncidents(read: Reader): Promise<Map<string, NoticeRecord[]>> {
  const rows = await read(
    `SELECT n.* FROM cadence_notices n JOIN incidents i ON i.id = n.incident_id
     WHERE i.status IN ${OPEN_STATUS_LIST} ORDER BY n.sent_at, n.rowid`,
  );
  const result = new Map<string, NoticeRecord[]>();
  for (const row of rows) {
    const notice = toNotice(row);
    const list = result.get(notice.incident_id);
    if (list) list.push(notice);
    else result.set(notice.incident_id, [notice]);
  }
  return result;
}

/** Every notice recorded for the given incidents, oldest first, grouped by incident. */
export async function noticesForIncidents(
  read: Reader,
  incidentIds: readonly string[],
): Promise<Map<string, NoticeRecord[]>> {
  const rows = await read(
    `SELECT * FROM cadence_notices WHERE incident_id IN (SELECT value FROM json_each(?))
     ORDER BY sent_at, rowid`,
    [JSON.stringify(incidentIds)],
  );
  const result = new Map<string, NoticeRecord[]>();
  for (const row of rows) {
    const notice = toNotice(row);
    const list = result.get(notice.incident_id);
    if (list) list.push(notice);
    else result.set(notice.incident_id, [notice]);
  }
  return result;
}
