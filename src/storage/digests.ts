import type { Row } from '@libsql/client';
import type { DigestData } from '../domain/digest/build.ts';
import type { DigestKind } from '../domain/digest/schedule.ts';
import type { NoticeOutcome } from '../domain/notifications.ts';
import type { Severity } from '../domain/types.ts';
import { str, strOrNull, type Tx } from './db.ts';
import { OPEN_STATUS_LIST, type Reader } from './incidents.ts';

export interface DigestRecord {
  id: string;
  slot_key: string;
  kind: DigestKind;
  slot_at: string;
  sent_at: string;
  period_from: string;
  period_to: string;
  recipients: string[];
  outcome: NoticeOutcome;
  subject: string;
  html: string;
  text: string;
  data: DigestData;
  /** The API key that sent it now; null for a scheduled digest. */
  actor: string | null;
}

function toDigest(row: Row): DigestRecord {
  return {
    id: str(row, 'id'),
    slot_key: str(row, 'slot_key'),
    kind: str(row, 'kind') as DigestKind,
    slot_at: str(row, 'slot_at'),
    sent_at: str(row, 'sent_at'),
    period_from: str(row, 'period_from'),
    period_to: str(row, 'period_to'),
    recipients: JSON.parse(str(row, 'recipients')) as string[],
    outcome: str(row, 'outcome') as NoticeOutcome,
    subject: str(row, 'subject'),
    html: str(row, 'html'),
    text: str(row, 'text'),
    data: JSON.parse(str(row, 'data')) as DigestData,
    actor: strOrNull(row, 'actor'),
  };
}

/** Records a digest; false when its slot was already recorded (by this or another process). */
export async function recordDigest(tx: Tx, digest: DigestRecord): Promise<boolean> {
  const inserted = await tx.run(
    `INSERT INTO digests (id, slot_key, kind, slot_at, sent_at, period_from, period_to,
       recipients, outcome, subject, html, text, data, actor)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (slot_key) DO NOTHING`,
    [
      digest.id,
      digest.slot_key,
      digest.kind,
      digest.slot_at,
      digest.sent_at,
      digest.period_from,
      digest.period_to,
      JSON.stringify(digest.recipients),
      digest.outcome,
      digest.subject,
      digest.html,
      digest.text,
      JSON.stringify(digest.data),
      digest.actor,
    ],
  );
  return inserted === 1;
}

/** The end of the period the last digest covered: the next one reports from there. */
export async function lastDigestEnd(read: Reader): Promise<string | null> {
  const rows = await read('SELECT MAX(period_to) AS last FROM digests');
  return rows[0] ? strOrNull(rows[0], 'last') : null;
}

export async function digestSlotsRecorded(
  read: Reader,
  keys: readonly string[],
): Promise<Set<string>> {
  const rows = await read(
    'SELECT slot_key FROM digests WHERE slot_key IN (SELECT value FROM json_each(?))',
    [JSON.stringify(keys)],
  );
  return new Set(rows.map((row) => str(row, 'slot_key')));
}

/** Newest first. */
export async function listDigests(
  read: Reader,
  options: { limit: number; before?: string | undefined },
): Promise<DigestRecord[]> {
  const rows = options.before
    ? await read(
        `SELECT * FROM digests WHERE (sent_at, id) < (SELECT sent_at, id FROM digests WHERE id = ?)
         ORDER BY sent_at DESC, id DESC LIMIT ?`,
        [options.before, options.limit],
      )
    : await read('SELECT * FROM digests ORDER BY sent_at DESC, id DESC LIMIT ?', [options.limit]);
  return rows.map(toDigest);
}

export async function findDigest(read: Reader, id: string): Promise<DigestRecord | null> {
  const rows = await read('SELECT * FROM digests WHERE id = ?', [id]);
  return rows[0] ? toDigest(rows[0]) : null;
}

/**
 * When the digest schedule first ran on this database (set now when it never has): slots before
 * it are not owed.
 */
export async function digestScheduleSince(tx: Tx, now: string): Promise<string> {
  await tx.run('INSERT INTO digest_schedule (id, since) VALUES (1, ?) ON CONFLICT DO NOTHING', [
    now,
  ]);
  const rows = await tx.execute('SELECT since FROM digest_schedule WHERE id = 1');
  return str(rows[0]!, 'since');
}

/** Incidents open now or resolved after `after`: those that may have been open at a slot since. */
export async function incidentsOpenAfter(
  read: Reader,
  after: string,
): Promise<
  Array<{ id: string; severity: Severity; started_at: string; resolved_at: string | null }>
> {
  const rows = await read(
    `SELECT id, severity, started_at, resolved_at FROM incidents
     WHERE status IN ${OPEN_STATUS_LIST} OR resolved_at > ?`,
    [after],
  );
  return rows.map((row) => ({
    id: str(row, 'id'),
    severity: str(row, 'severity') as Severity,
    started_at: str(row, 'started_at'),
    resolved_at: strOrNull(row, 'resolved_at'),
  }));
}
