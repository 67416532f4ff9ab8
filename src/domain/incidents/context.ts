import type { Content } from '../../config/content.ts';
import type { Db, Tx } from '../../storage/db.ts';
import { openPublicComponentStatuses, saveComponentStatus } from '../../storage/incidents.ts';
import { ValidationError } from '../errors.ts';
import { worstComponentStatus, type IncidentRecord, type Update } from '../types.ts';

/** What happened, handed to the publisher and the scheduler after the transaction commits. */
/** An incident without its timeline: what listeners of a change need, cheap to produce. */
export type IncidentSummary = Omit<IncidentRecord, 'updates'>;

export interface IncidentChange {
  kind: 'declared' | 'updated' | 'edited';
  incident: IncidentSummary;
  /** The incident before the change (null when declared). */
  previous: IncidentSummary | null;
  /** The update this change added, if any. */
  update: Update | null;
  /** Every component whose public status may have changed. */
  componentIds: string[];
}

export interface IncidentContext {
  db: Db;
  content: Content;
  now: () => Date;
  /** Called once per committed change; must not throw. */
  onChange: (change: IncidentChange) => void;
}

/** Who is acting, for the audit log and the update's author. */
export interface Actor {
  id: string;
  name: string;
}

/** Every component named must be in the catalog: a 422 naming each unknown one. */
export function assertKnownComponents(
  content: Content,
  ids: Array<{ id: string }>,
  field: string,
): void {
  const problems = ids
    .map((c, index) => ({ c, index }))
    .filter(({ c }) => !content.catalog.byId.has(c.id))
    .map(({ c, index }) => ({
      field: `${field}.${index}.id`,
      message: `unknown component "${c.id}"`,
    }));
  const seen = new Set<string>();
  ids.forEach((c, index) => {
    if (seen.has(c.id))
      problems.push({ field: `${field}.${index}.id`, message: `component "${c.id}" named twice` });
    seen.add(c.id);
  });
  if (problems.length > 0) throw new ValidationError('unknown or repeated components', problems);
}

/** Times in the future beyond this much clock skew are refused. */
const FUTURE_SKEW_MS = 5 * 60_000;

/**
 * A time the caller gave, against the server's clock: beyond the skew ahead it is refused; within
 * it (a client clock running a little fast) it is taken as now. Nothing is recorded as happening
 * after the moment it was recorded, so a later post is never outranked by an earlier one's time.
 */
export function notAfterNow<T extends string | null | undefined>(
  field: string,
  iso: T,
  now: Date,
): T {
  if (!iso) return iso;
  const ms = Date.parse(iso);
  if (ms > now.getTime() + FUTURE_SKEW_MS) {
    throw ValidationError.field(field, 'must not be in the future');
  }
  // One form for every stored instant (`…T10:00:00.000Z`): timelines and feeds order them as text.
  return (ms > now.getTime() ? now.toISOString() : new Date(ms).toISOString()) as T;
}

/**
 * Recomputes the public status of components: the worst status any open public incident or
 * running maintenance gives them, operational when none does.
 */
export async function refreshComponentStatuses(
  tx: Tx,
  componentIds: string[],
  at: string,
): Promise<void> {
  const statuses = await openPublicComponentStatuses(tx.execute, componentIds);
  for (const [id, list] of statuses) {
    await saveComponentStatus(tx, id, worstComponentStatus(list), at);
  }
}
