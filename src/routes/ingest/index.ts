import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { ingestHeartbeats, MAX_BATCH, MAX_BUCKET_VALUE } from '../../services/heartbeats/ingest-heartbeats.ts';
import { errorResponses } from '../schemas.ts';

/** Heartbeat ingest: the product pushes its customer-outcome counts here. */
export async function ingestRoutes(parent: FastifyInstance) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const metrics = app.config.pageDefinition.heartbeats ?? [];

  app.post(
    '/api/v1/heartbeats',
    {
      onRequest: app.requireCapability('heartbeat.ingest'),
      bodyLimit: 2 * 1024 * 1024,
      schema: {
        tags: ['heartbeats'],
        summary: 'Push heartbeat counts',
        security: [{ bearer: [] }],
        description: `Up to ${MAX_BATCH} points. Each is the count for the bucket that starts at \`timestamp\` (aligned to the metric's bucket size): an integer from 0 to ${MAX_BUCKET_VALUE.toLocaleString('en-US')}. A repeated (metric, region, bucket) replaces the earlier value, so a retried push never double-counts. All or nothing: an invalid point is named and nothing is stored.`,
        body: Type.Object(
          {
            // Points are checked one by one by the use-case, so the error can name the point and field.
            points: Type.Array(Type.Object({}, { additionalProperties: true }), { maxItems: MAX_BATCH * 10 }),
          },
          { additionalProperties: false },
        ),
        response: { 202: Type.Object({ accepted: Type.Integer() }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const result = await ingestHeartbeats(app.serviceContext(request.actor), metrics, request.body.points);
      return reply.code(202).send(result);
    },
  );
}
