import { createHash, randomUUID } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { withWriteFence, type Db, type Tx } from '../../storage/db.ts';
import {
  claimIdempotencyKey,
  completeIdempotencyKey,
  markIdempotencyApplied,
  releaseIdempotencyKey,
  renewIdempotencyClaim,
} from '../../storage/idempotency.ts';
import { ApiError } from '../errors.ts';
import type { AppEnv } from '../env.ts';

/**
 * How long a claim on a key holds without renewal. A running request renews it every third of
 * that, so only a claim whose process died (or froze) runs out, and the client's retry then runs.
 */
export const IDEMPOTENCY_LEASE_MS = 30_000;

/** The response headers a replay repeats with the stored body. */
const REPLAYED_HEADERS = ['location', 'etag'] as const;

/**
 * `Idempotency-Key` on POST: the first request's response is stored with the key; a retry with the
 * same body gets that response again (status, body, `Location`, `ETag`) and creates nothing; the
 * same key with another body is a 409. Keys belong to the API key that used them. Server errors
 * before the change release the key so a retry can run, and so does a crash, once the claim's
 * lease runs out. A change is recorded as applied in its own transaction, so a retry never applies
 * it twice: after a crash between the change and its answer, the retry gets a 409 saying so.
 */
export function idempotency(db: Db, now: () => Date): MiddlewareHandler<AppEnv> {
  const leaseEnd = () => new Date(now().getTime() + IDEMPOTENCY_LEASE_MS).toISOString();
  return async function idempotent(c, next) {
    const key = c.req.header('idempotency-key');
    if (c.req.method !== 'POST' || key === undefined) return next();
    if (key.length === 0 || key.length > 255) {
      throw new ApiError(400, 'bad_request', 'Idempotency-Key must be 1 to 255 characters');
    }
    const actor = c.get('actor');
    const body = new Uint8Array(await c.req.arrayBuffer());
    const claimant = randomUUID();
    const claim = await claimIdempotencyKey(db, {
      keyId: actor.id,
      key,
      method: c.req.method,
      path: c.req.path,
      bodyHash: createHash('sha256').update(body).digest('hex'),
      at: now().toISOString(),
      claimant,
      until: leaseEnd(),
    });
    if (claim.kind === 'mismatch') {
      throw new ApiError(
        409,
        'idempotency_conflict',
        'this Idempotency-Key was used with a different request',
      );
    }
    if (claim.kind === 'in_progress') {
      // When to try again: the claim ends by then, answered or expired.
      const wait = Math.ceil((Date.parse(claim.claimedUntil) - now().getTime()) / 1000);
      c.header('Retry-After', String(Math.max(1, wait)));
      throw new ApiError(
        409,
        'idempotency_in_progress',
        'a request with this Idempotency-Key is still being processed',
      );
    }
    if (claim.kind === 'answer_lost') {
      throw new ApiError(
        409,
        'idempotency_answer_lost',
        'the request with this Idempotency-Key was applied, but the server stopped before answering it; it will not be applied again: read the incident to see the result',
      );
    }
    if (claim.kind === 'replay') {
      return new Response(claim.body, {
        status: claim.status,
        headers: {
          ...claim.headers,
          'content-type': 'application/json',
          'idempotent-replayed': 'true',
        },
      });
    }
    const renewal = setInterval(() => {
      renewIdempotencyClaim(db, { keyId: actor.id, key, claimant, until: leaseEnd() }).catch(
        () => undefined, // the next renewal, or the lease running out, settles it
      );
    }, IDEMPOTENCY_LEASE_MS / 3);
    // The request's change and the record that it was applied commit together, and only while
    // this request still holds the claim. The fence guards the request's one write, not work it
    // sets off (a scheduler pass started by the change runs in the request's async context).
    let armed = true;
    const fence = async (tx: Tx) => {
      if (!armed) return;
      armed = false;
      await markIdempotencyApplied(tx, { keyId: actor.id, key, claimant, at: now().toISOString() });
    };
    try {
      await withWriteFence(fence, next);
    } catch (error) {
      await releaseIdempotencyKey(db, actor.id, key, claimant);
      throw error;
    } finally {
      armed = false;
      clearInterval(renewal);
    }
    if (c.res.status >= 500) {
      await releaseIdempotencyKey(db, actor.id, key, claimant);
      return;
    }
    const headers: Record<string, string> = {};
    for (const name of REPLAYED_HEADERS) {
      const value = c.res.headers.get(name);
      if (value !== null) headers[name] = value;
    }
    await completeIdempotencyKey(db, {
      keyId: actor.id,
      key,
      claimant,
      status: c.res.status,
      body: await c.res.clone().text(),
      headers,
    });
  };
}
