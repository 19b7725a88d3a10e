import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { presentComponent, presentComponents, presentGroup, siblingPositions } from '../../presenters/statuspage-v2.ts';
import type { Component } from '../../domain/model.ts';
import { archiveComponent } from '../../services/components/archive-component.ts';
import { archiveComponentGroup } from '../../services/components/archive-component-group.ts';
import { createComponent, CreateComponentInput } from '../../services/components/create-component.ts';
import { createComponentGroup, CreateComponentGroupInput } from '../../services/components/create-component-group.ts';
import { editComponent, EditComponentInput } from '../../services/components/edit-component.ts';
import { updateComponentGroup, UpdateComponentGroupInput } from '../../services/components/update-component-group.ts';
import { PathIdOrKey } from '../../services/shared/fields.ts';
import { loadPage } from '../../queries/page-chrome.ts';
import { loadPageStructure } from '../../queries/page-structure.ts';
import { ComponentSchema, errorResponses } from '../schemas.ts';

const Security = [{ bearer: [] }];
const IdOrKey = Type.Object({ id: PathIdOrKey });
const STRUCTURE_NOTE = 'Only on pages with `page.components_from: console`; a file-driven page answers 409.';

/**
 * Components and groups: statuses (any page) and structure (pages whose structure is managed here
 * rather than in the page definition file; see services/components/structure-change.ts). Each
 * write declares its use-case's contract as its body, so the route and the use-case refuse the same
 * input with the same words.
 */
export async function componentRoutes(parent: FastifyInstance) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const pageId = async () => (await loadPage(app.db))?.id ?? '';
  const groupResponse = async (groupId: string) => {
    const { groups, components } = await loadPageStructure(app.db);
    const group = groups.find((g) => g.id === groupId)!;
    return presentGroup(
      group,
      components.filter((c) => c.group_id === groupId),
      await pageId(),
      siblingPositions(groups, components),
    );
  };
  /** A component as written, with its place among its siblings. */
  const componentResponse = async (component: Component) => {
    const { groups, components } = await loadPageStructure(app.db);
    return presentComponent(component, await pageId(), siblingPositions(groups, components).get(component.id));
  };

  app.get(
    '/api/v1/components',
    {
      onRequest: app.requireCapability('status.read'),
      schema: {
        tags: ['components'],
        summary: 'Components and groups, with the ids the other endpoints take',
        security: Security,
        response: { 200: Type.Object({ components: Type.Array(ComponentSchema) }), ...errorResponses },
      },
    },
    async () => {
      const [page, { groups, components }] = await Promise.all([loadPage(app.db), loadPageStructure(app.db)]);
      return { components: page ? presentComponents({ page, groups, components }) : [] };
    },
  );

  app.post(
    '/api/v1/components',
    {
      onRequest: app.requireCapability('page_structure.edit'),
      schema: {
        tags: ['components'],
        summary: 'Add a component',
        description: STRUCTURE_NOTE,
        security: Security,
        body: CreateComponentInput,
        response: { 201: ComponentSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const component = await createComponent(app.serviceContext(request.actor), request.body);
      return reply.code(201).send(await componentResponse(component));
    },
  );

  app.patch(
    '/api/v1/components/:id',
    {
      onRequest: app.requireCapability('page_structure.edit'),
      schema: {
        tags: ['components'],
        summary: "Set a component's status outside an incident, or edit it",
        description: `\`status\` works on every page. Name, description, group, position and only_show_if_degraded: ${STRUCTURE_NOTE}`,
        security: Security,
        params: IdOrKey,
        body: EditComponentInput,
        response: { 200: ComponentSchema, ...errorResponses },
      },
    },
    async (request) => componentResponse(await editComponent(app.serviceContext(request.actor), request.params.id, request.body)),
  );

  app.delete(
    '/api/v1/components/:id',
    {
      onRequest: app.requireCapability('page_structure.edit'),
      schema: {
        tags: ['components'],
        summary: 'Take a component off the page (its history is kept)',
        description: `${STRUCTURE_NOTE} Refused (409) while an open incident lists it.`,
        security: Security,
        params: IdOrKey,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await archiveComponent(app.serviceContext(request.actor), request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/api/v1/component-groups',
    {
      onRequest: app.requireCapability('page_structure.edit'),
      schema: {
        tags: ['components'],
        summary: 'Add a component group',
        description: STRUCTURE_NOTE,
        security: Security,
        body: CreateComponentGroupInput,
        response: { 201: ComponentSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const group = await createComponentGroup(app.serviceContext(request.actor), request.body);
      return reply.code(201).send(await groupResponse(group.id));
    },
  );

  app.patch(
    '/api/v1/component-groups/:id',
    {
      onRequest: app.requireCapability('page_structure.edit'),
      schema: {
        tags: ['components'],
        summary: 'Rename, describe or reorder a component group',
        description: STRUCTURE_NOTE,
        security: Security,
        params: IdOrKey,
        body: UpdateComponentGroupInput,
        response: { 200: ComponentSchema, ...errorResponses },
      },
    },
    async (request) => {
      const group = await updateComponentGroup(app.serviceContext(request.actor), request.params.id, request.body);
      return groupResponse(group.id);
    },
  );

  app.delete(
    '/api/v1/component-groups/:id',
    {
      onRequest: app.requireCapability('page_structure.edit'),
      schema: {
        tags: ['components'],
        summary: 'Remove a component group; its components stay on the page without a group',
        description: STRUCTURE_NOTE,
        security: Security,
        params: IdOrKey,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await archiveComponentGroup(app.serviceContext(request.actor), request.params.id);
      return reply.code(204).send(null);
    },
  );
}
