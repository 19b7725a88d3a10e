import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { ValidationError } from '../../domain/errors.ts';
import { PASSWORD_MAX, PASSWORD_MIN } from '../../domain/password.ts';
import { sessionListItem } from '../../presenters/console-view.ts';
import { setPassword } from '../../services/access/set-password.ts';
import { revokeSession } from '../../services/access/revoke-session.ts';
import { mayResetPassword } from '../../services/access/session-rules.ts';
import { listSessions } from '../../queries/sessions.ts';
import { loadPage } from '../../queries/page-chrome.ts';
import { errorsOf, field, FormBody, HTML, type ConsoleKit, type ConsoleUser, type ConsoleUserSession, type Form } from './kit.ts';
import { FailureThrottle } from './sign-in-throttle.ts';

const SessionParams = Type.Object({ id: Type.String({ pattern: '^[0-9a-f]{64}$' }) });

/** The signed-in user's own account: set or change the password, see and sign out sessions. */
export async function accountRoutes(parent: FastifyInstance, { kit }: { kit: ConsoleKit }) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  // The current-password check is a password oracle for whoever holds the session (a laptop left
  // open): limited per account like sign-in, so it cannot be guessed to take the account over for good.
  const wrongCurrentPasswords = new FailureThrottle({ max: 5, windowMs: 15 * 60_000, now: () => app.clock.now().getTime() });

  const page = async (request: FastifyRequest, reply: FastifyReply, status: number, errors: Record<string, string> = {}) => {
    const user = request.consoleUser as ConsoleUser;
    const session = request.consoleSession as ConsoleUserSession;
    const tz = (await loadPage(app.db))?.time_zone ?? 'Etc/UTC';
    const sessions = await listSessions(app.db, user.id, app.clock.now());
    return kit.send(
      request,
      reply,
      status,
      'account',
      {
        title: 'Your account',
        account: { email: user.email, name: user.name, role: user.role, hasPassword: user.has_password },
        // The strength rule the use-case runs (domain/password.ts); the password contract itself states only types.
        passwordLimits: { min: PASSWORD_MIN, max: PASSWORD_MAX },
        askCurrent: user.has_password && !mayResetPassword(session, app.clock.now()),
        sessions: sessions.map((s) => sessionListItem(s, session, tz)),
        errors,
      },
      { nav: 'account' },
    );
  };

  app.get(
    '/console/account',
    {
      ...app.requireConsoleCapability('account.self'),
      schema: { hide: true, querystring: Type.Object({ done: Type.Optional(Type.String({ maxLength: 40 })) }), response: HTML },
    },
    async (request, reply) => page(request, reply, 200),
  );

  app.post(
    '/console/account/password',
    { ...app.requireConsoleCapability('account.self'), schema: { hide: true, body: FormBody, response: HTML } },
    async (request, reply) => {
      const body = request.body as Form;
      const session = request.consoleSession as ConsoleUserSession;
      const user = request.consoleUser as ConsoleUser;
      const currentNotRequired = mayResetPassword(session, app.clock.now());
      const checksCurrent = user.has_password && !currentNotRequired && field(body, 'current') !== '';
      if (checksCurrent && !wrongCurrentPasswords.tryAttempt(user.id)) {
        const message = 'Too many wrong current passwords. Wait 15 minutes, or sign out and sign in with a link by email to set a new one.';
        return page(request, reply, 429, { current: message, summary: `current: ${message}` });
      }
      try {
        await setPassword(
          kit.ctx(request),
          user.id,
          { current: field(body, 'current'), password: field(body, 'password'), confirm: field(body, 'confirm') },
          {
            currentNotRequired,
            keepSessionId: session.id,
          },
        );
      } catch (error) {
        // Only a wrong current password counts against the account.
        if (checksCurrent && !(error instanceof ValidationError && error.field === 'current')) wrongCurrentPasswords.forgive(user.id);
        if (!(error instanceof ValidationError)) throw error;
        return page(request, reply, 400, errorsOf(error));
      }
      if (checksCurrent) wrongCurrentPasswords.clear(user.id);
      return reply.redirect('/console/account?done=password-saved', 303);
    },
  );

  app.post(
    '/console/account/sessions/:id/revoke',
    { ...app.requireConsoleCapability('account.self'), schema: { hide: true, params: SessionParams, body: FormBody, response: HTML } },
    async (request, reply) => {
      const user = request.consoleUser as ConsoleUser;
      await revokeSession(kit.ctx(request), request.params.id, user.id);
      if (request.params.id === request.consoleSession?.id) {
        app.clearSessionCookie(request, reply);
        return reply.redirect('/console/sign-in?done=signed-out', 303);
      }
      return reply.redirect('/console/account?done=session-revoked', 303);
    },
  );
}
