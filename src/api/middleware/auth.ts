import type { MiddlewareHandler } from 'hono';
import type { Scope } from '../../domain/types.ts';
import type { Db } from '../../storage/db.ts';
import { findKeyByToken, touchKey } from '../../storage/keys.ts';
import { ApiError } from '../errors.ts';
import type { AppEnv } from '../env.ts';

const RANK: Record<Scope, number> = { read: 1, executive: 1, write: 2, admin: 3 };
/** `last_used_at` is refreshed at most this often per key, so reads do not all become writes. */
const TOUCH_EVERY_MS = 60_000;

/**
 * Authenticates `Authorization: Bearer <key>` and requires at least `scope`
 * (`read` = `executive` < `write` < `admin`), or, given a list, exactly one of the scopes listed
 * (executive content: `['admin', 'executive']`). Sets `actor` for handlers and the audit log.
 */
export function requireScope(
  db: Db,
  now: () => Date,
  scope: Scope | readonly Scope[],
): MiddlewareHandler<AppEnv> {
  const allowed = (held: Scope) =>
    typeof scope === 'string' ? RANK[held] >= RANK[scope] : scope.includes(held);
  const needed = typeof scope === 'string' ? `"${scope}"` : scope.map((s) => `"${s}"`).join(' or ');
  const lastTouched = new Map<string, number>();
  return async function authenticate(c, next) {
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S{1,512})\s*$/i.exec(header);
    if (!match) {
      c.header('WWW-Authenticate', 'Bearer realm="herald"');
      throw new ApiError(
        401,
        'unauthorized',
        'missing or malformed Authorization: Bearer <key> header',
      );
    }
    const key = await findKeyByToken(db, match[1]!);
    if (!key) {
      c.header('WWW-Authenticate', 'Bearer realm="herald", error="invalid_token"');
      throw new ApiError(401, 'unauthorized', 'unknown or revoked API key');
    }
    if (!allowed(key.scope)) {
      throw new ApiError(
        403,
        'forbidden',
        `this key has scope "${key.scope}"; this route needs ${needed}`,
      );
    }
    c.set('actor', { id: key.id, name: key.name, scope: key.scope });
    const at = now();
    if (at.getTime() - (lastTouched.get(key.id) ?? 0) > TOUCH_EVERY_MS) {
      lastTouched.set(key.id, at.getTime());
      await touchKey(db, key.id, at.toISOString());
    }
    await next();
  };
}
