import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { USER_ROLES } from '../../domain/roles.ts';
import { createUser, CreateUserInput } from '../../services/access/create-user.ts';
import { disableUser } from '../../services/access/disable-user.ts';
import { listUsers } from '../../queries/users.ts';
import { EmailAddress } from '../../services/shared/fields.ts';
import { errorResponses } from '../schemas.ts';

const Security = [{ bearer: [] }];
const UserSchema = Type.Object({
  id: Type.String(),
  email: Type.String(),
  name: Type.Union([Type.String(), Type.Null()]),
  role: Type.String({ enum: [...USER_ROLES] }),
  has_password: Type.Boolean(),
  created_at: Type.String({ format: 'date-time' }),
  disabled_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
type ResponderUser = Awaited<ReturnType<typeof listUsers>>[number];
const presentUser = (u: ResponderUser) => ({
  id: u.id,
  email: u.email,
  name: u.name,
  role: u.role,
  has_password: u.has_password,
  created_at: u.created_at.toISOString(),
  disabled_at: u.disabled_at?.toISOString() ?? null,
});

/**
 * Console accounts, for the local operator (the CLI) and admin tokens: create (with a one-time
 * sign-in link, shown in this response only), list, disable.
 */
export async function userRoutes(parent: FastifyInstance) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/api/v1/users',
    {
      onRequest: app.requireCapability('user.manage'),
      schema: {
        tags: ['users'],
        summary: 'Console accounts',
        security: Security,
        response: { 200: Type.Object({ users: Type.Array(UserSchema) }), ...errorResponses },
      },
    },
    async () => ({ users: (await listUsers(app.db)).map(presentUser) }),
  );

  app.post(
    '/api/v1/users',
    {
      onRequest: app.requireCapability('user.manage'),
      schema: {
        tags: ['users'],
        summary: 'Create a console account; the one-time sign-in link is in this response only',
        security: Security,
        body: CreateUserInput,
        response: {
          201: Type.Object({ ...UserSchema.properties, sign_in_url: Type.String(), sign_in_expires_at: Type.String({ format: 'date-time' }) }),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { user, link } = await createUser(app.serviceContext(request.actor), request.body);
      return reply
        .code(201)
        .send({ ...presentUser(user), sign_in_url: `${app.config.publicUrl}/console/sign-in/${link.token}`, sign_in_expires_at: link.expiresAt.toISOString() });
    },
  );

  app.post(
    '/api/v1/users/:id/disable',
    {
      onRequest: app.requireCapability('user.manage'),
      schema: {
        tags: ['users'],
        summary: 'Disable an account (by id or email): its sessions and sign-in links stop working at once',
        security: Security,
        // An id, or an address (so as long as an address may be).
        params: Type.Object({ id: EmailAddress }),
        response: { 200: UserSchema, ...errorResponses },
      },
    },
    async (request) => presentUser(await disableUser(app.serviceContext(request.actor), request.params.id)),
  );
}
