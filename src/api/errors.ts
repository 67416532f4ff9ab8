import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import {
  ConflictError,
  NotFoundError,
  ValidationError,
  type FieldProblem,
} from '../domain/errors.ts';

/** An HTTP error with the machine-readable code and field details of SPEC §5. */
export class ApiError extends HTTPException {
  constructor(
    status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details: FieldProblem[] = [],
  ) {
    super(status, { message });
  }
}

export function errorBody(code: string, message: string, details: FieldProblem[] = []) {
  return { error: { code, message, details } };
}

const CODE_BY_STATUS: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'validation_failed',
  429: 'rate_limited',
};

/**
 * The one place error bodies are made. Domain errors map to their status; anything unexpected is
 * logged and answered with a 500 that reveals nothing.
 */
export function createErrorHandler(log: (line: Record<string, unknown>) => void) {
  return function handleError(error: Error, c: Context): Response {
    if (error instanceof ApiError) {
      return c.json(errorBody(error.code, error.message, error.details), error.status);
    }
    if (error instanceof ValidationError) {
      return c.json(errorBody('validation_failed', error.message, error.details), 422);
    }
    if (error instanceof NotFoundError) {
      return c.json(errorBody('not_found', error.message), 404);
    }
    if (error instanceof ConflictError) {
      return c.json(errorBody('conflict', error.message), 409);
    }
    if (error instanceof HTTPException) {
      const status = error.status as ContentfulStatusCode;
      return c.json(
        errorBody(CODE_BY_STATUS[status] ?? 'error', error.message || 'request failed'),
        status,
      );
    }
    log({
      level: 'error',
      msg: 'unhandled error',
      method: c.req.method,
      path: c.req.path,
      error: error.stack ?? String(error),
    });
    return c.json(
      errorBody('internal', 'something went wrong on our side; it has been logged'),
      500,
    );
  };
}
