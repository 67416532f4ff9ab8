import { suppressAddress, recordWebhookEvent } from '../../storage/subscribers.ts';
import { normaliseEmail } from './address.ts';
import type { SubscriptionContext } from './context.ts';

/** What Herald reads from a provider's webhook event. */
export interface ProviderEvent {
  /** The provider's message id for the event (Svix's `svix-id`): a replay has the same. */
  id: string;
  type: string;
  recipients: string[];
  /** For bounces: `Permanent` (hard) or `Transient` (soft), when the provider says. */
  bounceType: string | null;
}

/** Why an event suppresses its recipients, or null when it does not. */
export function suppressionReason(event: ProviderEvent): string | null {
  if (event.type === 'email.complained') return 'complaint';
  if (event.type === 'email.bounced') {
    // Resend reports soft bounces as `Transient`; anything else that bounced is hard.
    return event.bounceType !== null && /transient|soft/i.test(event.bounceType)
      ? null
      : 'hard bounce';
  }
  return null;
}

/**
 * Applies a verified provider event once: hard bounces and complaints suppress the address
 * everywhere (all its subscriptions, future requests, mail not yet handed over). A replayed event
 * changes nothing. Returns how many addresses were newly suppressed.
 */
export async function applyProviderEvent(
  ctx: SubscriptionContext,
  event: ProviderEvent,
): Promise<{ replay: boolean; suppressed: number }> {
  const at = ctx.now().toISOString();
  const reason = suppressionReason(event);
  return ctx.db.write(async (tx) => {
    if (!(await recordWebhookEvent(tx, event.id, event.type, at))) {
      return { replay: true, suppressed: 0 };
    }
    let suppressed = 0;
    if (reason === null) return { replay: false, suppressed };
    for (const recipient of event.recipients) {
      // `Name <addr>` or a bare address.
      const bare = /<([^>]+)>\s*$/.exec(recipient)?.[1] ?? recipient;
      const address = normaliseEmail(bare);
      if ('problem' in address) continue;
      if (await suppressAddress(tx, address.key, reason, at)) suppressed += 1;
    }
    return { replay: false, suppressed };
  });
}
