import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { ImportStatuspageBatchInput, importStatuspageBatch } from '../../services/imports/import-statuspage-batch.ts';
import { IMPORTED_KINDS } from '../../services/imports/outcome.ts';
import type { CheckWebhookUrl } from '../../services/subscribers/webhook-endpoint.ts';
import { errorResponses } from '../schemas.ts';

const Security = [{ bearer: [] }];
const Counts = Type.Object(Object.fromEntries(IMPORTED_KINDS.map((kind) => [kind, Type.Integer()])));
const OutcomeSchema = Type.Object({
  created: Counts,
  existing: Counts,
  skipped: Type.Array(Type.Object({ kind: Type.String({ enum: [...IMPORTED_KINDS] }), id: Type.String(), reason: Type.String() })),
});

export interface ImportRouteOptions {
  checkWebhookUrl: CheckWebhookUrl;
  generateWebhookSecret: () => string;
}

/**
 * Moving a page over: `lifeline import statuspage` posts what it read from Statuspage here, in
 * batches, so it works against any deployment (Cloud Run included) with an admin token and no
 * database credentials.
 */
export async function importRoutes(parent: FastifyInstance, options: ImportRouteOptions) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();

  app.post(
    '/api/v1/imports/statuspage',
    {
      onRequest: app.requireCapability('page.import'),
      bodyLimit: 20 * 1024 * 1024,
      schema: {
        tags: ['imports'],
        summary: 'Import one batch of a Statuspage page (used by `lifeline import statuspage`)',
        security: Security,
        description:
          'Groups and components, incidents and maintenances with their updates, incident templates and email or webhook subscribers, with their Statuspage ids and timestamps. ' +
          'One transaction per batch (all or nothing); records already imported (by Statuspage id) are left as they are, so a batch can be sent again. Nothing is notified. Needs the admin scope.',
        body: ImportStatuspageBatchInput,
        response: { 200: OutcomeSchema, ...errorResponses },
      },
    },
    async (request) => importStatuspageBatch(app.serviceContext(request.actor), request.body, options),
  );
}
