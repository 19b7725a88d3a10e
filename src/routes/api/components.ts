import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { ValidationError } from '../../domain/errors.ts';
import { COMPONENT_STATUSES } from '../../domain/status.ts';
import { presentComponent, presentComponents, presentGroup } from '../../presenters/statuspage-v2.ts';
import {
  archiveComponent, archiveComponentGroup, createComponent, createComponentGroup, updateComponent, updateComponentGroup,
} from '../../services/components/manage-page-structure.ts';
import { setComponentStatus } from '../../services/components/set-component-status.ts';
import { loadPage } from '../../queries/page-chrome.ts';
import { loadPageStructure } from '../../queries/page-structure.ts';
import { ComponentSchema, errorResponses } from '../schemas.ts';

const Security = [{ bearer: [] }];
const IdOrKey = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, description: 'id or key' }) });
const Name = Type.String({ minLength: 1, maxLength: 120 });
const Description = Type.Union([Type.String({ maxLength: 500 }), Type.Null()]);
const Position = Type.Integer({ minimum: 1, description: '1-based place among its siblings' });
const Key = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$', description: 'stable identifier; made from the name when missing' });
const GroupRef = Type.Union([Type.String({ maxLength: 64 }), Type.Null()], { description: 'group id or key; null for no group' });
const STRUCTURE_NOTE = 'Only on pages with `page.components_from: console`; a file-driven page answers 409.';

/**
 * Components and groups: statuses (any page) and structure (pages whose structure is managed here
 * rather than in the page definition file; see manage-page-structure.ts).
 */
export async function componentRoutes(parent: FastifyInstance) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const pageId = async () => (await loadPage(app.db))?.id ?? '';
  const groupResponse = async (groupId: string) => {
    const { groups, components } = await loadPageStructure(app.db);
    const group = groups.find((g) => g.id === groupId)!;
    return presentGroup(group, components.filter((c) => c.group_id === groupId), await pageId());
  };

  app.get('/api/v1/components', {
    onRequest: app.requireCapability('status.read'),
    schema: { tags: ['components'], summary: 'Components and groups, with the ids the other endpoints take', security: Security, response: { 200: Type.Object({ components: Type.Array(ComponentSchema) }), ...errorResponses } },
  }, async () => {
    const [page, { groups, components }] = await Promise.all([loadPage(app.db), loadPageStructure(app.db)]);
    return { components: page ? presentComponents({ page, groups, components }) : [] };
  });

  app.post('/api/v1/components', {
    onRequest: app.requireCapability('page_structure.edit'),
    schema: {
      tags: ['components'], summary: 'Add a component', description: STRUCTURE_NOTE, security: Security,
      body: Type.Object({
        name: Name, description: Type.Optional(Description), group_id: Type.Optional(GroupRef), key: Type.Optional(Key),
        only_show_if_degraded: Type.Optional(Type.Boolean()), position: Type.Optional(Position), status: Type.Optional(Type.String({ enum: [...COMPONENT_STATUSES] })),
      }, { additionalProperties: false }),
      response: { 201: ComponentSchema, ...errorResponses },
    },
  }, async (request, reply) => {
    const component = await createComponent(app.serviceContext(request.actor), request.body);
    return reply.code(201).send(presentComponent(component, await pageId()));
  });

  app.patch('/api/v1/components/:id', {
    onRequest: app.requireCapability('page_structure.edit'),
    schema: {
      tags: ['components'], summary: 'Set a component\'s status outside an incident, or edit it',
      description: `\`status\` works on every page. Name, description, group, position and only_show_if_degraded: ${STRUCTURE_NOTE}`, security: Security,
      params: IdOrKey,
      body: Type.Object({
        status: Type.Optional(Type.String({ enum: [...COMPONENT_STATUSES] })),
        deliver_notifications: Type.Optional(Type.Boolean({ default: false })),
        name: Type.Optional(Name), description: Type.Optional(Description), group_id: Type.Optional(GroupRef),
        only_show_if_degraded: Type.Optional(Type.Boolean()), position: Type.Optional(Position),
      }, { additionalProperties: false }),
      response: { 200: ComponentSchema, ...errorResponses },
    },
  }, async (request) => {
    const { status, deliver_notifications: deliverNotifications, ...structure } = request.body;
    const ctx = app.serviceContext(request.actor);
    const edits = Object.keys(structure).length > 0;
    if (!edits && status === undefined) throw new ValidationError('status', 'give a status, or one of name, description, group_id, position, only_show_if_degraded');
    // Each use-case answers with the component as it committed it.
    if (status === undefined) return presentComponent(await updateComponent(ctx, request.params.id, structure), await pageId());
    if (edits) await updateComponent(ctx, request.params.id, structure);
    // The status change comes last and reads the component in its own transaction, so its answer holds the edits too.
    return presentComponent(await setComponentStatus(ctx, request.params.id, { status, deliver_notifications: deliverNotifications }), await pageId());
  });

  app.delete('/api/v1/components/:id', {
    onRequest: app.requireCapability('page_structure.edit'),
    schema: {
      tags: ['components'], summary: 'Take a component off the page (its history is kept)', description: `${STRUCTURE_NOTE} Refused (409) while an open incident lists it.`,
      security: Security, params: IdOrKey, response: { 204: Type.Null(), ...errorResponses },
    },
  }, async (request, reply) => {
    await archiveComponent(app.serviceContext(request.actor), request.params.id);
    return reply.code(204).send(null);
  });

  app.post('/api/v1/component-groups', {
    onRequest: app.requireCapability('page_structure.edit'),
    schema: {
      tags: ['components'], summary: 'Add a component group', description: STRUCTURE_NOTE, security: Security,
      body: Type.Object({ name: Name, description: Type.Optional(Description), key: Type.Optional(Key), position: Type.Optional(Position) }, { additionalProperties: false }),
      response: { 201: ComponentSchema, ...errorResponses },
    },
  }, async (request, reply) => {
    const group = await createComponentGroup(app.serviceContext(request.actor), request.body);
    return reply.code(201).send(await groupResponse(group.id));
  });

  app.patch('/api/v1/component-groups/:id', {
    onRequest: app.requireCapability('page_structure.edit'),
    schema: {
      tags: ['components'], summary: 'Rename, describe or reorder a component group', description: STRUCTURE_NOTE, security: Security, params: IdOrKey,
      body: Type.Object({ name: Type.Optional(Name), description: Type.Optional(Description), position: Type.Optional(Position) }, { additionalProperties: false, minProperties: 1 }),
      response: { 200: ComponentSchema, ...errorResponses },
    },
  }, async (request) => {
    const group = await updateComponentGroup(app.serviceContext(request.actor), request.params.id, request.body);
    return groupResponse(group.id);
  });

  app.delete('/api/v1/component-groups/:id', {
    onRequest: app.requireCapability('page_structure.edit'),
    schema: {
      tags: ['components'], summary: 'Remove a component group; its components stay on the page without a group', description: STRUCTURE_NOTE,
      security: Security, params: IdOrKey, response: { 204: Type.Null(), ...errorResponses },
    },
  }, async (request, reply) => {
    await archiveComponentGroup(app.serviceContext(request.actor), request.params.id);
    return reply.code(204).send(null);
  });
}
