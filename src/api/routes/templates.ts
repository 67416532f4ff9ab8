import { Hono } from 'hono';
import { renderUpdateTemplate } from '../../domain/templates.ts';
import { NotFoundError } from '../../domain/errors.ts';
import { readBody } from '../body.ts';
import type { AppDeps } from '../deps.ts';
import type { AppEnv } from '../env.ts';
import { requireScope } from '../middleware/auth.ts';
import { renderTemplateBody } from '../schemas.ts';

export function templateRoutes(deps: AppDeps) {
  const read = requireScope(deps.db, deps.now, 'read');
  return new Hono<AppEnv>()
    .get('/', read, (c) =>
      c.json({
        templates: [...deps.templates.values()].map(
          ({ id, name, status, description, variables, body }) => ({
            id,
            name,
            status,
            description,
            variables,
            body,
          }),
        ),
      }),
    )
    .post('/:id/render', read, async (c) => {
      const id = c.req.param('id');
      if (!deps.templates.has(id)) throw new NotFoundError('template', id);
      const { vars } = await readBody(c, renderTemplateBody);
      const rendered = renderUpdateTemplate(deps.templates, id, vars, '');
      return c.json({ id, ...rendered });
    });
}
