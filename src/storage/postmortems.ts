import type { Row } from '@libsql/client';
import type {
  ActionItem,
  ActionState,
  Postmortem,
  Priority,
} from '../domain/postmortems/review.ts';
import type { Roles, Severity } from '../domain/types.ts';
import { num, str, strOrNull, type Tx } from './db.ts';
import type { Reader } from './incidents.ts';

function toActionItem(row: Row): ActionItem & { incident_id: string } {
  return {
    incident_id: str(row, 'incident_id'),
    id: str(row, 'id'),
    title: str(row, 'title'),
    owner: strOrNull(row, 'owner'),
    priority: str(row, 'priority') as Priority,
    due_date: strOrNull(row, 'due_date'),
    state: str(row, 'state') as ActionState,
    created_at: str(row, 'created_at'),
    updated_at: str(row, 'updated_at'),
  };
}

function toPostmortem(row: Row, items: ActionItem[]): Postmortem {
  return {
    incident_id: str(row, 'incident_id'),
    summary: str(row, 'summary'),
    root_cause: str(row, 'root_cause'),
    root_cause_category: strOrNull(row, 'root_cause_category'),
    contributing_factors: JSON.parse(str(row, 'contributing_factors')) as string[],
    impact: str(row, 'impact'),
    what_went_well: JSON.parse(str(row, 'what_went_well')) as string[],
    what_could_improve: JSON.parse(str(row, 'what_could_improve')) as string[],
    internal_notes: str(row, 'internal_notes'),
    action_items: items,
    completed_at: strOrNull(row, 'completed_at'),
    published_at: strOrNull(row, 'published_at'),
    created_at: str(row, 'created_at'),
    updated_at: str(row, 'updated_at'),
    version: num(row, 'version'),
  };
}

function withoutIncident({ incident_id: _, ...item }: ActionItem & { incident_id: string }) {
  return item;
}

async function postmortemsWhere(read: Reader, where: string, args: string[]) {
  const rows = await read(`SELECT * FROM postmortems WHERE ${where}`, args);
  if (rows.length === 0) return [];
  const ids = rows.map((r) => str(r, 'incident_id'));
  const items = await read(
    `SELECT * FROM action_items WHERE incident_id IN (SELECT value FROM json_each(?))
     ORDER BY incident_id, position`,
    [JSON.stringify(ids)],
  );
  const byIncident = new Map<string, ActionItem[]>();
  for (const row of items) {
    const item = toActionItem(row);
    const list = byIncident.get(item.incident_id) ?? [];
    list.push(withoutIncident(item));
    byIncident.set(item.incident_id, list);
  }
  return rows.map((row) => toPostmortem(row, byIncident.get(str(row, 'incident_id')) ?? []));
}

export async function findPostmortem(read: Reader, incidentId: string): Promise<Postmortem | null> {
  return (await postmortemsWhere(read, 'incident_id = ?', [incidentId]))[0] ?? null;
}

/** The published postmortems of the given incidents (all when omitted), by incident id. */
export async function publishedPostmortems(
  read: Reader,
  incidentIds?: readonly string[],
): Promise<Map<string, Postmortem>> {
  const list = incidentIds
    ? await postmortemsWhere(
        read,
        'published_at IS NOT NULL AND incident_id IN (SELECT value FROM json_each(?))',
        [JSON.stringify(incidentIds)],
      )
    : await postmortemsWhere(read, 'published_at IS NOT NULL', []);
  return new Map(list.map((p) => [p.incident_id, p]));
}

/** Every postmortem whose review is not complete, or that has an unfinished action item. */
export async function unfinishedPostmortems(read: Reader): Promise<Postmortem[]> {
  return postmortemsWhere(
    read,
    `completed_at IS NULL OR incident_id IN
       (SELECT incident_id FROM action_items WHERE state != 'done')`,
    [],
  );
}

/** Writes the whole postmortem, action items included (those not listed are deleted). */
export async function savePostmortem(tx: Tx, postmortem: Postmortem): Promise<void> {
  await tx.run(
    `INSERT INTO postmortems (incident_id, summary, root_cause, root_cause_category,
       contributing_factors, impact, what_went_well, what_could_improve, internal_notes,
       completed_at, published_at, created_at, updated_at, version)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (incident_id) DO UPDATE SET summary = excluded.summary,
       root_cause = excluded.root_cause, root_cause_category = excluded.root_cause_category,
       contributing_factors = excluded.contributing_factors, impact = excluded.impact,
       what_went_well = excluded.what_went_well, what_could_improve = excluded.what_could_improve,
       internal_notes = excluded.internal_notes, completed_at = excluded.completed_at,
       published_at = excluded.published_at, updated_at = excluded.updated_at,
       version = excluded.version`,
    [
      postmortem.incident_id,
      postmortem.summary,
      postmortem.root_cause,
      postmortem.root_cause_category,
      JSON.stringify(postmortem.contributing_factors),
      postmortem.impact,
      JSON.stringify(postmortem.what_went_well),
      JSON.stringify(postmortem.what_could_improve),
      postmortem.internal_notes,
      postmortem.completed_at,
      postmortem.published_at,
      postmortem.created_at,
      postmortem.updated_at,
      postmortem.version,
    ],
  );
  await tx.run('DELETE FROM action_items WHERE incident_id = ?', [postmortem.incident_id]);
  let position = 0;
  for (const item of postmortem.action_items) {
    await tx.run(
      `INSERT INTO action_items (id, incident_id, position, title, owner, priority, due_date,
         state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        item.id,
        postmortem.incident_id,
        position++,
        item.title,
        item.owner,
        item.priority,
        item.due_date,
        item.state,
        item.created_at,
        item.updated_at,
      ],
    );
  }
}

/** Moves `updated_at` of an incident whose public page changed without an incident edit. */
export async function touchIncident(tx: Tx, incidentId: string, at: string): Promise<void> {
  await tx.run('UPDATE incidents SET updated_at = ? WHERE id = ? AND updated_at < ?', [
    at,
    incidentId,
    at,
  ]);
}

export interface PendingReview {
  id: string;
  title: string;
  roles: Roles;
  severity: Severity;
  status: 'resolved';
  started_at: string;
  resolved_at: string;
}

/**
 * Resolved incidents (since `resolvedSince`) whose review is not complete: the ones the scheduler
 * may owe a review reminder or overdue notice.
 */
export async function reviewsPending(
  read: Reader,
  resolvedSince: string,
): Promise<PendingReview[]> {
  // `+i.status`: the status index would walk every resolved incident; `resolved_at`'s finds the few.
  const rows = await read(
    `SELECT i.id, i.title, i.roles, i.severity, i.started_at, i.resolved_at FROM incidents i
     LEFT JOIN postmortems p ON p.incident_id = i.id
     WHERE i.resolved_at >= ? AND +i.status = 'resolved' AND p.completed_at IS NULL`,
    [resolvedSince],
  );
  return rows.map((row) => ({
    id: str(row, 'id'),
    title: str(row, 'title'),
    roles: JSON.parse(str(row, 'roles')) as Roles,
    severity: str(row, 'severity') as Severity,
    status: 'resolved' as const,
    started_at: str(row, 'started_at'),
    resolved_at: str(row, 'resolved_at'),
  }));
}
