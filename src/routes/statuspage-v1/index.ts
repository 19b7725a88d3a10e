/**
 * The Statuspage manage-API door (`/v1`): the incident tools, alert bridges, chat bots and
 * Terraform providers that drive Atlassian Statuspage drive Lifeline with only their base URL
 * changed (`https://status.example.com/v1`). It translates Statuspage's shapes to the same
 * use-cases the native API calls (so the audit log, idempotency, component holders and
 * notifications are the same) and the answers back to Statuspage's shapes.
 *
 * Statuspage's conventions, kept here and nowhere else: `Authorization: OAuth <token>` (also
 * `Bearer` and `?api_key=`), `{page_id}` in every path (the page's id, else 404), an optional
 * `.json` suffix (stripped before routing: `stripJsonSuffix` in app.ts), JSON or Rails-style form
 * bodies (a body without a content type is JSON), unknown fields ignored, lists as bare arrays,
 * errors as `{"error": text, "message": text}` with 422 for a value the use-case refuses.
 */
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { parse as parseForm } from 'qs';
import Type from 'typebox';
import type { Capability } from '../../domain/capabilities.ts';
import { scopeNeededFor } from '../../domain/capabilities.ts';
import { ForbiddenError, NotFoundError, UnauthorizedError, ValidationError } from '../../domain/errors.ts';
import type { Component, Incident } from '../../domain/model.ts';
import { MAINTENANCE_STATUSES, type ComponentStatus, type MaintenanceStatus } from '../../domain/status.ts';
import {
  presentV1Component,
  presentV1Components,
  presentV1Group,
  presentV1Incident,
  presentV1Page,
  presentV1Subscriber,
  presentV1Template,
} from '../../presenters/statuspage-v1.ts';
import { siblingPositions } from '../../presenters/statuspage-v2.ts';
import { findIncident } from '../../queries/incidents.ts';
import { loadPage } from '../../queries/page-chrome.ts';
import { findComponent, loadPageStructure } from '../../queries/page-structure.ts';
import { listIncidentsPage, listOpenMaintenances, listUnresolvedIncidents } from '../../queries/statuspage-v1.ts';
import { describeValidation } from '../../services/shared/contract.ts';
import { registerWebhook } from '../../services/subscribers/register-webhook.ts';
import { subscribeByEmail } from '../../services/subscribers/subscribe-by-email.ts';
import { unsubscribe } from '../../services/subscribers/unsubscribe.ts';
import type { CheckWebhookUrl } from '../../services/subscribers/webhook-endpoint.ts';
import { findSubscriber, listSubscribers, type SubscriberState } from '../../queries/subscriber-list.ts';
import { listTemplates } from '../../queries/templates.ts';
import { createTemplate } from '../../services/templates/create-template.ts';
import { httpStatusOf } from '../../plugins/http-errors.ts';
import { RollingWindowLimit } from '../../plugins/token-rate-limit.ts';
import { archiveComponent } from '../../services/components/archive-component.ts';
import { archiveComponentGroup } from '../../services/components/archive-component-group.ts';
import { createComponent } from '../../services/components/create-component.ts';
import { createComponentGroup } from '../../services/components/create-component-group.ts';
import { updateComponent } from '../../services/components/update-component.ts';
import { updateComponentGroup } from '../../services/components/update-component-group.ts';
import { setComponentStatus } from '../../services/components/set-component-status.ts';
import { declareIncident } from '../../services/incidents/declare-incident.ts';
import { deleteIncident } from '../../services/incidents/delete-incident.ts';
import { postIncidentUpdate } from '../../services/incidents/post-incident-update.ts';
import { renameIncident } from '../../services/incidents/rename-incident.ts';
import type { IncidentAfterWrite } from '../../services/shared/incident-after-write.ts';
import { advanceMaintenance } from '../../services/maintenances/advance-maintenance.ts';
import { scheduleMaintenance } from '../../services/maintenances/schedule-maintenance.ts';
import { joinTransaction, type ServiceContext } from '../../services/context.ts';
import {
  componentChange,
  componentCreation,
  defined,
  groupChange,
  incidentChange,
  incidentCreation,
  incidentRename,
  subscriberCreation,
  TEMPLATE_DEFAULT_COMPONENT_STATUS,
  templateCreation,
} from './translate.ts';
import { replaceMovedIds } from './moved-ids.ts';

export const STATUSPAGE_V1_PREFIX = '/v1';
/** A maintenance's statuses in the order it moves through them. */
const MAINTENANCE_ORDER: readonly MaintenanceStatus[] = MAINTENANCE_STATUSES;

/** `/v1/pages/p/incidents.json?x=1` → `/v1/pages/p/incidents?x=1`: Statuspage accepts both spellings of every path. */
export function stripJsonSuffix(url: string): string {
  if (!url.startsWith(`${STATUSPAGE_V1_PREFIX}/`)) return url;
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  return path.endsWith('.json') ? path.slice(0, -'.json'.length) + (query === -1 ? '' : url.slice(query)) : url;
}

const Security = [{ oauth: [] }];
const PageParams = Type.Object({ page_id: Type.String({ minLength: 1, maxLength: 64 }) });
const IncidentParams = Type.Object({ page_id: Type.String({ minLength: 1, maxLength: 64 }), incident_id: Type.String({ minLength: 1, maxLength: 64 }) });
const ComponentParams = Type.Object({ page_id: Type.String({ minLength: 1, maxLength: 64 }), component_id: Type.String({ minLength: 1, maxLength: 64 }) });
const GroupParams = Type.Object({ page_id: Type.String({ minLength: 1, maxLength: 64 }), group_id: Type.String({ minLength: 1, maxLength: 64 }) });
const STRUCTURE_NOTE = 'Only on a page whose components are managed in the console and API (`page.components_from: console`); otherwise 409.';
/** Any wrapper object: the translation reads the fields it knows and ignores the rest. */
const AnyBody = Type.Record(Type.String(), Type.Unknown());
const ListQuery = Type.Object({
  q: Type.Optional(Type.String({ maxLength: 200, description: 'matches the name or any update' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 100 })),
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, default: 1 })),
});
const Tags = ['statuspage-v1'];
const SubscriberParams = Type.Object({ page_id: Type.String({ minLength: 1, maxLength: 64 }), subscriber_id: Type.String({ minLength: 1, maxLength: 64 }) });
const SubscriberListQuery = Type.Object({
  q: Type.Optional(Type.String({ maxLength: 200, description: 'matches the email address or endpoint' })),
  type: Type.Optional(Type.String({ enum: ['email', 'webhook'] })),
  state: Type.Optional(Type.String({ enum: ['active', 'unconfirmed', 'quarantined', 'all'], default: 'active' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 100 })),
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, default: 1 })),
});

/** The token as Statuspage's clients send it. */
function tokenOf(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? /^(?:OAuth|Bearer)\s+(\S+)$/i.exec(header) : null;
  if (match) return match[1];
  const key = (request.query as Record<string, unknown> | undefined)?.api_key;
  return typeof key === 'string' && key.length > 0 ? key : null;
}

/** Statuspage answers a value it refuses with 422; everything else as every other door does. */
function statusOfError(error: FastifyError): number {
  if (error instanceof ValidationError) return 422;
  return httpStatusOf(error);
}

interface StatuspageV1Options {
  /** The SSRF guard for webhook subscribers' endpoints. */
  checkWebhookUrl: CheckWebhookUrl;
  generateWebhookSecret: () => string;
}

export async function statuspageV1Routes(parent: FastifyInstance, doorOptions: StatuspageV1Options) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();

  // Bodies: JSON (also when no content type is given) and Rails-style forms; nothing else.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: 256 * 1024 }, app.getDefaultJsonParser('error', 'error'));
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 256 * 1024 }, (_request, body, done) => {
    // qs: brackets to nested objects (`incident[components][id]=…`), bounded in depth, count and list size; no prototype keys.
    done(null, parseForm(String(body), { depth: 4, parameterLimit: 1000, arrayLimit: 500, allowPrototypes: false, plainObjects: true }));
  });
  // Statuspage's limit per token: a tool that retries on 429 honouring Retry-After (as its SDKs do) slows down instead of failing.
  const perMinute = app.config.env.LIFELINE_V1_RATE_LIMIT;
  const limit = perMinute > 0 ? new RollingWindowLimit({ max: perMinute, windowMs: 60_000, now: () => app.clock.now().getTime() }) : null;
  app.addHook('onRequest', async (request, reply) => {
    const hasBody =
      (request.headers['content-length'] !== undefined && request.headers['content-length'] !== '0') || request.headers['transfer-encoding'] !== undefined;
    if (hasBody && request.headers['content-type'] === undefined) request.headers['content-type'] = 'application/json';
    const token = tokenOf(request);
    if (!token) throw new UnauthorizedError('send Authorization: OAuth <token> (or Bearer, or ?api_key=); create one with: npx lifeline token create');
    request.actor = await app.actorOfToken(token);
    const waitMs = limit?.take(request.actor.id) ?? null;
    if (waitMs !== null) {
      const seconds = Math.max(1, Math.ceil(waitMs / 1000));
      const message = `rate limit exceeded: at most ${perMinute} requests per token in any 60 seconds; retry in ${seconds} s`;
      return reply.code(429).header('retry-after', String(seconds)).send({ error: message, message });
    }
  });
  // Ids from before the page moved over (lifeline import statuspage) are read as the rows they became.
  app.addHook('preHandler', (request) => replaceMovedIds(app.db, request));

  app.setErrorHandler((error: FastifyError & { validationContext?: string }, request, reply) => {
    let status = statusOfError(error);
    let message = error.message;
    if (error.validation) {
      message = describeValidation(error.validation, error.validationContext).message;
      status = error.validationContext === 'body' ? 422 : 400;
    }
    if (status >= 500) {
      request.log.error({ err: error }, 'unhandled error');
      message = 'something went wrong on our side; it has been logged';
    }
    if (status === 503) reply.header('retry-after', '5');
    return reply.code(status).send({ error: message, message });
  });
  app.setNotFoundHandler(async (request, reply) => {
    const message = `no route for ${request.method} ${request.url.split('?')[0]}`;
    return reply.code(404).send({ error: message, message });
  });

  const need = (request: FastifyRequest, capability: Capability) => {
    if (!request.actor.capabilities.has(capability)) throw new ForbiddenError(`this token lacks the ${scopeNeededFor(capability)} scope`);
  };
  const manages = (request: FastifyRequest) => request.actor.capabilities.has('subscriber.manage');
  const ctxOf = (request: FastifyRequest): ServiceContext => app.serviceContext(request.actor);
  /** The page in the path must be this page (its id, as `page.id` in /api/v2/summary.json). */
  const pageFor = async (pageId: string) => {
    const page = await loadPage(app.db);
    if (!page || page.id !== pageId) throw new NotFoundError('page', pageId);
    return page;
  };
  const options = { publicUrl: app.config.publicUrl };
  /** The page's components, and the presenting options with each one's place among its siblings. */
  const structureNow = async (db: ServiceContext['db'] = app.db) => {
    const { groups, components } = await loadPageStructure(db);
    return { groups, components, options: { ...options, positions: siblingPositions(groups, components) } };
  };
  const presentIncidents = async (pageId: string, incidents: Incident[]) => {
    const { components, options: positioned } = await structureNow();
    return incidents.map((incident) => presentV1Incident(incident, components, pageId, positioned));
  };
  const statusLookup =
    (components: Component[]) =>
    (idOrKey: string): ComponentStatus | undefined =>
      components.find((c) => c.id === idOrKey || c.key === idOrKey)?.status;

  // ---- page and components ---------------------------------------------------------------------

  app.get(
    '/pages/:page_id',
    {
      schema: { tags: Tags, summary: 'The page (Statuspage manage API)', security: Security, params: PageParams },
    },
    async (request) => {
      need(request, 'status.read');
      return presentV1Page(await pageFor(request.params.page_id), options);
    },
  );

  app.get(
    '/pages/:page_id/components',
    {
      schema: { tags: Tags, summary: 'Components and groups, as a bare array', security: Security, params: PageParams },
    },
    async (request) => {
      need(request, 'status.read');
      const page = await pageFor(request.params.page_id);
      const { groups, components } = await loadPageStructure(app.db);
      return presentV1Components({ page, groups, components });
    },
  );

  app.get(
    '/pages/:page_id/components/:component_id',
    {
      schema: { tags: Tags, summary: 'One component', security: Security, params: ComponentParams },
    },
    async (request) => {
      need(request, 'status.read');
      const page = await pageFor(request.params.page_id);
      const component = await findComponent(app.db, request.params.component_id);
      if (!component) throw new NotFoundError('component', request.params.component_id);
      return presentV1Component(component, page.id, (await structureNow()).options.positions.get(component.id));
    },
  );

  for (const method of ['PATCH', 'PUT'] as const) {
    app.route({
      method,
      url: '/pages/:page_id/components/:component_id',
      schema: {
        tags: Tags,
        summary: "Set a component's status (and edit it, on a page whose components are managed in the console)",
        security: Security,
        params: ComponentParams,
        body: AnyBody,
        description:
          'Body `{"component": {status, name, description, group_id, only_show_if_degraded}}`. Fields equal to the component\'s own are not edits; other fields are ignored. No notice is sent for a status set outside an incident.',
      },
      handler: async (request) => {
        const page = await pageFor(request.params.page_id);
        const component = await findComponent(app.db, request.params.component_id);
        if (!component) throw new NotFoundError('component', request.params.component_id);
        const { status, edits } = componentChange(request.body);
        // Tools send the whole component back; only what differs is an edit (a file-managed page refuses edits).
        const changed = Object.fromEntries(Object.entries(edits).filter(([field, value]) => component[field as keyof Component] !== value));
        const ctx = ctxOf(request);
        let result = component;
        if (Object.keys(changed).length > 0) {
          need(request, 'page_structure.edit');
          result = await updateComponent(ctx, component.id, changed);
        }
        if (status !== undefined && status !== component.status) {
          need(request, 'component.set_status');
          result = await setComponentStatus(ctx, component.id, { status: status as string });
        }
        return presentV1Component(result, page.id, (await structureNow()).options.positions.get(result.id));
      },
    });
  }

  app.post(
    '/pages/:page_id/components',
    {
      schema: {
        tags: Tags,
        summary: 'Add a component',
        security: Security,
        params: PageParams,
        body: AnyBody,
        description: `Body \`{"component": {name, description, status, group_id, only_show_if_degraded}}\`; other fields are ignored. ${STRUCTURE_NOTE}`,
      },
    },
    async (request, reply) => {
      const page = await pageFor(request.params.page_id);
      need(request, 'page_structure.edit');
      const input = componentCreation(request.body);
      return app.idempotentWrite(
        request,
        reply,
        201,
        async (ctx) => {
          const component = await createComponent(ctx, input);
          return { component, positions: (await structureNow(ctx.db)).options.positions };
        },
        ({ component, positions }) => presentV1Component(component, page.id, positions.get(component.id)),
      );
    },
  );

  app.delete(
    '/pages/:page_id/components/:component_id',
    {
      schema: {
        tags: Tags,
        summary: 'Remove a component (204); its history is kept',
        security: Security,
        params: ComponentParams,
        description: `Refused (409) while an open incident lists it. ${STRUCTURE_NOTE}`,
      },
    },
    async (request, reply) => {
      await pageFor(request.params.page_id);
      need(request, 'page_structure.edit');
      await archiveComponent(ctxOf(request), request.params.component_id);
      return reply.code(204).send();
    },
  );

  // ---- component groups ----------------------------------------------------------------------------

  /** A group as it is in `db` now, with its components and place. */
  const groupNow = async (db: ServiceContext['db'], groupId: string, pageId: string) => {
    const { groups, components, options: positioned } = await structureNow(db);
    const group = groups.find((g) => g.id === groupId || g.key === groupId);
    if (!group) throw new NotFoundError('component group', groupId);
    return presentV1Group(
      group,
      components.filter((c) => c.group_id === group.id),
      pageId,
      positioned.positions.get(group.id),
    );
  };

  app.get(
    '/pages/:page_id/component-groups',
    { schema: { tags: Tags, summary: 'Component groups, as a bare array', security: Security, params: PageParams } },
    async (request) => {
      need(request, 'status.read');
      const page = await pageFor(request.params.page_id);
      const { groups, components, options: positioned } = await structureNow();
      return groups.map((group) =>
        presentV1Group(
          group,
          components.filter((c) => c.group_id === group.id),
          page.id,
          positioned.positions.get(group.id),
        ),
      );
    },
  );

  app.get(
    '/pages/:page_id/component-groups/:group_id',
    { schema: { tags: Tags, summary: 'One component group', security: Security, params: GroupParams } },
    async (request) => {
      need(request, 'status.read');
      const page = await pageFor(request.params.page_id);
      return groupNow(app.db, request.params.group_id, page.id);
    },
  );

  app.post(
    '/pages/:page_id/component-groups',
    {
      schema: {
        tags: Tags,
        summary: 'Add a component group',
        security: Security,
        params: PageParams,
        body: AnyBody,
        description: `Body \`{"component_group": {name, components: [ids]}, "description": …}\`: the listed components move into the group, in that order. ${STRUCTURE_NOTE}`,
      },
    },
    async (request, reply) => {
      const page = await pageFor(request.params.page_id);
      need(request, 'page_structure.edit');
      const input = groupChange(request.body);
      return app.idempotentWrite(
        request,
        reply,
        201,
        async (ctx) => groupNow(ctx.db, (await createComponentGroup(ctx, input)).id, page.id),
        (group) => group,
      );
    },
  );

  for (const method of ['PATCH', 'PUT'] as const) {
    app.route({
      method,
      url: '/pages/:page_id/component-groups/:group_id',
      schema: {
        tags: Tags,
        summary: 'Rename, describe or regroup a component group',
        security: Security,
        params: GroupParams,
        body: AnyBody,
        description: `Body as for creating; \`components\` makes the listed components its members (the others in it leave it). ${STRUCTURE_NOTE}`,
      },
      handler: async (request, reply) => {
        const page = await pageFor(request.params.page_id);
        need(request, 'page_structure.edit');
        const input = groupChange(request.body);
        return app.idempotentWrite(
          request,
          reply,
          200,
          async (ctx) => groupNow(ctx.db, (await updateComponentGroup(ctx, request.params.group_id, input)).id, page.id),
          (group) => group,
        );
      },
    });
  }

  app.delete(
    '/pages/:page_id/component-groups/:group_id',
    {
      schema: {
        tags: Tags,
        summary: 'Remove a component group; its components stay on the page without a group',
        security: Security,
        params: GroupParams,
        description: `Answers the group as it was. ${STRUCTURE_NOTE}`,
      },
    },
    async (request) => {
      const page = await pageFor(request.params.page_id);
      need(request, 'page_structure.edit');
      const before = await groupNow(app.db, request.params.group_id, page.id);
      await archiveComponentGroup(ctxOf(request), before.id);
      return before;
    },
  );

  // ---- subscribers -----------------------------------------------------------------------------------

  const allComponentIds = async () => (await loadPageStructure(app.db)).components.map((c) => c.id);

  app.post(
    '/pages/:page_id/subscribers',
    {
      schema: {
        tags: Tags,
        summary: 'Add an email or webhook subscriber',
        security: Security,
        params: PageParams,
        body: AnyBody,
        description:
          'Body `{"subscriber": {email, endpoint, component_ids, skip_confirmation_notification}}`. With `endpoint`, a webhook subscriber (its signing `secret` is in this answer only); otherwise an email subscriber, who confirms by email unless `skip_confirmation_notification` is true (then it is confirmed at once and nothing is sent). SMS, Slack and Teams subscribers are not supported.',
      },
    },
    async (request, reply) => {
      await pageFor(request.params.page_id);
      need(request, 'subscriber.manage');
      const creation = subscriberCreation(request.body);
      const components = await allComponentIds();
      if (creation.kind === 'webhook') {
        return app.idempotentWrite(
          request,
          reply,
          201,
          (ctx) => registerWebhook(ctx, creation.input, doorOptions.checkWebhookUrl, doorOptions.generateWebhookSecret),
          ({ subscriber, secret }) => presentV1Subscriber(subscriber, components, manages(request), { skipConfirmation: creation.skipConfirmation, secret }),
        );
      }
      return app.idempotentWrite(
        request,
        reply,
        201,
        (ctx) => subscribeByEmail(ctx, creation.input, { source: 'api' }),
        ({ subscriber }) => presentV1Subscriber(subscriber, components, manages(request), { skipConfirmation: creation.skipConfirmation }),
      );
    },
  );

  app.get(
    '/pages/:page_id/subscribers',
    {
      schema: {
        tags: Tags,
        summary: 'Subscribers, as a bare array (state active by default, as on Statuspage)',
        security: Security,
        params: PageParams,
        querystring: SubscriberListQuery,
      },
    },
    async (request) => {
      need(request, 'subscriber.read');
      await pageFor(request.params.page_id);
      const limit = request.query.limit ?? 100;
      const [subscribers, components] = await Promise.all([
        listSubscribers(app.db, {
          type: request.query.type,
          search: request.query.q || undefined,
          searchUrls: manages(request),
          state: (request.query.state ?? 'active') as SubscriberState,
          limit,
          offset: ((request.query.page ?? 1) - 1) * limit,
        }),
        allComponentIds(),
      ]);
      return subscribers.map((subscriber) => presentV1Subscriber(subscriber, components, manages(request)));
    },
  );

  app.get(
    '/pages/:page_id/subscribers/:subscriber_id',
    { schema: { tags: Tags, summary: 'One subscriber', security: Security, params: SubscriberParams } },
    async (request) => {
      need(request, 'subscriber.read');
      await pageFor(request.params.page_id);
      const subscriber = await findSubscriber(app.db, request.params.subscriber_id);
      if (!subscriber || subscriber.unsubscribed_at) throw new NotFoundError('subscriber', request.params.subscriber_id);
      return presentV1Subscriber(subscriber, await allComponentIds(), manages(request));
    },
  );

  app.delete(
    '/pages/:page_id/subscribers/:subscriber_id',
    {
      schema: {
        tags: Tags,
        summary: 'Unsubscribe a subscriber; what was not yet sent to it is dropped',
        security: Security,
        params: SubscriberParams,
        description: 'Answers the subscriber as it was. Nobody is emailed.',
      },
    },
    async (request) => {
      await pageFor(request.params.page_id);
      need(request, 'subscriber.manage');
      const subscriber = await findSubscriber(app.db, request.params.subscriber_id);
      if (!subscriber || subscriber.unsubscribed_at) throw new NotFoundError('subscriber', request.params.subscriber_id);
      const removed = await unsubscribe(ctxOf(request), subscriber.id, 'removed');
      return presentV1Subscriber(removed, await allComponentIds(), manages(request));
    },
  );

  // ---- incident templates ------------------------------------------------------------------------

  app.get(
    '/pages/:page_id/incident_templates',
    { schema: { tags: Tags, summary: 'Incident templates, by name, as a bare array', security: Security, params: PageParams } },
    async (request) => {
      need(request, 'template.read');
      const page = await pageFor(request.params.page_id);
      const [templates, { components, options: positioned }] = await Promise.all([listTemplates(app.db), structureNow()]);
      return templates.map((template) => presentV1Template(template, components, page.id, positioned.positions));
    },
  );

  app.post(
    '/pages/:page_id/incident_templates',
    {
      schema: {
        tags: Tags,
        summary: 'Add an incident template',
        security: Security,
        params: PageParams,
        body: AnyBody,
        description: `Body \`{"template": {name, title, body, update_status, component_ids}}\` (also wrapped as \`incident_template\`). A component in \`component_ids\` gets ${TEMPLATE_DEFAULT_COMPONENT_STATUS} when the template is used, unless \`components\` ({id: status}) gives its status. Template groups and Twitter fields are ignored.`,
      },
    },
    async (request, reply) => {
      const page = await pageFor(request.params.page_id);
      need(request, 'template.manage');
      const input = templateCreation(request.body);
      const { components, options: positioned } = await structureNow();
      return app.idempotentWrite(
        request,
        reply,
        201,
        (ctx) => createTemplate(ctx, input),
        (template) => presentV1Template(template, components, page.id, positioned.positions),
      );
    },
  );

  // ---- incidents and maintenances ----------------------------------------------------------------

  app.get(
    '/pages/:page_id/incidents',
    {
      schema: {
        tags: Tags,
        summary: 'Incidents and maintenances, newest first, as a bare array',
        security: Security,
        params: PageParams,
        querystring: ListQuery,
      },
    },
    async (request) => {
      need(request, 'status.read');
      const page = await pageFor(request.params.page_id);
      const incidents = await listIncidentsPage(app.db, {
        search: request.query.q || undefined,
        limit: request.query.limit ?? 100,
        page: request.query.page ?? 1,
      });
      return presentIncidents(page.id, incidents);
    },
  );

  const lists = [
    ['unresolved', 'Open incidents', () => listUnresolvedIncidents(app.db)],
    ['upcoming', 'Maintenances not yet started, soonest first', () => listOpenMaintenances(app.db, 'upcoming')],
    ['active_maintenance', 'Maintenances in progress or verifying', () => listOpenMaintenances(app.db, 'active')],
    ['scheduled', 'Maintenances not yet completed', () => listOpenMaintenances(app.db, 'scheduled')],
  ] as const;
  for (const [path, summary, load] of lists) {
    app.get(
      `/pages/:page_id/incidents/${path}`,
      {
        schema: { tags: Tags, summary: `${summary}, as a bare array`, security: Security, params: PageParams },
      },
      async (request) => {
        need(request, 'status.read');
        const page = await pageFor(request.params.page_id);
        return presentIncidents(page.id, await load());
      },
    );
  }

  app.post(
    '/pages/:page_id/incidents',
    {
      schema: {
        tags: Tags,
        summary: 'Create an incident, or a maintenance (a maintenance status or scheduled_for)',
        security: Security,
        params: PageParams,
        body: AnyBody,
        description:
          'Body `{"incident": {name, status, impact_override, body (or message), components: {id: status}, component_ids, deliver_notifications, scheduled_for, scheduled_until, scheduled_auto_in_progress, scheduled_auto_completed}}`; other fields are ignored. Send an Idempotency-Key header to make retries safe.',
      },
    },
    async (request, reply) => {
      const page = await pageFor(request.params.page_id);
      const { components, options: positioned } = await structureNow();
      const creation = incidentCreation(request.body, statusLookup(components), app.clock.now());
      const present = (incident: Incident & { components?: Component[] }) =>
        presentV1Incident(incident, incident.components ?? components, page.id, positioned);
      if (creation.kind === 'incident') {
        need(request, 'incident.declare');
        return app.idempotentWrite(request, reply, 201, (ctx) => declareIncident(ctx, creation.input), present);
      }
      need(request, 'maintenance.schedule');
      return app.idempotentWrite(
        request,
        reply,
        201,
        async (ctx) => {
          let maintenance = await scheduleMaintenance(ctx, creation.input);
          // Created already under way (or as past history): move it on to the status asked for, one step at a time.
          while (MAINTENANCE_ORDER.indexOf(maintenance.status as MaintenanceStatus) < MAINTENANCE_ORDER.indexOf(creation.status)) {
            const next = MAINTENANCE_ORDER[MAINTENANCE_ORDER.indexOf(maintenance.status as MaintenanceStatus) + 1];
            maintenance = await advanceMaintenance(ctx, maintenance.id, next, defined({ deliver_notifications: creation.input.deliver_notifications }));
          }
          return maintenance;
        },
        present,
      );
    },
  );

  app.get(
    '/pages/:page_id/incidents/:incident_id',
    {
      schema: { tags: Tags, summary: 'One incident or maintenance', security: Security, params: IncidentParams },
    },
    async (request) => {
      need(request, 'status.read');
      const page = await pageFor(request.params.page_id);
      const incident = await findIncident(app.db, request.params.incident_id);
      if (!incident) throw new NotFoundError('incident', request.params.incident_id);
      return (await presentIncidents(page.id, [incident]))[0];
    },
  );

  for (const method of ['PATCH', 'PUT'] as const) {
    app.route({
      method,
      url: '/pages/:page_id/incidents/:incident_id',
      schema: {
        tags: Tags,
        summary: 'Update an incident or move a maintenance on: one update',
        security: Security,
        params: IncidentParams,
        body: AnyBody,
        description:
          'Body `{"incident": {name, status, body (or message), impact_override, components, component_ids, deliver_notifications}}`. A new `name` renames it (no update is posted for that, nobody is notified); the rest posts one update. A request that changes nothing answers the incident as it is.',
      },
      handler: async (request, reply) => {
        const page = await pageFor(request.params.page_id);
        const incident = await findIncident(app.db, request.params.incident_id);
        if (!incident) throw new NotFoundError('incident', request.params.incident_id);
        const { components, options: positioned } = await structureNow();
        const name = incidentRename(request.body, incident);
        const change = incidentChange(request.body, incident, statusLookup(components));
        const present = (written: Incident & { components?: Component[] }) => presentV1Incident(written, written.components ?? components, page.id, positioned);
        if (change.kind === 'nothing' && name === undefined) return reply.code(200).send(present(incident));
        if (name !== undefined) need(request, incident.kind === 'maintenance' ? 'maintenance.schedule' : 'incident.update');
        if (change.kind === 'maintenance-step') need(request, 'maintenance.advance');
        if (change.kind === 'incident-update') need(request, 'incident.update');
        // Renamed first, in the same transaction, so the update's notices carry the new name.
        const write = (ctx: ServiceContext) =>
          ctx.db.transaction(async (tx) => {
            const inTx = { ...ctx, db: joinTransaction(tx) };
            let written = name === undefined ? null : await renameIncident(inTx, incident.id, incident.kind, { name });
            if (change.kind === 'maintenance-step') written = await advanceMaintenance(inTx, incident.id, change.status, change.input);
            if (change.kind === 'incident-update') written = await postIncidentUpdate(inTx, incident.id, change.input);
            return written as IncidentAfterWrite;
          });
        return app.idempotentWrite(request, reply, 200, write, present);
      },
    });
  }

  app.delete(
    '/pages/:page_id/incidents/:incident_id',
    {
      schema: {
        tags: Tags,
        summary: 'Delete an incident or maintenance',
        security: Security,
        params: IncidentParams,
        description:
          'Answers the deleted incident. It leaves the page, its history and every feed; nobody is notified; the components it held take what the other open incidents say of them, or operational. The audit log keeps the record.',
      },
    },
    async (request, reply) => {
      const page = await pageFor(request.params.page_id);
      // The kind decides the capability. A retry of a DELETE that went through finds nothing here
      // and still reaches its stored answer (Idempotency-Key); without a key it is a 404.
      const incident = await findIncident(app.db, request.params.incident_id);
      const kind = incident?.kind ?? 'incident';
      if (incident) need(request, kind === 'maintenance' ? 'maintenance.delete' : 'incident.delete');
      const { options: positioned } = await structureNow();
      const present = (deleted: Incident & { components?: Component[] }) => presentV1Incident(deleted, deleted.components ?? [], page.id, positioned);
      return app.idempotentWrite(request, reply, 200, (ctx) => deleteIncident(ctx, request.params.incident_id, kind), present);
    },
  );
}
