import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { operatorActor, type Actor } from '../domain/actor.ts';
import { capabilitiesOfScopes, scopeNeededFor, type Capability } from '../domain/capabilities.ts';
import { ForbiddenError, UnauthorizedError } from '../domain/errors.ts';
import { authenticateApiToken } from '../services/access/authenticate-api-token.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * onRequest hook: the request must carry a bearer token (or come from the local CLI) whose
     * scopes grant `capability` (src/domain/capabilities.ts). It runs before the body is parsed and
     * validated, so a stranger gets 401 (and a token without it 403), never a 400 that describes
     * the schema.
     */
    requireCapability(capability: Capability): (request: FastifyRequest) => Promise<void>;
    /** The actor behind an API token (401 when it is unknown, revoked or expired); each door finds the token in its own way. */
    actorOfToken(token: string): Promise<Actor>;
    /** A secret known only to this process: the CLI's in-process and admin-socket requests carry it. */
    operatorSecret: string;
  }
  interface FastifyRequest {
    /** The token or the local operator (the CLI, who holds every capability) behind an API request. */
    actor: Actor;
  }
}

export const OPERATOR_HEADER = 'x-lifeline-operator';

/** Bearer tokens for the responder API; the local operator (CLI) acts with every scope. */
export const authPlugin = fp(async (app: FastifyInstance) => {
  const secret = randomBytes(32).toString('base64url');
  app.decorate('operatorSecret', secret);
  app.decorateRequest('actor', null as unknown as Actor);

  const isOperator = (request: FastifyRequest): boolean => {
    const header = request.headers[OPERATOR_HEADER];
    if (typeof header !== 'string' || header.length !== secret.length) return false;
    return timingSafeEqual(Buffer.from(header), Buffer.from(secret));
  };

  app.decorate('actorOfToken', async (secretToken: string): Promise<Actor> => {
    const token = await authenticateApiToken({ db: app.db, clock: app.clock, ids: app.ids }, secretToken);
    return { kind: 'token', id: token.id, label: `token:${token.name} (${token.prefix})`, capabilities: capabilitiesOfScopes(token.scopes) };
  });

  app.decorate('requireCapability', (capability: Capability) => async (request: FastifyRequest) => {
    if (isOperator(request)) {
      const user = request.headers['x-lifeline-operator-user'];
      request.actor = operatorActor(typeof user === 'string' && /^[\w.@-]{1,64}$/.test(user) ? user : 'operator');
    } else {
      const header = request.headers.authorization ?? '';
      const match = /^Bearer\s+(\S+)$/i.exec(header);
      if (!match) throw new UnauthorizedError('send Authorization: Bearer <token> (create one with: npx lifeline token create)');
      request.actor = await app.actorOfToken(match[1]);
    }
    if (!request.actor.capabilities.has(capability)) throw new ForbiddenError(`this token lacks the ${scopeNeededFor(capability)} scope`);
  });
});
