import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { ValidationError } from '../../domain/errors.ts';
import { tokenListItem } from '../../presenters/console-view.ts';
import { SCOPES } from '../../domain/capabilities.ts';
import { createApiToken, CreateApiTokenInput } from '../../services/access/create-api-token.ts';
import { consoleGrantor } from '../../services/access/grantor.ts';
import { revokeApiToken } from '../../services/access/revoke-api-token.ts';
import { limitsOf } from '../../services/shared/fields.ts';
import { listApiTokens } from '../../queries/api-tokens.ts';
import { loadPage } from '../../queries/page-chrome.ts';
import { errorsOf, field, fieldList, FormBody, HTML, IdParams, newFormId, type ConsoleKit, type ConsoleUser, type Form } from './kit.ts';

const SCOPE_HINTS: Record<string, string> = {
  'incidents:write': 'declare and update incidents, decide on automatic notices',
  'components:write': 'set component statuses',
  'maintenances:write': 'schedule and advance maintenance',
  'subscribers:write': 'manage subscribers, see and replay failed deliveries',
  'heartbeats:write': 'push heartbeat counts (for your product)',
  'tokens:write': 'create and revoke tokens',
  admin: 'everything, including accounts and the audit log',
};

/** API tokens (admin only): create with scopes (the token is shown once), list, revoke. */
export async function tokenConsoleRoutes(parent: FastifyInstance, { kit }: { kit: ConsoleKit }) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();

  const page = async (
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    form: { name: string; scopes: string[] },
    errors: Record<string, string> = {},
  ) => {
    const [p, tokens] = await Promise.all([loadPage(app.db), listApiTokens(kit.ctx(request))]);
    const tz = p?.time_zone ?? 'Etc/UTC';
    return kit.send(
      request,
      reply,
      status,
      'tokens',
      {
        title: 'API tokens',
        active: tokens.filter((t) => !t.revoked_at).map((t) => tokenListItem(t, tz)),
        revoked: tokens
          .filter((t) => t.revoked_at)
          .slice(0, 20)
          .map((t) => tokenListItem(t, tz)),
        form: { name: form.name, formId: newFormId(app) },
        limits: limitsOf(CreateApiTokenInput),
        scopes: SCOPES.map((s) => ({ value: s, hint: SCOPE_HINTS[s] ?? '', checked: form.scopes.includes(s) })),
        errors,
      },
      { nav: 'tokens' },
    );
  };

  app.get(
    '/console/tokens',
    {
      ...app.requireConsoleCapability('token.read'),
      schema: { hide: true, querystring: Type.Object({ done: Type.Optional(Type.String({ maxLength: 40 })) }), response: HTML },
    },
    async (request, reply) => page(request, reply, 200, { name: '', scopes: [] }),
  );

  app.post(
    '/console/tokens',
    { ...app.requireConsoleCapability('token.grant'), schema: { hide: true, body: FormBody, response: HTML } },
    async (request, reply) => {
      const body = request.body as Form;
      const form = { name: field(body, 'name'), scopes: fieldList(body, 'scopes') };
      let token: string | null = null;
      let prefix = '';
      let replayed: boolean;
      try {
        replayed = (
          await kit.once(request, async (ctx) => {
            const created = await createApiToken(ctx, form, consoleGrantor((request.consoleUser as ConsoleUser).role));
            token = created.token;
            prefix = created.record.prefix;
            return { id: created.record.id };
          })
        ).replayed;
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        // No box ticked: the form names the choices rather than the contract's "must have at least 1 item".
        const refused =
          error.field === 'scopes' && form.scopes.length === 0 ? new ValidationError('scopes', `must list at least one of ${SCOPES.join(', ')}`) : error;
        return page(
          request,
          reply,
          400,
          form,
          errorsOf(refused, (name) => (name.startsWith('scopes') ? 'scopes' : name)),
        );
      }
      return kit.send(
        request,
        reply,
        201,
        'shown-once',
        {
          script: true,
          title: 'Token created',
          heading: `Token “${form.name.trim()}” created`,
          replayed,
          lead: `Copy it now: it is shown only this once (only its hash is stored). It is listed as ${prefix}; revoke it there if it leaks.`,
          label: 'API token',
          value: token,
          usage: token ? `Authorization: Bearer ${token}` : null,
          link: { href: '/console/tokens', text: 'Back to the tokens' },
        },
        { nav: 'tokens' },
      );
    },
  );

  app.post(
    '/console/tokens/:id/revoke',
    { ...app.requireConsoleCapability('token.revoke'), schema: { hide: true, params: IdParams, body: FormBody, response: HTML } },
    async (request, reply) => {
      await revokeApiToken(kit.ctx(request), request.params.id, consoleGrantor((request.consoleUser as ConsoleUser).role));
      return reply.redirect('/console/tokens?done=token-revoked', 303);
    },
  );
}
