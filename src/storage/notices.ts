import type { NoticeKind, SentNotice } from '../domain/notifications.ts';
import { str, type Tx } from './db.ts';
import type { Reader } from './incidents.ts';

export interface NoticeRecord extends SentNotice {
  incident_id: string;
  recipients: string[];
}

/**
 * Records that a notice went out for a window; false when it already had. The primary key on
 * (incident, window, kind) is what keeps two processes, or one restarted process, from sending it
 * twice: the caller queues the emails in the same transaction only when this returns true.
 */
export async function recordNotice(tx: Tx, notice: NoticeRecord): Promise<boolean> {
  const inserted = await tx.run(
    `INSERT INTO cadence_notices (incident_id, window_key, kind, sent_at, recipients)
     VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    [
      notice.incident_id,
      notice.window_key,
      notice.kind,
      notice.sent_at,
      JSON.stringify(notice.recipients),
    ],
  );
  return inserted === 1;
}

/** Every notice recorded for the given incidents, oldest first, grouped by incident. */
export async function noticesFor(
  read: Reader,
  incidentIds: string[],
): Promise<Map<string, NoticeRecord[]>> {
  const result = new Map<string, NoticeRecord[]>(incidentIds.map((id) => [id, []]));
  if (incidentIds.length === 0) return result;
  const rows = await read(
    `SELECT * FROM cadence_notices WHERE incident_id IN (${incidentIds.map(() => '?').join(', ')})
     ORDER BY sent_at, rowid`,
    incidentIds,
  );
  for (const row of rows) {
    result.get(str(row, 'incident_id'))!.push({
      incident_id: str(row, 'incident_id'),
      window_key: str(row, 'window_key'),
      kind: str(row, 'kind') as NoticeKind,
      sent_at: str(row, 'sent_at'),
      recipients: JSON.parse(str(row, 'recipients')) as string[],
    });
  }
  return result;
}
