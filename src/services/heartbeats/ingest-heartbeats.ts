import type { HeartbeatDefinition } from '../../config.ts';
import { authorize } from '../../domain/actor.ts';
import { ValidationError } from '../../domain/errors.ts';
import { upsertHeartbeatPoints } from '../../storage/heartbeat-repository.ts';
import type { HeartbeatPoint } from '../../domain/model.ts';
import type { ServiceContext } from '../context.ts';

export const MAX_BATCH = 5_000;
/** Raw buckets are kept 48 h: older points cannot be stored as raw data any more. */
const MAX_AGE_MS = 48 * 3_600_000;
/**
 * The largest count one bucket may hold. Far above any real product's count per bucket, far below
 * what wrecks a chart's scale or the baseline's arithmetic (1e300, 2**63 were accepted before).
 */
export const MAX_BUCKET_VALUE = 1_000_000_000;
/** Allowed clock skew of the pushing product. */
const MAX_FUTURE_MS = 60_000;

export interface RawPoint {
  metric?: unknown;
  region?: unknown;
  timestamp?: unknown;
  value?: unknown;
}

/**
 * Validates a pushed batch against the declared metrics and stores it. All or nothing: the first
 * invalid point is reported by its position (`points.3.value`) and nothing is written.
 */
export async function ingestHeartbeats(ctx: ServiceContext, metrics: HeartbeatDefinition[], raw: RawPoint[]): Promise<{ accepted: number }> {
  authorize(ctx.actor, 'heartbeat.ingest');
  if (raw.length > MAX_BATCH) throw new ValidationError('points', `at most ${MAX_BATCH} points per request, got ${raw.length}`);
  const now = ctx.clock.now().getTime();
  const byKey = new Map(metrics.map((m) => [m.key, m]));
  // Keyed by (metric, region, bucket): a bucket repeated within one batch replaces the earlier
  // value, as a repeated push does (one INSERT cannot upsert the same row twice).
  const points = new Map<string, HeartbeatPoint>();
  for (const [index, point] of raw.entries()) {
    const field = (name: string) => `points.${index}.${name}`;
    const metric = typeof point.metric === 'string' ? byKey.get(point.metric) : undefined;
    if (!metric)
      throw new ValidationError(field('metric'), `unknown metric ${JSON.stringify(point.metric)}; declared: ${[...byKey.keys()].join(', ') || 'none'}`);
    if (typeof point.region !== 'string' || !metric.regions.includes(point.region)) {
      throw new ValidationError(field('region'), `unknown region ${JSON.stringify(point.region)} for ${metric.key}; declared: ${metric.regions.join(', ')}`);
    }
    const bucketMs = (metric.bucket_seconds ?? 10) * 1000;
    const at =
      typeof point.timestamp === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(point.timestamp)
        ? Date.parse(point.timestamp)
        : Number.NaN;
    if (Number.isNaN(at)) throw new ValidationError(field('timestamp'), 'must be an ISO 8601 date-time with a zone, e.g. 2026-05-01T10:00:10Z');
    if (at % bucketMs !== 0)
      throw new ValidationError(
        field('timestamp'),
        `must be the start of a ${bucketMs / 1000} s bucket (e.g. ${new Date(at - (at % bucketMs)).toISOString()})`,
      );
    if (at > now + MAX_FUTURE_MS) throw new ValidationError(field('timestamp'), 'is in the future');
    if (at < now - MAX_AGE_MS) throw new ValidationError(field('timestamp'), 'is more than 48 hours old');
    if (typeof point.value !== 'number' || !Number.isInteger(point.value) || point.value < 0) {
      throw new ValidationError(field('value'), 'must be a count: an integer of 0 or more');
    }
    if (point.value > MAX_BUCKET_VALUE) throw new ValidationError(field('value'), `must be at most ${MAX_BUCKET_VALUE} per bucket`);
    // Metric keys and regions are declared names without line breaks, so this key is unambiguous (and
    // cheaper than JSON.stringify per point on the hot path).
    points.set(`${metric.key}\n${point.region}\n${at}`, { metric: metric.key, region: point.region, bucket: new Date(at), value: point.value });
  }
  await upsertHeartbeatPoints(ctx.db, [...points.values()], new Date(now));
  return { accepted: raw.length };
}
