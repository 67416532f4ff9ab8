import { recordAudit } from '../../storage/audit.ts';
import type { Tx } from '../../storage/db.ts';
import { randomId } from '../../storage/keys.ts';
import {
  findMaintenance,
  insertMaintenance,
  insertMaintenanceEvent,
  insertMaintenanceUpdate,
  saveMaintenance,
  saveMaintenanceComponents,
} from '../../storage/maintenances.ts';
import { refreshComponentStatuses, type Actor } from '../incidents/context.ts';
import { ConflictError, NotFoundError, ValidationError, type FieldProblem } from '../errors.ts';
import type { MaintenanceContext } from './context.ts';
import {
  emailsFor,
  eventKey,
  eventKindOf,
  isFinished,
  isRunning,
  refuseUpdate,
} from './lifecycle.ts';
import type {
  MaintenanceEventKind,
  MaintenanceNotify,
  MaintenanceRecord,
  MaintenanceStatus,
  MaintenanceUpdate,
  MaintenanceUpdateStatus,
} from './types.ts';

export interface CreateMaintenanceInput {
  title: string;
  message: string;
  components: string[];
  scheduled_for: string;
  scheduled_until: string;
  notify: MaintenanceNotify;
  auto_start: boolean;
  auto_complete: boolean;
}

export interface EditMaintenanceInput {
  title?: string | undefined;
  components?: string[] | undefined;
  scheduled_for?: string | undefined;
  scheduled_until?: string | undefined;
  notify?: MaintenanceNotify | undefined;
  auto_start?: boolean | undefined;
  auto_complete?: boolean | undefined;
}

/** Every component must be in the catalog, each named once: a 422 naming each problem. */
function assertComponents(ctx: MaintenanceContext, ids: string[]): void {
  const problems: FieldProblem[] = [];
  const seen = new Set<string>();
  ids.forEach((id, index) => {
    if (!ctx.content.catalog.byId.has(id))
      problems.push({ field: `components.${index}`, message: `unknown component "${id}"` });
    else if (seen.has(id))
      problems.push({ field: `components.${index}`, message: `component "${id}" named twice` });
    seen.add(id);
  });
  if (problems.length > 0) throw new ValidationError('unknown or repeated components', problems);
}

/** The window must end after it starts; a new start must not be in the past. */
function assertWindow(
  scheduledFor: string,
  scheduledUntil: string,
  now: Date,
  startMoved: boolean,
): void {
  if (startMoved && Date.parse(scheduledFor) <= now.getTime())
    throw ValidationError.field('scheduled_for', 'must be in the future');
  if (Date.parse(scheduledUntil) <= Date.parse(scheduledFor))
    throw ValidationError.field('scheduled_until', 'must be after scheduled_for');
}

/** Records what a change owes subscribers and webhooks (nothing when it was recorded before). */
export async function recordEvent(
  tx: Tx,
  m: Pick<MaintenanceRecord, 'id' | 'notify'>,
  kind: MaintenanceEventKind,
  at: string,
  discriminator?: string | number,
): Promise<boolean> {
  return insertMaintenanceEvent(tx, {
    key: eventKey(m.id, kind, discriminator),
    maintenance_id: m.id,
    kind,
    created_at: at,
    email: emailsFor(kind, m.notify),
    // A reminder is an email matter; webhooks hear of every change to the maintenance itself.
    webhook: kind !== 'reminder',
  });
}

function newUpdate(
  m: MaintenanceRecord,
  status: MaintenanceStatus,
  message: string,
  at: string,
  author: string,
): MaintenanceUpdate {
  return {
    id: randomId(),
    maintenance_id: m.id,
    seq: Math.max(0, ...m.updates.map((u) => u.seq)) + 1,
    status,
    message,
    display_at: at,
    created_at: at,
    author,
  };
}

/**
 * Moves a maintenance to `status` with an update in its timeline, inside `tx`: the timestamps of
 * the lifecycle, the components' public status, the event owed, the audit row. Shared by people's
 * updates, cancellation and the scheduler, so each path moves it the same way.
 */
export async function applyStatus(
  tx: Tx,
  previous: MaintenanceRecord,
  status: MaintenanceStatus,
  message: string,
  at: string,
  actor: Actor,
): Promise<{ maintenance: MaintenanceRecord; componentIds: string[] }> {
  const update = newUpdate(previous, status, message, at, actor.name);
  const next: MaintenanceRecord = {
    ...previous,
    status,
    updated_at: at,
    version: previous.version + 1,
    updates: [update, ...previous.updates],
  };
  if (isRunning(status) && !previous.started_at) next.started_at = at;
  if (status === 'completed') next.completed_at = at;
  if (status === 'cancelled') {
    next.cancelled_at = at;
    next.sequence = previous.sequence + 1;
  }
  if (!(await saveMaintenance(tx, next, previous.version))) {
    throw new ConflictError('the maintenance changed while this was being written; retry');
  }
  await insertMaintenanceUpdate(tx, update);
  const kind = eventKindOf(previous.status, status);
  await recordEvent(tx, next, kind, at, kind === 'update' ? update.id : undefined);
  const runningChanged = isRunning(previous.status) !== isRunning(status);
  if (runningChanged) await refreshComponentStatuses(tx, next.components, at);
  await recordAudit(tx, {
    at,
    actor: actor.id,
    action: 'maintenance.update',
    target_type: 'maintenance',
    target_id: next.id,
    details: { update_id: update.id, status, previous_status: previous.status },
  });
  return { maintenance: next, componentIds: runningChanged ? next.components : [] };
}

async function load(tx: Tx, id: string): Promise<MaintenanceRecord> {
  const found = await findMaintenance(tx.execute, id);
  if (!found) throw new NotFoundError('maintenance', id);
  return found;
}

/** Announces a maintenance: the record, its first update, the "scheduled" event, the audit row. */
export async function createMaintenance(
  ctx: MaintenanceContext,
  actor: Actor,
  input: CreateMaintenanceInput,
): Promise<MaintenanceRecord> {
  const now = ctx.now();
  const at = now.toISOString();
  assertComponents(ctx, input.components);
  assertWindow(input.scheduled_for, input.scheduled_until, now, true);
  const id = randomId();
  const update: MaintenanceUpdate = {
    id: randomId(),
    maintenance_id: id,
    seq: 1,
    status: 'scheduled',
    message: input.message,
    display_at: at,
    created_at: at,
    author: actor.name,
  };
  const maintenance: MaintenanceRecord = {
    id,
    title: input.title,
    status: 'scheduled',
    components: input.components,
    scheduled_for: input.scheduled_for,
    scheduled_until: input.scheduled_until,
    auto_start: input.auto_start,
    auto_complete: input.auto_complete,
    notify: input.notify,
    started_at: null,
    completed_at: null,
    cancelled_at: null,
    sequence: 0,
    created_at: at,
    updated_at: at,
    version: 1,
    updates: [update],
  };
  await ctx.db.write(async (tx) => {
    await insertMaintenance(tx, maintenance);
    await insertMaintenanceUpdate(tx, update);
    await recordEvent(tx, maintenance, 'scheduled', at);
    await recordAudit(tx, {
      at,
      actor: actor.id,
      action: 'maintenance.create',
      target_type: 'maintenance',
      target_id: id,
      details: {
        title: input.title,
        components: input.components,
        scheduled_for: input.scheduled_for,
        scheduled_until: input.scheduled_until,
      },
    });
  });
  ctx.onChange({ maintenance, componentIds: [], owed: true });
  return maintenance;
}

const EDITABLE = [
  'title',
  'components',
  'scheduled_for',
  'scheduled_until',
  'notify',
  'auto_start',
  'auto_complete',
] as const;

/**
 * Edits or reschedules a maintenance at `expectedVersion` (If-Match). Moving the window bumps the
 * calendar SEQUENCE. Once started its start cannot move; once finished nothing changes. A no-op
 * edit changes nothing, not even `updated_at`.
 */
export async function editMaintenance(
  ctx: MaintenanceContext,
  actor: Actor,
  id: string,
  input: EditMaintenanceInput,
  expectedVersion: number,
): Promise<MaintenanceRecord> {
  const now = ctx.now();
  const at = now.toISOString();
  if (input.components) assertComponents(ctx, input.components);
  const result = await ctx.db.write(async (tx) => {
    const previous = await load(tx, id);
    if (expectedVersion !== previous.version) {
      throw new ConflictError(
        `version mismatch: the maintenance is at version ${previous.version}, the request expected ${expectedVersion}`,
      );
    }
    if (isFinished(previous.status)) {
      throw ValidationError.field(
        'status',
        `the maintenance is ${previous.status}; it can no longer be edited`,
      );
    }
    const next: MaintenanceRecord = { ...previous };
    for (const field of EDITABLE) {
      if (input[field] !== undefined)
        (next as unknown as Record<string, unknown>)[field] = input[field];
    }
    const startMoved = next.scheduled_for !== previous.scheduled_for;
    if (startMoved && previous.status !== 'scheduled') {
      throw ValidationError.field(
        'scheduled_for',
        'the maintenance has started; its start cannot move',
      );
    }
    assertWindow(next.scheduled_for, next.scheduled_until, now, startMoved);
    const changed = EDITABLE.filter((f) => JSON.stringify(previous[f]) !== JSON.stringify(next[f]));
    if (changed.length === 0) return { maintenance: previous, changed, componentIds: [] };
    const windowMoved = startMoved || next.scheduled_until !== previous.scheduled_until;
    // The calendar entry changes with what a calendar shows: the window and the title.
    if (windowMoved || next.title !== previous.title) next.sequence = previous.sequence + 1;
    next.updated_at = at;
    next.version = previous.version + 1;
    if (!(await saveMaintenance(tx, next, previous.version))) {
      throw new ConflictError('the maintenance changed while this edit was being written; retry');
    }
    let componentIds: string[] = [];
    if (changed.includes('components')) {
      await saveMaintenanceComponents(tx, id, next.components);
      if (isRunning(next.status)) {
        componentIds = [...new Set([...previous.components, ...next.components])];
        await refreshComponentStatuses(tx, componentIds, at);
      }
    }
    if (windowMoved) await recordEvent(tx, next, 'rescheduled', at, next.sequence);
    await recordAudit(tx, {
      at,
      actor: actor.id,
      action: 'maintenance.edit',
      target_type: 'maintenance',
      target_id: id,
      details: Object.fromEntries(changed.map((f) => [f, { from: previous[f], to: next[f] }])),
    });
    return { maintenance: next, changed, componentIds };
  });
  if (result.changed.length > 0) {
    ctx.onChange({
      maintenance: result.maintenance,
      componentIds: result.componentIds,
      owed: true,
    });
  }
  return result.maintenance;
}

/**
 * A person's update: a message, and optionally a new status (`in_progress` starts it early,
 * `verifying`, `completed` ends it). The scheduler then leaves what a person did alone.
 */
export async function addMaintenanceUpdate(
  ctx: MaintenanceContext,
  actor: Actor,
  id: string,
  input: { status?: MaintenanceUpdateStatus | undefined; message: string },
): Promise<{ maintenance: MaintenanceRecord; update: MaintenanceUpdate }> {
  const at = ctx.now().toISOString();
  const result = await ctx.db.write(async (tx) => {
    const previous = await load(tx, id);
    const status = input.status ?? (previous.status as MaintenanceUpdateStatus);
    const refused = refuseUpdate(previous.status, status);
    if (refused) throw ValidationError.field(input.status ? 'status' : 'message', refused);
    return applyStatus(tx, previous, status, input.message, at, actor);
  });
  ctx.onChange({ ...result, owed: true });
  return { maintenance: result.maintenance, update: result.maintenance.updates[0]! };
}

/** Cancels a maintenance that has not started (a running one is completed instead). */
export async function cancelMaintenance(
  ctx: MaintenanceContext,
  actor: Actor,
  id: string,
  message: string | undefined,
): Promise<MaintenanceRecord> {
  const at = ctx.now().toISOString();
  const result = await ctx.db.write(async (tx) => {
    const previous = await load(tx, id);
    if (previous.status !== 'scheduled') {
      throw ValidationError.field(
        'status',
        isRunning(previous.status)
          ? 'the maintenance is under way; post a completed update to end it'
          : `the maintenance is already ${previous.status}`,
      );
    }
    return applyStatus(
      tx,
      previous,
      'cancelled',
      message ?? 'This maintenance has been cancelled.',
      at,
      actor,
    );
  });
  ctx.onChange({ ...result, owed: true });
  return result.maintenance;
}
