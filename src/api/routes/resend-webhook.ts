import { Hono } from 'hono';
import { z } from 'zod';
import type { SubscriptionContext } from '../../domain/subscriptions/context.ts';
import { applyProviderEvent } from '../../domain/subscriptions/provider-events.ts';
import { parseOr422 } from '../body.ts';
import type { AppEnv } from '../env.ts';
import { ApiError } from '../errors.ts';
import { svixProblem } from '../svix.ts';

const resendEvent = z.object({
  type: z.string().max(100),
  data: z
    .object({
      to: z.union([z.string().max(400), z.array(z.string().max(400)).max(100)]).optional(),
      bounce: z
        .object({ type: z.string().max(100).optional() })
        .loose()
        .optional(),
    })
    .loose(),
});

/**
 * `POST /v1/webhooks/resend`: provider events, trusted only with a valid Svix signature over the
 * raw body and a fresh timestamp (`RESEND_WEBHOOK_SECRET`); anything else is a 401 and changes
 * nothing. Without a configured secret every call is refused.
 */
export function resendWebhookRoutes(ctx: SubscriptionContext, secret: string | undefined) {
  return new Hono<AppEnv>().post('/', async (c) => {
    const raw = new Uint8Array(await c.req.arrayBuffer());
    if (!secret) throw new ApiError(401, 'unauthorized', 'RESEND_WEBHOOK_SECRET is not configured');
    const problem = svixProblem(
      secret,
      {
        id: c.req.header('svix-id'),
        timestamp: c.req.header('svix-timestamp'),
        signature: c.req.header('svix-signature'),
      },
      raw,
      ctx.now(),
    );
    if (problem) throw new ApiError(401, 'unauthorized', `webhook signature refused: ${problem}`);
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw));
    } catch {
      throw new ApiError(400, 'bad_request', 'webhook body is not JSON');
    }
    const event = parseOr422(resendEvent, json);
    const to = event.data.to;
    const result = await applyProviderEvent(ctx, {
      id: c.req.header('svix-id')!,
      type: event.type,
      recipients: to === undefined ? [] : Array.isArray(to) ? to : [to],
      bounceType: event.data.bounce?.type ?? null,
    });
    return c.json({ received: true, replay: result.replay, suppressed: result.suppressed });
  });
}
