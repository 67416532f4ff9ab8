/** One field that failed validation: a dotted path and why. */
export interface FieldProblem {
  field: string;
  message: string;
}

/** The input is well-formed but breaks a rule (HTTP 422). */
export class ValidationError extends Error {
  override name = 'ValidationError';
  constructor(
    message: string,
    readonly details: FieldProblem[] = [],
  ) {
    super(message);
  }
  static field(field: string, message: string): ValidationError {
    return new ValidationError(`${field}: ${message}`, [{ field, message }]);
  }
}

/** The thing named does not exist (HTTP 404). */
export class NotFoundError extends Error {
  override name = 'NotFoundError';
  constructor(
    readonly resource: string,
    readonly id: string,
  ) {
    super(`${resource} "${id}" does not exist`);
  }
}

/** The request conflicts with the current state: a stale version or a reused key (HTTP 409). */
export class ConflictError extends Error {
  override name = 'ConflictError';
}
