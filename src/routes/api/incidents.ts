import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { declareIncident, DeclareIncidentInput } from '../../services/incidents/declare-incident.ts';
import { postIncidentUpdate, PostIncidentUpdateInput } from '../../services/incidents/post-incident-update.ts';
import { getIncident, listIncidents } from '../../queries/read-incidents.ts';
import { deleteIncident } from '../../services/incidents/delete-incident.ts';
import { renameIncident, RenameIncidentInput } from '../../services/incidents/rename-incident.ts';
import { errorResponses, IncidentSchema } from '../schemas.ts';
import { incidentPresenter, writtenIncidentPresenter } from './incident-answers.ts';
import { IdempotencyKey, PathId } from '../../services/shared/fields.ts';

const Id = Type.Object({ id: PathId });
const Security = [{ bearer: [] }];

export async function incidentRoutes(parent: FastifyInstance) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/api/v1/incidents',
    {
      onRequest: app.requireCapability('status.read'),
      schema: {
        tags: ['incidents'],
        summary: 'List recent incidents, newest first',
        security: Security,
        querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })) }),
        response: { 200: Type.Object({ incidents: Type.Array(IncidentSchema) }), ...errorResponses },
      },
    },
    async (request) => {
      const present = await incidentPresenter(app);
      return { incidents: (await listIncidents(app.db, 'incident', request.query.limit ?? 50)).map(present) };
    },
  );

  app.get(
    '/api/v1/incidents/:id',
    {
      onRequest: app.requireCapability('status.read'),
      schema: {
        tags: ['incidents'],
        summary: 'One incident with its timeline',
        security: Security,
        params: Id,
        response: { 200: IncidentSchema, ...errorResponses },
      },
    },
    async (request) => (await incidentPresenter(app))(await getIncident(app.db, request.params.id)),
  );

  app.post(
    '/api/v1/incidents',
    {
      onRequest: app.requireCapability('incident.declare'),
      schema: {
        tags: ['incidents'],
        summary: 'Declare an incident',
        security: Security,
        description:
          'Creates the incident with its first update and applies the component statuses, in one transaction. Send an Idempotency-Key header to make retries safe.',
        headers: Type.Object({ 'idempotency-key': Type.Optional(IdempotencyKey) }),
        body: DeclareIncidentInput,
        response: { 201: IncidentSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const present = await writtenIncidentPresenter(app);
      return app.idempotentWrite(request, reply, 201, (ctx) => declareIncident(ctx, request.body), present);
    },
  );

  app.post(
    '/api/v1/incidents/:id/updates',
    {
      onRequest: app.requireCapability('incident.update'),
      schema: {
        tags: ['incidents'],
        summary: 'Post an update to an incident',
        security: Security,
        description:
          "Resolving lets go of the incident's components the update does not set: each takes the worst status the other open incidents and maintenances in progress on it imply, or operational.",
        params: Id,
        headers: Type.Object({ 'idempotency-key': Type.Optional(IdempotencyKey) }),
        body: PostIncidentUpdateInput,
        response: { 201: IncidentSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const present = await writtenIncidentPresenter(app);
      return app.idempotentWrite(request, reply, 201, (ctx) => postIncidentUpdate(ctx, request.params.id, request.body), present);
    },
  );

  app.patch(
    '/api/v1/incidents/:id',
    {
      onRequest: app.requireCapability('incident.update'),
      schema: {
        tags: ['incidents'],
        summary: 'Rename an incident',
        security: Security,
        description:
          'Gives the incident a new name. No update is posted and nobody is notified; notices still to be sent carry the new name. The audit log keeps the old name and the new.',
        params: Id,
        headers: Type.Object({ 'idempotency-key': Type.Optional(IdempotencyKey) }),
        body: RenameIncidentInput,
        response: { 200: IncidentSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const present = await writtenIncidentPresenter(app);
      return app.idempotentWrite(request, reply, 200, (ctx) => renameIncident(ctx, request.params.id, 'incident', request.body), present);
    },
  );

  app.delete(
    '/api/v1/incidents/:id',
    {
      onRequest: app.requireCapability('incident.delete'),
      schema: {
        tags: ['incidents'],
        summary: 'Delete an incident: it leaves the page, its history and every feed',
        security: Security,
        description:
          'Nobody is notified; notices about it not yet sent are withdrawn. The components it still held take what the other open incidents and maintenances say of them, or operational. The record stays in the audit log. Answers the incident as it was. Send an Idempotency-Key header to make retries safe.',
        params: Id,
        headers: Type.Object({ 'idempotency-key': Type.Optional(IdempotencyKey) }),
        response: { 200: IncidentSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const present = await writtenIncidentPresenter(app);
      return app.idempotentWrite(request, reply, 200, (ctx) => deleteIncident(ctx, request.params.id, 'incident'), present);
    },
  );
}
