import { ValidationError } from '../errors.ts';
import {
  CONFIRM_TEMPLATE,
  CONFIRMATION_TTL_MS,
  confirmVariables,
  describeRequest,
  newMarker,
  renderBody,
} from '../../fanout/messages.ts';
import { insertMailBody } from '../../storage/fanout.ts';
import { findIncidentHead } from '../../storage/incidents.ts';
import { randomId } from '../../storage/keys.ts';
import { enqueueEmail } from '../../storage/outbox.ts';
import {
  countConfirmationsSince,
  countRateEvent,
  findSubscriberByKey,
  insertConfirmation,
  insertSubscriber,
  isSuppressed,
  pruneRateCounters,
  type ConfirmationRequest,
} from '../../storage/subscribers.ts';
import { normaliseEmail } from './address.ts';
import { RateLimited, type SubscriptionContext } from './context.ts';
import { tokenDigest } from './tokens.ts';

export interface SubscribeInput {
  email: string;
  components?: string[] | undefined;
  incident_id?: string | undefined;
}

const HOUR_MS = 3_600_000;

/** The components or groups a request names must exist: a 422 naming each unknown one. */
export function assertKnownTargets(ctx: SubscriptionContext, ids: string[], field: string): void {
  const groups = new Set(ctx.content.catalog.groups.map((g) => g.id));
  const problems = ids
    .map((id, index) => ({ id, index }))
    .filter(({ id }) => !ctx.content.catalog.byId.has(id) && !groups.has(id))
    .map(({ id, index }) => ({ field: `${field}.${index}`, message: `unknown component "${id}"` }));
  if (problems.length > 0) throw new ValidationError('unknown components', problems);
}

/**
 * A subscription request (double opt-in). Whatever the address — new, pending, confirmed,
 * suppressed, or over its daily cap — the caller answers the same way, so nobody learns who
 * subscribed; only the client's own hourly cap is visible (a 429). When mail may go out, a
 * confirmation request is recorded and its email queued in one transaction; following the link
 * applies what was asked.
 */
export async function requestSubscription(
  ctx: SubscriptionContext,
  input: SubscribeInput,
  client: string,
): Promise<void> {
  const address = normaliseEmail(input.email);
  if ('problem' in address) throw ValidationError.field('email', address.problem);
  const components = [...new Set(input.components ?? [])];
  assertKnownTargets(ctx, components, 'components');
  if (input.incident_id !== undefined && components.length > 0) {
    throw ValidationError.field('incident_id', 'follow either an incident or components, not both');
  }
  const now = ctx.now();
  const at = now.toISOString();
  const hour = new Date(Math.floor(now.getTime() / HOUR_MS) * HOUR_MS);

  const queued = await ctx.db.write(async (tx) => {
    const count = await countRateEvent(tx, `subscribe:${client}`, hour.toISOString());
    if (count === 1) await pruneRateCounters(tx, new Date(hour.getTime() - HOUR_MS).toISOString());
    if (count > ctx.limits.requestsPerClientPerHour) {
      throw new RateLimited(Math.ceil((hour.getTime() + HOUR_MS - now.getTime()) / 1000));
    }
    let incidentTitle: string | null = null;
    if (input.incident_id !== undefined) {
      const incident = await findIncidentHead(tx.execute, input.incident_id);
      // A private incident is answered like one that does not exist.
      if (!incident || incident.visibility !== 'public') {
        throw ValidationError.field('incident_id', 'no such public incident');
      }
      if (incident.status === 'resolved') {
        throw ValidationError.field('incident_id', 'the incident is resolved');
      }
      incidentTitle = incident.title;
    }
    if (await isSuppressed(tx.execute, address.key)) return false;
    let subscriber = await findSubscriberByKey(tx.execute, address.key);
    if (!subscriber) {
      const id = randomId(16);
      await insertSubscriber(tx, {
        id,
        email: address.address,
        email_key: address.key,
        status: 'pending',
        follows: 'none',
        manage_hash: tokenDigest(ctx.secret, 'manage', id),
        source: 'form',
        at,
      });
      subscriber = (await findSubscriberByKey(tx.execute, address.key))!;
    }
    const since = new Date(now.getTime() - 24 * HOUR_MS).toISOString();
    const sent = await countConfirmationsSince(tx.execute, subscriber.id, since);
    if (sent >= ctx.limits.confirmationsPerAddressPerDay) return false;

    const request: ConfirmationRequest = {
      follows:
        input.incident_id !== undefined ? 'none' : components.length > 0 ? 'components' : 'all',
      components,
      incident_id: input.incident_id ?? null,
    };
    const confirmationId = randomId(16);
    await insertConfirmation(tx, {
      id: confirmationId,
      hash: tokenDigest(ctx.secret, 'confirm', confirmationId),
      subscriber_id: subscriber.id,
      request,
      created_at: at,
      expires_at: new Date(now.getTime() + CONFIRMATION_TTL_MS).toISOString(),
    });
    const marker = newMarker();
    const body = renderBody(
      ctx.mail,
      CONFIRM_TEMPLATE,
      confirmVariables(
        ctx.content,
        ctx.siteUrl,
        describeRequest(ctx.content, request, incidentTitle),
        marker,
      ),
      randomId(16),
      marker,
      {},
    );
    await insertMailBody(tx, body, at);
    await enqueueEmail(
      tx,
      `confirm-${confirmationId}`,
      {
        dedupeKey: `subscriber-confirm/${confirmationId}`,
        kind: 'subscriber.confirm',
        to: subscriber.email,
        subject: '',
        html: '',
        text: '',
        bodyId: body.id,
        subscriberId: subscriber.id,
        confirmationId,
      },
      at,
    );
    return true;
  });
  if (queued) ctx.onQueued();
}
