import { num, str, strOrNull, type Tx } from './db.ts';
import type { Reader } from './incidents.ts';

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  target_type: string;
  target_id: string | null;
  details: Record<string, unknown>;
}

export async function recordAudit(tx: Tx, entry: Omit<AuditEntry, 'id'>): Promise<void> {
  await tx.run(
    'INSERT INTO audit_log (at, actor, action, target_type, target_id, details) VALUES (?, ?, ?, ?, ?, ?)',
    [
      entry.at,
      entry.actor,
      entry.action,
      entry.target_type,
      entry.target_id,
      JSON.stringify(entry.details),
    ],
  );
}

export async function listAudit(
  read: Reader,
  options: { limit: number; before?: number | undefined; targetId?: string | undefined },
): Promise<AuditEntry[]> {
  const where: string[] = [];
  const args: Array<string | number> = [];
  if (options.before !== undefined) {
    where.push('id < ?');
    args.push(options.before);
  }
  if (options.targetId !== undefined) {
    where.push('target_id = ?');
    args.push(options.targetId);
  }
  args.push(options.limit);
  const rows = await read(
    `SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`,
    args,
  );
  return rows.map((row) => ({
    id: num(row, 'id'),
    at: str(row, 'at'),
    actor: str(row, 'actor'),
    action: str(row, 'action'),
    target_type: str(row, 'target_type'),
    target_id: strOrNull(row, 'target_id'),
    details: JSON.parse(str(row, 'details')) as Record<string, unknown>,
  }));
}
