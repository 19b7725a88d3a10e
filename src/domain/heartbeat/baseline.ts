/**
 * The expected count for the windows ending at one instant: the median of the same time of week
 * over the last weeks, times a clamped recent-level factor; with two cold-start fallbacks (same
 * time of day on recent days of the same day type, then the level of the last hours), both
 * provisional. A median of 4 does not move for one bad week; past outages, holidays and
 * maintenance passed as exclusions are skipped altogether.
 */
import { pastGrainMs, smoothingPadMs } from './window.ts';
import { DAY_MS, HOUR_MS, isWeekend, localDaysBefore } from '../time.ts';
import type { Baseline, BaselineMethod, CountHistory, DetectorConfig, Exclusion } from './types.ts';

export interface BaselineOptions {
  readonly exclusions?: readonly Exclusion[];
  /**
   * Onset of an open episode: the level before it is what the outage is compared with, so an
   * outage neither becomes its own baseline (recent fallback) nor drags the level factor down.
   */
  readonly episodeSince?: number | null;
}

/** Expected counts for windows [end - length, end), for any length up to the maximum given. */
export interface WindowBaseline {
  readonly method: BaselineMethod;
  readonly provisional: boolean;
  /** Weeks or days medianed (0 for recent / none). */
  readonly samples: number;
  /** The recent-level factor applied to the weekly median (1 when not applicable). */
  readonly level: number;
  expected(lengthMs: number): number;
}

/** The recent fallback needs at least this much history before the window. */
const MIN_RECENT_MS = 0.5 * HOUR_MS;

/**
 * Prepares the baseline for windows ending at `end` and at most `maxLengthMs` long. The method is
 * chosen once, for the longest window: a past week or day is used only if its whole widened
 * window is inside the history and clear of exclusions.
 */
export function windowBaseline(history: CountHistory, end: number, maxLengthMs: number, config: DetectorConfig, options: BaselineOptions = {}): WindowBaseline {
  const exclusions = options.exclusions ?? [];
  const b = config.baseline;
  const zone = b.timeZone;
  const pad = smoothingPadMs(config);
  const from = end - maxLengthMs;

  const grain = pastGrainMs(config);
  // How far back (ms) each usable past day lies; pastEnd - shift is the same instant that day.
  const usable = (days: number): number | 'excluded' | 'unknown' => {
    const start = Math.floor(localDaysBefore(zone, from - pad, days) / grain) * grain;
    if (start < history.since) return 'unknown';
    const stop = Math.ceil(localDaysBefore(zone, end + pad, days) / grain) * grain;
    if (overlapsAny(exclusions, start, stop)) return 'excluded';
    return end - localDaysBefore(zone, end, days);
  };

  const weekly: number[] = [];
  for (let week = 1; week <= b.lookbackWeeks && weekly.length < b.weeks; week++) {
    const shift = usable(7 * week);
    if (shift === 'unknown') break;
    if (shift !== 'excluded') weekly.push(shift);
  }
  if (weekly.length >= b.minWeeks) {
    const level = levelFactor(history, end, maxLengthMs, weekly.length, config, options);
    return medianBaseline('weekly', false, weekly, level, history, end, pad, grain);
  }

  const daily: number[] = [];
  const weekend = isWeekend(zone, from);
  for (let day = 1; day <= b.lookbackDays && daily.length < b.days; day++) {
    if (isWeekend(zone, localDaysBefore(zone, from, day)) !== weekend) continue;
    const shift = usable(day);
    if (shift === 'unknown') break;
    if (shift !== 'excluded') daily.push(shift);
  }
  if (daily.length >= b.minDays) return medianBaseline('daily', true, daily, 1, history, end, pad, grain);

  const recentEnd = Math.min(from, options.episodeSince ?? from);
  const recentStart = Math.max(history.since, recentEnd - b.recentHours * HOUR_MS);
  if (recentEnd - recentStart < Math.min(MIN_RECENT_MS, b.recentHours * HOUR_MS)) {
    return { method: 'none', provisional: true, samples: 0, level: 1, expected: () => 0 };
  }
  const rate = history.count(recentStart, recentEnd) / (recentEnd - recentStart);
  return { method: 'recent', provisional: true, samples: 0, level: 1, expected: (lengthMs) => rate * lengthMs };
}

/** Expected count of the buckets starting in [from, to): a convenience over windowBaseline. */
export function expectedCount(history: CountHistory, from: number, to: number, config: DetectorConfig, options: BaselineOptions = {}): Baseline {
  const baseline = windowBaseline(history, to, to - from, config, options);
  return { expected: baseline.expected(to - from), method: baseline.method, provisional: baseline.provisional, samples: baseline.samples };
}

function medianBaseline(
  method: BaselineMethod,
  provisional: boolean,
  shifts: number[],
  level: number,
  history: CountHistory,
  end: number,
  pad: number,
  grain: number,
): WindowBaseline {
  const values = new Float64Array(shifts.length);
  return {
    method,
    provisional,
    samples: shifts.length,
    level,
    expected(lengthMs: number) {
      // Each past window is widened by the smoothing margin and out to whole grains (so that
      // 1-minute roll-ups can answer it), then scaled back to the length.
      for (let i = 0; i < shifts.length; i++) {
        const start = Math.floor((end - lengthMs - pad - shifts[i]) / grain) * grain;
        const stop = Math.ceil((end + pad - shifts[i]) / grain) * grain;
        values[i] = (history.count(start, stop) * lengthMs) / (stop - start);
      }
      return medianInPlace(values) * level;
    },
  };
}

/**
 * Recent level versus the weekly median over the `levelHours` before the longest window (or
 * before the open episode), clamped to `levelClamp`. Lowering takes the whole period's ratio;
 * raising takes the smaller of its two halves' ratios, so a one-off burst does not raise the
 * expected value. 1 when the period holds an incident or maintenance, or lacks history.
 */
/** Reused by levelFactor, which is synchronous and never re-entered: the hot path allocates nothing. */
let levelScratch = new Float64Array(0);

function levelFactor(history: CountHistory, end: number, maxLengthMs: number, weeks: number, config: DetectorConfig, options: BaselineOptions): number {
  const b = config.baseline;
  if (b.levelHours <= 0) return 1;
  const refEnd = Math.min(end - maxLengthMs, options.episodeSince ?? Infinity);
  const half = (b.levelHours * HOUR_MS) / 2;
  const refStart = refEnd - 2 * half;
  if (refStart < history.since) return 1;
  const exclusions = options.exclusions ?? [];
  for (const x of exclusions) {
    if (x.reason !== 'holiday' && x.from < refEnd && x.to > refStart) return 1;
  }
  // One pass over the weeks: each half's count, scaled to the half's length (whole minutes).
  const grain = pastGrainMs(config);
  if (levelScratch.length < 3 * weeks) levelScratch = new Float64Array(3 * weeks);
  const older = levelScratch.subarray(0, weeks);
  const newer = levelScratch.subarray(weeks, 2 * weeks);
  const whole = levelScratch.subarray(2 * weeks, 3 * weeks);
  let found = 0;
  for (let week = 1; week <= b.lookbackWeeks && found < weeks; week++) {
    const start = Math.floor(localDaysBefore(b.timeZone, refStart, 7 * week) / grain) * grain;
    if (start < history.since) break;
    const middle = Math.round(localDaysBefore(b.timeZone, refStart + half, 7 * week) / grain) * grain;
    const stop = Math.ceil(localDaysBefore(b.timeZone, refEnd, 7 * week) / grain) * grain;
    if (overlapsAny(exclusions, start, stop)) continue;
    const first = history.count(start, middle);
    const second = history.count(middle, stop);
    older[found] = (first * half) / (middle - start);
    newer[found] = (second * half) / (stop - middle);
    whole[found] = ((first + second) * 2 * half) / (stop - start);
    found++;
  }
  if (found < b.minWeeks) return 1;
  const observedOlder = history.count(refStart, refStart + half);
  const observedNewer = history.count(refStart + half, refEnd);
  const ratio = (observed: number, expected: number) => (expected > 0 ? observed / expected : 1);
  const [low, high] = b.levelClamp;
  const overall = ratio(observedOlder + observedNewer, medianInPlace(whole.subarray(0, found)));
  if (overall <= 1) return Math.max(low, overall);
  // Raising expectations needs both halves to agree, so a one-off burst does not.
  const both = Math.min(overall, ratio(observedOlder, medianInPlace(older.subarray(0, found))), ratio(observedNewer, medianInPlace(newer.subarray(0, found))));
  return Math.min(high, Math.max(1, both));
}

export function overlapsAny(exclusions: readonly Exclusion[], from: number, to: number, reason?: Exclusion['reason']): boolean {
  for (const x of exclusions) {
    if (x.from < to && x.to > from && (reason === undefined || x.reason === reason)) return true;
  }
  return false;
}

/** Median of a few values; sorts `values` in place (insertion sort: there are at most a dozen). */
export function medianInPlace(values: { length: number; [i: number]: number }): number {
  const n = values.length;
  if (n === 0) return 0;
  for (let i = 1; i < n; i++) {
    const v = values[i];
    let j = i - 1;
    while (j >= 0 && values[j] > v) {
      values[j + 1] = values[j];
      j--;
    }
    values[j + 1] = v;
  }
  const mid = n >> 1;
  return n % 2 === 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

/**
 * The first instant at which a series whose history begins at `since` can have the weekly
 * baseline: `minWeeks` weeks of history before its longest window, with the smoothing margin (a
 * few minutes later across a DST change; later still if past weeks are excluded).
 */
export function weeklyBaselineFrom(since: number, config: DetectorConfig): number {
  const grain = pastGrainMs(config);
  const earliest = since + config.baseline.minWeeks * 7 * DAY_MS + config.maxWindowSeconds * 1000 + smoothingPadMs(config);
  return Math.ceil(earliest / grain) * grain + config.graceSeconds * 1000;
}
