/**
 * CountHistory implementations over buckets already loaded in memory, and the time ranges an
 * evaluation reads (so the caller loads exactly those from the store).
 */
import type { CountHistory, DetectorConfig } from './types.ts';
import { DISPERSION_HORIZON_MS } from './dispersion.ts';
import { closedWindowEnd, maxWindowBuckets, pastGrainMs, smoothingPadMs } from './window.ts';
import { DAY_MS, HOUR_MS, localDaysBefore } from '../time.ts';

export interface BucketPoint {
  /** Bucket start (Date or epoch ms). */
  readonly bucket: Date | number;
  readonly count: number;
}

/**
 * A history over consecutive buckets starting at `start` (index i is the bucket starting at
 * start + i·bucket). `pushed[i]` false or 0 marks a bucket that received no push; without
 * `pushed`, every bucket counts as pushed. Queries are O(1) (prefix sums).
 */
export function denseHistory(options: {
  start: number;
  bucketSeconds: number;
  counts: ArrayLike<number>;
  pushed?: ArrayLike<boolean | number>;
  /** Defaults to `start`. */
  since?: number;
}): CountHistory {
  const { start, counts } = options;
  const bucketMs = options.bucketSeconds * 1000;
  const n = counts.length;
  const countSums = new Float64Array(n + 1);
  const pushSums = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) {
    countSums[i + 1] = countSums[i] + (counts[i] || 0);
    pushSums[i + 1] = pushSums[i] + (options.pushed === undefined || options.pushed[i] ? 1 : 0);
  }
  const index = (t: number) => Math.min(n, Math.max(0, Math.ceil((t - start) / bucketMs)));
  return {
    since: options.since ?? start,
    count: (from, to) => (to > from ? countSums[index(to)] - countSums[index(from)] : 0),
    pushes: (from, to) => (to > from ? pushSums[index(to)] - pushSums[index(from)] : 0),
  };
}

/**
 * A history over the rows a store returned (any order, gaps allowed: a missing bucket is a
 * bucket without a push). Queries are O(log n). `since` is when the series' history begins.
 * Rows may be raw buckets for `historyRanges(...).recent` and 1-minute roll-ups for `.past`, as
 * long as the two do not overlap (past reads are whole minutes, so a roll-up row counts fully).
 */
export function pointsHistory(points: readonly BucketPoint[], options: { since: Date | number }): CountHistory {
  const sorted = points.map((p) => ({ t: typeof p.bucket === 'number' ? p.bucket : p.bucket.getTime(), count: p.count })).sort((a, b) => a.t - b.t);
  const starts: number[] = [];
  const countSums: number[] = [0];
  const pushSums: number[] = [0];
  for (const point of sorted) {
    const last = starts.length - 1;
    if (last >= 0 && starts[last] === point.t) {
      // Two rows for one bucket (e.g. two producers): their counts add up, still one push.
      countSums[last + 1] += point.count;
      continue;
    }
    starts.push(point.t);
    countSums.push(countSums[countSums.length - 1] + point.count);
    pushSums.push(pushSums[pushSums.length - 1] + 1);
  }
  // Index of the first bucket starting at or after t.
  const lowerBound = (t: number) => {
    let lo = 0;
    let hi = starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (starts[mid] < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return {
    since: typeof options.since === 'number' ? options.since : options.since.getTime(),
    count: (from, to) => (to > from ? countSums[lowerBound(to)] - countSums[lowerBound(from)] : 0),
    pushes: (from, to) => (to > from ? pushSums[lowerBound(to)] - pushSums[lowerBound(from)] : 0),
  };
}

export interface TimeRange {
  readonly from: number;
  readonly to: number;
}

export interface HistoryRanges {
  /** The last day or so, read bucket by bucket (trailing windows, burstiness, no-data): raw buckets. */
  readonly recent: TimeRange;
  /** Weeks and days back, read in whole minutes (`pastResolutionSeconds`): 1-minute roll-ups suffice. Sorted, disjoint. */
  readonly past: TimeRange[];
}

/**
 * The ranges one evaluation at `now` may read, so the caller loads exactly those: `recent` covers
 * the longest window plus `DISPERSION_HORIZON_MS` (24 h) and the level period before the window
 * (or before `since`, the open episode's onset); `past` covers, 1..lookbackWeeks weeks and
 * 1..lookbackDays days back, the longest window, its smoothing margins and the level period. With
 * `weeklyOnly` the daily fallback's ranges are left out (a series with `minWeeks` of clean
 * history never reads them).
 */
export function historyRanges(now: number, config: DetectorConfig, options: { since?: number | null; weeklyOnly?: boolean } = {}): HistoryRanges {
  const bucketMs = config.bucketSeconds * 1000;
  const end = closedWindowEnd(now, config);
  const windowStart = end - maxWindowBuckets(config) * bucketMs;
  const pad = smoothingPadMs(config);
  const grain = pastGrainMs(config);
  const zone = config.baseline.timeZone;
  // A past window can stretch by an hour across a DST change.
  const slack = zone === 'UTC' || zone === 'Etc/UTC' ? 0 : HOUR_MS;
  const reference = Math.min(windowStart, options.since ?? windowStart) - Math.max(config.baseline.levelHours, config.baseline.recentHours) * HOUR_MS;
  const recent = { from: Math.min(reference, windowStart - DISPERSION_HORIZON_MS), to: end };
  const past = (days: number, from: number) => ({
    from: Math.floor((localDaysBefore(zone, from - pad, days) - slack) / grain) * grain,
    to: Math.ceil((localDaysBefore(zone, end + pad, days) + slack) / grain) * grain,
  });
  const ranges: TimeRange[] = [];
  for (let week = 1; week <= config.baseline.lookbackWeeks; week++) ranges.push(past(7 * week, reference));
  if (!options.weeklyOnly) {
    for (let day = 1; day <= config.baseline.lookbackDays; day++) ranges.push(past(day, windowStart));
  }
  ranges.sort((a, b) => a.from - b.from);
  const merged: TimeRange[] = [];
  for (const range of ranges) {
    const last = merged[merged.length - 1];
    if (last && range.from <= last.to) merged[merged.length - 1] = { from: last.from, to: Math.max(last.to, range.to) };
    else merged.push(range);
  }
  return { recent, past: merged };
}

/** How much history an integrator must keep for a series (lookback plus margins), in ms. */
export function historyRetentionMs(config: DetectorConfig): number {
  const b = config.baseline;
  return b.lookbackWeeks * 7 * DAY_MS + config.maxWindowSeconds * 1000 + smoothingPadMs(config) + Math.max(b.levelHours, b.recentHours) * HOUR_MS + HOUR_MS;
}
