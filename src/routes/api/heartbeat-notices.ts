import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { convertHeartbeatNotice, ConvertHeartbeatNoticeInput } from '../../services/incidents/convert-heartbeat-notice.ts';
import { dismissHeartbeatNotice, DismissHeartbeatNoticeInput } from '../../services/incidents/dismiss-heartbeat-notice.ts';
import { IdempotencyKey, PathId } from '../../services/shared/fields.ts';
import { listAlertRecipients } from '../../queries/alert-recipients.ts';
import { errorResponses, IncidentSchema } from '../schemas.ts';
import { writtenIncidentPresenter } from './incident-answers.ts';

const Id = Type.Object({ id: PathId });
const Security = [{ bearer: [] }];
const Idempotency = Type.Object({ 'idempotency-key': Type.Optional(IdempotencyKey) });

/** A responder's decision on an automatic heartbeat notice, and who the detector alerts. */
export async function heartbeatNoticeRoutes(parent: FastifyInstance) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const metrics = app.config.pageDefinition.heartbeats ?? [];

  app.post(
    '/api/v1/incidents/:id/dismiss',
    {
      onRequest: app.requireCapability('heartbeat_notice.decide'),
      schema: {
        tags: ['heartbeats'],
        summary: 'Dismiss an automatic heartbeat notice as a false alarm',
        security: Security,
        description:
          'Closes the notice saying it was a false alarm, records the episode as dismissed (left out of future baselines) and keeps the series quiet until it recovers.',
        params: Id,
        headers: Idempotency,
        body: DismissHeartbeatNoticeInput,
        response: { 200: IncidentSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const present = await writtenIncidentPresenter(app);
      return app.idempotentWrite(request, reply, 200, (ctx) => dismissHeartbeatNotice(ctx, request.params.id, request.body ?? {}, metrics), present);
    },
  );

  app.post(
    '/api/v1/incidents/:id/convert',
    {
      onRequest: app.requireCapability('heartbeat_notice.decide'),
      schema: {
        tags: ['heartbeats'],
        summary: 'Take an automatic heartbeat notice over as a full incident',
        security: Security,
        description:
          'The notice stops being automatic: the detector no longer updates or closes it. With a body, the first responder update is posted at once.',
        params: Id,
        headers: Idempotency,
        body: ConvertHeartbeatNoticeInput,
        response: { 200: IncidentSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const present = await writtenIncidentPresenter(app);
      return app.idempotentWrite(request, reply, 200, (ctx) => convertHeartbeatNotice(ctx, request.params.id, request.body ?? {}), present);
    },
  );

  app.get(
    '/api/v1/alert-recipients',
    {
      onRequest: app.requireCapability('alert_recipient.read'),
      schema: {
        tags: ['heartbeats'],
        summary: 'Responders alerted by heartbeat alarms, with webhook signing secrets',
        security: Security,
        description:
          "Synced from the page definition's `alert:` lists at start. Webhook alerts are signed like subscriber webhooks (Standard Webhooks) with the secret shown here.",
        response: {
          200: Type.Object({
            recipients: Type.Array(
              Type.Object({
                id: Type.String(),
                type: Type.String({ enum: ['email', 'webhook'] }),
                address: Type.String(),
                metrics: Type.Array(Type.String()),
                secret: Type.Union([Type.String(), Type.Null()]),
                disabled_at: Type.Union([Type.String(), Type.Null()]),
                disabled_reason: Type.Union([Type.String(), Type.Null()]),
              }),
            ),
          }),
          ...errorResponses,
        },
      },
    },
    async () => ({
      recipients: (await listAlertRecipients(app.db, app.secretBox)).map((r) => ({ ...r, disabled_at: r.disabled_at?.toISOString() ?? null })),
    }),
  );
}
