import type { FastifyError, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { DomainError } from '../domain/errors.ts';
import { DatabaseUnavailableError } from '../storage/database.ts';
import { pageSecurityHeaders } from './security-headers.ts';

interface ValidationIssue {
  instancePath?: string;
  params?: { missingProperty?: string; additionalProperty?: string };
  message?: string;
}

/** The field a schema validation error is about, named the way the client sent it. */
function fieldOf(issue: ValidationIssue, context: string | undefined): string {
  const path = (issue.instancePath ?? '').slice(1).replaceAll('/', '.');
  const leaf = issue.params?.missingProperty ?? issue.params?.additionalProperty;
  const field = [path, leaf].filter(Boolean).join('.');
  return field || (context === 'body' ? 'body' : (context ?? 'request'));
}

/** One place maps every error to a JSON answer: a clear 4xx for the client's mistakes, never a stack trace. */
export const errorHandlerPlugin = fp(async (app: FastifyInstance) => {
  app.setErrorHandler((error: FastifyError & { validationContext?: string }, request, reply) => {
    if (error.validation) {
      const issue = error.validation[0] as ValidationIssue;
      const field = fieldOf(issue, error.validationContext);
      const what = issue.params?.additionalProperty ? 'is not a known field' : (issue.message ?? 'is invalid');
      return reply.code(400).send({ error: 'invalid_input', field, message: `${field}: ${what}` });
    }
    if (error instanceof DomainError) {
      const body: Record<string, string> = { error: error.code, message: error.message };
      if ('field' in error) body.field = String(error.field);
      return reply.code(error.httpStatus).send(body);
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
    const wantsPage = request.method === 'GET' && !path.startsWith('/api/') && /text\/html/.test(request.headers.accept ?? '') && app.hasDecorator('view');
    if (wantsPage) {
      const chrome = { name: app.hasDecorator('snapshot') ? (app.snapshot.status?.page.name ?? 'Status') : 'Status' };
      const html = await app.view('pages/not-found.hbs', { title: 'Not found', chrome });
      return reply.code(404).type('text/html; charset=utf-8').headers(pageSecurityHeaders(html, { framing: 'deny' })).send(html);
    }
    return reply.code(404).send({ error: 'not_found', message: `no route for ${request.method} ${path}` });
  });
});
