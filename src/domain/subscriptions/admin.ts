import { recordAudit } from '../../storage/audit.ts';
import { randomId } from '../../storage/keys.ts';
import {
  deleteSubscriber,
  findSubscriber,
  insertSubscriber,
  isSuppressed,
  savePreferences,
} from '../../storage/subscribers.ts';
import type { Actor } from '../incidents/context.ts';
import { NotFoundError, ValidationError, type FieldProblem } from '../errors.ts';
import { normaliseEmail, type EmailAddress } from './address.ts';
import type { SubscriptionContext } from './context.ts';
import { tokenDigest } from './tokens.ts';

export interface ImportResult {
  imported: number;
  skipped_duplicates: number;
  skipped_suppressed: number;
}

/**
 * Imports subscribers confirmed elsewhere (a team moving from another status page), with their
 * components. Every address is checked first: one bad address or unknown component is a 422
 * naming each, and nothing is imported. Addresses already subscribed (or twice in the list) and
 * suppressed ones are skipped and counted. One transaction with its audit row.
 */
export async function importSubscribers(
  ctx: SubscriptionContext,
  actor: Actor,
  list: Array<{ email: string; components?: string[] | undefined }>,
): Promise<ImportResult> {
  const groups = new Set(ctx.content.catalog.groups.map((g) => g.id));
  const problems: FieldProblem[] = [];
  const parsed: Array<{ address: EmailAddress; components: string[] | null }> = [];
  list.forEach((entry, index) => {
    const address = normaliseEmail(entry.email);
    if ('problem' in address) {
      problems.push({
        field: `subscribers.${index}.email`,
        message: `"${entry.email.slice(0, 100)}" ${address.problem}`,
      });
      return;
    }
    (entry.components ?? []).forEach((id, i) => {
      if (!ctx.content.catalog.byId.has(id) && !groups.has(id)) {
        problems.push({
          field: `subscribers.${index}.components.${i}`,
          message: `unknown component "${id}"`,
        });
      }
    });
    const components =
      entry.components && entry.components.length > 0 ? [...new Set(entry.components)] : null;
    parsed.push({ address, components });
  });
  if (problems.length > 0) {
    throw new ValidationError(
      `${problems.length} subscriber(s) cannot be imported`,
      problems.slice(0, 100),
    );
  }
  const at = ctx.now().toISOString();
  return ctx.db.write(async (tx) => {
    const result: ImportResult = { imported: 0, skipped_duplicates: 0, skipped_suppressed: 0 };
    const seen = new Set<string>();
    for (const { address, components } of parsed) {
      if (seen.has(address.key)) {
        result.skipped_duplicates += 1;
        continue;
      }
      seen.add(address.key);
      if (await isSuppressed(tx.execute, address.key)) {
        result.skipped_suppressed += 1;
        continue;
      }
      const id = randomId(16);
      const inserted = await insertSubscriber(tx, {
        id,
        email: address.address,
        email_key: address.key,
        status: 'confirmed',
        follows: components ? 'components' : 'all',
        manage_hash: tokenDigest(ctx.secret, 'manage', id),
        source: 'import',
        at,
      });
      if (!inserted) {
        result.skipped_duplicates += 1;
        continue;
      }
      if (components) await savePreferences(tx, id, 'components', components, at);
      result.imported += 1;
    }
    await recordAudit(tx, {
      at,
      actor: actor.id,
      action: 'subscribers.import',
      target_type: 'subscriber',
      target_id: null,
      details: { ...result },
    });
    return result;
  });
}

/** Removes a subscriber (and their queued mail not yet handed over), with an audit row. */
export async function removeSubscriber(
  ctx: SubscriptionContext,
  actor: Actor,
  id: string,
): Promise<void> {
  await ctx.db.write(async (tx) => {
    const subscriber = await findSubscriber(tx.execute, id);
    if (!subscriber || !(await deleteSubscriber(tx, id))) throw new NotFoundError('subscriber', id);
    await recordAudit(tx, {
      at: ctx.now().toISOString(),
      actor: actor.id,
      action: 'subscriber.remove',
      target_type: 'subscriber',
      target_id: id,
      // The address is not written to the audit log: removing it means removing it.
      details: { status: subscriber.status, source: subscriber.source },
    });
  });
}
