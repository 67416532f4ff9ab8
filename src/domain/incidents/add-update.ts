import { recordAudit } from '../../storage/audit.ts';
import { insertFanout } from '../../storage/fanout.ts';
import {
  findIncident,
  findIncidentHead,
  insertUpdate,
  saveIncident,
  saveIncidentComponents,
} from '../../storage/incidents.ts';
import { randomId } from '../../storage/keys.ts';
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import {
  applyUpdate,
  compareTimeline,
  deriveIncidentState,
  statusForNewUpdate,
} from '../incident-state.ts';
import { owedFanout } from '../subscriptions/fanout.ts';
import type { ComponentChange, ComponentStatus, IncidentStatus, Update } from '../types.ts';
import {
  assertKnownComponents,
  notAfterNow,
  refreshComponentStatuses,
  type Actor,
  type IncidentContext,
  type IncidentSummary,
} from './context.ts';

export interface AddUpdateInput {
  status?: IncidentStatus | undefined;
  message: string;
  components?: Array<{ id: string; status: ComponentStatus }> | undefined;
  notify?: boolean | undefined;
  display_at?: string | undefined;
}

/**
 * The component changes an update makes: the ones it names whose status differs, and, when it
 * resolves the incident, every other affected component going back to operational.
 */
export function componentChanges(
  current: Array<{ id: string; status: ComponentStatus }>,
  requested: Array<{ id: string; status: ComponentStatus }>,
  status: IncidentStatus,
): ComponentChange[] {
  const before = new Map(current.map((c) => [c.id, c.status]));
  const changes: ComponentChange[] = [];
  for (const c of requested) {
    const old = before.get(c.id) ?? 'operational';
    if (old !== c.status || !before.has(c.id)) {
      changes.push({ id: c.id, old_status: old, new_status: c.status });
    }
  }
  if (status === 'resolved') {
    const named = new Set(requested.map((c) => c.id));
    for (const c of current) {
      if (!named.has(c.id) && c.status !== 'operational') {
        changes.push({ id: c.id, old_status: c.status, new_status: 'operational' });
      }
    }
  }
  return changes;
}

/**
 * Adds an update to an incident's timeline and re-derives the incident's status and components.
 * The update, the new incident state and the audit row are written in one transaction. An update
 * that is newest in the timeline is applied to the incident's current state, read without its
 * timeline; only a back-dated one replays the whole timeline.
 */
export async function addUpdate(
  ctx: IncidentContext,
  actor: Actor,
  incidentId: string,
  input: AddUpdateInput,
): Promise<{ update: Update; incident: IncidentSummary; latestBefore: Update }> {
  const now = ctx.now();
  const at = now.toISOString();
  const requested = input.components ?? [];
  assertKnownComponents(ctx.content, requested, 'components');
  // A display time ahead of the server's clock (allowed as client clock skew) is taken as the
  // posting time: an update never claims a place in the timeline after updates posted later.
  const displayAt = notAfterNow('display_at', input.display_at, now) ?? at;

  const result = await ctx.db.write(async (tx) => {
    const head = await findIncidentHead(tx.execute, incidentId);
    if (!head) throw new NotFoundError('incident', incidentId);
    const { latest_update: latest, max_seq: maxSeq, ...previous } = head;
    if (displayAt < previous.started_at) {
      throw ValidationError.field('display_at', 'must not be before the incident started');
    }
    const status = statusForNewUpdate(previous.status, input.status);
    const changes = componentChanges(previous.components, requested, status);
    if (
      input.message.trim() === latest.message.trim() &&
      status === previous.status &&
      changes.length === 0
    ) {
      throw ValidationError.field(
        'message',
        'repeats the previous update word for word with no status or component change',
      );
    }
    const update: Update = {
      id: randomId(),
      incident_id: incidentId,
      seq: maxSeq + 1,
      status,
      message: input.message,
      components: changes,
      notify: input.notify ?? true,
      display_at: displayAt,
      created_at: at,
      author: actor.name,
    };
    const state =
      compareTimeline(update, latest) > 0
        ? applyUpdate(previous, update)
        : deriveIncidentState([update, ...(await findIncident(tx.execute, incidentId))!.updates]);
    const incident: IncidentSummary = {
      ...previous,
      status: state.status,
      components: state.components,
      resolved_at: state.resolved_at,
      monitoring_at: state.monitoring_at,
      updated_at: at,
      version: previous.version + 1,
    };
    await insertUpdate(tx, update);
    if (!(await saveIncident(tx, incident, previous.version))) {
      throw new ConflictError('the incident changed while this update was being written; retry');
    }
    // Component rows change only when a status did; most updates are words alone.
    const before = new Map(previous.components.map((c) => [c.id, c.status]));
    const after = new Map(state.components.map((c) => [c.id, c.status]));
    const affected = [...new Set([...before.keys(), ...after.keys()])];
    const touched = affected.filter((id) => before.get(id) !== after.get(id));
    if (touched.length > 0) {
      await saveIncidentComponents(tx, incidentId, state.components);
      await refreshComponentStatuses(tx, touched, at);
    }
    // Subscribers are owed the update: one row, whatever their number (the fan-out worker expands it).
    const owed = owedFanout(incident, previous.status, update);
    if (owed) await insertFanout(tx, owed);
    await recordAudit(tx, {
      at,
      actor: actor.id,
      action: 'incident.update',
      target_type: 'incident',
      target_id: incidentId,
      details: {
        update_id: update.id,
        status,
        previous_status: previous.status,
        components: changes,
        display_at: displayAt,
      },
    });
    return { update, incident, previous, affected, latest };
  });
  ctx.onChange({
    kind: 'updated',
    incident: result.incident,
    previous: result.previous,
    update: result.update,
    componentIds: result.affected,
  });
  return { update: result.update, incident: result.incident, latestBefore: result.latest };
}
