/**
 * Replays a series bucket by bucket through the detector, online and without look-ahead (the
 * history refuses any read past the evaluated window), the way the tick job will run it: one
 * evaluation per closed bucket, past episodes fed back as `incident` exclusions.
 */
import { evaluate, initialDetectorState } from '../../src/domain/heartbeat/detector.ts';
import { denseHistory } from '../../src/domain/heartbeat/history.ts';
import type { CountHistory, DetectorConfig, DetectorState, Exclusion, Tier } from '../../src/domain/heartbeat/types.ts';

export interface Series {
  readonly name: string;
  /** Start of bucket 0 (ms). */
  readonly start: number;
  readonly bucketSeconds: number;
  readonly counts: ArrayLike<number>;
  /** 0 = no push arrived for that bucket; omitted = every bucket pushed. */
  readonly pushed?: ArrayLike<number>;
}

export interface Episode {
  /** When the tick that fired ran (window end + grace). */
  readonly firedAt: number;
  readonly since: number;
  readonly tier: Tier;
  readonly escalatedAt: number | null;
  readonly recoveredAt: number | null;
  /** Re-fires within the reopen window folded into this episode. */
  readonly reopens: number;
  /** The firing evaluation saw no push at all in its window. */
  readonly noData: boolean;
}

export interface ReplayResult {
  readonly episodes: Episode[];
  readonly evaluations: number;
  /** The expected events per second the detector saw at the last evaluation at or before t. */
  rateAt(t: number): number;
}

interface MutableEpisode {
  firedAt: number;
  since: number;
  tier: Tier;
  escalatedAt: number | null;
  recoveredAt: number | null;
  reopens: number;
  noData: boolean;
}

export function replay(series: Series, config: DetectorConfig, options: { from: number; to: number; exclusions?: readonly Exclusion[] }): ReplayResult {
  const bucketMs = series.bucketSeconds * 1000;
  const dense = denseHistory({ start: series.start, bucketSeconds: series.bucketSeconds, counts: series.counts, pushed: series.pushed });
  let limit = -Infinity;
  const guard = (to: number) => {
    if (to > limit) throw new Error(`${series.name}: the detector read ${new Date(to).toISOString()}, past the evaluated window`);
  };
  const history: CountHistory = {
    since: dense.since,
    count: (from, to) => (guard(to), dense.count(from, to)),
    pushes: (from, to) => (guard(to), dense.pushes(from, to)),
  };
  const exclusions: Exclusion[] = [...(options.exclusions ?? [])];
  const episodes: MutableEpisode[] = [];
  const first = Math.max(1, Math.ceil((options.from - series.start) / bucketMs));
  const last = Math.min(series.counts.length, Math.floor((options.to - series.start) / bucketMs));
  const rates = new Float64Array(Math.max(0, last - first + 1));
  let state: DetectorState = initialDetectorState();
  let current: MutableEpisode | null = null;
  for (let i = first; i <= last; i++) {
    const windowEnd = series.start + i * bucketMs;
    limit = windowEnd;
    const now = windowEnd + config.graceSeconds * 1000;
    const result = evaluate(state, { now, history, exclusions }, config);
    state = result.state;
    rates[i - first] = result.expectedPerSecond;
    if (result.transition === 'fired') {
      const previous = episodes[episodes.length - 1];
      if (result.reopened && previous) {
        previous.reopens++;
        previous.recoveredAt = null;
        current = previous;
        // The reopened episode is open again: its incident exclusion is re-added on recovery.
        const index = exclusions.findLastIndex((x) => x.reason === 'incident' && x.from === previous.since);
        if (index >= 0) exclusions.splice(index, 1);
      } else {
        current = {
          firedAt: now,
          since: result.since ?? windowEnd,
          tier: result.tier ?? 'major',
          escalatedAt: null,
          recoveredAt: null,
          reopens: 0,
          noData: result.noData,
        };
        episodes.push(current);
      }
    } else if (result.transition === 'escalated' && current) {
      current.tier = 'critical';
      current.escalatedAt = now;
    } else if (result.transition === 'recovered' && current) {
      current.recoveredAt = now;
      exclusions.push({ from: current.since, to: windowEnd, reason: 'incident' });
      current = null;
    }
  }
  return {
    episodes,
    evaluations: Math.max(0, last - first + 1),
    rateAt(t: number) {
      const i = Math.floor((t - series.start) / bucketMs) - first;
      return rates.length === 0 ? 0 : rates[Math.min(rates.length - 1, Math.max(0, i))];
    },
  };
}
