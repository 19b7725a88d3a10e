import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { ValidationError } from '../../domain/errors.ts';
import { componentStatusView } from '../../presenters/console-view.ts';
import { setComponentStatus } from '../../services/set-component-status.ts';
import { findComponentsByIdOrKey, listComponents, listGroups } from '../../storage/page-repository.ts';
import { checked, field, FormBody, HTML, IdParams, type ConsoleKit, type Form } from './kit.ts';

/**
 * Components by group with their current status, and a form to set one outside an incident (the
 * set-component-status use-case). Groups and components themselves come from the page definition
 * file, synced at every start, so they are not edited here.
 */
export async function componentConsoleRoutes(parent: FastifyInstance, { kit }: { kit: ConsoleKit }) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const configFile = app.config.env.LIFELINE_CONFIG || 'lifeline.config.yaml';

  const page = async (request: Parameters<ConsoleKit['send']>[0], reply: Parameters<ConsoleKit['send']>[1], status: number, errors: Record<string, string> = {}) => {
    const [groups, components] = await Promise.all([listGroups(app.db), listComponents(app.db)]);
    const view = componentStatusView(groups, components).map((g) => ({ ...g, components: g.components.map((c) => ({ ...c, error: errors[`status-${c.id}`] ?? null })) }));
    return kit.send(request, reply, status, 'components', { title: 'Components', configFile, groups: view, errors }, { nav: 'components' });
  };

  app.get('/console/components', { preHandler: app.requireRole('viewer'), schema: { hide: true, querystring: Type.Object({ done: Type.Optional(Type.String({ maxLength: 40 })) }), response: HTML } }, async (request, reply) =>
    page(request, reply, 200));

  app.post('/console/components/:id/status', { preHandler: app.requireRole('responder'), schema: { hide: true, params: IdParams, body: FormBody, response: HTML } }, async (request, reply) => {
    const body = request.body as Form;
    const id = request.params.id;
    const [before] = await findComponentsByIdOrKey(app.db, [id]);
    try {
      await setComponentStatus(kit.ctx(request), id, { status: field(body, 'status'), deliver_notifications: checked(body, 'notify') });
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      const message = error.message.replace(/^status: /, '');
      return page(request, reply, 400, { [`status-${id}`]: message, summary: `${before?.name ?? id}: ${message}` });
    }
    const unchanged = before && before.status === field(body, 'status');
    return reply.redirect(`/console/components?done=${unchanged ? 'component-unchanged' : 'component-updated'}#component-${id}`, 303);
  });
}
