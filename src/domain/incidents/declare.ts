import { recordAudit } from '../../storage/audit.ts';
import { insertFanout } from '../../storage/fanout.ts';
import {
  findIncident,
  insertIncident,
  insertUpdate,
  saveIncidentComponents,
} from '../../storage/incidents.ts';
import { randomId } from '../../storage/keys.ts';
import { recordSeverityChange } from '../../storage/severity-history.ts';
import { ValidationError } from '../errors.ts';
import { deriveIncidentState } from '../incident-state.ts';
import { owedFanout } from '../subscriptions/fanout.ts';
import type {
  BusinessImpact,
  ComponentStatus,
  Impact,
  IncidentRecord,
  IncidentStatus,
  Roles,
  Severity,
  Update,
  Visibility,
} from '../types.ts';
import {
  assertKnownComponents,
  notAfterNow,
  refreshComponentStatuses,
  type Actor,
  type IncidentContext,
} from './context.ts';
import { missingRequirements } from './requirements.ts';

export interface DeclareInput {
  title: string;
  severity: Severity;
  message: string;
  status?: IncidentStatus | undefined;
  impact?: Impact | undefined;
  components?: Array<{ id: string; status: ComponentStatus }> | undefined;
  visibility?: Visibility | undefined;
  roles?: Roles | undefined;
  business_impact?: BusinessImpact | null | undefined;
  eta?: string | null | undefined;
  started_at?: string | undefined;
  detected_at?: string | null | undefined;
  notify?: boolean | undefined;
}

/** Declares an incident with its first update, in one transaction with its audit row. */
export async function declareIncident(
  ctx: IncidentContext,
  actor: Actor,
  input: DeclareInput,
): Promise<IncidentRecord> {
  const now = ctx.now();
  const at = now.toISOString();
  const components = input.components ?? [];
  assertKnownComponents(ctx.content, components, 'components');
  const startedAt = notAfterNow('started_at', input.started_at, now) ?? at;
  const detectedAt = notAfterNow('detected_at', input.detected_at, now);
  if (detectedAt && detectedAt < startedAt) {
    throw ValidationError.field('detected_at', 'must not be before started_at');
  }
  const roles = input.roles ?? {};
  const businessImpact = input.business_impact ?? null;
  const problems = missingRequirements(ctx.content.policy, input.severity, roles, businessImpact);
  if (problems.length > 0) {
    throw new ValidationError(
      `a ${input.severity} incident is missing what the policy requires`,
      problems,
    );
  }
  if (input.status === 'resolved') {
    throw ValidationError.field('status', 'a new incident cannot start resolved');
  }

  const id = randomId();
  const visibility = input.visibility ?? 'public';
  const update: Update = {
    id: randomId(),
    incident_id: id,
    seq: 1,
    status: input.status ?? 'investigating',
    message: input.message,
    components: components.map((c) => ({
      id: c.id,
      old_status: 'operational',
      new_status: c.status,
    })),
    notify: input.notify ?? true,
    display_at: at,
    created_at: at,
    author: actor.name,
  };
  const state = deriveIncidentState([update]);
  const incident = await ctx.db.write(async (tx) => {
    await insertIncident(tx, {
      id,
      title: input.title,
      severity: input.severity,
      status: state.status,
      impact: input.impact ?? ctx.content.policy.severities[input.severity].impact,
      impact_override: input.impact !== undefined,
      visibility,
      public_since: visibility === 'public' ? at : null,
      roles,
      business_impact: businessImpact,
      eta: input.eta ?? null,
      started_at: startedAt,
      detected_at: detectedAt ?? null,
      acknowledged_at: null,
      resolved_at: state.resolved_at,
      monitoring_at: state.monitoring_at,
      created_at: at,
      updated_at: at,
      version: 1,
    });
    await insertUpdate(tx, update);
    await recordSeverityChange(tx, id, startedAt, input.severity);
    await saveIncidentComponents(tx, id, state.components);
    await refreshComponentStatuses(
      tx,
      state.components.map((c) => c.id),
      at,
    );
    const owed = owedFanout({ id, visibility, status: state.status }, null, update);
    if (owed) await insertFanout(tx, owed);
    await recordAudit(tx, {
      at,
      actor: actor.id,
      action: 'incident.declare',
      target_type: 'incident',
      target_id: id,
      details: {
        title: input.title,
        severity: input.severity,
        visibility,
      },
    });
    return (await findIncident(tx.execute, id))!;
  });
  ctx.onChange({
    kind: 'declared',
    incident,
    previous: null,
    update,
    componentIds: state.components.map((c) => c.id),
  });
  return incident;
}
