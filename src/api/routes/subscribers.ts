import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { SubscriptionContext } from '../../domain/subscriptions/context.ts';
import { importSubscribers, removeSubscriber } from '../../domain/subscriptions/admin.ts';
import {
  countSuppressions,
  listSubscribers,
  subscriberCounts,
  type Subscriber,
} from '../../storage/subscribers.ts';
import { parseOr422, readBody } from '../body.ts';
import type { AppEnv } from '../env.ts';
import { ApiError } from '../errors.ts';
import { requireScope } from '../middleware/auth.ts';
import { importBody, listSubscribersQuery } from '../subscription-schemas.ts';

/** 10,000 addresses with their components fit well within this. */
export const IMPORT_MAX_BYTES = 4 * 1024 * 1024;

function present(s: Subscriber) {
  return {
    id: s.id,
    email: s.email,
    status: s.status,
    follows: s.follows,
    components: s.components,
    incidents: s.incidents,
    source: s.source,
    created_at: s.created_at,
    confirmed_at: s.confirmed_at,
    unsubscribed_at: s.unsubscribed_at,
  };
}

/** Admin: list with counts and filters, remove one, import in bulk. */
export function subscriberRoutes(ctx: SubscriptionContext) {
  const admin = requireScope(ctx.db, ctx.now, 'admin');
  return new Hono<AppEnv>()
    .get('/', admin, async (c) => {
      const q = parseOr422(listSubscribersQuery, c.req.query());
      const [subscribers, counts, suppressed] = await Promise.all([
        listSubscribers(ctx.db.query, {
          status: q.status,
          component: q.component,
          incident: q.incident_id,
          q: q.q,
          limit: q.limit,
          after: q.after,
        }),
        subscriberCounts(ctx.db.query),
        countSuppressions(ctx.db.query),
      ]);
      const last = subscribers.at(-1);
      return c.json({
        counts: { ...counts, suppressed_addresses: suppressed },
        subscribers: subscribers.map(present),
        next_cursor: subscribers.length === q.limit && last ? last.id : null,
      });
    })
    .post(
      '/',
      admin,
      bodyLimit({
        maxSize: IMPORT_MAX_BYTES,
        onError: () => {
          throw new ApiError(
            413,
            'payload_too_large',
            `request body is larger than ${IMPORT_MAX_BYTES} bytes`,
          );
        },
      }),
      async (c) => {
        const body = await readBody(c, importBody);
        const result = await importSubscribers(ctx, c.get('actor'), body.subscribers);
        return c.json(result, 200);
      },
    )
    .delete('/:id', admin, async (c) => {
      await removeSubscriber(ctx, c.get('actor'), c.req.param('id'));
      return c.body(null, 204);
    });
}
