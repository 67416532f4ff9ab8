import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Liquid } from 'liquidjs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../config/content.ts';
import { NotFoundError, ValidationError } from './errors.ts';
import { INCIDENT_STATUSES, type IncidentStatus } from './types.ts';

export interface UpdateTemplate {
  id: string;
  name: string;
  status: IncidentStatus;
  description: string;
  /** Placeholders the body uses, in order of first use. */
  variables: string[];
  body: string;
}

const frontMatterSchema = z
  .object({
    name: z.string().min(1),
    status: z.enum(INCIDENT_STATUSES),
    description: z.string().default(''),
  })
  .strict();

/**
 * Update messages are plain text, so templates render without HTML escaping; the site escapes
 * everything when it renders a message. Liquid runs no code and, strict, refuses unknown variables.
 */
const engine = new Liquid({ strictVariables: true, strictFilters: true, outputEscape: undefined });

function splitFrontMatter(file: string, text: string): { meta: unknown; body: string } {
  const match = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?([\s\S]*)$/.exec(text);
  if (!match) throw new ConfigError(`${file}: must start with a --- front matter block ---`);
  try {
    return { meta: parseYaml(match[1]!) ?? {}, body: match[2]!.trim() };
  } catch (error) {
    throw new ConfigError(`${file}: front matter is not valid YAML: ${(error as Error).message}`);
  }
}

/** Loads `templates/updates/*.md`; a broken template stops start-up naming the file and field. */
export async function loadUpdateTemplates(dir: string): Promise<Map<string, UpdateTemplate>> {
  const folder = join(dir, 'updates');
  const files = (await readdir(folder)).filter((f) => f.endsWith('.md')).sort();
  const templates = new Map<string, UpdateTemplate>();
  for (const name of files) {
    const file = join(folder, name);
    const { meta, body } = splitFrontMatter(file, await readFile(file, 'utf8'));
    const parsed = frontMatterSchema.safeParse(meta);
    if (!parsed.success) {
      const problems = parsed.error.issues.map(
        (i) => `${i.path.join('.') || '(front matter)'}: ${i.message}`,
      );
      throw new ConfigError(`${file} is invalid:\n  ${problems.join('\n  ')}`);
    }
    let variables: string[];
    try {
      variables = engine.globalVariablesSync(body);
    } catch (error) {
      throw new ConfigError(`${file}: template does not parse: ${(error as Error).message}`);
    }
    const id = name.replace(/\.md$/, '');
    templates.set(id, { id, ...parsed.data, variables, body });
  }
  return templates;
}

/**
 * Renders a template with the caller's variables. A missing variable is a 422 that names it (all
 * missing ones, not just the first).
 */
export function renderUpdateTemplate(
  templates: Map<string, UpdateTemplate>,
  id: string,
  vars: Record<string, unknown>,
  field = 'template',
): { message: string; status: IncidentStatus } {
  const template = templates.get(id);
  if (!template) throw new NotFoundError('template', id);
  const missing = template.variables.filter(
    (name) => vars[name] === undefined || vars[name] === null,
  );
  if (missing.length > 0) {
    throw new ValidationError(
      `template "${id}" needs ${missing.map((m) => `"${m}"`).join(', ')}`,
      missing.map((name) => ({
        field: [field, 'vars', name].filter(Boolean).join('.'),
        message: 'missing variable',
      })),
    );
  }
  try {
    return {
      message: engine.parseAndRenderSync(template.body, vars).trim(),
      status: template.status,
    };
  } catch (error) {
    throw ValidationError.field(
      [field, 'vars'].filter(Boolean).join('.'),
      (error as Error).message,
    );
  }
}
