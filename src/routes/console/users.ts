import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { ConflictError, ValidationError } from '../../domain/errors.ts';
import { options, userListItem } from '../../presenters/console-view.ts';
import { changeUserRole } from '../../services/access/change-user-role.ts';
import { createUser, CreateUserInput } from '../../services/access/create-user.ts';
import { disableUser } from '../../services/access/disable-user.ts';
import { limitsOf } from '../../services/shared/fields.ts';
import { listUsers } from '../../queries/users.ts';
import { SIGN_IN_LINK_TTL_MS } from '../../services/access/session-rules.ts';
import { loadPage } from '../../queries/page-chrome.ts';
import { errorsOf, field, FormBody, HTML, IdParams, newFormId, type ConsoleKit, type ConsoleUser, type Form } from './kit.ts';
import { emailSignInLink, signInUrl } from './sign-in-email.ts';

const ROLE_CHOICES = { responder: 'Responder (publishes)', viewer: 'Viewer (read only)', admin: 'Admin (also accounts and tokens)' };

/**
 * Responder accounts (admin only): create (a one-time sign-in link, shown once and emailed),
 * change a role, disable. An admin cannot disable or demote their own account here.
 */
export async function userConsoleRoutes(parent: FastifyInstance, { kit }: { kit: ConsoleKit }) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();

  const page = async (
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    form: { email: string; name: string; role: string },
    errors: Record<string, string> = {},
  ) => {
    const me = request.consoleUser as ConsoleUser;
    const [p, users] = await Promise.all([loadPage(app.db), listUsers(app.db)]);
    const tz = p?.time_zone ?? 'Etc/UTC';
    return kit.send(
      request,
      reply,
      status,
      'users',
      {
        title: 'Responder accounts',
        users: users.map((u) => ({ ...userListItem(u, me.id, tz), errors: errors[`role-${u.id}`] ? { role: errors[`role-${u.id}`] } : {} })),
        form: { ...form, formId: newFormId(app) },
        limits: limitsOf(CreateUserInput),
        roleOptions: options(Object.keys(ROLE_CHOICES), ROLE_CHOICES, form.role),
        errors,
      },
      { nav: 'users' },
    );
  };
  const blank = { email: '', name: '', role: 'responder' };

  app.get(
    '/console/users',
    {
      ...app.requireConsoleCapability('user.manage'),
      schema: { hide: true, querystring: Type.Object({ done: Type.Optional(Type.String({ maxLength: 40 })) }), response: HTML },
    },
    async (request, reply) => page(request, reply, 200, blank),
  );

  app.post(
    '/console/users',
    { ...app.requireConsoleCapability('user.manage'), schema: { hide: true, body: FormBody, response: HTML } },
    async (request, reply) => {
      const body = request.body as Form;
      const form = { email: field(body, 'email'), name: field(body, 'name'), role: field(body, 'role') };
      let created: Awaited<ReturnType<typeof createUser>> | null = null;
      let replayed: boolean;
      try {
        replayed = (
          await kit.once(request, async (ctx) => {
            created = await createUser(ctx, { email: form.email, role: form.role, name: form.name || undefined });
            return { id: created.user.id };
          })
        ).replayed;
      } catch (error) {
        if (error instanceof ConflictError) return page(request, reply, 409, form, { email: error.message.replace(/^email: /, ''), summary: error.message });
        if (!(error instanceof ValidationError)) throw error;
        return page(request, reply, 400, form, errorsOf(error));
      }
      const made = created as Awaited<ReturnType<typeof createUser>> | null;
      // After the commit: the link must exist before anyone can follow it.
      if (made) void emailSignInLink(app, kit.renderer, request.log, made.user.email, made.link.token);
      return kit.send(
        request,
        reply,
        201,
        'shown-once',
        {
          script: true,
          title: 'Account created',
          heading: made ? `Account for ${made.user.email} created` : 'Account already created',
          replayed,
          lead: made
            ? `A one-time sign-in link was emailed to ${made.user.email}. It is also here, once, in case the email does not arrive: it works once, within ${SIGN_IN_LINK_TTL_MS / 60_000} minutes. After that, they can ask for a new link on the sign-in page.`
            : '',
          label: 'One-time sign-in link',
          value: made ? signInUrl(app, made.link.token) : null,
          link: { href: '/console/users', text: 'Back to the accounts' },
        },
        { nav: 'users' },
      );
    },
  );

  app.post(
    '/console/users/:id/role',
    { ...app.requireConsoleCapability('user.manage'), schema: { hide: true, params: IdParams, body: FormBody, response: HTML } },
    async (request, reply) => {
      const id = request.params.id;
      const me = request.consoleUser as ConsoleUser;
      const role = field(request.body as Form, 'role');
      const refuse = (status: number, message: string) => page(request, reply, status, blank, { [`role-${id}`]: message, summary: message });
      if (id === me.id && role !== me.role) return refuse(409, 'You cannot change your own role; ask another admin.');
      try {
        await changeUserRole(kit.ctx(request), id, { role });
      } catch (error) {
        if (error instanceof ConflictError) return refuse(409, error.message.replace(/^role: /, ''));
        if (!(error instanceof ValidationError)) throw error;
        return refuse(400, errorsOf(error).role ?? error.message);
      }
      return reply.redirect('/console/users?done=role-changed', 303);
    },
  );

  app.post(
    '/console/users/:id/disable',
    { ...app.requireConsoleCapability('user.manage'), schema: { hide: true, params: IdParams, body: FormBody, response: HTML } },
    async (request, reply) => {
      const id = request.params.id;
      const refuse = (message: string) => page(request, reply, 409, blank, { [`role-${id}`]: message, summary: message });
      if (id === (request.consoleUser as ConsoleUser).id) return refuse('You cannot disable your own account; ask another admin.');
      try {
        await disableUser(kit.ctx(request), id);
      } catch (error) {
        // The last enabled admin (another admin may have been disabled at the same moment).
        if (error instanceof ConflictError) return refuse(error.message);
        throw error;
      }
      return reply.redirect('/console/users?done=user-disabled', 303);
    },
  );
}
