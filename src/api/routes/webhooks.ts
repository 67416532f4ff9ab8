import { getConnInfo } from '@hono/node-server/conninfo';
import { Hono, type Context, type Next } from 'hono';
import { z } from 'zod';
import {
  confirmWebhook,
  createWebhook,
  reenable,
  remove,
  rotateSecret,
  unsubscribeWebhook,
} from '../../domain/webhooks/actions.ts';
import { FORMATS } from '../../domain/webhooks/chat.ts';
import { RateLimited, type WebhookContext } from '../../domain/webhooks/context.ts';
import { findWebhook, lastDeliveries, listWebhooks, type Webhook } from '../../storage/webhooks.ts';
import { parseOr422, readBody, readJson } from '../body.ts';
import type { AppEnv } from '../env.ts';
import { ApiError, errorBody } from '../errors.ts';
import { requireScope } from '../middleware/auth.ts';
import { messagePage, PAGE_SECURITY_POLICY, type PageSite } from '../subscription-pages.ts';

const id = z.string().min(1).max(64);
const url = z.string().min(1, 'is required').max(2000, 'must be at most 2000 characters');

/** `POST /v1/subscriptions` with `webhook` (public, confirmed by the verification event). */
export const webhookSubscribeBody = z
  .object({
    webhook: url,
    components: z.array(id).max(100).optional(),
    email: z.email('is not an email address').max(320).optional(),
  })
  .strict();

/** `POST /v1/webhooks` (admin, trusted: active at once). */
export const webhookAdminBody = z
  .object({
    url,
    components: z.array(id).max(200).optional(),
    format: z.enum(FORMATS).optional(),
    owner_email: z.email('is not an email address').max(320).optional(),
  })
  .strict();

export const webhookListQuery = z
  .object({
    status: z.enum(['pending', 'active', 'disabled']).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    after: id.optional(),
  })
  .strict();

/** What the admin sees: never the secret, never the whole URL path (it often is the credential). */
export function presentWebhook(w: Webhook) {
  const parsed = new URL(w.url);
  return {
    id: w.id,
    url: w.format === 'statuspage' ? w.url : `${parsed.origin}/…`,
    format: w.format,
    status: w.status,
    follows: w.follows,
    components: w.components,
    owner_email: w.owner_email,
    source: w.source,
    created_at: w.created_at,
    confirmed_at: w.confirmed_at,
    disabled_at: w.disabled_at,
    disabled_reason: w.disabled_reason,
    failing_since: w.failing_since,
    failure_count: w.failure_count,
    last_attempt_at: w.last_attempt_at,
    last_result: w.last_result,
  };
}

function clientOf(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * The public side of `POST /v1/subscriptions` when the body names a `webhook`: registered before
 * the email subscription route, it passes every other body on untouched (the body is cached).
 */
export function webhookSubscribe(ctx: WebhookContext) {
  return async function webhookSubscribe(c: Context<AppEnv>, next: Next) {
    const type = c.req.header('content-type') ?? '';
    if (!type.startsWith('application/json')) return next();
    const raw = await readJson(c);
    if (typeof raw !== 'object' || raw === null || !('webhook' in raw)) return next();
    const body = parseOr422(webhookSubscribeBody, raw);
    try {
      const { webhook, secret } = await createWebhook(
        ctx,
        { url: body.webhook, components: body.components, owner_email: body.email },
        { source: 'public', client: clientOf(c) },
        'webhook',
      );
      return c.json(
        {
          status: 'pending',
          id: webhook.id,
          format: webhook.format,
          secret,
          message:
            'A verification event with a one-time code is on its way to the endpoint: answer it with {"code": "<code>"}, or open its confirm_url, within 48 hours. The secret signs every delivery and is shown only now.',
        },
        202,
      );
    } catch (error) {
      if (error instanceof RateLimited) {
        c.header('Retry-After', String(error.retryAfterSeconds));
        return c.json(errorBody('rate_limited', error.message), 429);
      }
      throw error;
    }
  };
}

/** Confirm (by link or code) and unsubscribe (the `meta.unsubscribe` link), no key. */
export function webhookPublicRoutes(ctx: WebhookContext, site: PageSite) {
  const page = (c: Context, title: string, lines: string[], status: 200 | 404 = 200, tone = '') => {
    c.header('Content-Security-Policy', PAGE_SECURITY_POLICY);
    c.header('Cache-Control', 'no-store');
    c.header('Referrer-Policy', 'no-referrer');
    return c.html(messagePage(site, title, lines, tone), status);
  };
  const invalid = (c: Context) =>
    page(
      c,
      'This link is not valid',
      ['The link has expired, was already used, or the webhook no longer exists.'],
      404,
      'bad',
    );
  return new Hono<AppEnv>()
    .get('/confirm', async (c) => {
      const confirmed = await confirmWebhook(ctx, c.req.query('code'));
      if (!confirmed) return invalid(c);
      ctx.onQueued();
      return page(c, 'Webhook confirmed', [
        'Status updates will now be delivered to this endpoint.',
      ]);
    })
    .post('/confirm', async (c) => {
      const body = await readJson(c);
      const code =
        typeof body === 'object' && body !== null ? (body as { code?: unknown }).code : undefined;
      const confirmed = await confirmWebhook(ctx, code);
      if (!confirmed)
        return c.json(errorBody('not_found', 'no pending webhook has this code'), 404);
      ctx.onQueued();
      return c.json({ status: 'active', id: confirmed });
    })
    .get('/unsubscribe', (c) => {
      const token = c.req.query('token') ?? '';
      if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return invalid(c);
      c.header('Content-Security-Policy', PAGE_SECURITY_POLICY);
      c.header('Cache-Control', 'no-store');
      return c.html(
        messagePage(site, 'Stop these webhook deliveries?', [
          'Send a POST request to this same address (for example with curl -X POST) to remove the webhook. Nothing more will be delivered to it.',
        ]),
      );
    })
    .post('/unsubscribe', async (c) => {
      const removed = await unsubscribeWebhook(ctx, c.req.query('token'));
      if (!removed) return c.json(errorBody('not_found', 'no webhook has this token'), 404);
      return c.json({ status: 'removed' });
    });
}

/** Admin: list, create, one, remove, re-enable, rotate the secret, last deliveries. */
export function webhookAdminRoutes(ctx: WebhookContext) {
  const admin = requireScope(ctx.db, ctx.now, 'admin');
  const found = async (hookId: string) => {
    const webhook = await findWebhook(ctx.db.query, hookId);
    if (!webhook) throw new ApiError(404, 'not_found', `webhook "${hookId}" does not exist`);
    return webhook;
  };
  return new Hono<AppEnv>()
    .get('/', admin, async (c) => {
      const q = parseOr422(webhookListQuery, c.req.query());
      const webhooks = await listWebhooks(ctx.db.query, q);
      const last = webhooks.length === q.limit ? webhooks[webhooks.length - 1]!.id : null;
      return c.json({ webhooks: webhooks.map(presentWebhook), next_after: last });
    })
    .post('/', admin, async (c) => {
      const body = await readBody(c, webhookAdminBody);
      const { webhook, secret } = await createWebhook(
        ctx,
        {
          url: body.url,
          components: body.components,
          format: body.format,
          owner_email: body.owner_email,
        },
        { source: 'admin', actor: c.get('actor').id },
      );
      return c.json({ ...presentWebhook(webhook), secret }, 201);
    })
    .get('/:id', admin, async (c) => c.json(presentWebhook(await found(c.req.param('id')))))
    .delete('/:id', admin, async (c) => {
      await remove(ctx, c.req.param('id'), c.get('actor').id);
      return c.body(null, 204);
    })
    .post('/:id/enable', admin, async (c) =>
      c.json(presentWebhook(await reenable(ctx, c.req.param('id'), c.get('actor').id))),
    )
    .post('/:id/rotate-secret', admin, async (c) => {
      const secret = await rotateSecret(ctx, c.req.param('id'), c.get('actor').id);
      return c.json({ id: c.req.param('id'), secret });
    })
    .get('/:id/deliveries', admin, async (c) => {
      const webhook = await found(c.req.param('id'));
      const limit = Math.min(200, Math.max(1, Number(c.req.query('limit') ?? 50) || 50));
      return c.json({
        webhook_id: webhook.id,
        deliveries: await lastDeliveries(ctx.db.query, webhook.id, limit),
      });
    });
}
