import { describe, expect, it } from 'vitest';
import { expectedCount, medianInPlace, windowBaseline } from '../../../src/domain/heartbeat/baseline.ts';
import { DEFAULT_DETECTOR_CONFIG, detectorConfig } from '../../../src/domain/heartbeat/config.ts';
import { isWeekend, localDaysBefore, localWeekday, zoneOffsetMs } from '../../../src/domain/time.ts';
import type { Exclusion } from '../../../src/domain/heartbeat/types.ts';
import { BUCKET, DAY, HOUR, MINUTE, Series, T0, WEEK } from './series.ts';

// The recent-level factor has its own tests; elsewhere it would only blur the arithmetic.
const config = detectorConfig({ baseline: { levelHours: 0 } });
const last30s = (series: Series, options = {}) => expectedCount(series.history(), T0 - 3 * BUCKET, T0, config, options);

describe('weekly baseline', () => {
  it('is the median of the same time of week over the last 4 weeks, scaled to the window', () => {
    const series = new Series(100);
    expect(last30s(series)).toEqual({ expected: 300, method: 'weekly', provisional: false, samples: 4 });
    expect(expectedCount(series.history(), T0 - HOUR, T0, config).expected).toBeCloseTo(36_000, 6);
  });

  it('is not moved by one bad week, nor by a spike', () => {
    const series = new Series(100)
      .set(T0 - WEEK - HOUR, T0 - WEEK + HOUR, 0) // last week's outage
      .set(T0 - 3 * WEEK - HOUR, T0 - 3 * WEEK + HOUR, 1000); // a spike three weeks ago
    expect(last30s(series).expected).toBe(300);
  });

  it('follows the time of week: Monday noon is compared with Mondays at noon', () => {
    // Busier on weekday afternoons than at any other time.
    const series = new Series((t) => (new Date(t).getUTCDay() === 1 && new Date(t).getUTCHours() >= 12 ? 300 : 100));
    expect(expectedCount(series.history(), T0 + 30 * MINUTE, T0 + 30 * MINUTE + 3 * BUCKET, config).expected).toBeCloseTo(900, 6);
    expect(expectedCount(series.history(), T0 - 30 * MINUTE, T0 - 30 * MINUTE + 3 * BUCKET, config).expected).toBeCloseTo(300, 6);
  });

  it('skips excluded weeks (holidays, past incidents, maintenance) and looks further back', () => {
    const series = new Series(100, 45).set(T0 - WEEK - DAY, T0 - WEEK + DAY, 50).set(T0 - 2 * WEEK - DAY, T0 - 2 * WEEK + DAY, 50);
    expect(last30s(series).expected).toBe(225); // median of 50, 50, 100, 100 per bucket
    const exclusions: Exclusion[] = [
      { from: T0 - WEEK - DAY, to: T0 - WEEK + DAY, reason: 'holiday' },
      { from: T0 - 2 * WEEK - 10 * MINUTE, to: T0 - 2 * WEEK, reason: 'incident' },
    ];
    expect(last30s(series, { exclusions })).toMatchObject({ expected: 300, method: 'weekly', samples: 4 });
  });
});

describe('recent level factor', () => {
  // The level is read from the 2 h before the longest window (1 h), i.e. 3 h to 1 h before T0.
  const today = (factor: (t: number) => number) => new Series(100).set(T0 - 6 * HOUR, T0, (t) => 100 * factor(t));
  const level = (series: Series) => windowBaseline(series.history(), T0, HOUR, DEFAULT_DETECTOR_CONFIG).level;

  it('lowers expectations when today runs below its weeks, by at most 20%', () => {
    expect(level(today(() => 0.9))).toBeCloseTo(0.9, 6);
    expect(level(today(() => 0.5))).toBeCloseTo(0.8, 6);
    expect(windowBaseline(today(() => 0.9).history(), T0, HOUR, DEFAULT_DETECTOR_CONFIG).expected(3 * BUCKET)).toBeCloseTo(270, 6);
  });

  it('raises them only when both hours agree, by at most 10%', () => {
    expect(level(today(() => 1.05))).toBeCloseTo(1.05, 6);
    expect(level(today(() => 1.5))).toBeCloseTo(1.1, 6);
    // A burst in one hour only (news, a campaign e-mail) does not raise the bar.
    expect(level(today((t) => (t < T0 - 2 * HOUR ? 2 : 1)))).toBe(1);
  });

  it('does not learn an open episode: the level is read before its onset', () => {
    const series = new Series(100).set(T0 - 4 * HOUR, T0, 10);
    expect(windowBaseline(series.history(), T0, HOUR, DEFAULT_DETECTOR_CONFIG).level).toBeCloseTo(0.8, 6);
    expect(windowBaseline(series.history(), T0, HOUR, DEFAULT_DETECTOR_CONFIG, { episodeSince: T0 - 4 * HOUR }).level).toBe(1);
  });
});

describe('cold start', () => {
  it('uses the same time of day on recent days of the same day type, provisionally', () => {
    // Weekends at half the weekday level; five days of history before Monday noon.
    const series = new Series((t) => (isWeekend('UTC', t) ? 50 : 100));
    const sixDays = series.history(T0 - 6 * DAY);
    expect(expectedCount(sixDays, T0 - 3 * BUCKET, T0, config)).toEqual({ expected: 300, method: 'daily', provisional: true, samples: 3 });
    // Saturday noon with three weeks of history: two Saturdays back is not enough for a weekly
    // median, so the last two weekends (4 days) are used.
    const saturday = T0 - 2 * DAY;
    const threeWeeks = series.history(T0 - 21 * DAY);
    expect(expectedCount(threeWeeks, saturday - 3 * BUCKET, saturday, config)).toMatchObject({ expected: 150, method: 'daily', samples: 4 });
  });

  it('needs 3 weeks for the weekly median (a median of 2 would be a mean)', () => {
    const series = new Series(100);
    expect(expectedCount(series.history(T0 - 15 * DAY), T0 - 3 * BUCKET, T0, config).method).toBe('daily');
    expect(expectedCount(series.history(T0 - 22 * DAY), T0 - 3 * BUCKET, T0, config)).toMatchObject({ method: 'weekly', samples: 3 });
  });

  it('falls back to the level of the last hours, provisionally, and to nothing without history', () => {
    const series = new Series(100).set(T0 - 3 * HOUR, T0, 40);
    expect(expectedCount(series.history(T0 - 2 * HOUR), T0 - 3 * BUCKET, T0, config)).toEqual({
      expected: 120,
      method: 'recent',
      provisional: true,
      samples: 0,
    });
    expect(expectedCount(series.history(T0 - 10 * MINUTE), T0 - 3 * BUCKET, T0, config)).toMatchObject({ expected: 0, method: 'none' });
  });

  it('measures the recent level before an open episode, not during it', () => {
    const series = new Series(100).set(T0 - 30 * MINUTE, T0, 0);
    const history = series.history(T0 - 3 * HOUR);
    expect(expectedCount(history, T0 - 3 * BUCKET, T0, config).expected).toBeLessThan(300);
    expect(expectedCount(history, T0 - 3 * BUCKET, T0, config, { episodeSince: T0 - 30 * MINUTE }).expected).toBeCloseTo(300, 6);
  });
});

describe('local time', () => {
  it('keeps the wall clock across a daylight-saving change', () => {
    // Europe/Berlin moved to summer time on 29 March 2026: noon on 1 April is 10:00 UTC, a week
    // earlier noon was 11:00 UTC.
    const noonApril1 = Date.UTC(2026, 3, 1, 10);
    expect(zoneOffsetMs('Europe/Berlin', noonApril1)).toBe(2 * HOUR);
    expect(localDaysBefore('Europe/Berlin', noonApril1, 7)).toBe(Date.UTC(2026, 2, 25, 11));
    expect(localDaysBefore('UTC', noonApril1, 7)).toBe(noonApril1 - WEEK);
    expect(localWeekday('America/New_York', Date.UTC(2026, 0, 5, 3))).toBe(0); // Sunday evening in New York
  });

  it('reads a baseline in the configured zone', () => {
    const zoned = detectorConfig({ baseline: { timeZone: 'America/New_York' } });
    expect(expectedCount(new Series(100).history(), T0 - 3 * BUCKET, T0, zoned).expected).toBe(300);
  });
});

describe('median', () => {
  it('sorts in place and averages the middle pair', () => {
    expect(medianInPlace([3, 1, 2])).toBe(2);
    expect(medianInPlace(new Float64Array([4, 1, 3, 2]))).toBe(2.5);
    expect(medianInPlace([])).toBe(0);
  });
});
