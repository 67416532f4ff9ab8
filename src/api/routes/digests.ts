import { Hono } from 'hono';
import { NotFoundError } from '../../domain/errors.ts';
import type { MailTemplates } from '../../mail/templates.ts';
import { composeDigest, sendDigest } from '../../scheduler/digest.ts';
import { findDigest, listDigests, type DigestRecord } from '../../storage/digests.ts';
import { randomId } from '../../storage/keys.ts';
import { parseOr422 } from '../body.ts';
import type { AppDeps } from '../deps.ts';
import type { AppEnv } from '../env.ts';
import { requireScope } from '../middleware/auth.ts';
import { idempotency } from '../middleware/idempotency.ts';
import { digestsQuery } from '../schemas.ts';

/** Executive content: only `admin` and `executive` keys, never `read` or `write`. */
export const EXECUTIVE_SCOPES = ['admin', 'executive'] as const;

function summary({ html: _, text: __, data: ___, ...rest }: DigestRecord) {
  return rest;
}

const wantsJson = (accept: string | undefined) => /application\/json/i.test(accept ?? '');

/**
 * `GET /v1/digests/executive` (preview: HTML, or JSON with `Accept: application/json`),
 * `POST /v1/digests/executive/send` (send now), `GET /v1/digests` and `GET /v1/digests/{id}`
 * (the digests sent, kept with what they said).
 */
export function digestRoutes(deps: AppDeps & { mail: MailTemplates }) {
  const executive = requireScope(deps.db, deps.now, EXECUTIVE_SCOPES);
  const digestDeps = { db: deps.db, content: deps.content, mail: deps.mail, siteUrl: deps.siteUrl };
  return new Hono<AppEnv>()
    .get('/executive', executive, async (c) => {
      const digest = await composeDigest(digestDeps, deps.db.query, 'manual', deps.now());
      c.header('Cache-Control', 'no-store');
      if (wantsJson(c.req.header('accept'))) return c.json(digest);
      return c.html(digest.html);
    })
    .post('/executive/send', executive, idempotency(deps.db, deps.now), async (c) => {
      const now = deps.now();
      const record = await sendDigest(
        digestDeps,
        { key: `manual/${randomId()}`, kind: 'manual', at: now.toISOString() },
        now,
        c.get('actor').id,
      );
      deps.onMailQueued?.();
      c.header('Location', `/v1/digests/${record!.id}`);
      return c.json(record, 201);
    })
    .get('/', executive, async (c) => {
      const q = parseOr422(digestsQuery, c.req.query());
      const digests = await listDigests(deps.db.query, q);
      return c.json({
        digests: digests.map(summary),
        next_cursor: digests.length === q.limit ? digests.at(-1)!.id : null,
      });
    })
    .get('/:id', executive, async (c) => {
      const digest = await findDigest(deps.db.query, c.req.param('id'));
      if (!digest) throw new NotFoundError('digest', c.req.param('id'));
      return c.json(digest);
    });
}
