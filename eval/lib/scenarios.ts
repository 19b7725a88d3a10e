/**
 * Generated heartbeats: 10 s buckets of Poisson counts around a daily and weekly profile
 * (a taxi-like day: quiet at 4 a.m. at about 1/10 of the evening peak; weekends later and
 * flatter), with ±3% day-to-day level noise and 1% weekly growth, from a seeded PRNG.
 *
 * - `control`: 8 clean weeks; weeks 1 to 4 are cold start, weeks 5 to 8 are judged warm.
 * - `incidents`: 4 clean weeks of history, then one week with the outage shapes of the
 *   reference §4 at fixed times, in two regions (us, and eu at 0.6× volume, 6 h ahead).
 */
import type { Exclusion } from '../../src/domain/heartbeat/types.ts';
import type { Series } from './replay.ts';
import type { Drop, Ignored } from './score.ts';
import { normal, poisson, seededRandom } from './random.ts';

const BUCKET_SECONDS = 10;
const BUCKET_MS = BUCKET_SECONDS * 1000;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
/** A Monday, 00:00 UTC. */
const SCENARIO_START = Date.UTC(2026, 0, 5);

// Hourly levels relative to the weekday evening peak (index = hour of day).
const WEEKDAY = [0.35, 0.25, 0.17, 0.12, 0.1, 0.12, 0.25, 0.5, 0.75, 0.8, 0.8, 0.82, 0.85, 0.83, 0.82, 0.85, 0.9, 0.97, 1.0, 0.95, 0.85, 0.72, 0.6, 0.47];
const WEEKEND = [0.5, 0.42, 0.33, 0.25, 0.17, 0.12, 0.12, 0.15, 0.25, 0.4, 0.55, 0.65, 0.7, 0.72, 0.72, 0.72, 0.72, 0.72, 0.72, 0.7, 0.66, 0.62, 0.6, 0.55];
// Monday is a little lighter and Friday a little heavier than mid-week.
const DAY_FACTOR = [1, 0.95, 1, 1, 1.02, 1.06, 1]; // Sunday .. Saturday

/** Level at hour h (0-23) of day `dayIndex` (days since the epoch, region-local). */
function knot(dayIndex: number, h: number): number {
  const weekday = (((dayIndex + 4) % 7) + 7) % 7;
  const table = weekday === 0 || weekday === 6 ? WEEKEND : WEEKDAY;
  return table[h] * DAY_FACTOR[weekday];
}

/** Expected events per 10 s bucket at instant t (region-local shift in hours), without events. Continuous across midnight. */
function profile(t: number, peak: number, shiftHours: number): number {
  const local = t + shiftHours * HOUR;
  const dayIndex = Math.floor(local / DAY);
  const hours = (local - dayIndex * DAY) / HOUR;
  const h = Math.floor(hours);
  const f = hours - h;
  const next = h === 23 ? knot(dayIndex + 1, 0) : knot(dayIndex, h + 1);
  return peak * (knot(dayIndex, h) * (1 - f) + next * f);
}

export interface GeneratedSeries extends Series {
  readonly drops: Drop[];
  readonly ignored: Ignored[];
  readonly exclusions: Exclusion[];
  /** The judged part: [evalFrom, evalTo). */
  readonly evalFrom: number;
  readonly evalTo: number;
  readonly peak: number;
  readonly coldWeeks: number;
}

interface Event {
  /** Multiplier of the expected rate over [from, to); `stop` means no push at all. */
  readonly from: number;
  readonly to: number;
  readonly factor: (t: number) => number;
  readonly stop?: boolean;
}

function generate(seed: number, peak: number, shiftHours: number, weeks: number, events: readonly Event[]): { counts: Float64Array; pushed: Uint8Array } {
  const random = seededRandom(seed);
  const length = (weeks * WEEK) / BUCKET_MS;
  const counts = new Float64Array(length);
  const pushed = new Uint8Array(length).fill(1);
  // Day-to-day level noise, interpolated between noons so that it has no step at midnight.
  const dayLevels = Array.from({ length: weeks * 7 + 2 }, () => 1 + 0.03 * normal(random));
  for (let i = 0; i < length; i++) {
    const t = SCENARIO_START + i * BUCKET_MS;
    const mid = t + BUCKET_MS / 2;
    const days = (mid - SCENARIO_START) / DAY + 0.5;
    const day = Math.floor(days);
    const dayLevel = dayLevels[day] + (dayLevels[day + 1] - dayLevels[day]) * (days - day);
    const growth = 1 + 0.01 * ((t - SCENARIO_START) / WEEK);
    let rate = profile(mid, peak, shiftHours) * dayLevel * growth;
    for (const event of events) {
      if (t >= event.from && t < event.to) {
        if (event.stop) pushed[i] = 0;
        rate *= event.stop ? 0 : event.factor(mid);
      }
    }
    counts[i] = poisson(random, rate);
  }
  return { counts, pushed };
}

export const VOLUMES = [5, 50, 500, 5000] as const;

/** 8 weeks of normal traffic. `seed` varies every draw (1 is the reported run). */
export function controlSeries(peak: number, seed = 1): GeneratedSeries {
  const { counts, pushed } = generate(seed * 1_000_003 + 1000 + peak, peak, 0, 8, []);
  return {
    name: `control peak=${peak}`,
    start: SCENARIO_START,
    bucketSeconds: BUCKET_SECONDS,
    counts,
    pushed,
    drops: [],
    ignored: [],
    exclusions: [],
    evalFrom: SCENARIO_START,
    evalTo: SCENARIO_START + 8 * WEEK,
    peak,
    coldWeeks: 4,
  };
}

/** Week 5 of the incident series, day d (0 = Monday) at hh:mm UTC. */
function at(day: number, hours: number, minutes = 0): number {
  return SCENARIO_START + 4 * WEEK + day * DAY + hours * HOUR + minutes * MINUTE;
}

/** The two regions' incident weeks at one volume. */
export function incidentSeries(peak: number, seed = 1): GeneratedSeries[] {
  const both: Array<{ region: 'us' | 'eu'; events: Event[]; drops: Drop[]; ignored: Ignored[]; exclusions: Exclusion[] }> = [
    { region: 'us', events: [], drops: [], ignored: [], exclusions: [] },
    { region: 'eu', events: [], drops: [], ignored: [], exclusions: [] },
  ];
  const [us, eu] = both;
  const zero = () => 0;

  // Monday 13:00, us: flapping, 30 s off / 30 s on for 10 minutes (one episode expected).
  const flapFrom = at(0, 13);
  us.events.push({ from: flapFrom, to: flapFrom + 10 * MINUTE, factor: (t) => (Math.floor((t - flapFrom) / (30 * 1000)) % 2 === 0 ? 0 : 1) });
  us.drops.push({ kind: 'flapping', onset: flapFrom, end: flapFrom + 10 * MINUTE, dropTo: null });
  // Monday 20:00, us: one empty 10 s bucket (must not page).
  us.events.push({ from: at(0, 20), to: at(0, 20) + BUCKET_MS, factor: zero });

  // Tuesday 03:00, us: cliff to zero at the quietest hour, for an hour.
  us.events.push({ from: at(1, 3), to: at(1, 4), factor: zero });
  us.drops.push({ kind: 'night cliff', onset: at(1, 3), end: at(1, 4) });
  // Tuesday 14:00, both: cliff to zero (pushes of 0 keep arriving) for 20 minutes.
  for (const r of both) {
    r.events.push({ from: at(1, 14), to: at(1, 14, 20), factor: zero });
    r.drops.push({ kind: 'cliff', onset: at(1, 14), end: at(1, 14, 20) });
  }

  // Wednesday 11:00, eu only: half the traffic for 30 minutes.
  eu.events.push({ from: at(2, 11), to: at(2, 11, 30), factor: () => 0.5 });
  eu.drops.push({ kind: '50% drop', onset: at(2, 11), end: at(2, 11, 30), dropTo: 0.5 });

  // Thursday, us: a public holiday on the calendar (0.6× the day, 0.3× in the morning).
  us.events.push({
    from: at(3, 0),
    to: at(4, 0),
    factor: (t) => {
      const h = (t - at(3, 0)) / HOUR;
      return h >= 6 && h < 12 ? 0.3 : 0.6;
    },
  });
  us.exclusions.push({ from: at(3, 0), to: at(4, 0), reason: 'holiday' });

  // Friday 15:00, both: data stops arriving for 30 minutes.
  for (const r of both) {
    r.events.push({ from: at(4, 15), to: at(4, 15, 30), factor: zero, stop: true });
    r.drops.push({ kind: 'data stop', onset: at(4, 15), end: at(4, 15, 30) });
  }

  // Saturday 10:00, us: slow depression, 1.0 → 0.2 over 2 h, held 30 min, back over 30 min.
  const slideFrom = at(5, 10);
  const slide = (t: number) => {
    const m = (t - slideFrom) / MINUTE;
    if (m < 120) return 1 - 0.8 * (m / 120);
    if (m < 150) return 0.2;
    return 0.2 + 0.8 * ((m - 150) / 30);
  };
  us.events.push({ from: slideFrom, to: slideFrom + 180 * MINUTE, factor: slide });
  // It crosses the major threshold (0.5) at 75 min and comes back above it at 161 min.
  us.drops.push({ kind: 'slow depression (from crossing 0.5)', onset: slideFrom + 75 * MINUTE, end: slideFrom + 161 * MINUTE, dropTo: null });
  // Before the crossing the level is already down 20-50%: an alarm there is early, not false.
  us.ignored.push({ from: slideFrom, to: slideFrom + 75 * MINUTE });

  // Sunday 16:00, us: outage of 15 minutes, then a 2-minute catch-up burst at 3× (recovery).
  us.events.push({ from: at(6, 16), to: at(6, 16, 15), factor: zero });
  us.events.push({ from: at(6, 16, 15), to: at(6, 16, 17), factor: () => 3 });
  us.drops.push({ kind: 'recovery (15 min outage, then 3× burst)', onset: at(6, 16), end: at(6, 16, 15) });

  return both.map((r, index) => {
    const regionPeak = r.region === 'us' ? peak : peak * 0.6;
    const { counts, pushed } = generate(seed * 1_000_003 + 2000 + peak * 10 + index, regionPeak, r.region === 'us' ? 0 : 6, 5, r.events);
    return {
      name: `${r.region} peak=${regionPeak}`,
      start: SCENARIO_START,
      bucketSeconds: BUCKET_SECONDS,
      counts,
      pushed,
      drops: r.drops,
      ignored: r.ignored,
      exclusions: r.exclusions,
      evalFrom: SCENARIO_START + 4 * WEEK,
      evalTo: SCENARIO_START + 5 * WEEK,
      peak: regionPeak,
      coldWeeks: 0,
    };
  });
}

/** The depressions `depressionSeries` injects: the share of traffic lost. */
export const DEPRESSION_DROPS = [0.3, 0.45, 0.6] as const;
export const DEPRESSION_SHAPES = ['sudden', 'over 5 min'] as const;
export const DEPRESSION_TIMES = ['peak', 'night'] as const;

/** "45% drop, over 5 min, night": the kind of a depression drop, as `depressionSeries` names it. */
export const depressionKind = (drop: number, shape: (typeof DEPRESSION_SHAPES)[number], when: (typeof DEPRESSION_TIMES)[number]) =>
  `${Math.round(drop * 100)}% drop, ${shape}, ${when}`;

/**
 * 4 clean weeks of history, then a week with a depression (not a stop) each day, Monday to
 * Saturday, in one region: 30, 45 and 60% of the traffic lost for 30 minutes, sudden or sliding
 * down over 5 minutes, at the evening peak (17:00) and at night (03:30, about a tenth of it).
 * The onset is the start of the drop (of the slide, for the gradual ones); a slide also says how
 * it slides, so that its time to detect can be counted from when it crosses the alarm level.
 */
export function depressionSeries(peak: number, seed = 1): GeneratedSeries {
  const events: Event[] = [];
  const drops: Drop[] = [];
  const combos = DEPRESSION_DROPS.flatMap((drop) => DEPRESSION_SHAPES.map((shape) => ({ drop, shape })));
  for (const [day, { drop, shape }] of combos.entries()) {
    for (const [when, hour, minute] of [
      ['peak', 17, 0],
      ['night', 3, 30],
    ] as const) {
      const from = at(day, hour, minute);
      const level = 1 - drop;
      const factor = shape === 'sudden' ? () => level : (t: number) => 1 - drop * Math.min(1, (t - from) / (5 * MINUTE));
      events.push({ from, to: from + 30 * MINUTE, factor });
      drops.push({
        kind: depressionKind(drop, shape, when),
        onset: from,
        end: from + 30 * MINUTE,
        dropTo: null,
        ...(shape === 'sudden' ? {} : { slide: { seconds: 5 * 60, lost: drop } }),
      });
    }
  }
  const { counts, pushed } = generate(seed * 1_000_003 + 3000 + peak, peak, 0, 5, events);
  return {
    name: `depressions peak=${peak}`,
    start: SCENARIO_START,
    bucketSeconds: BUCKET_SECONDS,
    counts,
    pushed,
    drops,
    ignored: [],
    exclusions: [],
    evalFrom: SCENARIO_START + 4 * WEEK,
    evalTo: SCENARIO_START + 5 * WEEK,
    peak,
    coldWeeks: 0,
  };
}
