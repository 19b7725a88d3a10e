import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { ApiToken } from '../../domain/model.ts';
import { createApiToken, CreateApiTokenInput } from '../../services/access/create-api-token.ts';
import type { Grantor } from '../../services/access/grantor.ts';
import { revokeApiToken } from '../../services/access/revoke-api-token.ts';
import { listApiTokens } from '../../queries/api-tokens.ts';
import { listAuditEntries } from '../../queries/audit-log.ts';
import { PathId } from '../../services/shared/fields.ts';
import { errorResponses, TokenSchema } from '../schemas.ts';

const Security = [{ bearer: [] }];
/** The caller grants or revokes only what it holds: its token's capabilities (the CLI operator holds them all). */
const grantorOf = (request: FastifyRequest): Grantor => request.actor;
const presentToken = (t: ApiToken) => ({
  ...t,
  created_at: t.created_at.toISOString(),
  last_used_at: t.last_used_at?.toISOString() ?? null,
  revoked_at: t.revoked_at?.toISOString() ?? null,
});

export async function tokenRoutes(parent: FastifyInstance) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/api/v1/tokens',
    {
      onRequest: app.requireCapability('token.read'),
      schema: {
        tags: ['tokens'],
        summary: 'API tokens (never their secret)',
        security: Security,
        response: { 200: Type.Object({ tokens: Type.Array(TokenSchema) }), ...errorResponses },
      },
    },
    async (request) => ({ tokens: (await listApiTokens(app.serviceContext(request.actor))).map(presentToken) }),
  );

  app.post(
    '/api/v1/tokens',
    {
      onRequest: app.requireCapability('token.grant'),
      schema: {
        tags: ['tokens'],
        summary: 'Create a token; the secret is in this response only',
        security: Security,
        body: CreateApiTokenInput,
        response: { 201: Type.Object({ ...TokenSchema.properties, token: Type.String() }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const created = await createApiToken(app.serviceContext(request.actor), request.body, grantorOf(request));
      return reply.code(201).send({ ...presentToken(created.record), token: created.token });
    },
  );

  app.delete(
    '/api/v1/tokens/:id',
    {
      onRequest: app.requireCapability('token.revoke'),
      schema: {
        tags: ['tokens'],
        summary: 'Revoke a token by id or prefix',
        security: Security,
        params: Type.Object({ id: PathId }),
        response: { 200: TokenSchema, ...errorResponses },
      },
    },
    async (request) => presentToken(await revokeApiToken(app.serviceContext(request.actor), request.params.id, grantorOf(request))),
  );

  app.get(
    '/api/v1/audit',
    {
      onRequest: app.requireCapability('audit.read'),
      schema: {
        tags: ['audit'],
        summary: 'Audit log, newest first',
        security: Security,
        querystring: Type.Object({
          actor: Type.Optional(Type.String()),
          action: Type.Optional(Type.String()),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
        }),
        response: {
          200: Type.Object({
            entries: Type.Array(
              Type.Object({
                id: Type.Integer(),
                at: Type.String(),
                actor: Type.String(),
                action: Type.String(),
                target_type: Type.String(),
                target_id: Type.Union([Type.String(), Type.Null()]),
                details: Type.Record(Type.String(), Type.Unknown()),
              }),
            ),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const entries = await listAuditEntries(app.db, { limit: request.query.limit ?? 100, actor: request.query.actor, action: request.query.action });
      return { entries: entries.map((e) => ({ ...e, at: new Date(e.at).toISOString() })) };
    },
  );
}
