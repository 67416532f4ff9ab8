import { Hono } from 'hono';
import { NotFoundError, ConflictError } from '../../domain/errors.ts';
import { countLiveAdminKeys, createKey, listKeys, revokeKey } from '../../storage/keys.ts';
import { readBody } from '../body.ts';
import type { AppDeps } from '../deps.ts';
import type { AppEnv } from '../env.ts';
import { requireScope } from '../middleware/auth.ts';
import { idempotency } from '../middleware/idempotency.ts';
import { createKeyBody } from '../schemas.ts';

export function keyRoutes(deps: AppDeps) {
  const admin = requireScope(deps.db, deps.now, 'admin');
  return new Hono<AppEnv>()
    .post('/', admin, idempotency(deps.db, deps.now), async (c) => {
      const body = await readBody(c, createKeyBody);
      const { key, token } = await createKey(deps.db, {
        name: body.name,
        scope: body.scope,
        createdBy: c.get('actor').id,
        at: deps.now().toISOString(),
      });
      // The token is shown here once; only its hash is stored.
      return c.json({ ...key, token }, 201);
    })
    .get('/', admin, async (c) => c.json({ keys: await listKeys(deps.db) }))
    .delete('/:id', admin, async (c) => {
      const id = c.req.param('id');
      const keys = await listKeys(deps.db);
      const target = keys.find((k) => k.id === id && k.revoked_at === null);
      if (!target) throw new NotFoundError('api key', id);
      if (target.scope === 'admin' && (await countLiveAdminKeys(deps.db)) === 1) {
        throw new ConflictError(
          'this is the last admin key; create another admin key before revoking it',
        );
      }
      await revokeKey(deps.db, id, c.get('actor').id, deps.now().toISOString());
      return c.body(null, 204);
    });
}
