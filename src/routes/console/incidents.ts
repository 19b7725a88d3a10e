import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { ConflictError, ValidationError } from '../../domain/errors.ts';
import type { Component, ComponentGroup } from '../../domain/model.ts';
import { COMPONENT_STATUSES, INCIDENT_STATUSES, type ComponentStatus, type Impact } from '../../domain/status.ts';
import {
  automaticNoticeView,
  componentErrorField,
  componentGrid,
  dashboardView,
  deliveryProgressView,
  IMPACT_CHOICES,
  IMPACT_LABELS,
  incidentConsoleView,
  options,
  previewView,
  signalPanelView,
  STATUS_LABELS,
  templateListItem,
} from '../../presenters/console-view.ts';
import { declareIncident, DeclareIncidentInput } from '../../services/incidents/declare-incident.ts';
import { DismissHeartbeatNoticeInput } from '../../services/incidents/dismiss-heartbeat-notice.ts';
import { postIncidentUpdate, PostIncidentUpdateInput } from '../../services/incidents/post-incident-update.ts';
import { renameIncident, RenameIncidentInput } from '../../services/incidents/rename-incident.ts';
import { limitsOf } from '../../services/shared/fields.ts';
import { loadIncidentDeliveryCounts } from '../../queries/delivery-progress.ts';
import { loadSignalPanel } from '../../queries/heartbeat-notices.ts';
import { findIncident, loadConsoleDashboard } from '../../queries/incidents.ts';
import { loadPage } from '../../queries/page-chrome.ts';
import { loadPageStructure } from '../../queries/page-structure.ts';
import { findTemplate, listTemplates } from '../../queries/templates.ts';
import { checked, errorsOf, field, FormBody, gridSelection, HTML, IdParams, newFormId, type ConsoleKit, type Form } from './kit.ts';

const OPENING_STATUSES = INCIDENT_STATUSES.filter((s) => s !== 'resolved' && s !== 'postmortem');
const IMPACT_CHOICE_LABELS = { '': 'From the component statuses', ...IMPACT_LABELS };
// The forms' maxlength attributes: the browser stops where the use-case would refuse.
const DECLARE_LIMITS = limitsOf(DeclareIncidentInput);
const UPDATE_LIMITS = limitsOf(PostIncidentUpdateInput);
const DISMISS_LIMITS = limitsOf(DismissHeartbeatNoticeInput);
const RENAME_LIMITS = limitsOf(RenameIncidentInput);

/** Each timeline entry with its delivery progress (the incident page's "reach"). */
function withProgress<T extends { updates: { id: string }[] }>(view: T, progress: ReturnType<typeof deliveryProgressView>) {
  return { ...view, updates: view.updates.map((u) => ({ ...u, progress: progress.byUpdate.get(u.id) ?? null })) };
}

/**
 * Dashboard, declare, the incident's page with its update and resolve forms, and the live preview.
 * Publishing goes through the same use-cases as the API (declareIncident, postIncidentUpdate).
 */
export async function incidentConsoleRoutes(parent: FastifyInstance, { kit }: { kit: ConsoleKit }) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const catalog = async () => {
    const [page, { groups, components }] = await Promise.all([loadPage(app.db), loadPageStructure(app.db)]);
    return { page, groups, components, tz: page?.time_zone ?? 'Etc/UTC' };
  };

  app.get(
    '/console',
    {
      ...app.requireConsoleCapability('status.read'),
      schema: { hide: true, querystring: Type.Object({ done: Type.Optional(Type.String({ maxLength: 40 })) }), response: HTML },
    },
    async (request, reply) => {
      const [{ groups, components, tz }, { open, maintenances, recent }] = await Promise.all([catalog(), loadConsoleDashboard(app.db, 10)]);
      const panel = await loadSignalPanel(app.db, app.config.pageDefinition.heartbeats ?? []);
      const signal = panel
        ? signalPanelView(
            panel.series,
            panel.notices.map((n) => automaticNoticeView(n.incident, n.episode, n.label, tz)),
            tz,
          )
        : null;
      const notices = signal?.notices.map((n) => ({ ...n, formId: newFormId(app), errors: {}, reason: '' })) ?? [];
      return kit.send(
        request,
        reply,
        200,
        'dashboard',
        {
          ...dashboardView({ open, maintenances, recent, components, groups, timeZone: tz }),
          signal: signal ? { ...signal, notices } : null,
          dismissLimits: DISMISS_LIMITS,
        },
        { nav: 'dashboard' },
      );
    },
  );

  // ---- declare ---------------------------------------------------------------------------

  interface DeclareForm {
    name: string;
    status: string;
    impact: string;
    body: string;
    notify: boolean;
    selected: Record<string, string>;
    templateId: string;
  }

  const declarePage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    form: DeclareForm,
    extra: { errors?: Record<string, string>; preview?: unknown } = {},
  ) => {
    const [{ groups, components }, templates] = await Promise.all([catalog(), listTemplates(app.db)]);
    return kit.send(
      request,
      reply,
      status,
      'incident-new',
      {
        title: 'Declare an incident',
        form: { ...form, formId: newFormId(app) },
        limits: DECLARE_LIMITS,
        statusOptions: options(OPENING_STATUSES, STATUS_LABELS, form.status),
        impactOptions: options(['', ...IMPACT_CHOICES], IMPACT_CHOICE_LABELS, form.impact),
        grid: componentGrid(groups, components, form.selected),
        templates: templates.map((t) => ({ ...templateListItem(t, components), selected: t.id === form.templateId })),
        errors: extra.errors ?? {},
        preview: extra.preview ?? null,
        script: true,
      },
      { nav: 'declare' },
    );
  };

  app.get(
    '/console/incidents/new',
    {
      ...app.requireConsoleCapability('incident.declare'),
      schema: { hide: true, querystring: Type.Object({ template: Type.Optional(Type.String({ maxLength: 64 })) }), response: HTML },
    },
    async (request, reply) => {
      const templateId = request.query.template ?? '';
      const template = templateId ? await findTemplate(app.db, templateId) : null;
      if (templateId && !template) {
        return declarePage(
          request,
          reply,
          404,
          { name: '', status: 'investigating', impact: '', body: '', notify: true, selected: {}, templateId: '' },
          { errors: { template: 'That template does not exist (any more). Pick another one or start blank.' } },
        );
      }
      return declarePage(request, reply, 200, {
        name: template?.title ?? '',
        status: template?.status ?? 'investigating',
        impact: template?.impact ?? '',
        body: template?.body ?? '',
        notify: true,
        selected: template?.component_statuses ?? {},
        templateId: template?.id ?? '',
      });
    },
  );

  const readDeclareForm = (body: Form): DeclareForm => ({
    name: field(body, 'name'),
    status: field(body, 'status') || 'investigating',
    impact: field(body, 'impact'),
    body: field(body, 'body'),
    notify: checked(body, 'notify'),
    selected: gridSelection(body),
    templateId: field(body, 'template'),
  });

  app.post(
    '/console/incidents',
    { ...app.requireConsoleCapability('incident.declare'), schema: { hide: true, body: FormBody, response: HTML } },
    async (request, reply) => {
      const body = request.body as Form;
      const form = readDeclareForm(body);
      const { page, groups, components } = await catalog();
      if (field(body, 'intent') === 'preview') {
        return declarePage(request, reply, 200, form, {
          preview: preview(page, form.name, form.status, form.body, form.selected, components, groups, form.impact),
        });
      }
      try {
        const result = await kit.once(request, (ctx) =>
          declareIncident(ctx, {
            name: form.name,
            status: form.status,
            impact: form.impact || undefined,
            body: form.body,
            components: form.selected,
            deliver_notifications: form.notify,
          }),
        );
        return reply.redirect(`/console/incidents/${result.id}?done=${result.replayed ? 'replayed' : 'published'}`, 303);
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        return declarePage(request, reply, 400, form, { errors: errorsOf(error, componentErrorField(components)) });
      }
    },
  );

  // ---- preview -----------------------------------------------------------------------------

  /** `impact`: what the declare form chose (empty: from the components), or an open incident's own impact. */
  function preview(
    page: Awaited<ReturnType<typeof loadPage>>,
    name: string,
    status: string,
    body: string,
    selected: Record<string, string>,
    components: Component[],
    groups: ComponentGroup[],
    impact: string,
  ) {
    if (!page) return null;
    const changes = Object.entries(selected)
      .map(([id, s]) => ({ component: components.find((c) => c.id === id), status: s as ComponentStatus }))
      .filter(
        (c): c is { component: Component; status: ComponentStatus } =>
          c.component !== undefined && (COMPONENT_STATUSES as readonly string[]).includes(c.status),
      );
    const chosen = (IMPACT_CHOICES as readonly string[]).includes(impact) ? (impact as Impact) : undefined;
    return previewView({ page, name, status, body, changes, groups, now: app.clock.now(), impact: chosen });
  }

  // The live preview's fragment (called by the page's script as the responder types).
  app.post(
    '/console/preview',
    { ...app.requireConsoleCapability('incident.declare'), schema: { hide: true, body: FormBody, response: HTML } },
    async (request, reply) => {
      const body = request.body as Form;
      const { page, groups, components } = await catalog();
      const incident = field(body, 'incident_id') ? await findIncident(app.db, field(body, 'incident_id'), 'incident') : null;
      const model = preview(
        page,
        incident?.name ?? field(body, 'name'),
        field(body, 'status') || incident?.status || 'investigating',
        field(body, 'body'),
        gridSelection(body),
        components,
        groups,
        incident?.impact ?? field(body, 'impact'),
      );
      return reply
        .code(200)
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .send(kit.renderer.fragment('preview', { preview: model }));
    },
  );

  // ---- one incident --------------------------------------------------------------------------

  const incidentPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    id: string,
    status: number,
    extra: {
      form?: Partial<{ status: string; body: string; notify: boolean; postmortemUrl: string; selected: Record<string, string>; name: string }>;
      errors?: Record<string, string>;
      preview?: unknown;
    } = {},
  ) => {
    const [{ groups, components, tz }, incident] = await Promise.all([catalog(), findIncident(app.db, id, 'incident')]);
    if (!incident)
      return kit.send(
        request,
        reply,
        404,
        'message',
        { title: 'Not found', heading: 'No such incident', message: `There is no incident ${id}.`, link: { href: '/console', text: 'Back to the dashboard' } },
        { nav: 'dashboard' },
      );
    const { events, counts } = await loadIncidentDeliveryCounts(app.db, incident.id);
    const progress = deliveryProgressView(incident.updates, events, counts);
    const form = {
      status: incident.status,
      body: '',
      notify: true,
      postmortemUrl: incident.postmortem_url ?? '',
      selected: {},
      name: incident.name,
      ...extra.form,
    };
    const nextStatuses = incident.resolved_at ? ['resolved', 'postmortem'] : INCIDENT_STATUSES.filter((s) => s !== 'postmortem');
    return kit.send(
      request,
      reply,
      status,
      'incident',
      {
        title: incident.name,
        incident: withProgress(incidentConsoleView(incident, components, groups, tz), progress),
        progress: {
          active: progress.active,
          other: progress.other,
          url: `/console/incidents/${incident.id}/progress.json`,
          otherView: { text: 'Alerts to the responders listed for the heartbeat series.', channels: progress.other, deadUrl: null },
        },
        automaticOpen: incident.source === 'heartbeat' && incident.resolved_at === null,
        form: { ...form, formId: newFormId(app), resolveFormId: newFormId(app), renameFormId: newFormId(app) },
        limits: { ...UPDATE_LIMITS, name: RENAME_LIMITS.name },
        statusOptions: options(nextStatuses, STATUS_LABELS, form.status),
        grid: componentGrid(groups, components, form.selected),
        errors: extra.errors ?? {},
        preview: extra.preview ?? null,
        script: true,
      },
      { nav: 'dashboard' },
    );
  };

  app.get(
    '/console/incidents/:id',
    {
      ...app.requireConsoleCapability('status.read'),
      schema: { hide: true, params: IdParams, querystring: Type.Object({ done: Type.Optional(Type.String({ maxLength: 40 })) }), response: HTML },
    },
    async (request, reply) => incidentPage(request, reply, request.params.id, 200),
  );

  app.post(
    '/console/incidents/:id/updates',
    { ...app.requireConsoleCapability('incident.update'), schema: { hide: true, params: IdParams, body: FormBody, response: HTML } },
    async (request, reply) => {
      const body = request.body as Form;
      const id = request.params.id;
      const form = {
        status: field(body, 'status'),
        body: field(body, 'body'),
        notify: checked(body, 'notify'),
        postmortemUrl: field(body, 'postmortem_url').trim(),
        selected: gridSelection(body),
      };
      const { page, groups, components } = await catalog();
      if (field(body, 'intent') === 'preview') {
        const incident = await findIncident(app.db, id, 'incident');
        return incidentPage(request, reply, id, 200, {
          form,
          preview: preview(page, incident?.name ?? '', form.status, form.body, form.selected, components, groups, incident?.impact ?? ''),
        });
      }
      try {
        const result = await kit.once(request, (ctx) =>
          postIncidentUpdate(ctx, id, {
            status: form.status || undefined,
            body: form.body,
            components: form.selected,
            deliver_notifications: form.notify,
            postmortem_url: form.postmortemUrl || undefined,
          }),
        );
        const done = result.replayed ? 'replayed' : form.status === 'resolved' ? 'resolved' : 'updated';
        return reply.redirect(`/console/incidents/${result.id}?done=${done}`, 303);
      } catch (error) {
        if (error instanceof ConflictError)
          return incidentPage(request, reply, id, 409, { form, errors: { status: error.message.replace(/^status: /, ''), summary: error.message } });
        if (!(error instanceof ValidationError)) throw error;
        return incidentPage(request, reply, id, 400, { form, errors: errorsOf(error, componentErrorField(components)) });
      }
    },
  );
  // Statuspage's console edits an incident's title in place: the page and feeds show the new name
  // at once, no update is posted and nobody is notified (the use-case says why).
  app.post(
    '/console/incidents/:id/name',
    { ...app.requireConsoleCapability('incident.update'), schema: { hide: true, params: IdParams, body: FormBody, response: HTML } },
    async (request, reply) => {
      const name = field(request.body as Form, 'name');
      const id = request.params.id;
      try {
        const result = await kit.once(request, (ctx) => renameIncident(ctx, id, 'incident', { name }));
        return reply.redirect(`/console/incidents/${result.id}?done=${result.replayed ? 'replayed' : 'renamed'}`, 303);
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        return incidentPage(request, reply, id, 400, { form: { name }, errors: errorsOf(error) });
      }
    },
  );
}
