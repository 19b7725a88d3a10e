import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import Type from 'typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { HeartbeatDefinition } from '../../config.ts';
import { ValidationError } from '../../domain/errors.ts';
import {
  chartDataCsv,
  chartDataJson,
  heartbeatNotFoundView,
  heartbeatOverviewView,
  heartbeatSeriesView,
  renderSparkline,
  type HeartbeatChrome,
} from '../../presenters/heartbeat-chart.ts';
import { CHART_RANGES, createHeartbeatChartLoader, type ChartRange } from '../../queries/load-heartbeat-chart.ts';
import { pageSecurityHeaders } from '../../plugins/security-headers.ts';
import { encodeBody, type EncodedBody } from '../../snapshot/encoded-body.ts';

const HTML = { 200: Type.String({ description: 'text/html' }), 304: Type.Null() };
const Range = Type.String({ enum: [...CHART_RANGES] });
const Tz = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z][A-Za-z0-9_+\\-/]*$', description: 'IANA time zone for the time labels' });
// Any name: one that is not a public series is the site's 404 page, not a 400.
const SeriesParams = Type.Object({ metric: Type.String({ maxLength: 100 }), region: Type.String({ maxLength: 100 }) });
const DataPoint = Type.Object({
  bucket_start: Type.String({ format: 'date-time' }),
  observed: Type.Union([Type.Number(), Type.Null()]),
  pending: Type.Boolean({ description: 'ended, but its push has not arrived yet (within the grace): observed is null, not zero' }),
  expected: Type.Union([Type.Number(), Type.Null()]),
  expected_low: Type.Union([Type.Number(), Type.Null()]),
  expected_high: Type.Union([Type.Number(), Type.Null()]),
  in_episode: Type.Boolean(),
});

/** Documents kept per detector tick; each is rebuilt at most once per tick, whoever asks. */
const CACHE_LIMIT = 300;

/**
 * Public heartbeat charts: /heartbeat (every public series, one range), /heartbeat/:metric/:region
 * (one series, three ranges), its data as CSV and JSON, and a sparkline image for the main page.
 * Server-rendered SVG; the only script is an optional one that offers the visitor's time zone.
 */
export async function heartbeatPageRoutes(parent: FastifyInstance) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const metrics = (app.config.pageDefinition.heartbeats ?? []).filter((m) => m.public !== false);
  const pageZone = app.config.pageDefinition.page.time_zone ?? 'Etc/UTC';
  const loader = createHeartbeatChartLoader(app.db, { timeZone: pageZone, holidays: app.config.pageDefinition.holidays });
  const tickMs = app.config.env.LIFELINE_DETECTOR_TICK_SECONDS * 1000;

  // Built bodies by document and the tick they were built in (single flight: concurrent requests
  // share one build), and each document's last good body, served while the database is unreachable.
  const cache = new Map<string, { tick: number; body: Promise<EncodedBody> }>();
  const lastGood = new Map<string, EncodedBody>();
  const remember = <V>(map: Map<string, V>, key: string, value: V) => {
    map.delete(key);
    if (map.size >= CACHE_LIMIT) map.delete(map.keys().next().value as string);
    map.set(key, value);
  };
  async function cached(request: FastifyRequest, reply: FastifyReply, key: string, build: () => Promise<{ contentType: string; text: string }>) {
    const now = app.clock.now();
    const tick = Math.floor(now.getTime() / tickMs);
    let entry = cache.get(key);
    if (!entry || entry.tick !== tick) {
      const body = build().then((doc) => encodeBody(doc.contentType, doc.text, now, app.views.scriptHashes));
      body.then(
        (built) => remember(lastGood, key, built),
        () => {
          if (cache.get(key)?.body === body) cache.delete(key);
        },
      );
      entry = { tick, body };
      remember(cache, key, entry);
    }
    try {
      return app.sendEncoded(request, reply, await entry.body);
    } catch (error) {
      const last = lastGood.get(key);
      if (!last) throw error;
      request.log.warn({ err: error }, 'heartbeat chart could not be rebuilt; serving the last one');
      reply.header('x-lifeline-stale', 'true');
      return app.sendEncoded(request, reply, last);
    }
  }

  const chrome = (): HeartbeatChrome => {
    const page = app.snapshot.status?.page;
    return { name: page?.name ?? app.config.pageDefinition.page.name, companyUrl: page?.url ?? app.config.pageDefinition.page.url, timeZone: pageZone };
  };

  /**
   * The zone for time labels: ?tz if it is an IANA zone, else the page's, always by ICU's canonical
   * name (europe/berlin, EUROPE/BERLIN → Europe/Berlin; asia/kolkata → Asia/Calcutta, as browsers
   * report it too). The name is part of the chart cache's key: every spelling of one zone must be
   * one entry, or varying the case of ?tz would build (and keep) a chart per spelling.
   */
  function zoneOf(tz: string | undefined): { timeZone: string; tz: string | null } {
    if (tz === undefined) return { timeZone: pageZone, tz: null };
    let name: string;
    try {
      name = new Intl.DateTimeFormat('en-US', { timeZone: tz }).resolvedOptions().timeZone;
    } catch {
      throw new ValidationError('tz', `${JSON.stringify(tz)} is not an IANA time zone`);
    }
    return { timeZone: name, tz: name };
  }

  const find = (metric: string, region: string): HeartbeatDefinition | null => {
    const definition = metrics.find((m) => m.key === metric);
    return definition && definition.regions.includes(region) ? definition : null;
  };
  const notFound = async (reply: FastifyReply) => {
    const html = app.views.page('pages/heartbeat-series', heartbeatNotFoundView(chrome()), 'main');
    return reply.code(404).type('text/html; charset=utf-8').headers(pageSecurityHeaders(html, app.views.scriptHashes)).send(html);
  };

  app.get(
    '/heartbeat',
    {
      schema: { hide: true, querystring: Type.Object({ range: Type.Optional(Range), tz: Type.Optional(Tz) }), response: HTML },
    },
    async (request, reply) => {
      const range = (request.query.range ?? '24h') as ChartRange;
      const zone = zoneOf(request.query.tz);
      return cached(request, reply, `overview|${range}|${zone.tz ?? ''}`, async () => {
        const now = app.clock.now();
        const charts = [];
        for (const metric of metrics) for (const region of metric.regions) charts.push(await loader.load(metric, region, range, now));
        const view = heartbeatOverviewView({ chrome: chrome(), charts, range, ...zone, now: now.getTime() });
        return { contentType: 'text/html; charset=utf-8', text: app.views.page('pages/heartbeat', view, 'main') };
      });
    },
  );

  app.get(
    '/heartbeat/:metric/:region',
    {
      schema: { hide: true, params: SeriesParams, querystring: Type.Object({ tz: Type.Optional(Tz) }), response: { ...HTML, 404: Type.String() } },
    },
    async (request, reply) => {
      const { metric, region } = request.params;
      const zone = zoneOf(request.query.tz);
      const definition = find(metric, region);
      if (!definition) return notFound(reply);
      return cached(request, reply, `series|${metric}|${region}|${zone.tz ?? ''}`, async () => {
        const now = app.clock.now();
        const charts = [];
        for (const range of CHART_RANGES) charts.push(await loader.load(definition, region, range, now));
        const view = heartbeatSeriesView({ chrome: chrome(), charts, ...zone, now: now.getTime() });
        return { contentType: 'text/html; charset=utf-8', text: app.views.page('pages/heartbeat-series', view, 'main') };
      });
    },
  );

  const dataQuery = Type.Object({ range: Type.Optional(Range) });

  app.get(
    '/heartbeat/:metric/:region/data.json',
    {
      schema: {
        hide: true,
        params: SeriesParams,
        querystring: dataQuery,
        response: {
          200: Type.Object(
            { metric: Type.String(), region: Type.String(), range: Type.String(), step_seconds: Type.Integer(), points: Type.Array(DataPoint) },
            { additionalProperties: true },
          ),
          304: Type.Null(),
          404: Type.String(),
        },
      },
    },
    async (request, reply) => {
      const { metric, region } = request.params;
      const range = (request.query.range ?? '24h') as ChartRange;
      const definition = find(metric, region);
      if (!definition) return notFound(reply);
      return cached(request, reply, `json|${metric}|${region}|${range}`, async () => ({
        contentType: 'application/json; charset=utf-8',
        text: JSON.stringify(chartDataJson(await loader.load(definition, region, range, app.clock.now()))),
      }));
    },
  );

  app.get(
    '/heartbeat/:metric/:region/data.csv',
    {
      schema: {
        hide: true,
        params: SeriesParams,
        querystring: dataQuery,
        response: { 200: Type.String({ description: 'text/csv' }), 304: Type.Null(), 404: Type.String() },
      },
    },
    async (request, reply) => {
      const { metric, region } = request.params;
      const range = (request.query.range ?? '24h') as ChartRange;
      const definition = find(metric, region);
      if (!definition) return notFound(reply);
      reply.header('content-disposition', `inline; filename="${metric}-${region}-${range}.csv"`);
      return cached(request, reply, `csv|${metric}|${region}|${range}`, async () => ({
        contentType: 'text/csv; charset=utf-8; header=present',
        text: chartDataCsv(await loader.load(definition, region, range, app.clock.now())),
      }));
    },
  );

  app.get(
    '/heartbeat/:metric/:region/sparkline.svg',
    {
      schema: { hide: true, params: SeriesParams, response: { 200: Type.String({ description: 'image/svg+xml' }), 304: Type.Null(), 404: Type.String() } },
    },
    async (request, reply) => {
      const { metric, region } = request.params;
      const definition = find(metric, region);
      if (!definition) return notFound(reply);
      return cached(request, reply, `spark|${metric}|${region}`, async () => ({
        contentType: 'image/svg+xml; charset=utf-8',
        text: renderSparkline({ ...(await loader.load(definition, region, '1h', app.clock.now())), timeZone: pageZone }),
      }));
    },
  );
}
