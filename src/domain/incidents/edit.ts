import { recordAudit } from '../../storage/audit.ts';
import { findIncident, saveIncident } from '../../storage/incidents.ts';
import { recordSeverityChange } from '../../storage/severity-history.ts';
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import type {
  BusinessImpact,
  Impact,
  IncidentRecord,
  Roles,
  Severity,
  Visibility,
} from '../types.ts';
import {
  notAfterNow,
  refreshComponentStatuses,
  type Actor,
  type IncidentContext,
} from './context.ts';
import { missingRequirements } from './requirements.ts';

export interface EditInput {
  title?: string | undefined;
  severity?: Severity | undefined;
  impact?: Impact | null | undefined;
  roles?: Roles | undefined;
  business_impact?: BusinessImpact | null | undefined;
  eta?: string | null | undefined;
  visibility?: Visibility | undefined;
  acknowledged_at?: string | null | undefined;
  detected_at?: string | null | undefined;
  started_at?: string | undefined;
}

const EDITABLE = [
  'title',
  'severity',
  'impact',
  'roles',
  'business_impact',
  'eta',
  'visibility',
  'acknowledged_at',
  'detected_at',
  'started_at',
] as const;

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Edits an incident's own fields. `expectedVersion` (from `If-Match`) must match when given. A
 * no-op edit changes nothing, not even `updated_at`, because feeds are dated by it.
 */
export async function editIncident(
  ctx: IncidentContext,
  actor: Actor,
  incidentId: string,
  requested: EditInput,
  expectedVersion: number | null,
): Promise<IncidentRecord> {
  const now = ctx.now();
  const at = now.toISOString();
  const input: EditInput = {
    ...requested,
    acknowledged_at: notAfterNow('acknowledged_at', requested.acknowledged_at, now),
    detected_at: notAfterNow('detected_at', requested.detected_at, now),
    started_at: notAfterNow('started_at', requested.started_at, now),
  };

  const result = await ctx.db.write(async (tx) => {
    const previous = await findIncident(tx.execute, incidentId);
    if (!previous) throw new NotFoundError('incident', incidentId);
    if (expectedVersion !== null && expectedVersion !== previous.version) {
      throw new ConflictError(
        `version mismatch: the incident is at version ${previous.version}, the request expected ${expectedVersion}`,
      );
    }
    const next: IncidentRecord = { ...previous };
    if (input.title !== undefined) next.title = input.title;
    if (input.severity !== undefined) next.severity = input.severity;
    if (input.roles !== undefined) next.roles = input.roles;
    if (input.business_impact !== undefined) next.business_impact = input.business_impact;
    if (input.eta !== undefined) next.eta = input.eta;
    if (input.visibility !== undefined) next.visibility = input.visibility;
    // The cadence of an incident made public starts now, not at its last (private) update.
    if (next.visibility !== previous.visibility)
      next.public_since = next.visibility === 'public' ? at : null;
    if (input.acknowledged_at !== undefined) next.acknowledged_at = input.acknowledged_at;
    if (input.detected_at !== undefined) next.detected_at = input.detected_at;
    if (input.started_at !== undefined) next.started_at = input.started_at;
    // impact: a value overrides the severity's; null returns to the policy's derived impact
    if (input.impact !== undefined) next.impact_override = input.impact !== null;
    next.impact = next.impact_override
      ? (input.impact ?? previous.impact)
      : ctx.content.policy.severities[next.severity].impact;

    const earliestUpdate = previous.updates.reduce(
      (min, u) => (u.display_at < min ? u.display_at : min),
      previous.updates[0]!.display_at,
    );
    if (next.started_at > earliestUpdate) {
      throw ValidationError.field('started_at', 'must not be after the first update');
    }
    if (next.detected_at && next.detected_at < next.started_at) {
      throw ValidationError.field('detected_at', 'must not be before started_at');
    }
    if (next.acknowledged_at && next.acknowledged_at < next.started_at) {
      throw ValidationError.field('acknowledged_at', 'must not be before started_at');
    }
    const problems = missingRequirements(
      ctx.content.policy,
      next.severity,
      next.roles,
      next.business_impact,
    );
    if (problems.length > 0) {
      throw new ValidationError(
        `a ${next.severity} incident is missing what the policy requires`,
        problems,
      );
    }

    const changed = EDITABLE.filter((field) => !same(previous[field], next[field]));
    if (changed.length === 0 && previous.impact_override === next.impact_override) {
      return { incident: previous, previous, changed };
    }
    next.updated_at = at;
    next.version = previous.version + 1;
    if (!(await saveIncident(tx, next, previous.version))) {
      throw new ConflictError('the incident changed while this edit was being written; retry');
    }
    if (changed.includes('severity')) await recordSeverityChange(tx, incidentId, at, next.severity);
    if (changed.includes('visibility')) {
      await refreshComponentStatuses(
        tx,
        next.components.map((c) => c.id),
        at,
      );
    }
    await recordAudit(tx, {
      at,
      actor: actor.id,
      action: 'incident.edit',
      target_type: 'incident',
      target_id: incidentId,
      details: Object.fromEntries(changed.map((f) => [f, { from: previous[f], to: next[f] }])),
    });
    return { incident: next, previous, changed };
  });
  if (result.changed.length > 0) {
    ctx.onChange({
      kind: 'edited',
      incident: result.incident,
      previous: result.previous,
      update: null,
      componentIds: result.incident.components.map((c) => c.id),
    });
  }
  return result.incident;
}
