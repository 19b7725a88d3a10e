import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { ConflictError, NotFoundError, ValidationError } from '../../domain/errors.ts';
import { componentStatusView } from '../../presenters/console-view.ts';
import { KEY_MAX } from '../../domain/validation.ts';
import { archiveComponent } from '../../services/components/archive-component.ts';
import { archiveComponentGroup } from '../../services/components/archive-component-group.ts';
import { createComponent, CreateComponentInput } from '../../services/components/create-component.ts';
import { createComponentGroup, CreateComponentGroupInput } from '../../services/components/create-component-group.ts';
import { setComponentStatus } from '../../services/components/set-component-status.ts';
import { updateComponent, UpdateComponentInput } from '../../services/components/update-component.ts';
import { updateComponentGroup, UpdateComponentGroupInput } from '../../services/components/update-component-group.ts';
import { limitsOf } from '../../services/shared/fields.ts';
import { loadPage } from '../../queries/page-chrome.ts';
import { findComponent, findGroup, loadGroups, loadPageStructure } from '../../queries/page-structure.ts';
import { checked, errorsOf, field, FormBody, HTML, IdParams, type ConsoleKit, type Form } from './kit.ts';

interface ComponentForm {
  name: string;
  description: string;
  key: string;
  group_id: string;
  only_show_if_degraded: boolean;
  position: string;
}
const EMPTY_COMPONENT: ComponentForm = { name: '', description: '', key: '', group_id: '', only_show_if_degraded: false, position: '' };
const EMPTY_GROUP = { name: '', description: '' };

/** The forms' `maxlength`s, from the use-cases' contracts. The key's limit is its pattern's ({0,62} after the first character). */
const COMPONENT_LIMITS = { ...limitsOf(CreateComponentInput), key: KEY_MAX };
const GROUP_LIMITS = limitsOf(CreateComponentGroupInput);
const COMPONENT_EDIT_LIMITS = limitsOf(UpdateComponentInput);
const GROUP_EDIT_LIMITS = limitsOf(UpdateComponentGroupInput);

/** An optional text field: left empty, it is not sent. */
const optional = (text: string) => (text === '' ? undefined : text);
/** An edited field that may be cleared: left empty, it becomes null ("no description", "no group"). */
const clearable = (text: string) => (text === '' ? null : text);

/**
 * The place typed into the form as the contract's whole number; empty keeps the place. Text that is
 * no whole number from 1 has no number to give the use-case, so the form refuses it here.
 */
function positionOf(text: string): number | undefined {
  if (text.trim() === '') return undefined;
  const place = Number(text);
  if (!Number.isInteger(place) || place < 1) throw new ValidationError('position', 'must be a whole number from 1');
  return place;
}

/**
 * Components by group with their current status, and a form to set one outside an incident (the
 * set-component-status use-case). Where the page definition file owns the structure (the default)
 * that is all; with `page.components_from: console`, admins also add, edit, reorder and remove
 * groups and components here (the page-structure use-cases, as the API does). Form text is mapped
 * to each use-case's contract (checkbox → boolean, empty → not sent, or null where it clears).
 */
export async function componentConsoleRoutes(parent: FastifyInstance, { kit }: { kit: ConsoleKit }) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const configFile = app.config.env.LIFELINE_CONFIG || 'lifeline.config.yaml';

  const groupOptions = (groups: { id: string; name: string }[], selected: string) =>
    [{ id: '', name: 'No group' }, ...groups].map((g) => ({ value: g.id, label: g.name, selected: g.id === selected }));

  const page = async (
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    errors: Record<string, string> = {},
    forms: { form?: ComponentForm; groupForm?: typeof EMPTY_GROUP } = {},
  ) => {
    const [{ groups, components }, pageRow] = await Promise.all([loadPageStructure(app.db), loadPage(app.db)]);
    const structure = pageRow?.components_from === 'console';
    const view = componentStatusView(groups, components, { keepEmptyGroups: structure }).map((g) => ({
      ...g,
      components: g.components.map((c) => ({ ...c, error: errors[`status-${c.id}`] ?? null })),
    }));
    const form = forms.form ?? EMPTY_COMPONENT;
    return kit.send(
      request,
      reply,
      status,
      'components',
      {
        title: 'Components',
        configFile,
        groups: view,
        errors,
        structure,
        canEditStructure: structure && request.consoleUser?.role === 'admin',
        form,
        groupForm: forms.groupForm ?? EMPTY_GROUP,
        groupOptions: groupOptions(groups, form.group_id),
        limits: COMPONENT_LIMITS,
        groupLimits: GROUP_LIMITS,
      },
      { nav: 'components' },
    );
  };

  app.get(
    '/console/components',
    {
      ...app.requireConsoleCapability('status.read'),
      schema: { hide: true, querystring: Type.Object({ done: Type.Optional(Type.String({ maxLength: 40 })) }), response: HTML },
    },
    async (request, reply) => page(request, reply, 200),
  );

  app.post(
    '/console/components/:id/status',
    { ...app.requireConsoleCapability('component.set_status'), schema: { hide: true, params: IdParams, body: FormBody, response: HTML } },
    async (request, reply) => {
      const body = request.body as Form;
      const id = request.params.id;
      const before = await findComponent(app.db, id);
      try {
        await setComponentStatus(kit.ctx(request), id, { status: field(body, 'status'), deliver_notifications: checked(body, 'notify') });
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        const message = error.message.replace(/^status: /, '');
        return page(request, reply, 400, { [`status-${id}`]: message, summary: `${before?.name ?? id}: ${message}` });
      }
      const unchanged = before && before.status === field(body, 'status');
      return reply.redirect(`/console/components?done=${unchanged ? 'component-unchanged' : 'component-updated'}#component-${id}`, 303);
    },
  );

  // ---- structure (admins, on console-managed pages) -------------------------------------------

  const readComponentForm = (body: Form): ComponentForm => ({
    name: field(body, 'name'),
    description: field(body, 'description'),
    key: field(body, 'key'),
    group_id: field(body, 'group_id'),
    only_show_if_degraded: checked(body, 'only_show_if_degraded'),
    position: field(body, 'position'),
  });

  app.post(
    '/console/components',
    { ...app.requireConsoleCapability('page_structure.edit'), schema: { hide: true, body: FormBody, response: HTML } },
    async (request, reply) => {
      const form = readComponentForm(request.body as Form);
      try {
        const component = await createComponent(kit.ctx(request), {
          name: form.name,
          description: optional(form.description),
          group_id: optional(form.group_id),
          key: optional(form.key),
          only_show_if_degraded: form.only_show_if_degraded,
        });
        return reply.redirect(`/console/components?done=component-added#component-${component.id}`, 303);
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        return page(request, reply, 400, errorsOf(error), { form });
      }
    },
  );

  app.post(
    '/console/component-groups',
    { ...app.requireConsoleCapability('page_structure.edit'), schema: { hide: true, body: FormBody, response: HTML } },
    async (request, reply) => {
      const groupForm = { name: field(request.body as Form, 'name'), description: field(request.body as Form, 'description') };
      try {
        await createComponentGroup(kit.ctx(request), { name: groupForm.name, description: optional(groupForm.description) });
        return reply.redirect('/console/components?done=group-added', 303);
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        return page(
          request,
          reply,
          400,
          errorsOf(error, (name) => `group_${name}`),
          { groupForm },
        );
      }
    },
  );

  const componentEditor = async (
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    id: string,
    form: ComponentForm | null,
    errors: Record<string, string> = {},
  ) => {
    const { groups, components } = await loadPageStructure(app.db);
    const component = components.find((c) => c.id === id || c.key === id);
    if (!component) throw new NotFoundError('component', id);
    const siblings = components.filter((c) => c.group_id === component.group_id);
    const shown = form ?? {
      name: component.name,
      description: component.description ?? '',
      key: component.key,
      group_id: component.group_id ?? '',
      only_show_if_degraded: component.only_show_if_degraded,
      position: String(siblings.findIndex((c) => c.id === component.id) + 1),
    };
    return kit.send(
      request,
      reply,
      status,
      'component-edit',
      {
        title: `Component: ${component.name}`,
        group: false,
        key: component.key,
        action: `/console/components/${component.id}`,
        form: shown,
        groupOptions: groupOptions(groups, shown.group_id),
        siblings: siblings.length,
        errors,
        limits: COMPONENT_EDIT_LIMITS,
      },
      { nav: 'components' },
    );
  };

  const groupEditor = async (
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    id: string,
    form: { name: string; description: string; position: string } | null,
    errors: Record<string, string> = {},
  ) => {
    const group = await findGroup(app.db, id);
    if (!group) throw new NotFoundError('component group', id);
    const groups = await loadGroups(app.db);
    const shown = form ?? { name: group.name, description: group.description ?? '', position: String(groups.findIndex((g) => g.id === group.id) + 1) };
    return kit.send(
      request,
      reply,
      status,
      'component-edit',
      {
        title: `Group: ${group.name}`,
        group: true,
        key: group.key,
        action: `/console/component-groups/${group.id}`,
        form: shown,
        siblings: groups.length,
        errors,
        limits: GROUP_EDIT_LIMITS,
      },
      { nav: 'components' },
    );
  };

  app.get(
    '/console/components/:id/edit',
    { ...app.requireConsoleCapability('page_structure.edit'), schema: { hide: true, params: IdParams, response: HTML } },
    async (request, reply) => componentEditor(request, reply, 200, request.params.id, null),
  );

  app.get(
    '/console/component-groups/:id',
    { ...app.requireConsoleCapability('page_structure.edit'), schema: { hide: true, params: IdParams, response: HTML } },
    async (request, reply) => groupEditor(request, reply, 200, request.params.id, null),
  );

  app.post(
    '/console/components/:id',
    { ...app.requireConsoleCapability('page_structure.edit'), schema: { hide: true, params: IdParams, body: FormBody, response: HTML } },
    async (request, reply) => {
      const form = readComponentForm(request.body as Form);
      try {
        await updateComponent(kit.ctx(request), request.params.id, {
          name: form.name,
          description: clearable(form.description),
          group_id: clearable(form.group_id),
          only_show_if_degraded: form.only_show_if_degraded,
          position: positionOf(form.position),
        });
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        return componentEditor(request, reply, 400, request.params.id, form, errorsOf(error));
      }
      return reply.redirect(`/console/components?done=component-saved#component-${request.params.id}`, 303);
    },
  );

  app.post(
    '/console/component-groups/:id',
    { ...app.requireConsoleCapability('page_structure.edit'), schema: { hide: true, params: IdParams, body: FormBody, response: HTML } },
    async (request, reply) => {
      const body = request.body as Form;
      const form = { name: field(body, 'name'), description: field(body, 'description'), position: field(body, 'position') };
      try {
        await updateComponentGroup(kit.ctx(request), request.params.id, {
          name: form.name,
          description: clearable(form.description),
          position: positionOf(form.position),
        });
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        return groupEditor(request, reply, 400, request.params.id, form, errorsOf(error));
      }
      return reply.redirect('/console/components?done=group-saved', 303);
    },
  );

  app.post(
    '/console/components/:id/archive',
    { ...app.requireConsoleCapability('page_structure.edit'), schema: { hide: true, params: IdParams, body: FormBody, response: HTML } },
    async (request, reply) => {
      try {
        await archiveComponent(kit.ctx(request), request.params.id);
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
        return componentEditor(request, reply, 409, request.params.id, null, { summary: error.message });
      }
      return reply.redirect('/console/components?done=component-removed', 303);
    },
  );

  app.post(
    '/console/component-groups/:id/archive',
    { ...app.requireConsoleCapability('page_structure.edit'), schema: { hide: true, params: IdParams, body: FormBody, response: HTML } },
    async (request, reply) => {
      await archiveComponentGroup(kit.ctx(request), request.params.id);
      return reply.redirect('/console/components?done=group-removed', 303);
    },
  );
}
