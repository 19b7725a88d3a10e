import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { DomainError } from '../domain/errors.ts';
import { DatabaseUnavailableError } from '../storage/database.ts';
import { describeValidation, type ValidationIssue } from '../services/shared/contract.ts';
import { httpStatusOf } from './http-errors.ts';
import { pageSecurityHeaders } from './security-headers.ts';

/**
 * Longest path parameter the router accepts. Above every route's own limit (ids, 400-character
 * link tokens), so an over-long parameter reaches its schema and gets a 400 naming it.
 */
export const MAX_PATH_PARAMETER_LENGTH = 1000;

/** The router's own refusals (Fastify `frameworkErrors`), in the same shape as every other error. */
export function answerFrameworkError(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    reply.code(414).send({ error: 'uri_too_long', field: 'path', message: `path: a path segment is longer than ${MAX_PATH_PARAMETER_LENGTH} characters` });
  } else if (error.code === 'FST_ERR_BAD_URL') {
    reply.code(400).send({ error: 'invalid_input', field: 'path', message: 'path: is not valid percent-encoded UTF-8' });
  } else {
    reply.code(error.statusCode ?? 400).send({ error: 'bad_request', message: error.message });
  }
}

/** One place maps every error to a JSON answer: a clear 4xx for the client's mistakes, never a stack trace. */
export const errorHandlerPlugin = fp(async (app: FastifyInstance) => {
  app.setErrorHandler((error: FastifyError & { validationContext?: string }, request, reply) => {
    if (error.validation) {
      const { field, message } = describeValidation(error.validation as ValidationIssue[], error.validationContext);
      return reply.code(400).send({ error: 'invalid_input', field, message });
    }
    if (error instanceof DomainError) {
      const body: Record<string, string> = { error: error.code, message: error.message };
      if ('field' in error) body.field = String(error.field);
      return reply.code(httpStatusOf(error)).send(body);
    }
    if (error instanceof DatabaseUnavailableError) {
      request.log.error({ err: error }, 'database unavailable');
      return reply.code(503).header('retry-after', '5').send({ error: 'unavailable', message: 'the database is unreachable; try again shortly' });
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      // Fastify's own client errors: malformed JSON, wrong content type, body too large, ...
      return reply.code(status).send({ error: error.code ?? 'bad_request', message: error.message });
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.code(500).send({ error: 'internal', message: 'something went wrong on our side; it has been logged' });
  });
  app.setNotFoundHandler(async (request, reply) => {
    const path = request.url.split('?')[0];
    // A browser gets the site's 404 page; API clients (and everything under /api) get JSON.
    const wantsPage = request.method === 'GET' && !path.startsWith('/api/') && /text\/html/.test(request.headers.accept ?? '') && app.hasDecorator('views');
    if (wantsPage) {
      const chrome = { name: app.hasDecorator('snapshot') ? (app.snapshot.status?.page.name ?? 'Status') : 'Status' };
      const html = app.views.page('pages/not-found', { title: 'Not found', chrome }, 'main');
      return reply
        .code(404)
        .type('text/html; charset=utf-8')
        .headers(pageSecurityHeaders(html, app.views.scriptHashes, { framing: 'deny' }))
        .send(html);
    }
    return reply.code(404).send({ error: 'not_found', message: `no route for ${request.method} ${path}` });
  });
});
