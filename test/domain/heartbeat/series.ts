/** Constructed series for the detector tests: exact counts per 10 s bucket, no clock, no noise unless asked. */
import { DEFAULT_DETECTOR_CONFIG } from '../../../src/domain/heartbeat/config.ts';
import { evaluate, initialDetectorState } from '../../../src/domain/heartbeat/detector.ts';
import { denseHistory } from '../../../src/domain/heartbeat/history.ts';
import type { CountHistory, DetectorConfig, DetectorState, Evaluation, Exclusion } from '../../../src/domain/heartbeat/types.ts';

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
export const WEEK = 7 * DAY;
export const BUCKET = 10 * SECOND;
/** The instant under test: Monday 2 February 2026, 12:00 UTC. */
export const T0 = Date.UTC(2026, 1, 2, 12);

export class Series {
  readonly start: number;
  readonly counts: Float64Array;
  readonly pushed: Uint8Array;

  /** `perBucket` everywhere from `historyDays` before T0 to a day after it. */
  constructor(perBucket: number | ((t: number) => number), historyDays = 35) {
    this.start = T0 - historyDays * DAY;
    const length = (historyDays + 1) * (DAY / BUCKET);
    this.counts = new Float64Array(length);
    this.pushed = new Uint8Array(length).fill(1);
    this.set(this.start, this.start + length * BUCKET, perBucket);
  }

  /** Counts of the buckets starting in [from, to). */
  set(from: number, to: number, value: number | ((t: number) => number)): this {
    for (let t = Math.max(from, this.start); t < to; t += BUCKET) {
      const i = (t - this.start) / BUCKET;
      if (i >= this.counts.length) break;
      this.counts[i] = typeof value === 'number' ? value : value(t);
      this.pushed[i] = 1;
    }
    return this;
  }

  /** No push at all in [from, to). */
  stop(from: number, to: number): this {
    this.set(from, to, 0);
    for (let t = from; t < to; t += BUCKET) this.pushed[(t - this.start) / BUCKET] = 0;
    return this;
  }

  history(since = this.start): CountHistory {
    return denseHistory({ start: this.start, bucketSeconds: BUCKET / SECOND, counts: this.counts, pushed: this.pushed, since });
  }
}

export interface Run {
  readonly evaluations: Evaluation[];
  readonly state: DetectorState;
  /** `now` of the evaluations that made a transition. */
  at(transition: 'fired' | 'escalated' | 'recovered'): number[];
}

/** Evaluates once per bucket, just after each bucket in [from, to) closes. */
export function run(
  series: Series,
  from: number,
  to: number,
  options: { config?: DetectorConfig; exclusions?: readonly Exclusion[]; state?: DetectorState; history?: CountHistory } = {},
): Run {
  const config = options.config ?? DEFAULT_DETECTOR_CONFIG;
  const history = options.history ?? series.history();
  let state = options.state ?? initialDetectorState();
  const evaluations: Evaluation[] = [];
  for (let bucketEnd = from + BUCKET; bucketEnd <= to; bucketEnd += BUCKET) {
    const result = evaluate(state, { now: bucketEnd + config.graceSeconds * SECOND, history, exclusions: options.exclusions }, config);
    evaluations.push(result);
    state = result.state;
  }
  return {
    evaluations,
    state,
    at: (transition) => evaluations.filter((e) => e.transition === transition).map((e) => e.windowEnd + config.graceSeconds * SECOND),
  };
}
