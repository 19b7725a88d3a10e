import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { NotFoundError, ValidationError } from '../../domain/errors.ts';
import type { Component } from '../../domain/model.ts';
import { componentField, componentGrid, IMPACT_LABELS, options, STATUS_LABELS, templateListItem } from '../../presenters/console-view.ts';
import { createTemplate, CreateTemplateInput } from '../../services/templates/create-template.ts';
import { deleteTemplate } from '../../services/templates/delete-template.ts';
import { TEMPLATE_IMPACTS, TEMPLATE_STATUSES } from '../../services/templates/template-input.ts';
import { updateTemplate } from '../../services/templates/update-template.ts';
import { limitsOf } from '../../services/shared/fields.ts';
import { loadComponents, loadPageStructure } from '../../queries/page-structure.ts';
import { findTemplate, listTemplates } from '../../queries/templates.ts';
import { errorsOf, field, FormBody, gridSelection, HTML, IdParams, type ConsoleKit, type Form } from './kit.ts';

interface TemplateForm {
  name: string;
  title: string;
  status: string;
  impact: string;
  body: string;
  selected: Record<string, string>;
}

const EMPTY: TemplateForm = { name: '', title: '', status: 'investigating', impact: '', body: '', selected: {} };
/** The form's `maxlength`s, from the use-cases' contract (creating and replacing take the same fields). */
const TEMPLATE_LIMITS = limitsOf(CreateTemplateInput);
/** A select left on its empty choice is not sent: the use-case's default applies. */
const chosen = (value: string) => (value === '' ? undefined : value);

/** Incident templates (name, title, status, impact, body, component statuses): everyone reads, responders and admins edit. */
export async function templateConsoleRoutes(parent: FastifyInstance, { kit }: { kit: ConsoleKit }) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/console/templates',
    {
      ...app.requireConsoleCapability('template.read'),
      schema: { hide: true, querystring: Type.Object({ done: Type.Optional(Type.String({ maxLength: 40 })) }), response: HTML },
    },
    async (request, reply) => {
      const [templates, components] = await Promise.all([listTemplates(app.db), loadComponents(app.db)]);
      return kit.send(
        request,
        reply,
        200,
        'templates',
        { title: 'Incident templates', templates: templates.map((t) => templateListItem(t, components)) },
        { nav: 'templates' },
      );
    },
  );

  const editor = async (
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    form: TemplateForm,
    id: string | null,
    errors: Record<string, string> = {},
  ) => {
    const { groups, components } = await loadPageStructure(app.db);
    return kit.send(
      request,
      reply,
      status,
      'template-edit',
      {
        title: id ? `Template: ${form.name}` : 'New incident template',
        id,
        action: id ? `/console/templates/${id}` : '/console/templates',
        form,
        statusOptions: options(TEMPLATE_STATUSES, STATUS_LABELS, form.status),
        impactOptions: options(['', ...TEMPLATE_IMPACTS], { '': 'From the component statuses', ...IMPACT_LABELS }, form.impact),
        grid: componentGrid(groups, components, form.selected),
        errors,
        limits: TEMPLATE_LIMITS,
      },
      { nav: 'templates' },
    );
  };

  app.get('/console/templates/new', { ...app.requireConsoleCapability('template.manage'), schema: { hide: true, response: HTML } }, async (request, reply) =>
    editor(request, reply, 200, EMPTY, null),
  );

  app.get(
    '/console/templates/:id',
    { ...app.requireConsoleCapability('template.read'), schema: { hide: true, params: IdParams, response: HTML } },
    async (request, reply) => {
      const template = await findTemplate(app.db, request.params.id);
      if (!template) throw new NotFoundError('template', request.params.id);
      return editor(
        request,
        reply,
        200,
        {
          name: template.name,
          title: template.title,
          status: template.status,
          impact: template.impact ?? '',
          body: template.body,
          selected: template.component_statuses,
        },
        template.id,
      );
    },
  );

  const readForm = (body: Form): TemplateForm => ({
    name: field(body, 'name'),
    title: field(body, 'title'),
    status: field(body, 'status'),
    impact: field(body, 'impact'),
    body: field(body, 'body'),
    selected: gridSelection(body),
  });
  const errorField = (components: Component[]) => (name: string) => {
    if (!name.startsWith('components.')) return name;
    const ref = name.slice('components.'.length);
    const component = components.find((c) => c.id === ref || c.key === ref);
    return component ? componentField(component.id) : 'components';
  };
  const save = async (request: FastifyRequest, reply: FastifyReply, id: string | null) => {
    const form = readForm(request.body as Form);
    const input = { name: form.name, title: form.title, status: chosen(form.status), impact: chosen(form.impact), body: form.body, components: form.selected };
    try {
      if (id) await updateTemplate(kit.ctx(request), id, input);
      else await createTemplate(kit.ctx(request), input);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      return editor(request, reply, 400, form, id, errorsOf(error, errorField(await loadComponents(app.db))));
    }
    return reply.redirect('/console/templates?done=template-saved', 303);
  };

  app.post(
    '/console/templates',
    { ...app.requireConsoleCapability('template.manage'), schema: { hide: true, body: FormBody, response: HTML } },
    async (request, reply) => save(request, reply, null),
  );
  app.post(
    '/console/templates/:id',
    { ...app.requireConsoleCapability('template.manage'), schema: { hide: true, params: IdParams, body: FormBody, response: HTML } },
    async (request, reply) => save(request, reply, request.params.id),
  );

  app.post(
    '/console/templates/:id/delete',
    { ...app.requireConsoleCapability('template.manage'), schema: { hide: true, params: IdParams, body: FormBody, response: HTML } },
    async (request, reply) => {
      await deleteTemplate(kit.ctx(request), request.params.id);
      return reply.redirect('/console/templates?done=template-deleted', 303);
    },
  );
}
