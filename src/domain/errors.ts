/**
 * Domain errors: services throw these with a code; the doors translate the code (HTTP status in
 * plugins/http-errors.ts, the CLI prints the message). The domain knows no transport.
 */
export type DomainErrorCode = 'invalid_input' | 'unauthorized' | 'forbidden' | 'not_found' | 'conflict' | 'idempotency_key_reused';

export class DomainError extends Error {
  readonly code: DomainErrorCode;
  constructor(code: DomainErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** Bad input; `field` names the offending field the way the client sent it (e.g. `components.abc123`). */
export class ValidationError extends DomainError {
  readonly field: string;
  constructor(field: string, message: string) {
    super('invalid_input', `${field}: ${message}`);
    this.field = field;
  }
}

export class NotFoundError extends DomainError {
  constructor(what: string, id: string) {
    super('not_found', `${what} ${JSON.stringify(id)} not found`);
  }
}

export class ConflictError extends DomainError {
  constructor(message: string) {
    super('conflict', message);
  }
}

export class UnauthorizedError extends DomainError {
  constructor(message = 'missing or invalid bearer token') {
    super('unauthorized', message);
  }
}

export class ForbiddenError extends DomainError {
  constructor(message: string) {
    super('forbidden', message);
  }
}
