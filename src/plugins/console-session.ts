import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { visitorActor } from '../domain/actor.ts';
import { capabilitiesOfRole, roleNeededFor, type Capability } from '../domain/capabilities.ts';
import { ForbiddenError } from '../domain/errors.ts';
import { verifyAgainstDummy } from '../domain/password.ts';
import { authenticateSession } from '../services/access/authenticate-session.ts';
import { SESSION_MAX_MS } from '../services/access/session-rules.ts';
import type { ConsoleSession, ResponderUser } from '../domain/model.ts';
import { assertSameOrigin } from './same-origin.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * The guard of a console route, spread into its options (`...app.requireConsoleCapability(c)`):
     * a signed-in user whose role grants `capability` (src/domain/capabilities.ts). A request
     * without a session is sent to the sign-in page; a state-changing request must be same-origin
     * and carry the session's CSRF token, else 403; a role without the capability gets 403. It runs
     * as preValidation (the form is parsed, for its CSRF field, but not yet checked), so a caller
     * without the capability learns nothing from how its body would have been judged.
     */
    requireConsoleCapability(capability: Capability): { preValidation: (request: FastifyRequest, reply: FastifyReply) => Promise<void> };
    /** The CSRF token every state-changing console form of this session carries (`_csrf`). */
    csrfTokenFor(session: ConsoleSession): string;
    setSessionCookie(request: FastifyRequest, reply: FastifyReply, token: string): void;
    clearSessionCookie(request: FastifyRequest, reply: FastifyReply): void;
  }
  interface FastifyRequest {
    consoleUser: ResponderUser | null;
    consoleSession: ConsoleSession | null;
  }
}

const SESSION_COOKIE = 'lifeline_session';
export const CSRF_FIELD = '_csrf';
/** One cookie's value from a Cookie header (no dependency needed for a single, opaque, URL-safe value). */
function readCookie(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name)
      return part
        .slice(eq + 1)
        .trim()
        .replace(/^"(.*)"$/, '$1');
  }
  return null;
}

/**
 * Console sessions: the `lifeline_session` cookie (HttpOnly, SameSite=Lax, Path=/console, Secure
 * when the site is served over https) is looked up on every console request and the user and
 * session are put on the request. Register inside the console's own plugin context.
 */
export const consoleSessionPlugin = fp(async (app: FastifyInstance) => {
  app.decorateRequest('consoleUser', null);
  app.decorateRequest('consoleSession', null);
  // The first dummy verification computes a hash: do it when the server starts listening (not in
  // the CLI's in-process app), so no sign-in answer is slower for it.
  app.addHook('onListen', async () => {
    void verifyAgainstDummy('warm-up');
  });

  const secure = (request: FastifyRequest) => app.config.publicUrl.startsWith('https:') || request.protocol === 'https';
  const cookie = (request: FastifyRequest, value: string, maxAgeSeconds: number) =>
    `${SESSION_COOKIE}=${value}; Path=/console; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Lax${secure(request) ? '; Secure' : ''}`;

  app.decorate('setSessionCookie', (request: FastifyRequest, reply: FastifyReply, token: string) => {
    reply.header('set-cookie', cookie(request, token, Math.floor(SESSION_MAX_MS / 1000)));
  });
  app.decorate('clearSessionCookie', (request: FastifyRequest, reply: FastifyReply) => {
    reply.header('set-cookie', cookie(request, '', 0));
  });

  // HMAC of the session id with the instances' shared key: nothing to store, the same on every instance.
  app.decorate('csrfTokenFor', (session: ConsoleSession) => createHmac('sha256', app.linkKey()).update(`console-csrf:${session.id}`).digest('base64url'));

  app.addHook('onRequest', async (request) => {
    const token = readCookie(request.headers.cookie, SESSION_COOKIE);
    if (!token) return;
    const found = await authenticateSession(app.serviceContext(visitorActor('console')), token);
    if (!found) return;
    request.consoleUser = found.user;
    request.consoleSession = found.session;
  });

  const csrfMatches = (request: FastifyRequest): boolean => {
    const session = request.consoleSession as ConsoleSession;
    const body = request.body as Record<string, unknown> | undefined;
    const sent = typeof body?.[CSRF_FIELD] === 'string' ? body[CSRF_FIELD] : request.headers['x-csrf-token'];
    if (typeof sent !== 'string') return false;
    const expected = Buffer.from(app.csrfTokenFor(session));
    const actual = Buffer.from(sent);
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  };

  const guard = (capability: Capability) => async (request: FastifyRequest, reply: FastifyReply) => {
    const writing = request.method !== 'GET' && request.method !== 'HEAD';
    if (writing) assertSameOrigin(request);
    if (!request.consoleUser) {
      const next = request.method === 'GET' ? `?next=${encodeURIComponent(request.url)}` : '';
      return reply.code(303).header('cache-control', 'no-store').redirect(`/console/sign-in${next}`);
    }
    if (writing && !csrfMatches(request)) throw new ForbiddenError('this form has expired or did not come from this console; reload the page and try again');
    if (!capabilitiesOfRole(request.consoleUser.role).has(capability)) {
      throw new ForbiddenError(`your role (${request.consoleUser.role}) cannot do this; it needs ${roleNeededFor(capability)} or above. Ask an admin.`);
    }
  };
  app.decorate('requireConsoleCapability', (capability: Capability) => ({ preValidation: guard(capability) }));
});
