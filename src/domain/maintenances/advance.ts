import { formatClockUtc } from '../../lib/time.ts';
import {
  findMaintenance,
  openMaintenances,
  remindedMaintenances,
} from '../../storage/maintenances.ts';
import type { Actor } from '../incidents/context.ts';
import { applyStatus, recordEvent } from './actions.ts';
import type { MaintenanceContext } from './context.ts';
import { dueActions, nextDueAt, type DueAction } from './lifecycle.ts';
import type { MaintenanceRecord } from './types.ts';

/** Who the audit log and the timeline name for automatic steps. */
export const SCHEDULER_ACTOR: Actor = { id: 'scheduler', name: 'Herald' };

/** A step this much later than planned says so in its message (the server was down, say). */
const LATE_NOTE_MS = 60_000;

/** The scheduler's message for a step, with the real time noted when it is late. */
export function automaticMessage(
  action: 'start' | 'complete',
  planned: string,
  at: string,
): string {
  const base =
    action === 'start'
      ? 'The scheduled maintenance is now in progress.'
      : 'The scheduled maintenance has been completed.';
  if (Date.parse(at) - Date.parse(planned) < LATE_NOTE_MS) return base;
  const what = action === 'start' ? 'started' : 'completed';
  return `${base} It ${what} at ${formatClockUtc(at)} (${at.slice(0, 10)}), later than the planned ${formatClockUtc(planned)}.`;
}

export interface Advanced {
  id: string;
  action: DueAction;
  at: string;
}

/**
 * Does every automatic step due now, exactly once however many processes run it at once and
 * however late: each step re-reads the maintenance in its own write transaction, re-decides with
 * `dueActions` and writes only when the maintenance is still at the version it read (a person or
 * another process that moved it first wins, and this one does nothing). The reminder is a row with
 * a unique key: a second attempt adds nothing. Returns what it did, and when something is next due.
 */
export async function advanceMaintenances(
  ctx: MaintenanceContext,
): Promise<{ done: Advanced[]; nextDueAt: number | null }> {
  const remindBefore = ctx.content.policy.maintenance.remindBeforeSeconds;
  const open = await openMaintenances(ctx.db.query);
  const reminded = await remindedMaintenances(ctx.db.query);
  const done: Advanced[] = [];
  let soonest: number | null = null;
  for (const candidate of open) {
    const now = ctx.now();
    if (dueActions(candidate, now, remindBefore, reminded.has(candidate.id)).length > 0) {
      done.push(...(await advanceOne(ctx, candidate.id)));
    }
    const after = (await findMaintenance(ctx.db.query, candidate.id)) ?? candidate;
    const remindedNow =
      reminded.has(candidate.id) ||
      done.some((d) => d.id === candidate.id && d.action === 'remind');
    const next = nextDueAt(after, remindBefore, remindedNow, now);
    if (next !== null) soonest = soonest === null ? next : Math.min(soonest, next);
  }
  return { done, nextDueAt: soonest };
}

async function advanceOne(ctx: MaintenanceContext, id: string): Promise<Advanced[]> {
  const remindBefore = ctx.content.policy.maintenance.remindBeforeSeconds;
  const at = ctx.now();
  const iso = at.toISOString();
  const result = await ctx.db.write(async (tx) => {
    let m = await findMaintenance(tx.execute, id);
    if (!m) return null;
    const reminded =
      (await tx.execute(`SELECT 1 FROM maintenance_events WHERE key = ?`, [`${id}/reminder`]))
        .length > 0;
    const actions = dueActions(m, at, remindBefore, reminded);
    const done: Advanced[] = [];
    let componentIds: string[] = [];
    for (const action of actions) {
      if (action === 'remind') {
        if (await recordEvent(tx, m, 'reminder', iso)) done.push({ id, action, at: iso });
        continue;
      }
      const planned = action === 'start' ? m.scheduled_for : m.scheduled_until;
      const moved: { maintenance: MaintenanceRecord; componentIds: string[] } = await applyStatus(
        tx,
        m,
        action === 'start' ? 'in_progress' : 'completed',
        automaticMessage(action, planned, iso),
        iso,
        SCHEDULER_ACTOR,
      );
      m = moved.maintenance;
      componentIds = [...new Set([...componentIds, ...moved.componentIds])];
      done.push({ id, action, at: iso });
    }
    return { maintenance: m, done, componentIds };
  });
  if (result && result.done.length > 0) {
    ctx.onChange({
      maintenance: result.maintenance,
      componentIds: result.componentIds,
      owed: true,
    });
  }
  return result?.done ?? [];
}
