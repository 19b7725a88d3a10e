import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { presentPage } from '../../presenters/statuspage-v2.ts';
import { listSeriesStates } from '../../queries/heartbeat-notices.ts';
import { CACHE_CONTROL, publicHeaders } from '../../snapshot/encoded-body.ts';
import { PageSchema } from '../schemas.ts';

const CACHE_MS = 2_000;

/** GET /api/v2/heartbeats.json: each public metric × region as the detector last saw it. */
export async function heartbeatApiRoutes(app: FastifyInstance) {
  const metrics = (app.config.pageDefinition.heartbeats ?? []).filter((m) => m.public !== false);
  let cached: { at: number; body: Promise<unknown> } | null = null;

  const build = async () => {
    const rows = new Map((await listSeriesStates(app.db)).map((r) => [`${r.metric}|${r.region}`, r.summary]));
    const page = app.snapshot.status?.page;
    return {
      page: page ? presentPage(page, { publicUrl: app.config.publicUrl }) : null,
      heartbeats: metrics.flatMap((metric) =>
        metric.regions.map((region) => {
          const summary = (rows.get(`${metric.key}|${region}`) ?? {}) as Record<string, unknown>;
          return {
            metric: metric.key,
            region,
            label: metric.label,
            bucket_seconds: metric.bucket_seconds ?? 10,
            state: (summary.state as string) ?? 'no_baseline',
            observed: (summary.observed as number) ?? null,
            expected: (summary.expected as number) ?? null,
            since: (summary.since as string) ?? null,
            provisional: (summary.provisional as boolean) ?? true,
            promised_delay_seconds: (summary.promised_delay_seconds as number) ?? null,
          };
        }),
      ),
    };
  };

  app.get(
    '/api/v2/heartbeats.json',
    {
      schema: {
        hide: true,
        response: {
          200: Type.Object({
            page: Type.Union([PageSchema, Type.Null()]),
            heartbeats: Type.Array(
              Type.Object({
                metric: Type.String(),
                region: Type.String(),
                label: Type.String(),
                bucket_seconds: Type.Integer(),
                state: Type.String({ enum: ['ok', 'major', 'critical', 'no_baseline'] }),
                observed: Type.Union([Type.Number(), Type.Null()]),
                expected: Type.Union([Type.Number(), Type.Null()]),
                since: Type.Union([Type.String(), Type.Null()]),
                provisional: Type.Boolean(),
                promised_delay_seconds: Type.Union([Type.Number(), Type.Null()]),
              }),
            ),
          }),
        },
      },
    },
    async (_request, reply) => {
      const now = app.clock.now().getTime();
      // Shared by every visitor for a couple of seconds (the detector ticks every few seconds anyway).
      if (!cached || now - cached.at > CACHE_MS) cached = { at: now, body: build() };
      const body = cached.body;
      body.catch(() => {
        cached = null;
      });
      return reply
        .header('cache-control', CACHE_CONTROL)
        .headers(publicHeaders('application/json', Buffer.alloc(0)))
        .send(await body);
    },
  );
}
