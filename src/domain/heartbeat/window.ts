/** Bucket alignment and the ladder of window lengths a quiet series aggregates over. */
import type { DetectorConfig } from './types.ts';

/** End of the last bucket closed at `now` (buckets are aligned to the epoch, late pushes get `graceSeconds`). */
export function closedWindowEnd(now: number, config: DetectorConfig): number {
  const bucketMs = config.bucketSeconds * 1000;
  return Math.floor((now - config.graceSeconds * 1000) / bucketMs) * bucketMs;
}

export function maxWindowBuckets(config: DetectorConfig): number {
  return Math.max(1, Math.floor(config.maxWindowSeconds / config.bucketSeconds));
}

export function minWindowBuckets(config: DetectorConfig): number {
  return Math.min(maxWindowBuckets(config), Math.max(1, Math.round(config.minWindowSeconds / config.bucketSeconds)));
}

const ladders = new WeakMap<DetectorConfig, readonly number[]>();

/**
 * Window lengths tried, in buckets: 1 to 6, then about 25% longer each step, up to the maximum.
 * Finer steps cost evaluations; coarser ones delay a quiet series by up to the step.
 */
export function windowLadder(config: DetectorConfig): readonly number[] {
  const cached = ladders.get(config);
  if (cached) return cached;
  const max = maxWindowBuckets(config);
  const lengths = new Set<number>([minWindowBuckets(config), max]);
  for (let n = 1; n <= max; n = n < 6 ? n + 1 : Math.round(n * 1.25)) lengths.add(n);
  const ladder = Object.freeze([...lengths].filter((n) => n <= max).sort((a, b) => a - b));
  ladders.set(config, ladder);
  return ladder;
}

/** The smoothing margin, a whole number of buckets. */
export function smoothingPadMs(config: DetectorConfig): number {
  const bucketMs = config.bucketSeconds * 1000;
  return Math.round(config.baseline.smoothingSeconds / config.bucketSeconds) * bucketMs;
}

/** Past reads are whole multiples of this: the roll-up resolution, or the bucket if coarser. */
export function pastGrainMs(config: DetectorConfig): number {
  return Math.max(config.baseline.pastResolutionSeconds, config.bucketSeconds) * 1000;
}
