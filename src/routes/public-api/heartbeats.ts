import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { presentPage } from '../../presenters/statuspage-v2.ts';
import { baselineNote } from '../../presenters/heartbeat-chart.ts';
import { listSeriesStates } from '../../queries/heartbeat-notices.ts';
import { parseSeriesSummary } from '../../queries/load-heartbeat-chart.ts';
import { CACHE_CONTROL, publicHeaders } from '../../snapshot/encoded-body.ts';
import { PageSchema } from '../schemas.ts';

const CACHE_MS = 2_000;
const UNITS =
  'observed and expected are counts over the detector window of window_seconds that ends at the last closed bucket (bucket_seconds long each); state pending: a drop seen once, being confirmed; alarms: which drops raise an alarm now (all: below the threshold; critical_only: a stop or a drop below 10% of normal)';

/** GET /api/v2/heartbeats.json: each public metric × region as the detector last saw it. */
export async function heartbeatApiRoutes(app: FastifyInstance) {
  const metrics = (app.config.pageDefinition.heartbeats ?? []).filter((m) => m.public !== false);
  let cached: { at: number; body: Promise<unknown> } | null = null;

  const pageZone = app.config.pageDefinition.page.time_zone ?? 'Etc/UTC';
  const build = async () => {
    const rows = new Map((await listSeriesStates(app.db)).map((r) => [`${r.metric}|${r.region}`, r.summary]));
    const page = app.snapshot.status?.page;
    const now = app.clock.now().getTime();
    return {
      page: page ? presentPage(page, { publicUrl: app.config.publicUrl }) : null,
      units: UNITS,
      heartbeats: metrics.flatMap((metric) =>
        metric.regions.map((region) => {
          const summary = (rows.get(`${metric.key}|${region}`) ?? {}) as Record<string, unknown>;
          const parsed = parseSeriesSummary(summary);
          const words = baselineNote(parsed, { threshold: metric.threshold ?? 0.5, now, timeZone: pageZone });
          return {
            metric: metric.key,
            region,
            label: metric.label,
            bucket_seconds: metric.bucket_seconds ?? 10,
            state: parsed.state,
            observed: parsed.observed,
            expected: parsed.expected,
            window_seconds: parsed.windowSeconds,
            since: (summary.since as string) ?? null,
            provisional: parsed.provisional,
            baseline: parsed.baseline,
            alarms: parsed.alarms,
            alarms_note: words.note,
            weekly_baseline_from: parsed.weeklyBaselineFrom === null ? null : new Date(parsed.weeklyBaselineFrom).toISOString(),
            promised_delay_seconds: parsed.promisedDelaySeconds,
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
            units: Type.String(),
            heartbeats: Type.Array(
              Type.Object({
                metric: Type.String(),
                region: Type.String(),
                label: Type.String(),
                bucket_seconds: Type.Integer(),
                state: Type.String({ enum: ['ok', 'pending', 'major', 'critical', 'no_baseline'] }),
                observed: Type.Union([Type.Number(), Type.Null()]),
                expected: Type.Union([Type.Number(), Type.Null()]),
                window_seconds: Type.Union([Type.Integer(), Type.Null()]),
                since: Type.Union([Type.String(), Type.Null()]),
                provisional: Type.Boolean(),
                baseline: Type.String({ enum: ['weekly', 'daily', 'recent', 'none'] }),
                alarms: Type.String({ enum: ['all', 'critical_only', 'none'] }),
                alarms_note: Type.Union([Type.String(), Type.Null()]),
                weekly_baseline_from: Type.Union([Type.String(), Type.Null()]),
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
