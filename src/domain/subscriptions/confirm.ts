import { hashToken } from '../../storage/keys.ts';
import {
  findConfirmationByHash,
  findSubscriber,
  followIncident,
  isSuppressed,
  savePreferences,
  setSubscriberStatus,
  useConfirmation,
  type Subscriber,
} from '../../storage/subscribers.ts';
import type { SubscriptionContext } from './context.ts';
import { wellFormedToken } from './tokens.ts';

export type ConfirmResult =
  | { kind: 'confirmed'; subscriber: Subscriber }
  | { kind: 'expired' }
  | { kind: 'used' }
  | { kind: 'invalid' };

/**
 * Follows a confirmation link: single use, valid 48 hours. Applies what the request asked (all
 * components, a chosen set, or one incident, added to what a confirmed subscriber already
 * follows) and makes the subscriber confirmed. A used, expired or unknown token changes nothing.
 */
export async function confirmSubscription(
  ctx: SubscriptionContext,
  token: string | undefined,
): Promise<ConfirmResult> {
  if (!wellFormedToken(token)) return { kind: 'invalid' };
  const at = ctx.now().toISOString();
  return ctx.db.write(async (tx): Promise<ConfirmResult> => {
    const confirmation = await findConfirmationByHash(tx.execute, hashToken(token));
    if (!confirmation) return { kind: 'invalid' };
    if (confirmation.used_at !== null) return { kind: 'used' };
    if (confirmation.expires_at <= at) return { kind: 'expired' };
    const subscriber = await findSubscriber(tx.execute, confirmation.subscriber_id);
    if (!subscriber || (await isSuppressed(tx.execute, subscriber.email_key))) {
      return { kind: 'invalid' };
    }
    if (!(await useConfirmation(tx, confirmation.id, at))) return { kind: 'used' };
    const { request } = confirmation;
    if (request.incident_id !== null) {
      await followIncident(tx, subscriber.id, request.incident_id, at);
      // Someone new (or who had left) following one incident follows nothing else.
      if (subscriber.status !== 'confirmed')
        await savePreferences(tx, subscriber.id, 'none', [], at);
    } else {
      await savePreferences(tx, subscriber.id, request.follows, request.components, at);
    }
    await setSubscriberStatus(tx, subscriber.id, 'confirmed', at);
    return { kind: 'confirmed', subscriber: (await findSubscriber(tx.execute, subscriber.id))! };
  });
}
