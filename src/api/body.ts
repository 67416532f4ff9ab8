import type { Context } from 'hono';
import type { z } from 'zod';
import type { FieldProblem } from '../domain/errors.ts';
import { ApiError } from './errors.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Turns zod issues into `{field, message}` pairs, one per problem, unknown keys each named. */
export function fieldProblems(error: z.ZodError, prefix = ''): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const issue of error.issues) {
    const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        problems.push({ field: path ? `${path}.${key}` : key, message: 'unknown field' });
      }
    } else {
      problems.push({ field: path || '(body)', message: issue.message });
    }
  }
  return problems;
}

export function parseOr422<S extends z.ZodType>(
  schema: S,
  value: unknown,
  prefix = '',
): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const details = fieldProblems(result.error, prefix);
    throw new ApiError(
      422,
      'validation_failed',
      `invalid ${details.map((d) => d.field).join(', ')}`,
      details,
    );
  }
  return result.data;
}

/** Reads the raw body once: strict UTF-8, then JSON. Malformed input is a 400 that says why. */
export async function readJson(c: Context): Promise<unknown> {
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  if (bytes.length === 0)
    throw new ApiError(400, 'bad_request', 'request body is empty; expected JSON');
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new ApiError(400, 'bad_request', 'request body is not valid UTF-8');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ApiError(
      400,
      'bad_request',
      `request body is not valid JSON: ${(error as Error).message}`,
    );
  }
}

export async function readBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  return parseOr422(schema, await readJson(c));
}
