import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { UnauthorizedError } from '../domain/errors.ts';
import { assertScope, authenticateApiToken, SCOPES, type Scope } from '../services/manage-api-tokens.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * onRequest hook: the request must carry a bearer token (or come from the local CLI) with `scope`.
     * It runs before the body is parsed and validated, so a stranger gets 401 (and a token without
     * the scope 403), never a 400 that describes the schema.
     */
    requireScope(scope: Scope | null): (request: FastifyRequest) => Promise<void>;
    /** A secret known only to this process: the CLI's in-process and admin-socket requests carry it. */
    operatorSecret: string;
  }
  interface FastifyRequest {
    actor: string;
    scopes: string[];
    /** True for the local operator (the CLI), who holds every scope and may grant `admin`. */
    operator: boolean;
  }
}

export const OPERATOR_HEADER = 'x-lifeline-operator';

/** Bearer tokens for the responder API; the local operator (CLI) acts with every scope. */
export const authPlugin = fp(async (app: FastifyInstance) => {
  const secret = randomBytes(32).toString('base64url');
  app.decorate('operatorSecret', secret);
  app.decorateRequest('actor', '');
  app.decorateRequest('scopes', null as unknown as string[]);
  app.decorateRequest('operator', false);

  const isOperator = (request: FastifyRequest): boolean => {
    const header = request.headers[OPERATOR_HEADER];
    if (typeof header !== 'string' || header.length !== secret.length) return false;
    return timingSafeEqual(Buffer.from(header), Buffer.from(secret));
  };

  app.decorate('requireScope', (scope: Scope | null) => async (request: FastifyRequest) => {
    if (isOperator(request)) {
      const user = request.headers['x-lifeline-operator-user'];
      request.actor = `cli:${typeof user === 'string' && /^[\w.@-]{1,64}$/.test(user) ? user : 'operator'}`;
      request.scopes = [...SCOPES];
      request.operator = true;
    } else {
      const header = request.headers.authorization ?? '';
      const match = /^Bearer\s+(\S+)$/i.exec(header);
      if (!match) throw new UnauthorizedError('send Authorization: Bearer <token> (create one with: npx lifeline token create)');
      const token = await authenticateApiToken({ db: app.db, clock: app.clock, ids: app.ids }, match[1]);
      request.actor = `token:${token.name} (${token.prefix})`;
      request.scopes = token.scopes;
    }
    if (scope) assertScope(request.scopes, scope);
  });
});
