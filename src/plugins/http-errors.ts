import { DomainError, type DomainErrorCode } from '../domain/errors.ts';
import { DatabaseUnavailableError } from '../storage/database.ts';

/** The HTTP status of each domain error code: the only place a domain error meets HTTP. */
const STATUS_OF_CODE: Record<DomainErrorCode, number> = {
  invalid_input: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  idempotency_key_reused: 422,
};

/**
 * The status every door (JSON API, console pages, subscription pages) answers an error with: a
 * domain error by its code, a schema refusal 400, an unreachable database 503, and Fastify's own
 * errors (rate limit, body too large, malformed JSON) their status; anything else is a 500.
 */
export function httpStatusOf(error: Error & { validation?: unknown; statusCode?: number }): number {
  if (error instanceof DomainError) return STATUS_OF_CODE[error.code];
  if (error.validation) return 400;
  if (error instanceof DatabaseUnavailableError) return 503;
  return error.statusCode ?? 500;
}
