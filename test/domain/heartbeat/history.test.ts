import { describe, expect, it } from 'vitest';
import { DEFAULT_DETECTOR_CONFIG, detectorConfig } from '../../../src/domain/heartbeat/config.ts';
import { evaluate, initialDetectorState } from '../../../src/domain/heartbeat/detector.ts';
import { type BucketPoint, denseHistory, historyRanges, historyRetentionMs, pointsHistory, type TimeRange } from '../../../src/domain/heartbeat/history.ts';
import type { CountHistory, DetectorConfig } from '../../../src/domain/heartbeat/types.ts';
import { BUCKET, DAY, HOUR, MINUTE, run, SECOND, Series, T0, WEEK } from './series.ts';

describe('histories', () => {
  it('sums counts and pushes of the buckets starting in a range, a missing bucket counting 0', () => {
    const start = T0;
    const dense = denseHistory({ start, bucketSeconds: 10, counts: [5, 0, 7, 3], pushed: [1, 0, 1, 1] });
    expect(dense.count(start, start + 4 * BUCKET)).toBe(15);
    expect(dense.count(start + 1, start + 3 * BUCKET)).toBe(7); // buckets starting at +10 s and +20 s
    expect(dense.pushes(start, start + 4 * BUCKET)).toBe(3);
    expect(dense.count(start - HOUR, start + HOUR)).toBe(15);
    expect(dense.since).toBe(start);

    const rows = pointsHistory(
      [
        { bucket: new Date(start + 2 * BUCKET), count: 7 },
        { bucket: start, count: 5 },
        { bucket: start + 3 * BUCKET, count: 1 },
        { bucket: start + 3 * BUCKET, count: 2 }, // two producers, one bucket
      ],
      { since: new Date(start - HOUR) },
    );
    expect(rows.count(start, start + 4 * BUCKET)).toBe(15);
    expect(rows.pushes(start, start + 4 * BUCKET)).toBe(3);
    expect(rows.count(start + BUCKET, start + 2 * BUCKET)).toBe(0);
    expect(rows.since).toBe(start - HOUR);
  });
});

/** Wraps a history and records every range the detector reads. */
function recording(history: CountHistory): { history: CountHistory; reads: TimeRange[] } {
  const reads: TimeRange[] = [];
  return {
    reads,
    history: {
      since: history.since,
      count: (from, to) => (reads.push({ from, to }), history.count(from, to)),
      pushes: (from, to) => (reads.push({ from, to }), history.pushes(from, to)),
    },
  };
}

describe('historyRanges', () => {
  const inside = (range: TimeRange, read: TimeRange) => range.from <= read.from && read.to <= range.to;
  const aligned = (read: TimeRange) => read.from % MINUTE === 0 && read.to % MINUTE === 0;

  function checkCoverage(series: Series, since: number, config: DetectorConfig, from: number, to: number) {
    let state = initialDetectorState();
    let checked = 0;
    for (let end = from; end <= to; end += BUCKET) {
      const now = end + config.graceSeconds * SECOND;
      const { history, reads } = recording(series.history(since));
      const ranges = historyRanges(now, config, { since: state.status === 'ok' ? null : state.since });
      const result = evaluate(state, { now, history }, config);
      const outside = reads.filter(
        (read) => read.to > read.from && !inside(ranges.recent, read) && !(aligned(read) && ranges.past.some((r) => inside(r, read))),
      );
      expect(outside.map((r) => [new Date(r.from).toISOString(), new Date(r.to).toISOString()])).toEqual([]);
      checked += reads.length;
      state = result.state;
    }
    return checked;
  }

  it('covers every read of a weekly evaluation, through an outage and its recovery; past reads are whole minutes', () => {
    const series = new Series(3).set(T0, T0 + 20 * MINUTE, 0);
    expect(checkCoverage(series, series.start, DEFAULT_DETECTOR_CONFIG, T0 - 2 * MINUTE, T0 + 30 * MINUTE)).toBeGreaterThan(1000);
  });

  it('covers the cold-start fallbacks and a zone with daylight saving', () => {
    const series = new Series(3).set(T0, T0 + 10 * MINUTE, 0);
    const zoned = detectorConfig({ baseline: { timeZone: 'Europe/Berlin' } });
    checkCoverage(series, T0 - 10 * DAY, zoned, T0 - MINUTE, T0 + 15 * MINUTE);
    checkCoverage(series, T0 - 4 * HOUR, DEFAULT_DETECTOR_CONFIG, T0 - MINUTE, T0 + 15 * MINUTE);
  });

  it('gives the same verdicts from 1-minute roll-ups for everything older than the recent range', () => {
    const series = new Series((t) => 20 + ((t / BUCKET) % 7)).set(T0, T0 + 10 * MINUTE, 0);
    const cutoff = T0 - 26 * HOUR;
    // What the store keeps: raw 10 s buckets for the last 48 h, 1-minute roll-ups before.
    const points: BucketPoint[] = [];
    const minutes = new Map<number, number>();
    series.counts.forEach((count, i) => {
      const t = series.start + i * BUCKET;
      if (t >= cutoff) points.push({ bucket: t, count });
      else minutes.set(t - (t % MINUTE), (minutes.get(t - (t % MINUTE)) ?? 0) + count);
    });
    for (const [bucket, count] of minutes) points.push({ bucket, count });
    expect(historyRanges(T0, DEFAULT_DETECTOR_CONFIG).recent.from).toBeGreaterThan(cutoff);
    const rolled = pointsHistory(points, { since: series.start });
    const raw = run(series, T0 - 2 * MINUTE, T0 + 15 * MINUTE);
    const mixed = run(series, T0 - 2 * MINUTE, T0 + 15 * MINUTE, { history: rolled });
    expect(mixed.evaluations).toEqual(raw.evaluations);
    expect(raw.at('fired')).toHaveLength(1);
  });

  it('is small enough to load per tick, and says how much history to keep', () => {
    const ranges = historyRanges(T0 + 5 * SECOND, DEFAULT_DETECTOR_CONFIG, { weeklyOnly: true });
    expect((ranges.recent.to - ranges.recent.from) / HOUR).toBeLessThanOrEqual(25);
    const pastMinutes = ranges.past.reduce((sum, r) => sum + (r.to - r.from) / MINUTE, 0);
    expect(pastMinutes).toBeLessThan(6 * 4 * 60); // 6 weeks × (1 h window + 2 h level + margins)
    expect(historyRetentionMs(DEFAULT_DETECTOR_CONFIG)).toBeGreaterThan(6 * WEEK);
    expect(historyRetentionMs(DEFAULT_DETECTOR_CONFIG)).toBeLessThan(6 * WEEK + DAY);
  });
});
