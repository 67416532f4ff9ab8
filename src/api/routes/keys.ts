import { Hono } from 'hono';
import { NotFoundError, ConflictError } from '../../domain/errors.ts';
import { countLiveAdminKeys, createKey, listKeys, revokeKey } from '../../storage/keys.ts';
import { readBody } from '../body.ts';
import type { AppDeps } from '../deps.ts';
import type { AppEnv } from '../env.ts';
import { requireScope } from '../middleware/auth.ts';
import { ApiError } from '../errors.ts';
import { createKeyBody } from '../schemas.ts';

export function keyRoutes(deps: AppDeps) {
  const admin = requireScope(deps.db, deps.now, 'admin');
  return new Hono<AppEnv>()
    .post('/', admin, async (c) => {
      // A replay would have to store the token to return it again; Herald stores no secret.
      if (c.req.header('idempotency-key') !== undefined) {
        throw new ApiError(
          400,
          'idempotency_not_supported',
          'POST /v1/keys does not take an Idempotency-Key: its response carries a secret that is never stored; after a failed request, look in GET /v1/keys and revoke any key you cannot use',
        );
      }
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
