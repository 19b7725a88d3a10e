import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { ValidationError } from '../../domain/errors.ts';
import { assertSameOrigin } from '../../plugins/same-origin.ts';
import { parseEmailAddress } from '../../domain/email-address.ts';
import { redeemSignInLink } from '../../services/access/redeem-sign-in-link.ts';
import { requestSignInLink, RequestSignInLinkInput } from '../../services/access/request-sign-in-link.ts';
import { revokeSession } from '../../services/access/revoke-session.ts';
import { signInWithPassword, SignInWithPasswordInput } from '../../services/access/sign-in-with-password.ts';
import { limitsOf } from '../../services/shared/fields.ts';
import { peekSignInLink } from '../../queries/sessions.ts';
import { awaitsFirstAccount } from '../../queries/users.ts';
import { field, FormBody, HTML, safeNext, type ConsoleKit, type Form } from './kit.ts';
import { KeyedRateLimit } from '../../plugins/address-rate-limit.ts';
import { emailSignInLink } from './sign-in-email.ts';
import { FailureThrottle } from './sign-in-throttle.ts';

const Token = Type.Object({ token: Type.String({ pattern: '^[A-Za-z0-9_-]{20,100}$' }) });
const Next = Type.Object({ next: Type.Optional(Type.String({ maxLength: 500 })), done: Type.Optional(Type.String({ maxLength: 40 })) });
const FAILURE_WINDOW_MS = 15 * 60_000;
/** The forms' maxlength attributes: the two use-cases' contracts. */
const LIMITS = { signIn: limitsOf(SignInWithPasswordInput), link: limitsOf(RequestSignInLinkInput) };
/** How the operator of a fresh install gets in (src/cli/main.ts: `user create`). */
const FIRST_ACCOUNT_COMMAND = 'npx lifeline user create --email you@example.com --role admin';

/**
 * Sign-in: password, or a one-time link sent by email. Every answer is the same for an unknown,
 * disabled or password-less account as for a wrong password, and failures are limited per address
 * and per IP (429).
 */
export async function signInRoutes(parent: FastifyInstance, { kit }: { kit: ConsoleKit }) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const now = () => app.clock.now().getTime();
  const failuresPerAddress = new FailureThrottle({ max: 5, windowMs: FAILURE_WINDOW_MS, now });
  const failuresPerIp = new FailureThrottle({ max: 20, windowMs: FAILURE_WINDOW_MS, now });
  const linksPerAddress = new KeyedRateLimit({ max: 3, windowMs: FAILURE_WINDOW_MS, now });
  const ipLimit = { rateLimit: { max: 30, timeWindow: 60_000 } };

  const form = (
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    model: { email?: string; next?: string; errors?: Record<string, string>; message?: string; linkSent?: string; firstAccount?: string },
  ) =>
    kit.send(
      request,
      reply,
      status,
      'sign-in',
      {
        title: 'Sign in',
        limits: LIMITS,
        email: model.email ?? '',
        next: safeNext(model.next),
        errors: model.errors ?? {},
        message: model.message,
        linkSent: model.linkSent,
        firstAccount: model.firstAccount,
      },
      { nav: 'sign-in' },
    );

  // A fresh install has no account to sign in with: the start log and the sign-in page say how to
  // create the first one (only while none exists, so the page reveals nothing once one does).
  app.addHook('onListen', async () => {
    try {
      if (await awaitsFirstAccount(app.db)) app.log.warn(`No console account exists yet. Create the first one with: ${FIRST_ACCOUNT_COMMAND}`);
    } catch (error) {
      app.log.warn({ err: error }, 'could not check for console accounts');
    }
  });

  const tooMany = (request: FastifyRequest, reply: FastifyReply, email: string, next: string) =>
    form(request, reply, 429, { email, next, errors: { summary: 'Too many failed sign-ins. Wait 15 minutes, or ask for a sign-in link by email.' } });

  app.get('/console/sign-in', { schema: { hide: true, querystring: Next, response: HTML } }, async (request, reply) => {
    if (request.consoleUser) return reply.redirect(safeNext(request.query.next), 303);
    return form(request, reply, 200, { next: request.query.next, firstAccount: (await awaitsFirstAccount(app.db)) ? FIRST_ACCOUNT_COMMAND : undefined });
  });

  app.post('/console/sign-in', { config: ipLimit, schema: { hide: true, body: FormBody, response: HTML } }, async (request, reply) => {
    assertSameOrigin(request);
    const body = request.body as Form;
    const email = field(body, 'email').trim();
    const password = field(body, 'password');
    const next = field(body, 'next');
    if (!email) return form(request, reply, 400, { email, next, errors: { email: 'Enter your email address.', summary: 'email: enter your email address' } });
    if (!password)
      return form(request, reply, 400, {
        email,
        next,
        errors: { password: 'Enter your password, or ask for a sign-in link below.', summary: 'password: enter your password' },
      });
    const address = email.toLowerCase();
    // Counted as failed before the slow password check (so 25 concurrent guesses are not all
    // checked), and taken back on success.
    if (!failuresPerAddress.tryAttempt(address)) return tooMany(request, reply, email, next);
    if (!failuresPerIp.tryAttempt(request.ip)) {
      failuresPerAddress.forgive(address);
      return tooMany(request, reply, email, next);
    }
    // An address or password longer than any account's is refused by the contract; it is answered
    // like any other failure, so the answer never tells what was wrong.
    const signedIn = await signInWithPassword(kit.ctx(request), { email, password }, request.headers['user-agent'] ?? null).catch((error: unknown) => {
      if (error instanceof ValidationError) return null;
      throw error;
    });
    if (!signedIn) {
      return form(request, reply, 401, {
        email,
        next,
        errors: { password: 'That email address and password do not match an account.', summary: 'The email address or the password is not right.' },
      });
    }
    failuresPerAddress.clear(address);
    failuresPerIp.forgive(request.ip);
    app.setSessionCookie(request, reply, signedIn.token);
    return reply.header('cache-control', 'no-store').redirect(safeNext(next), 303);
  });

  // "Email me a sign-in link": the same answer, in the same time, whether or not the address has
  // an account. Nothing about the account is looked up before answering: the lookup, the link
  // and the email happen after the answer has gone (see sendLinkAfterAnswer).
  const linkAsked = new WeakMap<FastifyRequest, string>();
  const sendLinkAfterAnswer = async (request: FastifyRequest, email: string) => {
    try {
      const issued = await requestSignInLink(kit.ctx(request), { email });
      if (issued) await emailSignInLink(app, kit.renderer, request.log, issued.user.email, issued.link.token);
    } catch (error) {
      request.log.error({ err: error }, 'the sign-in link could not be issued');
    }
  };
  app.post(
    '/console/sign-in/link',
    {
      config: ipLimit,
      schema: { hide: true, body: FormBody, response: HTML },
      onResponse: async (request) => {
        const email = linkAsked.get(request);
        // On the next turn of the event loop: none of it runs before the answer is handed over.
        if (email) setImmediate(() => void sendLinkAfterAnswer(request, email));
      },
    },
    async (request, reply) => {
      assertSameOrigin(request);
      const body = request.body as Form;
      let email: string;
      try {
        email = parseEmailAddress('email', field(body, 'email'));
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        return form(request, reply, 400, {
          email: field(body, 'email'),
          errors: { linkEmail: 'Enter an email address such as ops@example.com.', summary: error.message },
        });
      }
      if (!linksPerAddress.hit(email.toLowerCase()))
        return form(request, reply, 429, { email, errors: { summary: 'Too many links were asked for this address. Wait 15 minutes, then try again.' } });
      linkAsked.set(request, email);
      return form(request, reply, 200, { email, linkSent: email });
    },
  );

  // A GET never signs in (mail scanners follow links): it shows a button that POSTs.
  app.get('/console/sign-in/:token', { schema: { hide: true, params: Token, response: HTML } }, async (request, reply) => {
    const user = await peekSignInLink(app.db, request.params.token, app.clock.now());
    if (!user) return kit.send(request, reply, 404, 'message', invalidLink, { nav: 'sign-in' });
    return kit.send(
      request,
      reply,
      200,
      'confirm-link',
      { title: 'Sign in', email: user.email, action: `/console/sign-in/${request.params.token}` },
      { nav: 'sign-in' },
    );
  });

  app.post(
    '/console/sign-in/:token',
    { config: ipLimit, schema: { hide: true, params: Token, body: Type.Optional(FormBody), response: HTML } },
    async (request, reply) => {
      assertSameOrigin(request);
      const signedIn = await redeemSignInLink(kit.ctx(request), request.params.token, request.headers['user-agent'] ?? null);
      if (!signedIn) return kit.send(request, reply, 404, 'message', invalidLink, { nav: 'sign-in' });
      app.setSessionCookie(request, reply, signedIn.token);
      return reply.header('cache-control', 'no-store').redirect(signedIn.user.has_password ? '/console' : '/console/account?done=welcome', 303);
    },
  );

  app.post(
    '/console/sign-out',
    { ...app.requireConsoleCapability('account.self'), schema: { hide: true, body: FormBody, response: HTML } },
    async (request, reply) => {
      if (request.consoleSession) await revokeSession(kit.ctx(request), request.consoleSession.id);
      app.clearSessionCookie(request, reply);
      return reply.redirect('/console/sign-in?done=signed-out', 303);
    },
  );
}

const invalidLink = {
  title: 'Link not valid',
  heading: 'This sign-in link is not valid',
  message: 'Sign-in links work once, for 15 minutes. Ask for a new one on the sign-in page.',
  link: { href: '/console/sign-in', text: 'Go to the sign-in page' },
};
