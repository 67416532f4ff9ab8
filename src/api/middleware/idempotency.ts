import { createHash } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { Db } from '../../storage/db.ts';
import {
  claimIdempotencyKey,
  completeIdempotencyKey,
  releaseIdempotencyKey,
} from '../../storage/idempotency.ts';
import { ApiError } from '../errors.ts';
import type { AppEnv } from '../env.ts';

/**
 * `Idempotency-Key` on POST: the first request's response is stored with the key; a retry with the
 * same body gets that response again and creates nothing; the same key with another body is a 409.
 * Keys belong to the API key that used them. Server errors release the key so a retry can run.
 */
export function idempotency(db: Db, now: () => Date): MiddlewareHandler<AppEnv> {
  return async function idempotent(c, next) {
    const key = c.req.header('idempotency-key');
    if (c.req.method !== 'POST' || key === undefined) return next();
    if (key.length === 0 || key.length > 255) {
      throw new ApiError(400, 'bad_request', 'Idempotency-Key must be 1 to 255 characters');
    }
    const actor = c.get('actor');
    const body = new Uint8Array(await c.req.arrayBuffer());
    const claim = await claimIdempotencyKey(db, {
      keyId: actor.id,
      key,
      method: c.req.method,
      path: c.req.path,
      bodyHash: createHash('sha256').update(body).digest('hex'),
      at: now().toISOString(),
    });
    if (claim.kind === 'mismatch') {
      throw new ApiError(
        409,
        'idempotency_conflict',
        'this Idempotency-Key was used with a different request',
      );
    }
    if (claim.kind === 'in_progress') {
      throw new ApiError(
        409,
        'idempotency_in_progress',
        'a request with this Idempotency-Key is still being processed',
      );
    }
    if (claim.kind === 'replay') {
      return new Response(claim.body, {
        status: claim.status,
        headers: { 'content-type': 'application/json', 'idempotent-replayed': 'true' },
      });
    }
    try {
      await next();
    } catch (error) {
      await releaseIdempotencyKey(db, actor.id, key);
      throw error;
    }
    if (c.res.status >= 500) {
      await releaseIdempotencyKey(db, actor.id, key);
      return;
    }
    await completeIdempotencyKey(db, {
      keyId: actor.id,
      key,
      status: c.res.status,
      body: await c.res.clone().text(),
    });
  };
}
