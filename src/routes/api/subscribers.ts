import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { CHAT_PLATFORMS } from '../../domain/chat-platform.ts';
import type { Actor } from '../../domain/actor.ts';
import type { Subscriber } from '../../domain/model.ts';
import { shownSubscriberUrl } from '../../domain/subscriber-url.ts';
import { parse as parseCsv } from 'csv-parse/sync';
import { NotFoundError, ValidationError } from '../../domain/errors.ts';
import { DisableWebhookEndpointInput, disableWebhookEndpoint } from '../../services/subscribers/disable-webhook-endpoint.ts';
import { importEmailSubscribers, type ImportEmailSubscribersInput } from '../../services/subscribers/import-email-subscribers.ts';
import { reactivateSubscriber } from '../../services/subscribers/reactivate-subscriber.ts';
import type { ChatUrlChecks } from '../../services/subscribers/chat-endpoint.ts';
import { RegisterChatChannelInput, registerChatChannel } from '../../services/subscribers/register-chat-channel.ts';
import { RegisterWebhookInput, registerWebhook } from '../../services/subscribers/register-webhook.ts';
import { SubscribeByEmailInput, subscribeByEmail } from '../../services/subscribers/subscribe-by-email.ts';
import { unsubscribe } from '../../services/subscribers/unsubscribe.ts';
import type { CheckWebhookUrl } from '../../services/subscribers/webhook-endpoint.ts';
import { ReplayDeadLettersInput, replayDeadLetters } from '../../services/notifications/replay-dead-deliveries.ts';
import { listDeadLetters, loadIncidentDeliveryProgress } from '../../queries/delivery-progress.ts';
import { findIncident } from '../../queries/incidents.ts';
import { findSubscriber, listSubscribers } from '../../queries/subscriber-list.ts';
import { errorResponses, RowIdSchema } from '../schemas.ts';

const Security = [{ bearer: [] }];
const SUBSCRIBER_TYPES = ['email', 'webhook', ...CHAT_PLATFORMS];
const Timestamp = Type.Union([Type.String({ format: 'date-time' }), Type.Null()]);
const SubscriberSchema = Type.Object({
  id: Type.String(),
  type: Type.String({ enum: SUBSCRIBER_TYPES }),
  email: Type.Union([Type.String(), Type.Null()], { description: "the address; a webhook's or chat channel's owner (optional)" }),
  url: Type.Union([Type.String(), Type.Null()], { description: "a webhook endpoint; a chat channel's incoming-webhook URL with its secret parts elided" }),
  component_ids: Type.Union([Type.Array(Type.String()), Type.Null()], { description: 'null: all components' }),
  source: Type.String(),
  confirmed_at: Timestamp,
  suppressed_at: Timestamp,
  suppressed_reason: Type.Union([Type.String(), Type.Null()]),
  disabled_at: Timestamp,
  disabled_reason: Type.Union([Type.String(), Type.Null()]),
  unsubscribed_at: Timestamp,
  created_at: Type.String({ format: 'date-time' }),
  secret: Type.Optional(Type.String({ description: 'webhook signing secret; only in the response that creates the subscriber' })),
});

const iso = (d: Date | null) => (d ? d.toISOString() : null);
/** An endpoint URL is whole only for a caller who may manage subscribers (src/domain/subscriber-url.ts). */
const presentSubscriber = (s: Subscriber, caller: Actor) => ({
  id: s.id,
  type: s.type,
  email: s.email,
  url: shownSubscriberUrl(s.url, caller.capabilities.has('subscriber.manage')),
  component_ids: s.all_components ? null : s.component_ids,
  source: s.source,
  confirmed_at: iso(s.confirmed_at),
  suppressed_at: iso(s.suppressed_at),
  suppressed_reason: s.suppressed_reason,
  disabled_at: iso(s.disabled_at),
  disabled_reason: s.disabled_reason,
  unsubscribed_at: iso(s.unsubscribed_at),
  created_at: s.created_at.toISOString(),
});

/**
 * `POST /subscribers` takes any of the three contracts, told apart by `type` (a chat channel's may
 * be left out: its URL's host tells it). A refusal names the field of the branch the client meant
 * (describeValidation reports the deepest branch: `url` too long, not the missing `email` of the
 * email branch).
 */
export const AddSubscriberBody = Type.Union([SubscribeByEmailInput, RegisterWebhookInput, RegisterChatChannelInput]);

export interface SubscriberRouteOptions {
  checkWebhookUrl: CheckWebhookUrl;
  generateWebhookSecret: () => string;
  chatUrls: ChatUrlChecks;
}

export async function subscriberRoutes(parent: FastifyInstance, options: SubscriberRouteOptions) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();

  app.post(
    '/api/v1/subscribers',
    {
      onRequest: app.requireCapability('subscriber.manage'),
      schema: {
        tags: ['subscribers'],
        summary: 'Add an email, webhook, Slack, Discord or Microsoft Teams subscriber',
        security: Security,
        description:
          "Email subscribers get a confirmation email unless `confirmed` is true (for lists that already consented). A webhook subscriber's `secret` (Standard Webhooks, whsec_...) is in this response only. A chat channel (`type` slack, discord or teams, or told by the incoming-webhook URL's host) gets one message with a confirmation link unless `confirmed` is true; its URL is kept sealed and shown with its secret parts elided.",
        body: AddSubscriberBody,
        response: { 201: SubscriberSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const ctx = app.serviceContext(request.actor);
      const body = request.body;
      if (body.type === 'email') {
        const { subscriber } = await subscribeByEmail(ctx, body, { source: 'api' });
        return reply.code(201).send(presentSubscriber(subscriber, request.actor));
      }
      if (body.type === 'webhook') {
        const { subscriber, secret } = await registerWebhook(ctx, body, options.checkWebhookUrl, options.generateWebhookSecret);
        return reply.code(201).send({ ...presentSubscriber(subscriber, request.actor), secret });
      }
      return reply.code(201).send(presentSubscriber(await registerChatChannel(ctx, body, options.chatUrls), request.actor));
    },
  );

  // CSV bodies arrive as text; csv-parse handles quoting, BOMs and line endings.
  app.addContentTypeParser('text/csv', { parseAs: 'string', bodyLimit: 10 * 1024 * 1024 }, (_request, body, done) => done(null, body));

  app.post(
    '/api/v1/subscribers/import',
    {
      onRequest: app.requireCapability('subscriber.manage'),
      bodyLimit: 10 * 1024 * 1024,
      schema: {
        tags: ['subscribers'],
        summary: 'Import email subscribers from CSV',
        security: Security,
        description:
          'Content-Type: text/csv, with a header row: `email` (required) and optionally `components` (component keys or ids separated by spaces or semicolons; empty for all). With `confirmed=true` the list is taken as already consented; otherwise each address gets a confirmation email.',
        querystring: Type.Object({ confirmed: Type.Optional(Type.Boolean({ default: false })) }),
        body: Type.String({ maxLength: 10 * 1024 * 1024 }),
        response: {
          200: Type.Object({
            created: Type.Integer(),
            existing: Type.Integer(),
            invalid: Type.Array(Type.Object({ line: Type.Integer(), error: Type.String() })),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      let records: Record<string, string>[];
      try {
        records = parseCsv(request.body, {
          columns: (header: string[]) => header.map((h) => h.trim().toLowerCase()),
          skip_empty_lines: true,
          trim: true,
          bom: true,
          relax_column_count: true,
        });
      } catch (error) {
        throw new ValidationError('body', `not valid CSV: ${(error as Error).message}`);
      }
      if (records.length > 0 && !('email' in records[0])) throw new ValidationError('body', 'the CSV needs a header row with an "email" column');
      if (records.length > 50_000) throw new ValidationError('body', 'at most 50,000 rows per import');
      const rows = records.map((record, index) => ({ line: index + 2, email: record.email ?? '', components: record.components ?? '' }));
      const input: ImportEmailSubscribersInput = { rows, confirmed: request.query.confirmed ?? false };
      return importEmailSubscribers(app.serviceContext(request.actor), input);
    },
  );

  app.get(
    '/api/v1/subscribers',
    {
      onRequest: app.requireCapability('subscriber.read'),
      schema: {
        tags: ['subscribers'],
        summary: 'List active subscribers (page with `after`)',
        security: Security,
        querystring: Type.Object({
          type: Type.Optional(Type.String({ enum: SUBSCRIBER_TYPES })),
          search: Type.Optional(Type.String({ maxLength: 200 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
          after: Type.Optional(Type.String()),
        }),
        response: { 200: Type.Object({ subscribers: Type.Array(SubscriberSchema), next: Type.Union([Type.String(), Type.Null()]) }), ...errorResponses },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 100;
      const searchUrls = request.actor.capabilities.has('subscriber.manage');
      const list = await listSubscribers(app.db, { type: request.query.type, search: request.query.search, searchUrls, limit, afterId: request.query.after });
      return { subscribers: list.map((s) => presentSubscriber(s, request.actor)), next: list.length === limit ? list[list.length - 1].id : null };
    },
  );

  app.get(
    '/api/v1/subscribers/:id',
    {
      onRequest: app.requireCapability('subscriber.read'),
      schema: {
        tags: ['subscribers'],
        summary: 'One subscriber',
        security: Security,
        params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
        response: { 200: SubscriberSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const subscriber = await findSubscriber(app.db, request.params.id);
      if (!subscriber) return reply.code(404).send({ error: 'not_found', message: `subscriber ${JSON.stringify(request.params.id)} not found` });
      return presentSubscriber(subscriber, request.actor);
    },
  );

  app.delete(
    '/api/v1/subscribers/:id',
    {
      onRequest: app.requireCapability('subscriber.manage'),
      schema: {
        tags: ['subscribers'],
        summary: 'Remove a subscriber; its pending deliveries are dropped',
        security: Security,
        params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
        response: { 200: SubscriberSchema, ...errorResponses },
      },
    },
    async (request) => presentSubscriber(await unsubscribe(app.serviceContext(request.actor), request.params.id, 'removed'), request.actor),
  );

  app.post(
    '/api/v1/subscribers/:id/disable',
    {
      onRequest: app.requireCapability('subscriber.manage'),
      schema: {
        tags: ['subscribers'],
        summary: 'Stop sending to a webhook endpoint until it is re-enabled; its pending deliveries are dead-lettered and its owner is emailed',
        security: Security,
        params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
        body: Type.Optional(DisableWebhookEndpointInput),
        response: { 200: SubscriberSchema, ...errorResponses },
      },
    },
    async (request) => presentSubscriber(await disableWebhookEndpoint(app.serviceContext(request.actor), request.params.id, request.body ?? {}), request.actor),
  );

  app.post(
    '/api/v1/subscribers/:id/reactivate',
    {
      onRequest: app.requireCapability('subscriber.manage'),
      schema: {
        tags: ['subscribers'],
        summary: 'Re-enable a disabled webhook endpoint or a suppressed address',
        security: Security,
        params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
        response: { 200: SubscriberSchema, ...errorResponses },
      },
    },
    async (request) => presentSubscriber(await reactivateSubscriber(app.serviceContext(request.actor), request.params.id), request.actor),
  );

  app.get(
    '/api/v1/incidents/:id/deliveries',
    {
      onRequest: app.requireCapability('status.read'),
      schema: {
        tags: ['deliveries'],
        summary: 'Notification progress of an incident or maintenance, per update and channel',
        security: Security,
        params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
        response: {
          200: Type.Object({
            totals: Type.Object({ targeted: Type.Integer(), sent: Type.Integer(), failed: Type.Integer(), pending: Type.Integer() }),
            notices: Type.Array(
              Type.Object({
                event_id: Type.Integer(),
                event_type: Type.String(),
                update_id: Type.Union([Type.String(), Type.Null()]),
                created_at: Type.String(),
                channel: Type.String(),
                targeted: Type.Integer(),
                sent: Type.Integer(),
                failed: Type.Integer(),
                pending: Type.Integer(),
              }),
            ),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const incident = await findIncident(app.db, request.params.id);
      if (!incident) throw new NotFoundError('incident or maintenance', request.params.id);
      const notices = await loadIncidentDeliveryProgress(app.db, incident.id);
      const totals = { targeted: 0, sent: 0, failed: 0, pending: 0 };
      for (const n of notices) for (const key of Object.keys(totals) as (keyof typeof totals)[]) totals[key] += n[key];
      return { totals, notices: notices.map((n) => ({ ...n, created_at: n.created_at.toISOString() })) };
    },
  );

  app.get(
    '/api/v1/deliveries/dead',
    {
      onRequest: app.requireCapability('delivery.read'),
      schema: {
        tags: ['deliveries'],
        summary: 'Dead-lettered deliveries with the reason',
        security: Security,
        querystring: Type.Object({ event_id: Type.Optional(RowIdSchema), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })) }),
        response: {
          200: Type.Object({
            deliveries: Type.Array(
              Type.Object({
                id: Type.Integer(),
                event_id: Type.Integer(),
                event_type: Type.String(),
                subscriber_id: Type.String(),
                recipient: Type.Union([Type.String(), Type.Null()]),
                channel: Type.String(),
                attempts: Type.Integer(),
                last_error: Type.Union([Type.String(), Type.Null()]),
                created_at: Type.String(),
              }),
            ),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const dead = await listDeadLetters(app.db, { limit: request.query.limit ?? 100, eventId: request.query.event_id });
      const mayManage = request.actor.capabilities.has('subscriber.manage');
      return {
        deliveries: dead.map((d) => ({
          ...d,
          recipient: d.channel === 'email' ? d.recipient : shownSubscriberUrl(d.recipient, mayManage),
          created_at: d.created_at.toISOString(),
        })),
      };
    },
  );

  app.post(
    '/api/v1/deliveries/replay',
    {
      onRequest: app.requireCapability('delivery.replay'),
      schema: {
        tags: ['deliveries'],
        summary: 'Replay dead-lettered deliveries (by id, or all of one event)',
        security: Security,
        body: ReplayDeadLettersInput,
        response: { 200: Type.Object({ replayed: Type.Integer() }), ...errorResponses },
      },
    },
    async (request) => {
      const replayed = await replayDeadLetters(app.serviceContext(request.actor), request.body);
      return { replayed: replayed.length };
    },
  );
}
