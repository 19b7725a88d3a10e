import { ValidationError } from '../errors.ts';
import type { DetectorConfig, DetectorConfigInput } from './types.ts';

/** Defaults after the reference design (shared/reference/heartbeat-detection.md §2): 10 s buckets, α = 1e-6, 2 to fire, 3 to recover. */
export const DEFAULT_DETECTOR_CONFIG: DetectorConfig = Object.freeze({
  bucketSeconds: 10,
  graceSeconds: 5,
  threshold: 0.5,
  criticalThreshold: 0.1,
  recoverThreshold: 0.8,
  thresholdTolerance: 0.1,
  alpha: 1e-6,
  fireAfter: 2,
  recoverAfter: 3,
  minWindowSeconds: 30,
  maxWindowSeconds: 3600,
  reopenWithinSeconds: 600,
  majorWhenProvisional: false,
  baseline: Object.freeze({
    weeks: 4,
    minWeeks: 3,
    lookbackWeeks: 6,
    smoothingSeconds: 300,
    days: 5,
    minDays: 3,
    lookbackDays: 14,
    recentHours: 2,
    levelHours: 2,
    levelClamp: Object.freeze([0.8, 1.1]) as readonly [number, number],
    pastResolutionSeconds: 60,
    timeZone: 'UTC',
  }),
});

/**
 * Defaults overlaid with a metric's settings. Throws a ValidationError naming the first setting
 * that would make the detector meaningless.
 */
export function detectorConfig(overrides: DetectorConfigInput = {}): DetectorConfig {
  const config: DetectorConfig = Object.freeze({
    ...DEFAULT_DETECTOR_CONFIG,
    ...overrides,
    baseline: Object.freeze({ ...DEFAULT_DETECTOR_CONFIG.baseline, ...overrides.baseline }),
  });
  const problems: Array<[field: string, message: string]> = [];
  const positive = (name: string, value: number) => {
    if (!(value > 0) || !Number.isFinite(value)) problems.push([name, 'must be a positive number']);
  };
  positive('bucketSeconds', config.bucketSeconds);
  positive('alpha', config.alpha);
  positive('maxWindowSeconds', config.maxWindowSeconds);
  if (config.graceSeconds < 0) problems.push(['graceSeconds', 'must not be negative']);
  if (
    !(
      config.criticalThreshold > 0 &&
      config.criticalThreshold <= config.threshold &&
      config.threshold < config.recoverThreshold &&
      config.recoverThreshold <= 1
    )
  ) {
    problems.push(['threshold', 'must satisfy 0 < criticalThreshold ≤ threshold < recoverThreshold ≤ 1']);
  }
  if (!(config.thresholdTolerance >= 0 && config.thresholdTolerance < 1)) problems.push(['thresholdTolerance', 'must be in [0, 1)']);
  if (config.alpha >= 0.5) problems.push(['alpha', 'must be below 0.5']);
  if (!Number.isInteger(config.fireAfter) || config.fireAfter < 1) problems.push(['fireAfter', 'must be a whole number ≥ 1']);
  if (!Number.isInteger(config.recoverAfter) || config.recoverAfter < 1) problems.push(['recoverAfter', 'must be a whole number ≥ 1']);
  const b = config.baseline;
  if (!(b.minWeeks >= 1 && b.minWeeks <= b.weeks && b.weeks <= b.lookbackWeeks))
    problems.push(['baseline.weeks', 'must satisfy 1 ≤ minWeeks ≤ weeks ≤ lookbackWeeks']);
  if (!(b.minDays >= 1 && b.minDays <= b.days && b.days <= b.lookbackDays)) problems.push(['baseline.days', 'must satisfy 1 ≤ minDays ≤ days ≤ lookbackDays']);
  if (b.smoothingSeconds < 0) problems.push(['baseline.smoothingSeconds', 'must not be negative']);
  positive('baseline.recentHours', b.recentHours);
  positive('baseline.pastResolutionSeconds', b.pastResolutionSeconds);
  if (!(b.levelHours >= 0)) problems.push(['baseline.levelHours', 'must not be negative']);
  if (!(b.levelClamp[0] > 0 && b.levelClamp[0] <= 1 && b.levelClamp[1] >= 1))
    problems.push(['baseline.levelClamp', 'must be [low ≤ 1, high ≥ 1] with low > 0']);
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: b.timeZone });
  } catch {
    problems.push(['baseline.timeZone', `${JSON.stringify(b.timeZone)} is not an IANA time zone`]);
  }
  if (problems.length > 0) throw new ValidationError(problems[0][0], problems[0][1]);
  return config;
}

/** What a metric of the page definition says about its detector (structurally, so the domain needs no config import). */
export interface MetricDetectorSettings {
  readonly bucket_seconds?: number;
  readonly threshold?: number;
  readonly alarm_while_provisional?: boolean;
}

/**
 * The detector's configuration for a declared metric in the page's time zone: shared by the
 * detector tick and the charts' read model, so a chart's band is the detector's own.
 */
export function metricDetectorConfig(metric: MetricDetectorSettings, timeZone: string): DetectorConfig {
  return detectorConfig({
    bucketSeconds: metric.bucket_seconds ?? 10,
    threshold: metric.threshold ?? 0.5,
    majorWhenProvisional: metric.alarm_while_provisional ?? false,
    baseline: { timeZone: timeZone === 'Etc/UTC' ? 'UTC' : timeZone },
  });
}
