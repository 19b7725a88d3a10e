import { createHash } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { HeartbeatDefinition } from '../config.ts';
import type { ServiceContext } from '../services/context.ts';
import { insertMinuteRollups, latestPoint, rollUpHeartbeats, seriesStart, upsertHeartbeatPoints } from '../storage/heartbeat-repository.ts';
import type { HeartbeatPoint } from '../domain/model.ts';

const MINUTE_MS = 60_000;
const HISTORY_MS = 35 * 86_400_000;
const RAW_MS = 25 * 3_600_000;
const PUSH_DELAY_MS = 500;
const REGION_UTC_OFFSET_HOURS: Record<string, number> = { us: -5, eu: 1, au: 10, ap: 8, in: 5.5, ca: -5, sa: -3, jp: 9 };

/** A number in [0, 1) fixed by its inputs, so restarts regenerate the same history. */
function unit(...parts: (string | number)[]): number {
  return createHash('sha1').update(parts.join('|')).digest().readUInt32BE(0) / 2 ** 32;
}

/**
 * Demo traffic: what a chat product's count might look like in a region at time t (a daily curve
 * peaking mid-afternoon local time, quieter weekends), with Poisson-like noise. Pure and
 * deterministic; it only exists so a new user sees charts and the detector at work.
 */
export function demoCount(metric: string, region: string, t: number, seconds: number): number {
  const offset = REGION_UTC_OFFSET_HOURS[region] ?? Math.round(unit(region) * 24) - 12;
  const peakPer10s = 300 + Math.round(unit(metric, 'peak') * 1700);
  const localHours = t / 3_600_000 + offset;
  const hour = ((localHours % 24) + 24) % 24;
  const day = Math.floor(localHours / 24);
  const weekday = (((day + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday
  const daily = 0.12 + 0.88 * Math.pow(0.5 - 0.5 * Math.cos((2 * Math.PI * (hour - 4)) / 24), 1.6);
  const mean = peakPer10s * daily * (weekday === 0 || weekday === 6 ? 0.6 : 1) * (seconds / 10);
  // Box-Muller from two fixed uniforms: about Poisson spread, a little burstier.
  const u1 = Math.max(unit(metric, region, t, 'a'), 1e-9);
  const u2 = unit(metric, region, t, 'b');
  const noise = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  return Math.max(0, Math.round(mean + noise * Math.sqrt(mean) * 1.2));
}

/**
 * LIFELINE_DEMO_HEARTBEATS: seeds 5 weeks of history for every declared series that has none
 * (1-minute roll-ups, raw buckets for the last 25 h), fills any gap since the last push, then
 * pushes each bucket as it ends. Off by default; never for production pages.
 */
export function startDemoHeartbeatsJob(options: { ctx: ServiceContext; metrics: HeartbeatDefinition[]; log: FastifyBaseLogger }): () => Promise<void> {
  const { ctx, log } = options;
  const series = options.metrics.flatMap((m) => m.regions.map((region) => ({ metric: m.key, region, bucketMs: (m.bucket_seconds ?? 10) * 1000 })));
  const bucketMs = Math.min(...series.map((s) => s.bucketMs));
  let running: Promise<void> | null = null;
  let stopped = false;

  const rawPoints = (s: (typeof series)[number], from: number, to: number): HeartbeatPoint[] => {
    const points: HeartbeatPoint[] = [];
    for (let t = Math.ceil(from / s.bucketMs) * s.bucketMs; t < to; t += s.bucketMs)
      points.push({ metric: s.metric, region: s.region, bucket: new Date(t), value: demoCount(s.metric, s.region, t, s.bucketMs / 1000) });
    return points;
  };

  async function seed(): Promise<void> {
    for (const s of series) {
      if (stopped) return;
      // One transaction per series: the detector never sees the history half written (weeks of
      // roll-ups but no recent buckets yet would look like a stop, and page).
      await ctx.db.transaction(async (tx) => {
        const now = ctx.clock.now().getTime();
        // Roll-ups up to here, raw buckets from here on.
        const rawFrom = Math.floor((now - RAW_MS) / MINUTE_MS) * MINUTE_MS;
        if (!(await seriesStart(tx, s))) {
          let rows: Parameters<typeof insertMinuteRollups>[1] = [];
          for (let t = Math.floor((now - HISTORY_MS) / MINUTE_MS) * MINUTE_MS; t < rawFrom; t += MINUTE_MS) {
            let value = 0;
            for (let b = t; b < t + MINUTE_MS; b += s.bucketMs) value += demoCount(s.metric, s.region, b, s.bucketMs / 1000);
            rows.push({ metric: s.metric, region: s.region, bucket: new Date(t), value, samples: Math.max(1, Math.round(MINUTE_MS / s.bucketMs)) });
            if (rows.length === 10_000) {
              await insertMinuteRollups(tx, rows);
              rows = [];
            }
          }
          await insertMinuteRollups(tx, rows);
          log.info({ metric: s.metric, region: s.region }, 'demo heartbeat history seeded');
        }
        // Fill the gap since the last push (the first start, or downtime), up to the bucket in progress.
        const last = (await latestPoint(tx, s))?.getTime();
        const gapFrom = last === undefined ? rawFrom : Math.max(last + s.bucketMs, rawFrom);
        const points = rawPoints(s, gapFrom, Math.floor(now / s.bucketMs) * s.bucketMs);
        for (let i = 0; i < points.length; i += 5_000) await upsertHeartbeatPoints(tx, points.slice(i, i + 5_000), ctx.clock.now());
        // The roll-up job re-rolls only the last hours: the filled raw buckets are rolled up now, or
        // the 7-day chart (roll-ups) would show a day of zeros between the seeded roll-ups and its raw tail.
        if (points.length > 0) await rollUpHeartbeats(tx, { from: new Date(gapFrom), to: new Date(now) }, [s]);
      });
    }
  }

  /** Pushes every bucket that has ended since the last push. */
  async function push(): Promise<void> {
    const now = ctx.clock.now().getTime();
    for (const s of series) {
      const last = (await latestPoint(ctx.db, s))?.getTime() ?? now - s.bucketMs * 2;
      await upsertHeartbeatPoints(ctx.db, rawPoints(s, last + s.bucketMs, Math.floor(now / s.bucketMs) * s.bucketMs), ctx.clock.now());
    }
  }

  let timer: NodeJS.Timeout | null = null;
  // Each bucket is pushed half a second after it ends, as a product does: a push late by more than
  // the detector's grace (a timer at a random phase was up to a bucket late) is counted as zero.
  const schedule = () => {
    if (stopped) return;
    const now = ctx.clock.now().getTime();
    const next = Math.floor(now / bucketMs) * bucketMs + bucketMs + PUSH_DELAY_MS;
    timer = setTimeout(() => {
      if (!running) {
        running = push()
          .catch((error) => log.warn({ err: error }, 'demo heartbeat push failed; retrying next bucket'))
          .finally(() => {
            running = null;
          });
      }
      schedule();
    }, next - now);
    timer.unref();
  };
  running = seed()
    .then(schedule)
    .catch((error) => log.error({ err: error }, 'demo heartbeat history could not be seeded'))
    .finally(() => {
      running = null;
    });
  return async () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    await running;
  };
}
