import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { ingestHeartbeats, MAX_BATCH, MAX_BUCKET_VALUE } from '../../services/heartbeats/ingest-heartbeats.ts';
import {
  HISTORY_MAX_BYTES,
  HISTORY_MAX_POINTS,
  importHeartbeatHistory,
  ImportHeartbeatHistoryInput,
} from '../../services/heartbeats/import-heartbeat-history.ts';
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

  app.post(
    '/api/v1/heartbeats/history',
    {
      onRequest: app.requireCapability('heartbeat.ingest'),
      bodyLimit: HISTORY_MAX_BYTES,
      schema: {
        tags: ['heartbeats'],
        summary: 'Import past heartbeat counts',
        security: [{ bearer: [] }],
        description: `Bring your history, so that drops are detected from day one: up to ${HISTORY_MAX_POINTS.toLocaleString('en-US')} points (and 2 MB) per request, each the count over one slot of \`resolution_seconds\` (a multiple of the metric's bucket, dividing 60 or a multiple of 60, at most 3600) starting at \`timestamp\` (aligned to it), at most 8 weeks back. Imported history feeds the roll-ups, the charts and the baseline exactly as live pushes do; with 3 weeks or more the series has a weekly baseline at once. A repeated (metric, region, slot) replaces the earlier value, so a re-run never double-counts. All or nothing: an invalid point is named (\`points.3.timestamp\`) and nothing is stored. \`npx lifeline heartbeats import FILE.csv\` sends a CSV file in batches.`,
        body: ImportHeartbeatHistoryInput,
        response: {
          200: Type.Object({
            accepted: Type.Integer(),
            from: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'start of the earliest slot imported' }),
            to: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'end of the latest slot imported' }),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => importHeartbeatHistory(app.serviceContext(request.actor), metrics, request.body),
  );
}
