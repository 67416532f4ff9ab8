import { getConnInfo } from '@hono/node-server/conninfo';
import { Hono, type Context } from 'hono';
import { cors } from 'hono/cors';
import { confirmSubscription } from '../../domain/subscriptions/confirm.ts';
import { RateLimited, type SubscriptionContext } from '../../domain/subscriptions/context.ts';
import {
  savePreferencesByToken,
  subscriberForToken,
  unsubscribeByToken,
} from '../../domain/subscriptions/manage.ts';
import { requestSubscription } from '../../domain/subscriptions/subscribe.ts';
import { ValidationError } from '../../domain/errors.ts';
import { subscriptionLinks } from '../../mail/personalise.ts';
import { parseOr422, readJson } from '../body.ts';
import type { AppEnv } from '../env.ts';
import { ApiError, errorBody } from '../errors.ts';
import {
  checkInboxPage,
  confirmedPage,
  expiredPage,
  invalidPage,
  managePage,
  PAGE_SECURITY_POLICY,
  savedPage,
  tooManyPage,
  unsubscribedPage,
  unsubscribePromptPage,
  type PageSite,
} from '../subscription-pages.ts';
import { manageForm, subscribeBody } from '../subscription-schemas.ts';

/** The one body every subscription request gets, whatever the address. */
export const ACCEPTED = {
  status: 'accepted',
  message:
    'If this address can receive email from us, a confirmation link is on its way. Follow it within 48 hours.',
};

/** A browser form (HTML answers) rather than a JSON client. */
function isForm(c: Context): boolean {
  const type = c.req.header('content-type') ?? '';
  return (
    type.startsWith('application/x-www-form-urlencoded') || type.startsWith('multipart/form-data')
  );
}

/** Form fields, with repeated names (`components`) as arrays. */
async function readForm(c: Context): Promise<Record<string, string | string[]>> {
  const form = await c.req.formData().catch(() => {
    throw new ApiError(400, 'bad_request', 'the form could not be read');
  });
  const fields: Record<string, string | string[]> = {};
  for (const [name, value] of form.entries()) {
    if (typeof value !== 'string') continue;
    const previous = fields[name];
    if (previous === undefined) fields[name] = name === 'components' ? [value] : value;
    else fields[name] = [...(Array.isArray(previous) ? previous : [previous]), value];
  }
  return fields;
}

/** The client's address, for the hourly cap: the socket's peer (a proxy in front should set one per client). */
function clientOf(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export interface SubscriptionRouteOptions {
  ctx: SubscriptionContext;
  /** The API's public URL (links in pages and emails). */
  apiUrl: string;
  /** Origins allowed to call these routes from scripts (the site's, wherever it is hosted). */
  allowedOrigins: string[];
}

/**
 * The public subscription routes (SPEC §6): no key, answers in HTML for browser forms and in JSON
 * for scripts. Only pages the API itself serves link back here; the site's forms post to the
 * API's public URL.
 */
export function subscriptionRoutes({ ctx, apiUrl, allowedOrigins }: SubscriptionRouteOptions) {
  const site: PageSite = { name: ctx.content.site.name, siteUrl: ctx.siteUrl };
  const links = subscriptionLinks(apiUrl, ctx.secret);
  const page = (c: Context, body: string, status: 200 | 202 | 404 | 410 | 422 | 429 = 200) => {
    c.header('Content-Security-Policy', PAGE_SECURITY_POLICY);
    c.header('Cache-Control', 'no-store');
    c.header('Referrer-Policy', 'no-referrer');
    return c.html(body, status);
  };
  const tokenOf = async (c: Context): Promise<string | undefined> => {
    const fromQuery = c.req.query('token');
    if (fromQuery !== undefined || c.req.method !== 'POST' || !isForm(c)) return fromQuery;
    const token = (await readForm(c)).token;
    return typeof token === 'string' ? token : undefined;
  };

  return (
    new Hono<AppEnv>()
      .use('*', cors({ origin: allowedOrigins, allowMethods: ['GET', 'POST'], maxAge: 600 }))
      .post('/', async (c) => {
        const form = isForm(c);
        const raw = form ? await readForm(c) : await readJson(c);
        try {
          const body = parseOr422(subscribeBody, raw);
          await requestSubscription(ctx, body, clientOf(c));
        } catch (error) {
          if (error instanceof RateLimited) {
            c.header('Retry-After', String(error.retryAfterSeconds));
            if (form) return page(c, tooManyPage(site, error.retryAfterSeconds), 429);
            return c.json(errorBody('rate_limited', error.message), 429);
          }
          if (form && (error instanceof ValidationError || error instanceof ApiError)) {
            const details = error instanceof ValidationError ? error.details : error.details;
            return page(
              c,
              invalidPage(
                site,
                details.length > 0
                  ? details.map((d) =>
                      d.field === 'email'
                        ? `The email address ${d.message}.`
                        : `${d.field}: ${d.message}`,
                    )
                  : [error.message],
              ),
              422,
            );
          }
          throw error;
        }
        if (form) return page(c, checkInboxPage(site), 202);
        return c.json(ACCEPTED, 202);
      })
      .get('/confirm', async (c) => {
        const result = await confirmSubscription(ctx, c.req.query('token'));
        if (result.kind !== 'confirmed') {
          return page(c, expiredPage(site, result.kind), result.kind === 'invalid' ? 404 : 410);
        }
        return page(
          c,
          confirmedPage(
            site,
            ctx.content.catalog,
            result.subscriber,
            links.manage(result.subscriber.id),
          ),
        );
      })
      .get('/manage', async (c) => {
        const token = c.req.query('token');
        const subscriber = await subscriberForToken(ctx, token);
        if (!subscriber) return page(c, expiredPage(site, 'invalid'), 404);
        return page(c, managePage(site, ctx.content.catalog, subscriber, token!));
      })
      .post('/manage', async (c) => {
        const fields = isForm(c) ? await readForm(c) : await readJson(c);
        const choice = parseOr422(manageForm, fields);
        const subscriber = await savePreferencesByToken(ctx, choice.token, choice);
        if (!subscriber) return page(c, expiredPage(site, 'invalid'), 404);
        return page(
          c,
          savedPage(site, ctx.content.catalog, subscriber, links.manage(subscriber.id)),
        );
      })
      .get('/unsubscribe', async (c) => {
        const token = c.req.query('token');
        const subscriber = await subscriberForToken(ctx, token);
        if (!subscriber) return page(c, expiredPage(site, 'invalid'), 404);
        return page(c, unsubscribePromptPage(site, subscriber, token!));
      })
      // RFC 8058 one-click: the mail provider POSTs `List-Unsubscribe=One-Click` to the link.
      .post('/unsubscribe', async (c) => {
        const subscriber = await unsubscribeByToken(ctx, await tokenOf(c));
        if (!subscriber) return page(c, expiredPage(site, 'invalid'), 404);
        return page(c, unsubscribedPage(site));
      })
  );
}
