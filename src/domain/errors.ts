/** Domain errors: services throw these; one error handler maps them to HTTP codes and CLI messages. */
export class DomainError extends Error {
  readonly code: string;
  readonly httpStatus: number;
  constructor(code: string, httpStatus: number, message: string) {
    super(message);
    this.code = code;
    this.httpStatus = httpStatus;
  }
}

/** Bad input; `field` names the offending field the way the client sent it (e.g. `components.abc123`). */
export class ValidationError extends DomainError {
  readonly field: string;
  constructor(field: string, message: string) {
    super('invalid_input', 400, `${field}: ${message}`);
    this.field = field;
  }
}

export class NotFoundError extends DomainError {
  constructor(what: string, id: string) {
    super('not_found', 404, `${what} ${JSON.stringify(id)} not found`);
  }
}

export class ConflictError extends DomainError {
  constructor(message: string) {
    super('conflict', 409, message);
  }
}

export class UnauthorizedError extends DomainError {
  constructor(message = 'missing or invalid bearer token') {
    super('unauthorized', 401, message);
  }
}

export class ForbiddenError extends DomainError {
  constructor(message: string) {
    super('forbidden', 403, message);
  }
}
