import { recordAudit } from '../../storage/audit.ts';
import { findIncident } from '../../storage/incidents.ts';
import { randomId } from '../../storage/keys.ts';
import { findPostmortem, savePostmortem, touchIncident } from '../../storage/postmortems.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import type { Actor, IncidentContext } from '../incidents/context.ts';
import {
  publicPostmortem,
  type ActionItem,
  type ActionState,
  type Postmortem,
  type Priority,
} from './review.ts';

export interface ActionItemInput {
  id?: string | undefined;
  title: string;
  owner?: string | null | undefined;
  priority: Priority;
  due_date?: string | null | undefined;
  state: ActionState;
}

export interface PostmortemInput {
  summary: string;
  root_cause: string;
  root_cause_category?: string | null | undefined;
  contributing_factors: string[];
  impact: string;
  what_went_well: string[];
  what_could_improve: string[];
  internal_notes: string;
  action_items: ActionItemInput[];
  /** Marks the review complete (true) or reopens it (false); omitted: unchanged. */
  completed?: boolean | undefined;
  /** Shows it on the incident page (true) or takes it down (false); omitted: unchanged. */
  published?: boolean | undefined;
}

export interface ActionItemPatch {
  state?: ActionState | undefined;
  owner?: string | null | undefined;
  due_date?: string | null | undefined;
  priority?: Priority | undefined;
  title?: string | undefined;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Writes the whole postmortem of an incident. Action items given with an `id` keep it (and their
 * creation time); new ones get one; those left out are removed. Publishing completes the review.
 */
export async function writePostmortem(
  ctx: IncidentContext,
  actor: Actor,
  incidentId: string,
  input: PostmortemInput,
): Promise<Postmortem> {
  const at = ctx.now().toISOString();
  const result = await ctx.db.write(async (tx) => {
    const incident = await findIncident(tx.execute, incidentId);
    if (!incident) throw new NotFoundError('incident', incidentId);
    const before = await findPostmortem(tx.execute, incidentId);
    const existing = new Map((before?.action_items ?? []).map((item) => [item.id, item]));
    const problems = input.action_items.flatMap((item, index) =>
      item.id !== undefined && !existing.has(item.id)
        ? [{ field: `action_items.${index}.id`, message: `unknown action item "${item.id}"` }]
        : [],
    );
    if (problems.length > 0) throw new ValidationError('unknown action items', problems);
    const items: ActionItem[] = input.action_items.map((item) => {
      const old = item.id === undefined ? undefined : existing.get(item.id);
      const next = {
        id: old?.id ?? randomId(),
        title: item.title,
        owner: item.owner ?? null,
        priority: item.priority,
        due_date: item.due_date ?? null,
        state: item.state,
        created_at: old?.created_at ?? at,
        updated_at: at,
      };
      if (old && same({ ...old, updated_at: null }, { ...next, updated_at: null })) return old;
      return next;
    });
    const published = input.published ?? before?.published_at != null;
    const completed = published || (input.completed ?? before?.completed_at != null);
    const after: Postmortem = {
      incident_id: incidentId,
      summary: input.summary,
      root_cause: input.root_cause,
      root_cause_category: input.root_cause_category?.trim() || null,
      contributing_factors: input.contributing_factors,
      impact: input.impact,
      what_went_well: input.what_went_well,
      what_could_improve: input.what_could_improve,
      internal_notes: input.internal_notes,
      action_items: items,
      completed_at: completed ? (before?.completed_at ?? at) : null,
      published_at: published ? (before?.published_at ?? at) : null,
      created_at: before?.created_at ?? at,
      updated_at: at,
      version: (before?.version ?? 0) + 1,
    };
    await savePostmortem(tx, after);
    // What the public sees changed: move the incident's `updated_at` (so other instances notice
    // it too) and announce it like an edit once committed.
    const publicChanged = !same(before ? publicPostmortem(before) : null, publicPostmortem(after));
    if (publicChanged) await touchIncident(tx, incidentId, at);
    await recordAudit(tx, {
      at,
      actor: actor.id,
      action: before ? 'postmortem.update' : 'postmortem.create',
      target_type: 'incident',
      target_id: incidentId,
      details: {
        completed,
        published,
        action_items: items.length,
      },
    });
    return { after, publicChanged };
  });
  if (result.publicChanged) await announce(ctx, incidentId);
  return result.after;
}

/** Changes one action item (state, owner, due date, priority, title). */
export async function editActionItem(
  ctx: IncidentContext,
  actor: Actor,
  incidentId: string,
  itemId: string,
  patch: ActionItemPatch,
): Promise<{ postmortem: Postmortem; item: ActionItem }> {
  const at = ctx.now().toISOString();
  const result = await ctx.db.write(async (tx) => {
    const before = await findPostmortem(tx.execute, incidentId);
    if (!before) throw new NotFoundError('postmortem', incidentId);
    const old = before.action_items.find((item) => item.id === itemId);
    if (!old) throw new NotFoundError('action item', itemId);
    const item: ActionItem = {
      ...old,
      ...(patch.state !== undefined && { state: patch.state }),
      ...(patch.owner !== undefined && { owner: patch.owner }),
      ...(patch.due_date !== undefined && { due_date: patch.due_date }),
      ...(patch.priority !== undefined && { priority: patch.priority }),
      ...(patch.title !== undefined && { title: patch.title }),
    };
    if (same(item, old)) return { postmortem: before, item: old, publicChanged: false };
    item.updated_at = at;
    const after: Postmortem = {
      ...before,
      action_items: before.action_items.map((i) => (i.id === itemId ? item : i)),
      updated_at: at,
      version: before.version + 1,
    };
    await savePostmortem(tx, after);
    const publicChanged = !same(publicPostmortem(before), publicPostmortem(after));
    if (publicChanged) await touchIncident(tx, incidentId, at);
    await recordAudit(tx, {
      at,
      actor: actor.id,
      action: 'postmortem.action_item.edit',
      target_type: 'incident',
      target_id: incidentId,
      details: {
        item: itemId,
        ...Object.fromEntries(
          (['state', 'owner', 'due_date', 'priority', 'title'] as const)
            .filter((field) => old[field] !== item[field])
            .map((field) => [field, { from: old[field], to: item[field] }]),
        ),
      },
    });
    return { postmortem: after, item, publicChanged };
  });
  if (result.publicChanged) await announce(ctx, incidentId);
  return { postmortem: result.postmortem, item: result.item };
}

/** Announces the incident as edited so the publisher re-renders its page, feeds and JSON. */
async function announce(ctx: IncidentContext, incidentId: string): Promise<void> {
  const incident = await findIncident(ctx.db.query, incidentId);
  if (!incident) return;
  const { updates: _, ...summary } = incident;
  ctx.onChange({
    kind: 'edited',
    incident: summary,
    previous: summary,
    update: null,
    componentIds: incident.components.map((c) => c.id),
  });
}
