import { recordAudit } from '../../storage/audit.ts';
import { hashToken, randomId } from '../../storage/keys.ts';
import { countRateEvent } from '../../storage/subscribers.ts';
import {
  confirmByChallenge,
  deleteWebhook,
  deleteWebhookByUnsubscribe,
  findWebhook,
  insertHookEvent,
  insertWebhook,
  reenableWebhook,
  replaceSecret,
  type Webhook,
} from '../../storage/webhooks.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import { detectFormat, type WebhookFormat } from './chat.ts';
import { RateLimited, type WebhookContext } from './context.ts';
import { newSigningSecret } from './signature.ts';
import { CHALLENGE_TTL_MS, newChallengeCode, unsubscribeDigest, wellFormedCode } from './tokens.ts';

export interface NewWebhookInput {
  url: string;
  components?: string[] | undefined;
  /** Admin only: the format, when the URL is not recognised (a proxy in front of Slack, say). */
  format?: WebhookFormat | undefined;
  owner_email?: string | undefined;
}

const HOUR_MS = 3_600_000;

function assertKnownComponents(ctx: WebhookContext, ids: string[]): void {
  const groups = new Set(ctx.content.catalog.groups.map((g) => g.id));
  const problems = ids
    .map((id, index) => ({ id, index }))
    .filter(({ id }) => !ctx.content.catalog.byId.has(id) && !groups.has(id))
    .map(({ id, index }) => ({
      field: `components.${index}`,
      message: `unknown component "${id}"`,
    }));
  if (problems.length > 0) throw new ValidationError('unknown components', problems);
}

/** Where the owner confirms a webhook by opening a link (chat tools cannot echo a code). */
export function confirmUrl(apiUrl: string, code: string): string {
  return `${apiUrl}/v1/subscriptions/webhooks/confirm?code=${code}`;
}

export function unsubscribeUrl(apiUrl: string, token: string): string {
  return `${apiUrl}/v1/subscriptions/webhooks/unsubscribe?token=${token}`;
}

/**
 * Registers a webhook or chat endpoint. The URL must pass the address policy now (and is checked
 * again at every delivery). From the admin route it is active at once (trusted); from the public
 * route it is pending until the owner echoes the one-time code of the verification event that is
 * queued in the same transaction. The signing secret is returned here, once, and stored only
 * sealed.
 */
export async function createWebhook(
  ctx: WebhookContext,
  input: NewWebhookInput,
  origin: { source: 'admin'; actor: string } | { source: 'public'; client: string },
  field = 'url',
): Promise<{ webhook: Webhook; secret: string }> {
  const target = await ctx.checkUrl(input.url);
  if (!target.ok) throw ValidationError.field(field, target.reason);
  const components = input.components ? [...new Set(input.components)] : null;
  if (components) assertKnownComponents(ctx, components);
  const format = input.format ?? detectFormat(target.url);
  const now = ctx.now();
  const at = now.toISOString();
  const id = randomId(16);
  const secret = newSigningSecret();
  const code = origin.source === 'public' ? newChallengeCode() : null;
  const verification = code
    ? await ctx.renderVerification(randomId(16), code, confirmUrl(ctx.apiUrl, code))
    : null;
  await ctx.db.write(async (tx) => {
    if (origin.source === 'public') {
      const hour = new Date(Math.floor(now.getTime() / HOUR_MS) * HOUR_MS);
      const count = await countRateEvent(tx, `webhook:${origin.client}`, hour.toISOString());
      if (count > ctx.requestsPerClientPerHour) {
        throw new RateLimited(Math.ceil((hour.getTime() + HOUR_MS - now.getTime()) / 1000));
      }
    }
    await insertWebhook(tx, {
      id,
      url: target.url.href,
      format,
      status: code ? 'pending' : 'active',
      components,
      secretBox: ctx.seal(id, secret),
      ownerEmail: input.owner_email ?? null,
      source: origin.source,
      challengeHash: code ? hashToken(code) : null,
      challengeExpiresAt: code ? new Date(now.getTime() + CHALLENGE_TTL_MS).toISOString() : null,
      unsubscribeHash: unsubscribeDigest(ctx.secret, id),
      at,
    });
    if (verification) {
      const body = verification.body as { meta: { event_id: string } };
      await insertHookEvent(tx, {
        id: body.meta.event_id,
        type: verification.type,
        sourceKey: `verification:${id}`,
        incidentId: null,
        payload: verification.body,
        chat: verification.chat,
        keys: null,
        target: id,
        at,
      });
    }
    await recordAudit(tx, {
      at,
      actor: origin.source === 'admin' ? origin.actor : 'public',
      action: 'webhook.create',
      target_type: 'webhook',
      target_id: id,
      details: { host: target.url.host, format, components },
    });
  });
  if (verification) ctx.onQueued();
  return { webhook: (await findWebhook(ctx.db.query, id))!, secret };
}

/** The owner echoed the code (by link or by answering the verification event): active now. */
export async function confirmWebhook(ctx: WebhookContext, code: unknown): Promise<string | null> {
  if (!wellFormedCode(code)) return null;
  const at = ctx.now().toISOString();
  return ctx.db.write((tx) => confirmByChallenge(tx, hashToken(code), at));
}

/** A new signing secret, returned once; deliveries from now on are signed with it. */
export async function rotateSecret(
  ctx: WebhookContext,
  id: string,
  actor: string,
): Promise<string> {
  const secret = newSigningSecret();
  const at = ctx.now().toISOString();
  const done = await ctx.db.write(async (tx) => {
    if (!(await replaceSecret(tx, id, ctx.seal(id, secret), at))) return false;
    await recordAudit(tx, {
      at,
      actor,
      action: 'webhook.rotate_secret',
      target_type: 'webhook',
      target_id: id,
      details: {},
    });
    return true;
  });
  if (!done) throw new NotFoundError('webhook', id);
  return secret;
}

export async function reenable(ctx: WebhookContext, id: string, actor: string): Promise<Webhook> {
  const at = ctx.now().toISOString();
  const done = await ctx.db.write(async (tx) => {
    if (!(await reenableWebhook(tx, id, at))) return false;
    await recordAudit(tx, {
      at,
      actor,
      action: 'webhook.enable',
      target_type: 'webhook',
      target_id: id,
      details: {},
    });
    return true;
  });
  if (!done) throw new NotFoundError('webhook', id);
  ctx.onQueued();
  return (await findWebhook(ctx.db.query, id))!;
}

export async function remove(ctx: WebhookContext, id: string, actor: string): Promise<void> {
  const at = ctx.now().toISOString();
  const done = await ctx.db.write(async (tx) => {
    if (!(await deleteWebhook(tx, id, at))) return false;
    await recordAudit(tx, {
      at,
      actor,
      action: 'webhook.remove',
      target_type: 'webhook',
      target_id: id,
      details: {},
    });
    return true;
  });
  if (!done) throw new NotFoundError('webhook', id);
}

/** `meta.unsubscribe`: the receiver's owner leaves without a key. */
export async function unsubscribeWebhook(ctx: WebhookContext, token: unknown): Promise<boolean> {
  if (typeof token !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(token)) return false;
  const at = ctx.now().toISOString();
  return ctx.db.write((tx) => deleteWebhookByUnsubscribe(tx, hashToken(token), at));
}
