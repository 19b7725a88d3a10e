import { describe, expect, it } from 'vitest';
import { ConflictError, DomainError, ForbiddenError, NotFoundError, UnauthorizedError, ValidationError } from '../../src/domain/errors.ts';
import { httpStatusOf } from '../../src/plugins/http-errors.ts';
import { DatabaseUnavailableError } from '../../src/storage/database.ts';

describe('httpStatusOf: the one mapping from errors to HTTP statuses', () => {
  it('answers each domain error by its code, with the statuses the API has always used', () => {
    expect(httpStatusOf(new ValidationError('name', 'is required'))).toBe(400);
    expect(httpStatusOf(new UnauthorizedError())).toBe(401);
    expect(httpStatusOf(new ForbiddenError('not allowed'))).toBe(403);
    expect(httpStatusOf(new NotFoundError('incident', 'x'))).toBe(404);
    expect(httpStatusOf(new ConflictError('already there'))).toBe(409);
    expect(httpStatusOf(new DomainError('idempotency_key_reused', 'use a new key'))).toBe(422);
  });

  it('keeps HTTP out of the domain: a domain error carries a code and a message only', () => {
    const error = new NotFoundError('incident', 'x');
    expect(Object.keys(error).sort()).toEqual(['code']);
    expect(error.message).toBe('incident "x" not found');
  });

  it('answers a schema refusal 400, an unreachable database 503, and Fastify errors their own status', () => {
    expect(httpStatusOf(Object.assign(new Error('body/name must be string'), { validation: [], statusCode: 400 }))).toBe(400);
    expect(httpStatusOf(new DatabaseUnavailableError(new Error('connection refused')))).toBe(503);
    expect(httpStatusOf(Object.assign(new Error('Rate limit exceeded'), { statusCode: 429 }))).toBe(429);
    expect(httpStatusOf(Object.assign(new Error('Request body is too large'), { statusCode: 413 }))).toBe(413);
    expect(httpStatusOf(new Error('boom'))).toBe(500);
  });
});
