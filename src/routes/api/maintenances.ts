import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { advanceMaintenance, AdvanceMaintenanceInput } from '../../services/maintenances/advance-maintenance.ts';
import { cancelMaintenance, CancelMaintenanceInput } from '../../services/maintenances/cancel-maintenance.ts';
import { getIncident, listIncidents } from '../../queries/read-incidents.ts';
import { scheduleMaintenance, ScheduleMaintenanceInput } from '../../services/maintenances/schedule-maintenance.ts';
import { IdempotencyKey, PathId } from '../../services/shared/fields.ts';
import { deleteIncident } from '../../services/incidents/delete-incident.ts';
import { errorResponses, IncidentSchema } from '../schemas.ts';
import { incidentPresenter, writtenIncidentPresenter } from './incident-answers.ts';

const Id = Type.Object({ id: PathId });
const Security = [{ bearer: [] }];

export async function maintenanceRoutes(parent: FastifyInstance) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/api/v1/maintenances',
    {
      onRequest: app.requireCapability('status.read'),
      schema: {
        tags: ['maintenances'],
        summary: 'Recent and upcoming maintenances',
        security: Security,
        querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })) }),
        response: { 200: Type.Object({ scheduled_maintenances: Type.Array(IncidentSchema) }), ...errorResponses },
      },
    },
    async (request) => {
      const present = await incidentPresenter(app);
      return { scheduled_maintenances: (await listIncidents(app.db, 'maintenance', request.query.limit ?? 50)).map(present) };
    },
  );

  app.get(
    '/api/v1/maintenances/:id',
    {
      onRequest: app.requireCapability('status.read'),
      schema: { tags: ['maintenances'], summary: 'One maintenance', security: Security, params: Id, response: { 200: IncidentSchema, ...errorResponses } },
    },
    async (request) => (await incidentPresenter(app))(await getIncident(app.db, request.params.id, 'maintenance')),
  );

  app.post(
    '/api/v1/maintenances',
    {
      onRequest: app.requireCapability('maintenance.schedule'),
      schema: {
        tags: ['maintenances'],
        summary: 'Schedule a maintenance',
        security: Security,
        description:
          'With auto_start and auto_complete (default true) the window opens and closes by itself; components go under maintenance when it starts. scheduled_until must be in the future (400 otherwise); a window that has already begun starts at once when auto_start.',
        headers: Type.Object({ 'idempotency-key': Type.Optional(IdempotencyKey) }),
        body: ScheduleMaintenanceInput,
        response: { 201: IncidentSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const present = await writtenIncidentPresenter(app);
      return app.idempotentWrite(request, reply, 201, (ctx) => scheduleMaintenance(ctx, request.body), present);
    },
  );

  for (const [action, status] of [
    ['start', 'in_progress'],
    ['verify', 'verifying'],
    ['complete', 'completed'],
  ] as const) {
    app.post(
      `/api/v1/maintenances/:id/${action}`,
      {
        onRequest: app.requireCapability('maintenance.advance'),
        schema: {
          tags: ['maintenances'],
          summary: `${action[0].toUpperCase()}${action.slice(1)} a maintenance (status ${status})`,
          security: Security,
          params: Id,
          body: Type.Optional(AdvanceMaintenanceInput),
          response: { 200: IncidentSchema, ...errorResponses },
        },
      },
      async (request) => {
        const maintenance = await advanceMaintenance(app.serviceContext(request.actor), request.params.id, status, request.body ?? {});
        return (await writtenIncidentPresenter(app))(maintenance);
      },
    );
  }

  app.post(
    '/api/v1/maintenances/:id/cancel',
    {
      onRequest: app.requireCapability('maintenance.advance'),
      schema: {
        tags: ['maintenances'],
        summary: 'Cancel a maintenance that has not begun',
        description:
          'It ends as completed, with no component change; subscribers are told it is cancelled (event maintenance.cancelled) and the calendar (/maintenances.ics) marks it STATUS:CANCELLED. 409 once it has begun: complete it instead.',
        security: Security,
        params: Id,
        body: Type.Optional(CancelMaintenanceInput),
        response: { 200: IncidentSchema, ...errorResponses },
      },
    },
    async (request) => {
      const maintenance = await cancelMaintenance(app.serviceContext(request.actor), request.params.id, request.body ?? {});
      return (await writtenIncidentPresenter(app))(maintenance);
    },
  );

  app.delete(
    '/api/v1/maintenances/:id',
    {
      onRequest: app.requireCapability('maintenance.delete'),
      schema: {
        tags: ['maintenances'],
        summary: 'Delete a maintenance: it leaves the page, its history and every feed',
        security: Security,
        description:
          'Nobody is notified; notices about it not yet sent are withdrawn. The components it still held take what the other open incidents and maintenances say of them, or operational. The record stays in the audit log. Answers the maintenance as it was. Send an Idempotency-Key header to make retries safe.',
        params: Id,
        headers: Type.Object({ 'idempotency-key': Type.Optional(IdempotencyKey) }),
        response: { 200: IncidentSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const present = await writtenIncidentPresenter(app);
      return app.idempotentWrite(request, reply, 200, (ctx) => deleteIncident(ctx, request.params.id, 'maintenance'), present);
    },
  );
}
