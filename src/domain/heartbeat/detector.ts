/**
 * The heartbeat drop detector: one evaluation per closed bucket, a pure function of
 * (state, counts, exclusions, now, config).
 *
 * An evaluation is bad when, over some trailing window, the observed count is below the
 * threshold fraction of expected AND the Poisson lower tail P(X ≤ observed | expected) is below
 * alpha. Windows grow from one bucket until a drop to the threshold would be significant, so a
 * busy series is judged on 10 s and a quiet one on as many minutes as significance needs. The
 * most recent half of a bad window must be low too, so a blip that has already ended does not
 * keep counting. It fires after `fireAfter` bad evaluations and recovers after `recoverAfter`
 * good ones (≥ recoverThreshold).
 */
import { overlapsAny, windowBaseline } from './baseline.ts';
import { DEFAULT_DETECTOR_CONFIG } from './config.ts';
import { logPoissonCdf, minExpectedForDrop } from './poisson.ts';
import type { CountHistory, DetectorConfig, DetectorInput, DetectorState, Evaluation, Tier, Transition } from './types.ts';
import { closedWindowEnd, minWindowBuckets, windowLadder } from './window.ts';

export function initialDetectorState(): DetectorState {
  return {
    version: 1,
    status: 'ok',
    tier: null,
    majorStreak: 0,
    criticalStreak: 0,
    goodStreak: 0,
    since: null,
    lastWindowEnd: null,
    lastRecoveredAt: null,
    lastEpisodeSince: null,
  };
}

interface Derived {
  readonly bucketMs: number;
  readonly ladder: readonly number[];
  readonly minGood: number;
  readonly logAlpha: number;
  /** Expected count at which a complete stop is significant (-ln alpha). */
  readonly stopMin: number;
  /** Expected count at which a drop to the major threshold is significant. */
  readonly majorMin: number;
}

const derivedCache = new WeakMap<DetectorConfig, Derived>();
function derive(config: DetectorConfig): Derived {
  let d = derivedCache.get(config);
  if (!d) {
    d = {
      bucketMs: config.bucketSeconds * 1000,
      ladder: windowLadder(config),
      minGood: minWindowBuckets(config),
      logAlpha: Math.log(config.alpha),
      stopMin: minExpectedForDrop(0, config.alpha),
      majorMin: minExpectedForDrop(config.threshold, config.alpha),
    };
    derivedCache.set(config, d);
  }
  return d;
}

/**
 * Worst-case seconds from the onset of a drop to `dropTo`·expected (0, the default, is a complete
 * stop beginning at a bucket boundary) until `fired`, for a series expecting `expectedPerSecond`:
 * the shortest window in which the drop is significant, plus the persistence evaluations, plus
 * the grace. With `criticalOnly` (holiday, provisional baseline) the drop must also be
 * significant against the major level. Null when even the longest window is not enough.
 */
export function promisedDelaySeconds(
  expectedPerSecond: number,
  config: DetectorConfig = DEFAULT_DETECTOR_CONFIG,
  options: { dropTo?: number; criticalOnly?: boolean } = {},
): number | null {
  if (!(expectedPerSecond > 0)) return null;
  const d = derive(config);
  const dropTo = options.dropTo ?? 0;
  if (options.criticalOnly && dropTo >= config.criticalThreshold) return null;
  const needed = options.criticalOnly
    ? minExpectedForDrop(dropTo / config.threshold, config.alpha) / config.threshold
    : dropTo === 0
      ? d.stopMin
      : dropTo === config.threshold
        ? d.majorMin
        : minExpectedForDrop(dropTo, config.alpha);
  const perBucket = expectedPerSecond * config.bucketSeconds;
  for (const n of d.ladder) {
    if (n * perBucket >= needed) return (n + config.fireAfter - 1) * config.bucketSeconds + config.graceSeconds;
  }
  return null;
}

interface Window {
  readonly n: number;
  readonly from: number;
  readonly observed: number;
  readonly expected: number;
  readonly logP: number | null;
  readonly tier: Tier | null;
  readonly noData: boolean;
}

/** Judge the bucket(s) closed at `input.now` and advance the state. Never throws on data. */
export function evaluate(previous: DetectorState | null | undefined, input: DetectorInput, config: DetectorConfig = DEFAULT_DETECTOR_CONFIG): Evaluation {
  const state = previous ?? initialDetectorState();
  const d = derive(config);
  const { history } = input;
  const exclusions = input.exclusions ?? [];
  const end = closedWindowEnd(input.now, config);
  const lastBucket = end - d.bucketMs;
  const inEpisode = state.status !== 'ok';
  const longest = d.ladder[d.ladder.length - 1];
  const baseline = windowBaseline(history, end, longest * d.bucketMs, config, { exclusions, episodeSince: inEpisode ? state.since : null });

  // Walk the ladder: test each window until one is long enough for a drop to the threshold to be
  // significant (longer ones only dilute the drop with pre-onset counts), and go on to the
  // recovery window. Every window ends at the same trailing edge.
  let stopWindow: number | null = null;
  let trigger: Window | null = null;
  const judged: Window[] = [];
  let testing = true;
  for (const n of baseline.method === 'none' ? [] : d.ladder) {
    const from = end - n * d.bucketMs;
    const expected = baseline.expected(n * d.bucketMs);
    const observed = history.count(from, end);
    if (stopWindow === null && expected >= d.stopMin) stopWindow = n;
    let tier: Tier | null = null;
    let logP: number | null = null;
    let noData = false;
    if (testing && expected >= d.stopMin && observed <= limit(config.threshold, expected, config)) {
      logP = logPoissonCdf(observed, expected);
      if (logP < d.logAlpha && recentHalfIsLow(n, end, expected, history, config, d)) {
        noData = history.pushes(from, end) === 0;
        // Critical must also be significantly below the major level, so that a holiday or a
        // quiet series at 0.3x, which gives runs of zeros by chance, is not called an outage.
        const belowMajor = observed <= limit(config.criticalThreshold, expected, config) && logPoissonCdf(observed, config.threshold * expected) < d.logAlpha;
        tier = noData || belowMajor ? 'critical' : 'major';
      }
    }
    const window: Window = { n, from, observed, expected, logP, tier, noData };
    judged.push(window);
    if (tier && (!trigger || (tier === 'critical' && trigger.tier === 'major'))) trigger = window;
    if (expected >= d.majorMin) testing = false;
    if (!testing && n >= Math.max(d.minGood, stopWindow ?? Infinity)) break;
  }

  // The recovery window: at least minWindowSeconds, and long enough for a stop to be significant.
  const goodN = Math.max(d.minGood, stopWindow ?? longest);
  const goodWindow = judged.find((w) => w.n >= goodN) ?? judged[judged.length - 1] ?? null;
  const good = goodWindow !== null && goodWindow.expected > 0 && goodWindow.observed >= config.recoverThreshold * goodWindow.expected;

  const muted = overlapsAny(exclusions, lastBucket, end, 'maintenance');
  const holiday = overlapsAny(exclusions, lastBucket, end, 'holiday');
  const majorSuppressedBy = muted ? 'maintenance' : holiday ? 'holiday' : baseline.provisional && !config.majorWhenProvisional ? 'provisional' : null;
  let signal: Tier | null = trigger?.tier ?? null;
  if (muted || (signal === 'major' && majorSuppressedBy !== null)) signal = null;
  const shown = signal && trigger ? trigger : goodWindow;

  const ratePerSecond = goodWindow && goodWindow.expected > 0 ? goodWindow.expected / (goodWindow.n * config.bucketSeconds) : 0;
  const common = {
    signal,
    observed: shown?.observed ?? 0,
    expected: shown?.expected ?? 0,
    ratio: shown && shown.expected > 0 ? shown.observed / shown.expected : null,
    logPValue: shown ? (shown.logP ?? (shown.expected > 0 ? logPoissonCdf(shown.observed, shown.expected) : null)) : null,
    windowStart: shown?.from ?? lastBucket,
    windowEnd: end,
    noData: signal !== null && trigger !== null && trigger.noData,
    baseline: baseline.method,
    provisional: baseline.provisional,
    level: baseline.level,
    majorSuppressedBy,
    muted,
    expectedPerSecond: ratePerSecond,
    promisedDelaySeconds: promisedDelaySeconds(ratePerSecond, config, { criticalOnly: majorSuppressedBy !== null }),
  } as const;

  if (state.lastWindowEnd !== null && end <= state.lastWindowEnd) {
    return { ...common, state, reopened: false, status: state.status, tier: state.tier, since: state.since, repeated: true };
  }

  const next = advance(state, signal, good, trigger?.from ?? end, end, config);
  return { ...common, ...next, status: next.state.status, tier: next.state.tier, since: next.state.since, repeated: false };
}

/** The persistence and hysteresis rules, on one evaluation's verdict. */
function advance(
  s: DetectorState,
  signal: Tier | null,
  good: boolean,
  onset: number,
  end: number,
  config: DetectorConfig,
): { state: DetectorState; transition?: Transition; reopened: boolean } {
  const majorStreak = signal ? s.majorStreak + 1 : 0;
  const criticalStreak = signal === 'critical' ? s.criticalStreak + 1 : 0;
  const base = { ...s, majorStreak, criticalStreak, lastWindowEnd: end };

  if (s.status === 'firing') {
    if (signal) {
      if (s.tier === 'major' && criticalStreak >= config.fireAfter) {
        return { state: { ...base, tier: 'critical', goodStreak: 0 }, transition: 'escalated', reopened: false };
      }
      return { state: { ...base, goodStreak: 0 }, reopened: false };
    }
    const goodStreak = good ? s.goodStreak + 1 : 0;
    if (goodStreak >= config.recoverAfter) {
      return {
        state: { ...base, status: 'ok', tier: null, goodStreak: 0, since: null, lastRecoveredAt: end, lastEpisodeSince: s.since },
        transition: 'recovered',
        reopened: false,
      };
    }
    return { state: { ...base, goodStreak }, reopened: false };
  }

  if (!signal) return { state: { ...base, status: 'ok', since: null, goodStreak: 0 }, reopened: false };
  const since = s.status === 'pending' && s.since !== null ? Math.min(s.since, onset) : onset;
  if (majorStreak < config.fireAfter) return { state: { ...base, status: 'pending', since, goodStreak: 0 }, reopened: false };
  const tier: Tier = criticalStreak >= config.fireAfter ? 'critical' : 'major';
  const reopened = s.lastRecoveredAt !== null && end - s.lastRecoveredAt <= config.reopenWithinSeconds * 1000;
  return {
    state: { ...base, status: 'firing', tier, goodStreak: 0, since: reopened && s.lastEpisodeSince !== null ? s.lastEpisodeSince : since },
    transition: 'fired',
    reopened,
  };
}

/**
 * The count allowed under `fraction` of expected: the fraction plus `thresholdSlackSd` Poisson sd
 * of it (counting noise), but never more than a tenth of it, so the gate stays a ratio gate.
 */
function limit(fraction: number, expected: number, config: DetectorConfig): number {
  const atThreshold = fraction * expected;
  return atThreshold + Math.min(config.thresholdSlackSd * Math.sqrt(atThreshold), 0.1 * atThreshold);
}

/** The drop is still on: the latest half of the window is below the recovery level too. */
function recentHalfIsLow(n: number, end: number, expected: number, history: CountHistory, config: DetectorConfig, d: Derived): boolean {
  if (n === 1) return true;
  const half = Math.ceil(n / 2);
  const observedHalf = history.count(end - half * d.bucketMs, end);
  return observedHalf < config.recoverThreshold * expected * (half / n);
}
