/**
 * The heartbeat drop detector: one evaluation per closed bucket, a pure function of
 * (state, counts, exclusions, now, config).
 *
 * An evaluation is bad when, over some trailing window, observed < threshold × expected (with a
 * 10% tolerance) AND the Poisson lower tail P(X ≤ observed | expected) is below alpha (shared by
 * the windows tried; quasi-Poisson when the series is measurably bursty). Windows grow from one
 * bucket until a drop to the threshold would be significant, so a busy series is judged on its
 * last 10 s and a quiet one on as many minutes as significance needs. The latest half of a bad
 * window must be low too, so a blip that has ended does not keep counting. Critical: below 0.1 of
 * expected and significantly below the major level too, or no push at all.
 *
 * It fires on the `fireAfter`-th bad evaluation (one not back at the recovery level in between is
 * tolerated), escalates major → critical after `fireAfter` critical ones in a row, and recovers
 * after `recoverAfter` consecutive evaluations at ≥ recoverThreshold of expected.
 */
import { overlapsAny, windowBaseline } from './baseline.ts';
import { DEFAULT_DETECTOR_CONFIG } from './config.ts';
import { windowDispersion } from './dispersion.ts';
import { logPoissonCdf, logQuasiPoissonCdf, minExpectedForDrop } from './poisson.ts';
import type { CountHistory, DetectorConfig, DetectorInput, DetectorState, Evaluation, Tier, Transition } from './types.ts';
import { closedWindowEnd, minWindowBuckets, windowLadder } from './window.ts';

export function initialDetectorState(): DetectorState {
  return {
    version: 1,
    status: 'ok',
    tier: null,
    badEvaluations: 0,
    criticalEvaluations: 0,
    missedEvaluations: 0,
    goodEvaluations: 0,
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
  /** ln of the per-window significance level (alpha shared by the ladder's windows). */
  readonly logAlpha: number;
  /** Expected count at which a complete stop is significant (-ln of the per-window alpha). */
  readonly stopMin: number;
  /** Expected count at which a drop to the major threshold is significant. */
  readonly majorMin: number;
}

const derivedCache = new WeakMap<DetectorConfig, Derived>();
function derive(config: DetectorConfig): Derived {
  let d = derivedCache.get(config);
  if (!d) {
    const ladder = windowLadder(config);
    // alpha is per evaluation; the windows tried share it (Bonferroni).
    const windowAlpha = config.alpha / ladder.length;
    d = {
      bucketMs: config.bucketSeconds * 1000,
      ladder,
      minGood: minWindowBuckets(config),
      logAlpha: Math.log(windowAlpha),
      stopMin: minExpectedForDrop(0, windowAlpha),
      majorMin: minExpectedForDrop(config.threshold, windowAlpha),
    };
    derivedCache.set(config, d);
  }
  return d;
}

/**
 * Seconds from the onset of a drop to `dropTo`·expected (0, the default, is a complete stop
 * beginning at a bucket boundary) until `fired`, for a Poisson-like series expecting
 * `expectedPerSecond`: the shortest window in which the drop is significant (with 10% headroom),
 * plus the persistence evaluations, plus the grace. With `criticalOnly` (holiday, provisional
 * baseline) the drop must also be significant against the major level. Null when even the
 * longest window is not enough. A drop to exactly the threshold is caught later than this when
 * the day runs above its baseline; the promise is firm for stops.
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
    ? minExpectedForDrop(dropTo / config.threshold, Math.exp(d.logAlpha)) / config.threshold
    : dropTo === 0
      ? d.stopMin
      : dropTo === config.threshold
        ? d.majorMin
        : minExpectedForDrop(dropTo, Math.exp(d.logAlpha));
  // 10% headroom: the level the promise is made at can sag a little after the onset (evening).
  const perBucket = expectedPerSecond * config.bucketSeconds;
  for (const n of d.ladder) {
    if (n * perBucket >= PROMISE_HEADROOM * needed) return (n + config.fireAfter - 1) * config.bucketSeconds + config.graceSeconds;
  }
  return null;
}

const PROMISE_HEADROOM = 1.1;

interface Window {
  readonly n: number;
  readonly from: number;
  readonly observed: number;
  readonly expected: number;
  readonly logP: number | null;
  readonly tier: Tier | null;
  readonly noData: boolean;
  readonly dispersion: number | null;
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
    let phi: number | null = null;
    if (testing && expected >= d.stopMin && observed <= limit(config.threshold, expected, config)) {
      logP = logPoissonCdf(observed, expected);
      // Burstiness only ever weakens the evidence, so it is measured only when Poisson alone is significant.
      if (logP < d.logAlpha) {
        phi = windowDispersion(history, end, n, d.bucketMs);
        if (phi > 1) logP = logQuasiPoissonCdf(observed, expected, phi);
      }
      if (logP < d.logAlpha && recentHalfIsLow(n, end, expected, history, config, d)) {
        noData = history.pushes(from, end) === 0;
        // Critical must also be significantly below the major level, so that a holiday or a
        // quiet series at 0.3x, which gives runs of zeros by chance, is not called an outage.
        const belowMajor =
          observed <= limit(config.criticalThreshold, expected, config) && logQuasiPoissonCdf(observed, config.threshold * expected, phi ?? 1) < d.logAlpha;
        tier = noData || belowMajor ? 'critical' : 'major';
      }
    }
    const window: Window = { n, from, observed, expected, logP, tier, noData, dispersion: phi };
    judged.push(window);
    if (tier && (!trigger || (tier === 'critical' && trigger.tier === 'major'))) trigger = window;
    // Longer windows are needed while a drop to the threshold would not be significant yet
    // (with the burstiness allowed for, when this window was tested).
    if (expected >= d.majorMin * (phi ?? 1)) testing = false;
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
  const repeated = state.lastWindowEnd !== null && end <= state.lastWindowEnd;
  const next = repeated ? { state, transition: undefined, reopened: false } : advance(state, { signal, good, muted, onset: trigger?.from ?? end, end }, config);
  // One literal with every field (no spreads): this runs for every series on every tick.
  return {
    state: next.state,
    transition: next.transition,
    reopened: next.reopened,
    status: next.state.status,
    tier: next.state.tier,
    signal,
    observed: shown?.observed ?? 0,
    expected: shown?.expected ?? 0,
    ratio: shown && shown.expected > 0 ? shown.observed / shown.expected : null,
    logPValue: shown?.logP ?? null,
    dispersion: shown?.dispersion ?? null,
    windowStart: shown?.from ?? lastBucket,
    windowEnd: end,
    noData: signal !== null && trigger !== null && trigger.noData,
    since: next.state.since,
    baseline: baseline.method,
    provisional: baseline.provisional,
    level: baseline.level,
    majorSuppressedBy,
    muted,
    repeated,
    expectedPerSecond: ratePerSecond,
    promisedDelaySeconds: promisedDelaySeconds(ratePerSecond, config, { criticalOnly: majorSuppressedBy !== null }),
  };
}

/** The persistence and hysteresis rules, on one evaluation's verdict. */
function advance(
  s: DetectorState,
  verdict: { signal: Tier | null; good: boolean; muted: boolean; onset: number; end: number },
  config: DetectorConfig,
): { state: DetectorState; transition?: Transition; reopened: boolean } {
  const { signal, good, muted, onset, end } = verdict;
  const badEvaluations = signal ? s.badEvaluations + 1 : 0;
  const criticalEvaluations = signal === 'critical' ? s.criticalEvaluations + 1 : 0;
  const base: DetectorState = { ...s, badEvaluations, criticalEvaluations, missedEvaluations: 0, lastWindowEnd: end };

  if (s.status === 'firing') {
    if (signal) {
      if (s.tier === 'major' && criticalEvaluations >= config.fireAfter) {
        return { state: { ...base, tier: 'critical', goodEvaluations: 0 }, transition: 'escalated', reopened: false };
      }
      return { state: { ...base, goodEvaluations: 0 }, reopened: false };
    }
    const goodEvaluations = good ? s.goodEvaluations + 1 : 0;
    if (goodEvaluations >= config.recoverAfter) {
      return {
        state: { ...base, status: 'ok', tier: null, goodEvaluations: 0, since: null, lastRecoveredAt: end, lastEpisodeSince: s.since },
        transition: 'recovered',
        reopened: false,
      };
    }
    return { state: { ...base, goodEvaluations }, reopened: false };
  }

  if (!signal) {
    // Hysteresis on the way in too: a pending episode survives up to `fireAfter` evaluations that
    // are neither bad nor back at the recovery level, so a drop hovering at the threshold
    // (0.48, 0.52, 0.49) still fires, while flukes hours apart do not add up.
    const missedEvaluations = s.missedEvaluations + 1;
    if (s.status === 'pending' && !good && !muted && missedEvaluations <= config.fireAfter) {
      return { state: { ...s, missedEvaluations, lastWindowEnd: end }, reopened: false };
    }
    return { state: { ...base, status: 'ok', since: null, goodEvaluations: 0 }, reopened: false };
  }
  const since = s.status === 'pending' && s.since !== null ? Math.min(s.since, onset) : onset;
  if (badEvaluations < config.fireAfter) return { state: { ...base, status: 'pending', since, goodEvaluations: 0 }, reopened: false };
  const tier: Tier = criticalEvaluations >= config.fireAfter ? 'critical' : 'major';
  const reopened = s.lastRecoveredAt !== null && end - s.lastRecoveredAt <= config.reopenWithinSeconds * 1000;
  return {
    state: { ...base, status: 'firing', tier, goodEvaluations: 0, since: reopened && s.lastEpisodeSince !== null ? s.lastEpisodeSince : since },
    transition: 'fired',
    reopened,
  };
}

/** The count allowed under `fraction` of expected, with the configured relative tolerance. */
function limit(fraction: number, expected: number, config: DetectorConfig): number {
  return fraction * expected * (1 + config.thresholdTolerance);
}

/**
 * The drop is still on: the latest half of the window is low too (below the midpoint of the
 * threshold and the recovery level), so a blip that has ended does not keep a window bad.
 */
function recentHalfIsLow(n: number, end: number, expected: number, history: CountHistory, config: DetectorConfig, d: Derived): boolean {
  if (n === 1) return true;
  const half = Math.ceil(n / 2);
  const observedHalf = history.count(end - half * d.bucketMs, end);
  return observedHalf < ((config.threshold + config.recoverThreshold) / 2) * expected * (half / n);
}
