/**
 * Reads what a heartbeat chart plots for one series (metric × region) and range: observed counts,
 * the expected count of each plotted step from the detector's own baseline code, alarm episodes
 * and the detector's last summary. Returns plain data for the SVG presenter and the CSV/JSON.
 */
import type { HeartbeatDefinition } from '../config.ts';
import { windowBaseline } from '../domain/heartbeat/baseline.ts';
import { metricDetectorConfig } from '../domain/heartbeat/config.ts';
import { pointsHistory, type TimeRange } from '../domain/heartbeat/history.ts';
import { DAY_MS, HOUR_MS, localDaysBefore } from '../domain/time.ts';
import type { BaselineMethod, CountHistory, DetectorConfig, Exclusion } from '../domain/heartbeat/types.ts';
import { closedWindowEnd, pastGrainMs, smoothingPadMs } from '../domain/heartbeat/window.ts';
import type { Queryable } from '../storage/database.ts';
import { listEpisodes } from '../storage/heartbeat-episode-repository.ts';
import { listDetectorRows, listHeartbeatPoints, listRollups, seriesStart } from '../storage/heartbeat-repository.ts';
import { holidayExclusions } from '../domain/heartbeat/holidays.ts';

export const CHART_RANGES = ['1h', '24h', '7d'] as const;
export type ChartRange = (typeof CHART_RANGES)[number];
const RANGE_MS: Record<ChartRange, number> = { '1h': HOUR_MS, '24h': DAY_MS, '7d': 7 * DAY_MS };

/** At most this many plotted steps per chart (24 h at 2 min, 7 d at 15 min). */
const MAX_POINTS = 720;
const NICE_STEPS_SECONDS = [10, 15, 20, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];
/** 7 d charts read 1-minute roll-ups, except this last stretch (the roll-up job may lag a little). */
const RAW_TAIL_MS = 2 * HOUR_MS;

/**
 * One plotted step. Values are counts per bucket (e.g. per 10 s), averaged over the step, so the
 * three ranges share one scale. `low`/`high` bound the expected band (see `expectedBand`).
 */
export interface ChartPoint {
  /** Step start, epoch ms. */
  readonly start: number;
  /**
   * null before the series' first push (unknown, not zero), and while `pending`. A step without a
   * push counts 0, as in the detector.
   */
  readonly observed: number | null;
  /**
   * The last step has ended but no push for it has arrived yet, and it ended less than the
   * detector's grace plus one bucket ago: not drawn (a push a little late is not a cliff to zero).
   */
  readonly pending: boolean;
  /** null while there is no baseline at all (cold start). */
  readonly expected: number | null;
  readonly low: number | null;
  readonly high: number | null;
  readonly provisional: boolean;
  readonly inEpisode: boolean;
}

interface ChartEpisode {
  readonly from: number;
  /** null while still open. */
  readonly to: number | null;
  readonly tier: 'major' | 'critical';
}

/** What the detector last saw (detector_state.summary), times as epoch ms. */
export interface ChartSummary {
  readonly state: 'ok' | 'pending' | 'major' | 'critical' | 'no_baseline';
  /** Counts over the window the detector judged (`windowSeconds` long). */
  readonly observed: number | null;
  readonly expected: number | null;
  readonly windowSeconds: number | null;
  readonly baseline: BaselineMethod;
  /** Which drops raise an alarm now. */
  readonly alarms: 'all' | 'critical_only' | 'none';
  /** While provisional: when the weekly baseline starts. */
  readonly weeklyBaselineFrom: number | null;
  readonly since: number | null;
  readonly provisional: boolean;
  readonly promisedDelaySeconds: number | null;
  readonly evaluatedAt: number | null;
}

export interface HeartbeatChartData {
  readonly metric: string;
  readonly label: string;
  readonly description: string | null;
  readonly region: string;
  readonly range: ChartRange;
  readonly bucketSeconds: number;
  /** The metric's major threshold (fraction of expected). */
  readonly threshold: number;
  readonly stepSeconds: number;
  /** The plotted span [from, to): whole closed steps up to the last closed bucket. */
  readonly from: number;
  readonly to: number;
  readonly points: readonly ChartPoint[];
  readonly episodes: readonly ChartEpisode[];
  readonly summary: ChartSummary | null;
  /** First bucket of the series' history, null before its first push. */
  readonly seriesStart: number | null;
  readonly generatedAt: number;
}

/** Step of a chart: a round length giving at most MAX_POINTS steps, a whole number of buckets. */
export function chartStepSeconds(range: ChartRange, bucketSeconds: number): number {
  const wanted = RANGE_MS[range] / 1000 / MAX_POINTS;
  const nice = NICE_STEPS_SECONDS.find((s) => s >= wanted && s >= bucketSeconds) ?? bucketSeconds;
  return Math.ceil(nice / bucketSeconds) * bucketSeconds;
}

/**
 * The band drawn around the expected count of a step (counts over the step, not per bucket).
 * It is the range the detector itself treats as normal: at or above `recoverThreshold` × expected
 * (0.8: the level a series must be back at to recover), and symmetrically up to expected ÷ 0.8;
 * widened to ±3 Poisson standard deviations (3·√expected) where counts are small, since a quiet
 * series legitimately wanders further than 20%. It is not a confidence interval of the median;
 * a value below the band is low, and the detector fires only well below it (threshold × expected,
 * and significant).
 */
export function expectedBand(expected: number, recoverThreshold: number): { low: number; high: number } {
  const noise = 3 * Math.sqrt(expected);
  return { low: Math.max(0, Math.min(expected * recoverThreshold, expected - noise)), high: Math.max(expected / recoverThreshold, expected + noise) };
}

interface Computed {
  readonly from: number;
  readonly to: number;
  readonly points: readonly Omit<ChartPoint, 'inEpisode'>[];
  readonly seriesStart: number | null;
}

export interface HeartbeatChartLoader {
  load(metric: HeartbeatDefinition, region: string, range: ChartRange, now: Date): Promise<HeartbeatChartData>;
}

/**
 * A loader that computes each series' points once per plotted step (the 24 h chart's points change
 * every 2 min, the 7 d chart's every 15 min), shared by every document that shows them; episodes
 * and the detector summary are read on every call (cheap), so state and shading follow each tick.
 * `timeZone` is the page's: the detector's "same time of week" is in it; `holidays` are the page
 * definition's, left out of baselines as the detector does.
 */
export function createHeartbeatChartLoader(db: Queryable, options: { timeZone: string; holidays?: readonly string[] }): HeartbeatChartLoader {
  const holidays = holidayExclusions(options.holidays ?? [], options.timeZone);
  // `recheckAt`: a computation with a pending step is redone a bucket later (its push may have come).
  const memo = new Map<string, { to: number; computed: Promise<Computed>; recheckAt: number | null }>();
  const configs = new Map<string, DetectorConfig>();
  const configFor = (metric: HeartbeatDefinition) => {
    let config = configs.get(metric.key);
    if (!config) configs.set(metric.key, (config = metricDetectorConfig(metric, options.timeZone)));
    return config;
  };

  return {
    async load(metric, region, range, now) {
      const config = configFor(metric);
      const stepMs = chartStepSeconds(range, config.bucketSeconds) * 1000;
      const to = Math.floor(closedWindowEnd(now.getTime(), config) / stepMs) * stepMs;
      const from = to - Math.floor(RANGE_MS[range] / stepMs) * stepMs;
      const key = `${metric.key}|${region}|${range}`;
      let entry = memo.get(key);
      if (!entry || entry.to !== to || (entry.recheckAt !== null && now.getTime() >= entry.recheckAt)) {
        const computed = computePoints(db, { metric: metric.key, region }, config, range, { from, to, stepMs }, now.getTime(), holidays);
        const created: { to: number; computed: Promise<Computed>; recheckAt: number | null } = { to, computed, recheckAt: null };
        entry = created;
        memo.set(key, created);
        computed.then(
          (done) => {
            if (done.points.some((p) => p.pending)) created.recheckAt = now.getTime() + config.bucketSeconds * 1000;
          },
          () => {
            if (memo.get(key) === created) memo.delete(key);
          },
        );
      }
      const series = { metric: metric.key, region };
      const [computed, episodeRows, rows] = await Promise.all([entry.computed, listEpisodes(db, series, new Date(from), now), listDetectorRows(db)]);
      const row = rows.find((r) => r.metric === metric.key && r.region === region);
      const summary = row && typeof row.summary?.state === 'string' ? parseSeriesSummary(row.summary) : null;
      const episodes: ChartEpisode[] = episodeRows.map((e) => ({
        from: new Date(e.started_at).getTime(),
        to: e.ended_at ? new Date(e.ended_at).getTime() : null,
        tier: e.tier,
      }));
      // A firing series whose episode row is missing (written by an older detector) is still shaded.
      if (summary && summary.since !== null && (summary.state === 'major' || summary.state === 'critical') && !episodes.some((e) => e.to === null)) {
        episodes.push({ from: summary.since, to: null, tier: summary.state });
      }
      const points = computed.points.map((p) => ({ ...p, inEpisode: episodes.some((e) => e.from < p.start + stepMs && (e.to ?? Infinity) > p.start) }));
      return {
        metric: metric.key,
        label: metric.label,
        description: metric.description ?? null,
        region,
        range,
        bucketSeconds: config.bucketSeconds,
        threshold: config.threshold,
        stepSeconds: stepMs / 1000,
        from: computed.from,
        to: computed.to,
        points,
        episodes,
        summary,
        seriesStart: computed.seriesStart,
        generatedAt: now.getTime(),
      };
    },
  };
}

/** The detector's stored summary, typed; a missing or unreadable one reads as no baseline yet. */
export function parseSeriesSummary(raw: Record<string, unknown>): ChartSummary {
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  const time = (v: unknown) => (typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? Date.parse(v) : null);
  const state = (['ok', 'pending', 'major', 'critical', 'no_baseline'] as const).find((s) => s === raw.state) ?? 'no_baseline';
  const provisional = raw.provisional !== false;
  return {
    state,
    observed: num(raw.observed),
    expected: num(raw.expected),
    windowSeconds: num(raw.window_seconds),
    // A summary written before these fields existed: what its other fields imply.
    baseline:
      (['weekly', 'daily', 'recent', 'none'] as const).find((b) => b === raw.baseline) ?? (state === 'no_baseline' ? 'none' : provisional ? 'daily' : 'weekly'),
    alarms:
      (['all', 'critical_only', 'none'] as const).find((a) => a === raw.alarms) ?? (state === 'no_baseline' ? 'none' : provisional ? 'critical_only' : 'all'),
    weeklyBaselineFrom: time(raw.weekly_baseline_from),
    since: time(raw.since),
    provisional,
    promisedDelaySeconds: num(raw.promised_delay_seconds),
    evaluatedAt: time(raw.evaluated_at),
  };
}

/**
 * Observed and expected counts of every step in [to - range, to). One history load per chart:
 * the ranges every step's baseline may read (the same time of week 1..lookbackWeeks back, the
 * level hours before, and the same time of day on recent days when some step falls back to the
 * daily baseline), raw buckets where they are kept and 1-minute roll-ups before.
 */
async function computePoints(
  db: Queryable,
  series: { metric: string; region: string },
  config: DetectorConfig,
  range: ChartRange,
  span: { from: number; to: number; stepMs: number },
  now: number,
  holidays: readonly Exclusion[],
): Promise<Computed> {
  const { from, to, stepMs } = span;
  const count = Math.round((to - from) / stepMs);
  const bucketMs = config.bucketSeconds * 1000;
  const start = await seriesStart(db, series);
  if (!start) {
    const points = Array.from({ length: count }, (_, i) => ({
      start: from + i * stepMs,
      observed: null,
      pending: false,
      expected: null,
      low: null,
      high: null,
      provisional: true,
    }));
    return { from, to, points, seriesStart: null };
  }
  const since = start.getTime();
  const b = config.baseline;
  const lookbackFrom = from - b.lookbackWeeks * 7 * DAY_MS - 2 * DAY_MS;
  // As in the detector: past episodes and holidays are left out of the baseline (an outage must
  // not lower the next weeks' normal), and inside an episode the level is taken from before it.
  const episodes = (await listEpisodes(db, series, new Date(lookbackFrom), new Date(now))).map((e) => ({
    from: new Date(e.started_at).getTime(),
    to: e.ended_at ? new Date(e.ended_at).getTime() : null,
  }));
  const exclusions: Exclusion[] = [
    ...holidays,
    ...episodes.filter((e) => e.to !== null).map((e) => ({ from: e.from, to: e.to as number, reason: 'incident' as const })),
  ];
  const episodeAt = (t: number) => episodes.find((e) => e.from <= t && (e.to ?? Infinity) > t)?.from ?? null;

  // Which method each step's baseline will use depends only on `since` and the exclusions, so a
  // count-free probe tells whether the daily fallback (and its two weeks of reads) is needed.
  const probe: CountHistory = { since, count: () => 0, pushes: () => 0 };
  let needsDaily = false;
  for (let i = 0; i < count && !needsDaily; i++) {
    const end = from + (i + 1) * stepMs;
    if (end <= since) continue;
    if (windowBaseline(probe, end, stepMs, config, { exclusions, episodeSince: episodeAt(end - stepMs) }).method !== 'weekly') needsDaily = true;
  }

  const pad = smoothingPadMs(config);
  const grain = pastGrainMs(config);
  const zone = b.timeZone;
  const slack = zone === 'UTC' || zone === 'Etc/UTC' ? 0 : HOUR_MS; // a past window stretches by an hour across DST
  const levelMs = Math.max(b.levelHours, b.recentHours) * HOUR_MS;
  const ranges: TimeRange[] = [];
  // Open or recent episodes move the level period before their onset (as in the detector).
  const references = [from, ...episodes.filter((e) => e.from < from && (e.to ?? Infinity) > from).map((e) => e.from)];
  for (const reference of references) {
    ranges.push({ from: reference - levelMs, to: reference === from ? to : reference });
    for (let week = 1; week <= b.lookbackWeeks; week++)
      ranges.push(pastRange(zone, reference - levelMs - pad, (reference === from ? to : reference) + pad, 7 * week, grain, slack));
  }
  if (needsDaily) for (let day = 1; day <= b.lookbackDays; day++) ranges.push(pastRange(zone, from - pad, to + pad, day, grain, slack));

  // Raw buckets are kept 48 h; before `rawFrom` the 1-minute roll-ups answer (whole minutes).
  const rawFrom = Math.floor((range === '7d' ? to - RAW_TAIL_MS : from - levelMs) / 60_000) * 60_000;
  const rows: { bucket: Date; value: number }[] = [];
  for (const r of mergeRanges(ranges)) {
    const rollupTo = Math.min(r.to, rawFrom);
    if (rollupTo > r.from) rows.push(...(await listRollups(db, series, new Date(r.from), new Date(rollupTo))));
    const rawStart = Math.max(r.from, rawFrom);
    if (r.to > rawStart) rows.push(...(await listHeartbeatPoints(db, series, new Date(rawStart), new Date(r.to))));
  }
  const history = pointsHistory(
    rows.map((p) => ({ bucket: new Date(p.bucket), count: Number(p.value) })),
    { since },
  );

  const perBucket = bucketMs / stepMs;
  const round = (v: number) => Math.round(v * 100) / 100;
  const points: Omit<ChartPoint, 'inEpisode'>[] = [];
  // Trailing steps with no push yet that ended within the grace plus one bucket are pending.
  const pendingAfter = now - (config.graceSeconds + config.bucketSeconds) * 1000;
  let pendingFrom = to;
  while (
    pendingFrom - stepMs >= from &&
    pendingFrom > pendingAfter &&
    pendingFrom - stepMs >= since &&
    history.pushes(pendingFrom - stepMs, pendingFrom) === 0
  ) {
    pendingFrom -= stepMs;
  }
  // Only while the silence is young: the first missing bucket after the last push ended less
  // than the grace plus one bucket ago. Older, it is an outage, and its buckets are drawn at zero.
  if (pendingFrom < to) {
    let lastPushEnd = -Infinity;
    for (let b = pendingFrom - bucketMs; b >= Math.max(from, pendingFrom - stepMs); b -= bucketMs) {
      if (history.pushes(b, b + bucketMs) > 0) {
        lastPushEnd = b + bucketMs;
        break;
      }
    }
    if (now >= lastPushEnd + bucketMs + (config.graceSeconds + config.bucketSeconds) * 1000) pendingFrom = to;
  }
  for (let i = 0; i < count; i++) {
    const stepStart = from + i * stepMs;
    const end = stepStart + stepMs;
    const pending = stepStart >= pendingFrom;
    const observed = end <= since || pending ? null : round(history.count(stepStart, end) * perBucket);
    const baseline = end <= since ? null : windowBaseline(history, end, stepMs, config, { exclusions, episodeSince: episodeAt(stepStart) });
    if (!baseline || baseline.method === 'none') {
      points.push({ start: stepStart, observed, pending, expected: null, low: null, high: null, provisional: true });
      continue;
    }
    const expected = baseline.expected(stepMs);
    const band = expectedBand(expected, config.recoverThreshold);
    points.push({
      start: stepStart,
      observed,
      pending,
      expected: round(expected * perBucket),
      low: round(band.low * perBucket),
      high: round(band.high * perBucket),
      provisional: baseline.provisional,
    });
  }
  return { from, to, points, seriesStart: since };
}

function pastRange(zone: string, from: number, to: number, days: number, grain: number, slack: number): TimeRange {
  return {
    from: Math.floor((localDaysBefore(zone, from, days) - slack) / grain) * grain,
    to: Math.ceil((localDaysBefore(zone, to, days) + slack) / grain) * grain,
  };
}

function mergeRanges(ranges: TimeRange[]): TimeRange[] {
  const sorted = [...ranges].sort((a, b) => a.from - b.from);
  const merged: TimeRange[] = [];
  for (const r of sorted) {
    const last = merged[merged.length - 1];
    if (last && r.from <= last.to) merged[merged.length - 1] = { from: last.from, to: Math.max(last.to, r.to) };
    else merged.push({ ...r });
  }
  return merged;
}
