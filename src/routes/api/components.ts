import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { COMPONENT_STATUSES } from '../../domain/status.ts';
import { presentComponent, presentComponents } from '../../presenters/statuspage-v2.ts';
import { setComponentStatus } from '../../services/set-component-status.ts';
import { findPage, listComponents, listGroups } from '../../storage/page-repository.ts';
import { ComponentSchema, errorResponses } from '../schemas.ts';

const Security = [{ bearer: [] }];

export async function componentRoutes(parent: FastifyInstance) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();

  app.get('/api/v1/components', {
    preHandler: app.requireScope(null),
    schema: { tags: ['components'], summary: 'Components and groups, with the ids the other endpoints take', security: Security, response: { 200: Type.Object({ components: Type.Array(ComponentSchema) }), ...errorResponses } },
  }, async () => {
    const [page, groups, components] = await Promise.all([findPage(app.db), listGroups(app.db), listComponents(app.db)]);
    return { components: page ? presentComponents({ page, groups, components }) : [] };
  });

  app.patch('/api/v1/components/:id', {
    preHandler: app.requireScope('components:write'),
    schema: {
      tags: ['components'], summary: 'Set a component\'s status outside an incident', security: Security,
      params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, description: 'component id or key' }) }),
      body: Type.Object({
        status: Type.String({ enum: [...COMPONENT_STATUSES] }),
        deliver_notifications: Type.Optional(Type.Boolean({ default: false })),
      }, { additionalProperties: false }),
      response: { 200: ComponentSchema, ...errorResponses },
    },
  }, async (request) => {
    const component = await setComponentStatus(app.serviceContext(request.actor), request.params.id, request.body);
    const page = await findPage(app.db);
    return presentComponent(component, page?.id ?? '');
  });
}
