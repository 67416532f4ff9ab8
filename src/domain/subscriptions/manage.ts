import { hashToken } from '../../storage/keys.ts';
import {
  findSubscriberByManageHash,
  savePreferences,
  setSubscriberStatus,
  type Subscriber,
} from '../../storage/subscribers.ts';
import type { Follows } from './fanout.ts';
import type { SubscriptionContext } from './context.ts';
import { assertKnownTargets } from './subscribe.ts';
import { wellFormedToken } from './tokens.ts';

/** The subscriber a manage link names, or null (unknown token, or the subscriber was removed). */
export async function subscriberForToken(
  ctx: SubscriptionContext,
  token: string | undefined,
): Promise<Subscriber | null> {
  if (!wellFormedToken(token)) return null;
  const subscriber = await findSubscriberByManageHash(ctx.db.query, hashToken(token));
  // A suppressed address cannot be mailed: there is nothing to manage.
  return subscriber && subscriber.status !== 'suppressed' ? subscriber : null;
}

/**
 * Saves what a subscriber follows from the manage page: everything, chosen components and groups,
 * or (nothing chosen) only the incidents they follow. Saving preferences subscribes again someone
 * who had left: the link came from an email they received.
 */
export async function savePreferencesByToken(
  ctx: SubscriptionContext,
  token: string | undefined,
  choice: { follows: Exclude<Follows, 'none'>; components: string[] },
): Promise<Subscriber | null> {
  const subscriber = await subscriberForToken(ctx, token);
  if (!subscriber) return null;
  const components = [...new Set(choice.components)];
  assertKnownTargets(ctx, components, 'components');
  const follows: Follows =
    choice.follows === 'all' ? 'all' : components.length > 0 ? 'components' : 'none';
  const at = ctx.now().toISOString();
  await ctx.db.write(async (tx) => {
    await savePreferences(
      tx,
      subscriber.id,
      follows,
      follows === 'components' ? components : [],
      at,
    );
    await setSubscriberStatus(tx, subscriber.id, 'confirmed', at);
  });
  return subscriberForToken(ctx, token);
}

/** One-click unsubscribe (RFC 8058) and the button on the unsubscribe page: idempotent. */
export async function unsubscribeByToken(
  ctx: SubscriptionContext,
  token: string | undefined,
): Promise<Subscriber | null> {
  const subscriber = await subscriberForToken(ctx, token);
  if (!subscriber) return null;
  if (subscriber.status !== 'unsubscribed') {
    await ctx.db.write((tx) =>
      setSubscriberStatus(tx, subscriber.id, 'unsubscribed', ctx.now().toISOString()),
    );
  }
  return subscriber;
}
