import { describe, expect, it } from 'vitest';
import { DEFAULT_DETECTOR_CONFIG, detectorConfig } from '../../../src/domain/heartbeat/config.ts';
import { evaluate, initialDetectorState, promisedDelaySeconds } from '../../../src/domain/heartbeat/detector.ts';
import { windowDispersion } from '../../../src/domain/heartbeat/dispersion.ts';
import type { Exclusion } from '../../../src/domain/heartbeat/types.ts';
import { BUCKET, DAY, HOUR, MINUTE, run, SECOND, Series, T0 } from './series.ts';

const before = T0 - 5 * MINUTE;
const after = (minutes: number) => T0 + minutes * MINUTE;

describe('persistence', () => {
  it('fires on the second bad evaluation: a busy series 25 s after a cliff', () => {
    const series = new Series(100).set(T0, after(60), 0);
    const result = run(series, before, after(5));
    expect(result.at('fired')).toEqual([T0 + 25 * SECOND]);
    const first = result.evaluations.find((e) => e.windowEnd === T0 + BUCKET)!;
    expect(first).toMatchObject({ status: 'pending', signal: 'critical', observed: 0, expected: 100 });
    expect(first.transition).toBeUndefined();
    const fired = result.evaluations.find((e) => e.transition === 'fired')!;
    expect(fired).toMatchObject({ tier: 'critical', since: T0, noData: false, reopened: false, ratio: 0, baseline: 'weekly', provisional: false });
    expect(result.evaluations.find((e) => e.windowEnd === T0)!.promisedDelaySeconds).toBe(25);
  });

  it('does not page for one empty bucket, nor for an ended blip still inside a longer window', () => {
    expect(run(new Series(100).set(T0, T0 + BUCKET, 0), before, after(5)).at('fired')).toEqual([]);
    // At 40 per bucket the 2-bucket window (0 + 40) is at half, but its latest half is normal.
    expect(run(new Series(40).set(T0, T0 + BUCKET, 0), before, after(5)).at('fired')).toEqual([]);
  });

  it('fires a drop hovering at the threshold: one evaluation just above it does not reset the count', () => {
    const levels = [0.5, 0.57, 0.5];
    const series = new Series(1000).set(T0, after(60), (t) => 1000 * levels[Math.min(2, (t - T0) / BUCKET)]);
    expect(run(series, before, after(2)).at('fired')).toEqual([T0 + 3 * BUCKET + 5 * SECOND]);
  });
});

describe('hysteresis', () => {
  it('recovers only after 3 evaluations at 0.8 of expected or more', () => {
    const back = after(10);
    const series = new Series(100)
      .set(T0, after(5), 0)
      .set(after(5), back, 60) // not bad any more, but not recovered either
      .set(back, after(60), 100);
    const result = run(series, before, after(20));
    expect(result.at('fired')).toEqual([T0 + 25 * SECOND]);
    // The 3-bucket recovery window reads 60, 100, 100 = 0.87 first at back + 20 s.
    expect(result.at('recovered')).toEqual([back + 40 * SECOND + 5 * SECOND]);
    expect(result.evaluations.find((e) => e.windowEnd === back - BUCKET)).toMatchObject({ status: 'firing', signal: null });
    expect(result.state).toMatchObject({ status: 'ok', lastRecoveredAt: back + 40 * SECOND, lastEpisodeSince: T0 });
  });

  it('reopens the same episode when it fires again within 10 minutes of recovering', () => {
    const series = new Series(100).set(T0, after(1), 0).set(after(4), after(5), 0).set(after(30), after(31), 0);
    const result = run(series, before, after(35));
    const fired = result.evaluations.filter((e) => e.transition === 'fired');
    expect(fired.map((e) => [e.reopened, e.since])).toEqual([
      [false, T0],
      [true, T0],
      [false, after(30)],
    ]);
  });
});

describe('tiers', () => {
  it('is major below the threshold and critical below a tenth', () => {
    expect(run(new Series(100).set(T0, after(60), 30), before, after(2)).evaluations.find((e) => e.transition)).toMatchObject({
      transition: 'fired',
      tier: 'major',
    });
    expect(run(new Series(100).set(T0, after(60), 5), before, after(2)).evaluations.find((e) => e.transition)).toMatchObject({
      transition: 'fired',
      tier: 'critical',
    });
    expect(run(new Series(100).set(T0, after(60), 70), before, after(10)).at('fired')).toEqual([]);
  });

  it('escalates a major episode when it gets worse', () => {
    const series = new Series(100).set(T0, after(2), 30).set(after(2), after(60), 0);
    const result = run(series, before, after(5));
    expect(result.at('fired')).toEqual([T0 + 25 * SECOND]);
    expect(result.at('escalated')).toEqual([after(2) + 25 * SECOND]);
    expect(result.state.tier).toBe('critical');
  });

  it('counts buckets that never arrived as zero and says there is no data', () => {
    const result = run(new Series(100).stop(T0, after(60)), before, after(2));
    expect(result.evaluations.find((e) => e.transition === 'fired')).toMatchObject({ tier: 'critical', noData: true, observed: 0, since: T0 });
  });
});

describe('volume-adaptive delay', () => {
  it('aggregates a quiet series until a stop is significant, as promised', () => {
    const quiet = new Series(1).set(T0, after(60), 0);
    const result = run(quiet, before, after(10));
    const promised = result.evaluations.find((e) => e.windowEnd === T0)!.promisedDelaySeconds!;
    expect(promised).toBeGreaterThan(150);
    expect(promised).toBe(promisedDelaySeconds(0.1));
    const firedAfter = (result.at('fired')[0] - T0) / SECOND;
    expect(firedAfter).toBeGreaterThan(150);
    expect(firedAfter).toBeLessThanOrEqual(promised);
    const fired = result.evaluations.find((e) => e.transition === 'fired')!;
    expect(fired.windowEnd - fired.windowStart).toBeGreaterThan(BUCKET * 15);
  });

  it('promises 25 s at thousands per bucket and longer as volume falls', () => {
    expect(promisedDelaySeconds(500)).toBe(25);
    expect(promisedDelaySeconds(5)).toBe(25);
    const delays = [1, 0.3, 0.1, 0.01].map((rate) => promisedDelaySeconds(rate)!);
    expect(delays).toEqual([...delays].sort((a, b) => a - b));
    expect(promisedDelaySeconds(0.001)).toBeNull(); // 3.6 events an hour: not even an hour is enough
    expect(promisedDelaySeconds(1, DEFAULT_DETECTOR_CONFIG, { dropTo: 0.5 })!).toBeGreaterThan(promisedDelaySeconds(1)!);
  });

  it('does not page a quiet series for its ordinary zeros (Poisson noise at 0.3 per bucket, a whole day)', () => {
    let seed = 42;
    const uniform = () => (seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0) / 4_294_967_296;
    const draw = (lambda: number) => {
      let k = 0;
      for (let p = uniform(); p > Math.exp(-lambda); p *= uniform()) k++;
      return k;
    };
    const series = new Series(() => draw(0.3));
    const result = run(series, T0 - 12 * HOUR, T0 + 12 * HOUR);
    expect(result.evaluations.filter((e) => e.signal !== null)).toEqual([]);
  });

  it('allows for a bursty series: a dip that is ordinary for it is not significant', () => {
    // Buckets alternate at random between 20 and 180 (mean 100, far more spread than Poisson).
    let seed = 7;
    const bursty = () => (((seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0) >>> 16) & 1 ? 20 : 180);
    const series = new Series(bursty).set(T0, T0 + 3 * BUCKET, 40);
    expect(windowDispersion(series.history(), T0, 1, BUCKET)).toBeGreaterThan(20);
    expect(run(series, before, after(5)).at('fired')).toEqual([]);
    expect(run(new Series(100).set(T0, T0 + 3 * BUCKET, 40), before, after(5)).at('fired')).toEqual([T0 + 25 * SECOND]);
  });
});

describe('exclusions and cold start', () => {
  const outage = () => new Series(100).set(T0, after(30), 0);

  it('raises nothing during maintenance, and fires if it is still down after', () => {
    const maintenance: Exclusion[] = [{ from: T0 - MINUTE, to: after(10), reason: 'maintenance' }];
    const result = run(outage(), before, after(15), { exclusions: maintenance });
    expect(result.at('fired')).toEqual([after(10) + 25 * SECOND]);
    expect(result.evaluations.find((e) => e.windowEnd === after(5))).toMatchObject({ muted: true, majorSuppressedBy: 'maintenance', signal: null });
  });

  it('pages only critical on a holiday', () => {
    const holiday: Exclusion[] = [{ from: T0 - HOUR, to: T0 + DAY, reason: 'holiday' }];
    const quietDay = new Series(100).set(T0, after(60), 30);
    expect(run(quietDay, before, after(10), { exclusions: holiday }).at('fired')).toEqual([]);
    expect(run(quietDay, before, after(10), { exclusions: holiday }).evaluations[40].majorSuppressedBy).toBe('holiday');
    expect(run(outage(), before, after(2), { exclusions: holiday }).evaluations.find((e) => e.transition)).toMatchObject({ tier: 'critical' });
  });

  it('marks a cold-start baseline provisional and pages only critical on it', () => {
    const young = (series: Series) => series.history(T0 - 3 * HOUR);
    const halved = new Series(100).set(T0, after(60), 30);
    const coldHalf = run(halved, before, after(5), { history: young(halved) });
    expect(coldHalf.at('fired')).toEqual([]);
    expect(coldHalf.evaluations[40]).toMatchObject({ baseline: 'recent', provisional: true, majorSuppressedBy: 'provisional' });
    expect(run(outage(), before, after(2), { history: young(outage()) }).evaluations.find((e) => e.transition)).toMatchObject({ tier: 'critical' });
    const eager = detectorConfig({ majorWhenProvisional: true });
    expect(run(halved, before, after(5), { history: young(halved), config: eager }).at('fired')).toHaveLength(1);
  });

  it('says nothing without any history', () => {
    const series = new Series(100);
    const result = evaluate(undefined, { now: T0 + 5 * SECOND, history: series.history(T0 - MINUTE) });
    expect(result).toMatchObject({ status: 'ok', baseline: 'none', signal: null, promisedDelaySeconds: null, expected: 0 });
  });
});

describe('evaluation contract', () => {
  it('ignores a repeated tick for the same bucket', () => {
    const history = new Series(100).set(T0, after(60), 0).history();
    const first = evaluate(initialDetectorState(), { now: T0 + 15 * SECOND, history });
    const again = evaluate(first.state, { now: T0 + 19 * SECOND, history });
    expect(again.repeated).toBe(true);
    expect(again.state).toBe(first.state);
    const next = evaluate(again.state, { now: T0 + 25 * SECOND, history });
    expect(next.transition).toBe('fired');
  });

  it('keeps a JSON-serializable state', () => {
    const result = run(new Series(100).set(T0, after(60), 0), before, after(2));
    expect(JSON.parse(JSON.stringify(result.state))).toEqual(result.state);
    expect(result.state).toMatchObject({ version: 1, status: 'firing', tier: 'critical', since: T0 });
  });

  it('rejects a meaningless configuration, naming the setting', () => {
    expect(() => detectorConfig({ threshold: 0.9 })).toThrow(/threshold/);
    expect(() => detectorConfig({ baseline: { timeZone: 'Mars/Olympus' } })).toThrow(/baseline.timeZone/);
    expect(detectorConfig({ threshold: 0.4 }).threshold).toBe(0.4);
  });
});
