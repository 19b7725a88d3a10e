import Type, { type Static } from 'typebox';
import type { HeartbeatDefinition } from '../../config.ts';
import { authorize } from '../../domain/actor.ts';
import { ValidationError } from '../../domain/errors.ts';
import { HOUR_MS, WEEK_MS } from '../../domain/time.ts';
import { insertAudit } from '../../storage/audit-repository.ts';
import { replaceSeriesMinutes, replaceSeriesPoints, rollUpHeartbeats, rollUpSeriesHours } from '../../storage/heartbeat-repository.ts';
import type { ServiceContext } from '../context.ts';
import { parseInput } from '../shared/contract.ts';
import { MAX_BUCKET_VALUE } from './ingest-heartbeats.ts';

/** Points per request, and the request body limit the route declares. */
export const HISTORY_MAX_POINTS = 10_000;
export const HISTORY_MAX_BYTES = 2 * 1024 * 1024;
/** How far back history is taken: the baseline reads at most 6 weeks, and a little more costs nothing. */
const HISTORY_MAX_AGE_MS = 8 * WEEK_MS;
/**
 * Slots newer than this are stored as raw buckets too, because the detector and the charts read
 * the last day or so bucket by bucket (raw buckets are kept 48 h; the margin keeps a slot from
 * being written raw just before retention removes it). Older slots go straight to the roll-ups.
 */
const RAW_HORIZON_MS = 47 * HOUR_MS;
/** Allowed clock skew, as for live pushes. */
const MAX_FUTURE_MS = 60_000;
const MINUTE_MS = 60_000;

export const ImportHeartbeatHistoryInput = Type.Object(
  {
    resolution_seconds: Type.Integer({
      minimum: 1,
      maximum: 3600,
      description:
        "Length of each point's slot: a multiple of the metric's bucket, and a divisor or a multiple of 60 (slots never straddle a minute), at most 3600",
    }),
    points: Type.Array(
      Type.Object(
        {
          metric: Type.String({ minLength: 1, maxLength: 100 }),
          region: Type.String({ minLength: 1, maxLength: 100 }),
          timestamp: Type.String({ format: 'date-time', description: 'start of the slot, aligned to resolution_seconds' }),
          value: Type.Integer({ minimum: 0, description: 'the count over the whole slot' }),
        },
        { additionalProperties: false },
      ),
      { maxItems: HISTORY_MAX_POINTS },
    ),
  },
  { additionalProperties: false },
);
export type ImportHeartbeatHistoryInput = Static<typeof ImportHeartbeatHistoryInput>;

/** Rows per statement. */
const CHUNK = 20_000;

interface Rows {
  epochSeconds: number[];
  values: number[];
  samples: number[];
}
const emptyRows = (): Rows => ({ epochSeconds: [], values: [], samples: [] });
const slice = (rows: Rows, at: number): Rows => ({
  epochSeconds: rows.epochSeconds.slice(at, at + CHUNK),
  values: rows.values.slice(at, at + CHUNK),
  samples: rows.samples.slice(at, at + CHUNK),
});

interface SeriesWrites {
  series: { metric: string; region: string };
  from: number;
  to: number;
  /** Some slots are recent enough to be stored as raw buckets too. */
  raw: boolean;
  minutes: Rows;
  points: Rows;
}

interface Slot {
  metric: HeartbeatDefinition;
  region: string;
  start: number;
  value: number;
}

/**
 * Imports past counts of declared series ("bring your history"), so the detector has a weekly
 * baseline on day one. Each point is the count over one slot of `resolution_seconds`; it is split
 * evenly over the metric's buckets in the slot and stored as live pushes end up: 1-minute and
 * 1-hour roll-ups, plus raw buckets for the last 47 hours (which the detector and charts read
 * bucket by bucket). A repeated slot replaces the earlier value, so a re-run never double-counts.
 * All or nothing: the first invalid point is named (`points.3.timestamp`) and nothing is stored.
 */
export async function importHeartbeatHistory(
  ctx: ServiceContext,
  metrics: readonly HeartbeatDefinition[],
  raw: unknown,
): Promise<{ accepted: number; from: string | null; to: string | null }> {
  authorize(ctx.actor, 'heartbeat.ingest');
  const input = parseInput(ImportHeartbeatHistoryInput, raw);
  const now = ctx.clock.now().getTime();
  const resolutionMs = input.resolution_seconds * 1000;
  const byKey = new Map(metrics.map((m) => [m.key, m]));
  if (60 % input.resolution_seconds !== 0 && input.resolution_seconds % 60 !== 0) {
    throw new ValidationError('resolution_seconds', 'must divide 60 or be a multiple of 60 (e.g. 10, 30, 60, 300, 3600), so that no slot straddles a minute');
  }

  // Keyed by (metric, region, slot): a slot repeated within one request replaces the earlier one.
  const slots = new Map<string, Slot>();
  for (const [index, point] of input.points.entries()) {
    const field = (name: string) => `points.${index}.${name}`;
    const metric = byKey.get(point.metric);
    if (!metric)
      throw new ValidationError(field('metric'), `unknown metric ${JSON.stringify(point.metric)}; declared: ${[...byKey.keys()].join(', ') || 'none'}`);
    if (!metric.regions.includes(point.region)) {
      throw new ValidationError(field('region'), `unknown region ${JSON.stringify(point.region)} for ${metric.key}; declared: ${metric.regions.join(', ')}`);
    }
    const bucketSeconds = metric.bucket_seconds ?? 10;
    if (input.resolution_seconds % bucketSeconds !== 0) {
      throw new ValidationError('resolution_seconds', `must be a multiple of the ${bucketSeconds} s bucket of ${metric.key} (point ${index})`);
    }
    const start = Date.parse(point.timestamp);
    if (Number.isNaN(start)) throw new ValidationError(field('timestamp'), 'must be an ISO 8601 date-time with a zone, e.g. 2026-05-01T10:00:00Z');
    if (start % resolutionMs !== 0) {
      throw new ValidationError(
        field('timestamp'),
        `must be the start of a ${input.resolution_seconds} s slot (e.g. ${new Date(start - (start % resolutionMs)).toISOString()})`,
      );
    }
    if (start > now + MAX_FUTURE_MS) throw new ValidationError(field('timestamp'), 'is in the future');
    if (start < now - HISTORY_MAX_AGE_MS) throw new ValidationError(field('timestamp'), 'is more than 8 weeks old');
    // Older history is kept per minute: finer slots of it could not be replaced one by one.
    if (input.resolution_seconds < 60 && start < now - RAW_HORIZON_MS) {
      throw new ValidationError(
        field('timestamp'),
        'is more than 47 hours old: history that old is kept per minute, so send it with resolution_seconds of 60 or more',
      );
    }
    const maxValue = MAX_BUCKET_VALUE * (input.resolution_seconds / bucketSeconds);
    if (point.value > maxValue) throw new ValidationError(field('value'), `must be at most ${maxValue} for a ${input.resolution_seconds} s slot`);
    slots.set(`${metric.key}\u0000${point.region}\u0000${start}`, { metric, region: point.region, start, value: point.value });
  }
  if (slots.size === 0) return { accepted: 0, from: null, to: null };

  // Per series: the minutes and (for the last 47 hours) the raw buckets the slots become.
  const rawFrom = now - RAW_HORIZON_MS;
  const perSeries = new Map<string, SeriesWrites>();
  let first = Infinity;
  let last = -Infinity;
  for (const slot of slots.values()) {
    const key = `${slot.metric.key}\u0000${slot.region}`;
    let writes = perSeries.get(key);
    if (!writes) {
      writes = {
        series: { metric: slot.metric.key, region: slot.region },
        from: slot.start,
        to: slot.start,
        raw: false,
        minutes: emptyRows(),
        points: emptyRows(),
      };
      perSeries.set(key, writes);
    }
    const end = slot.start + resolutionMs;
    writes.from = Math.min(writes.from, slot.start);
    writes.to = Math.max(writes.to, end);
    first = Math.min(first, slot.start);
    last = Math.max(last, end);
    const bucketMs = (slot.metric.bucket_seconds ?? 10) * 1000;
    // Each bucket of the slot gets an even share, filed as the roll-up job files a live bucket:
    // under the minute it starts in. Slots of a minute or more cover whole minutes (and never
    // straddle one), so each minute of a slot is written whole and replaces what was there.
    if (resolutionMs >= MINUTE_MS) {
      const step = Math.max(bucketMs, MINUTE_MS);
      const share = (slot.value * step) / resolutionMs;
      const samples = Math.max(1, Math.round(MINUTE_MS / bucketMs));
      for (let m = slot.start; m < end; m += step) {
        writes.minutes.epochSeconds.push(m / 1000);
        writes.minutes.values.push(share);
        writes.minutes.samples.push(samples);
      }
    }
    if (slot.start >= rawFrom) {
      writes.raw = true;
      const share = (slot.value * bucketMs) / resolutionMs;
      for (let b = slot.start; b < end; b += bucketMs) {
        writes.points.epochSeconds.push(b / 1000);
        writes.points.values.push(share);
      }
    }
  }

  await ctx.db.transaction(async (tx) => {
    for (const writes of perSeries.values()) {
      for (let i = 0; i < writes.minutes.epochSeconds.length; i += CHUNK) await replaceSeriesMinutes(tx, writes.series, slice(writes.minutes, i));
      for (let i = 0; i < writes.points.epochSeconds.length; i += CHUNK) await replaceSeriesPoints(tx, writes.series, slice(writes.points, i), new Date(now));
      const window = { from: new Date(Math.floor(writes.from / HOUR_MS) * HOUR_MS), to: new Date(Math.ceil(writes.to / HOUR_MS) * HOUR_MS) };
      // Finer slots fill part of a minute: its roll-up is summed from the raw buckets, as the job does.
      if (writes.raw && resolutionMs < MINUTE_MS)
        await rollUpHeartbeats(tx, { from: new Date(Math.max(writes.from, rawFrom)), to: window.to }, [writes.series]);
      await rollUpSeriesHours(tx, writes.series, window);
    }
    await insertAudit(tx, {
      actor: ctx.actor.label,
      action: 'heartbeat_history.imported',
      target_type: 'heartbeat',
      target_id: null,
      details: {
        points: slots.size,
        resolution_seconds: input.resolution_seconds,
        from: new Date(first).toISOString(),
        to: new Date(last).toISOString(),
        series: [...perSeries.values()].map((w) => `${w.series.metric}/${w.series.region}`),
      },
      at: new Date(now),
    });
  });
  return { accepted: input.points.length, from: new Date(first).toISOString(), to: new Date(last).toISOString() };
}
