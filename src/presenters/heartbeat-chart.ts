/**
 * Heartbeat charts as server-rendered SVG (no client script), their text equivalents, and the
 * view models and CSV/JSON of /heartbeat. Pure: no I/O, time comes in the data.
 * Colours come from CSS classes (styles.hbs; the standalone sparkline carries its own), so dark
 * mode works; the state is always also said in words.
 */
import { formatDateTime, zoneOffsetMs } from '../domain/time.ts';
import type { BaselineMethod } from '../domain/heartbeat/types.ts';
import type { ChartRange, ChartSummary, HeartbeatChartData } from '../queries/load-heartbeat-chart.ts';

export interface HeartbeatChartModel extends HeartbeatChartData {
  /** IANA zone of the time labels. */
  readonly timeZone: string;
  /** Unique within the page (ids of the SVG's title and description); defaults to metric-region-range. */
  readonly id?: string;
}

const RANGE_LABELS: Record<ChartRange, string> = { '1h': 'last hour', '24h': 'last 24 hours', '7d': 'last 7 days' };
export const RANGE_SHORT: Record<ChartRange, string> = { '1h': '1 hour', '24h': '24 hours', '7d': '7 days' };
const PROVISIONAL_TEXT = 'Baseline provisional: learning the weekly pattern';

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

const numberFormats = new Map<number, Intl.NumberFormat>();
/** Thousands separators; decimals only where a value is small enough to need them. */
function formatCount(value: number, fractionDigits = value !== 0 && Math.abs(value) < 10 ? 1 : 0): string {
  let format = numberFormats.get(fractionDigits);
  if (!format) numberFormats.set(fractionDigits, (format = new Intl.NumberFormat('en-US', { maximumFractionDigits: fractionDigits })));
  return format.format(value);
}

/** "per 10 s", "per min", "per 5 min", "per hour". */
function unitText(bucketSeconds: number): string {
  if (bucketSeconds === 3600) return 'per hour';
  if (bucketSeconds % 3600 === 0) return `per ${bucketSeconds / 3600} h`;
  if (bucketSeconds === 60) return 'per min';
  if (bucketSeconds % 60 === 0) return `per ${bucketSeconds / 60} min`;
  return `per ${bucketSeconds} s`;
}

function regionLabel(region: string): string {
  return region.toUpperCase();
}

function zoneLabel(timeZone: string): string {
  return timeZone === 'Etc/UTC' || timeZone === 'UTC' ? 'UTC' : timeZone;
}

const timeFormats = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string, kind: 'time' | 'day'): Intl.DateTimeFormat {
  const key = `${kind}|${timeZone}`;
  let format = timeFormats.get(key);
  if (!format) {
    format =
      kind === 'time'
        ? new Intl.DateTimeFormat('en-US', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
        : new Intl.DateTimeFormat('en-US', { timeZone, month: 'short', day: 'numeric' });
    timeFormats.set(key, format);
  }
  return format;
}

/** "14:02" on the same local day as `now`, "Mar 9, 14:02" otherwise. */
function formatMoment(t: number, now: number, timeZone: string): string {
  const sameDay = formatter(timeZone, 'day').format(t) === formatter(timeZone, 'day').format(now);
  const time = formatter(timeZone, 'time').format(t);
  return sameDay ? time : `${formatter(timeZone, 'day').format(t)}, ${time}`;
}

function formatDelay(seconds: number): string {
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 3600)} h`;
}

export interface ChartStatus {
  readonly kind: 'ok' | 'pending' | 'below' | 'no_data' | 'learning';
  /** "Normal", "Below normal since 14:02", "No data since 14:02", "Baseline provisional: …". */
  readonly text: string;
  /** CSS class (the page's status classes, with their symbol). */
  readonly className: string;
  /** Which baseline is in use, in words ("Baseline: the same time of week over the last 4 weeks"). */
  readonly baselineText: string;
  /**
   * While the baseline is provisional (or on a holiday, or in maintenance): what will and will not
   * raise an alarm, and until when; null when every drop below the threshold alarms.
   */
  readonly provisionalText: string | null;
  readonly delayText: string;
  /** "now 1,234 per 10 s, expected 1,200", or null without data. */
  readonly latestText: string | null;
}

const BASELINE_WORDS: Record<BaselineMethod, string> = {
  weekly: 'the same time of week over the last 4 weeks',
  daily: 'the same time of day on recent days of the same kind (weekday or weekend)',
  recent: 'the level of the last hours',
  none: 'none yet (less than half an hour of data)',
};

const percent = (fraction: number) => `${Math.round(fraction * 100)}%`;

/**
 * Which baseline the detector uses and, when not every drop can alarm, which can, which cannot and
 * until when: shared by the charts, the console and /api/v2/heartbeats.json.
 */
export function baselineNote(
  summary: Pick<ChartSummary, 'state' | 'provisional' | 'baseline' | 'alarms' | 'weeklyBaselineFrom'>,
  options: { threshold: number; now: number; timeZone: string },
): { baseline: string; note: string | null } {
  const baseline = `Baseline: ${BASELINE_WORDS[summary.baseline]}${summary.provisional && summary.baseline !== 'none' ? ' (provisional)' : ''}`;
  const until =
    summary.weeklyBaselineFrom !== null
      ? `until ${formatMoment(summary.weeklyBaselineFrom, options.now, options.timeZone)}, when 3 weeks of history give the weekly baseline`
      : 'until 3 weeks of history give the weekly baseline';
  const major = `a drop below ${percent(options.threshold)} of normal`;
  let note: string | null = null;
  if (summary.alarms === 'none' && summary.baseline === 'none') {
    note = `${PROVISIONAL_TEXT}. No drop raises an alarm until there is half an hour of data, and only a stop or a drop to near zero ${until}. Import history to detect drops now.`;
  } else if (summary.alarms === 'none') {
    note = 'Maintenance in progress: no new alarm is raised.';
  } else if (summary.provisional && summary.alarms === 'critical_only') {
    note = `${PROVISIONAL_TEXT}. Only a stop or a drop below 10% of normal raises an alarm ${until}; ${major} does not yet. Import history to detect drops now.`;
  } else if (summary.provisional) {
    note = `${PROVISIONAL_TEXT}. ${capitalise(major)} raises an alarm already (alarm_while_provisional), with more false alarms than usual ${until}.`;
  } else if (summary.alarms === 'critical_only') {
    note = `Holiday: only a stop or a drop below 10% of normal raises an alarm today; ${major} does not.`;
  }
  return { baseline, note };
}

/** The series' state in words, from the detector's last summary. */
export function chartStatus(data: HeartbeatChartData, timeZone: string): ChartStatus {
  const summary = data.summary;
  const now = data.generatedAt;
  let kind: ChartStatus['kind'];
  let text: string;
  let className: string;
  const since = summary?.since == null ? '' : ` since ${formatMoment(summary.since, now, timeZone)}`;
  if (!summary || summary.state === 'no_baseline') {
    kind = 'learning';
    text = data.seriesStart === null ? 'No data received yet' : PROVISIONAL_TEXT;
    className = 's-learning';
  } else if (summary.state === 'ok') {
    kind = 'ok';
    text = 'Normal';
    className = 's-operational';
  } else if (summary.state === 'pending') {
    // Seen once, not yet confirmed: neither "Normal" nor an alarm.
    kind = 'pending';
    text = `${summary.observed === 0 ? 'No data' : 'Lower than normal'}${since}, checking`;
    className = 's-degraded_performance';
  } else {
    // The detector's notice says "no data" when nothing at all arrived in the window it judged.
    kind = summary.observed === 0 ? 'no_data' : 'below';
    text = `${kind === 'no_data' ? 'No data' : 'Below normal'}${since}`;
    className = summary.state === 'critical' ? 's-major_outage' : 's-partial_outage';
  }
  const fallback = { state: 'no_baseline', provisional: true, baseline: 'none', alarms: 'none', weeklyBaselineFrom: null } as const;
  const words = baselineNote(summary ?? fallback, { threshold: data.threshold, now, timeZone });
  const delay = summary?.promisedDelaySeconds ?? null;
  const delayText =
    delay !== null
      ? `Detection delay: about ${formatDelay(delay)}`
      : summary && summary.state !== 'no_baseline'
        ? 'Detection delay: none promised at the current level of activity'
        : 'Detection delay: not known yet';
  const last = [...data.points].reverse().find((p) => p.observed !== null);
  const unit = unitText(data.bucketSeconds);
  const latestText =
    last && last.observed !== null
      ? `now ${formatCount(last.observed)} ${unit}${last.expected !== null ? `, expected ${formatCount(last.expected)}` : ''}`
      : null;
  let provisionalText = words.note;
  if (provisionalText !== null && text === PROVISIONAL_TEXT && provisionalText.startsWith(`${PROVISIONAL_TEXT}. `))
    provisionalText = provisionalText.slice(PROVISIONAL_TEXT.length + 2);
  return { kind, text, className, baselineText: words.baseline, provisionalText, delayText, latestText };
}

/** The chart's text alternative: what it shows, where the series is now, and its state. */
export function describeChart(model: HeartbeatChartModel): string {
  const status = chartStatus(model, model.timeZone);
  const parts = [
    `${model.label} in ${regionLabel(model.region)} over the ${RANGE_LABELS[model.range]}: ${status.latestText ?? 'no data'}; ${lowerFirst(status.text)}.`,
  ];
  if (status.provisionalText) parts.push(status.provisionalText);
  const shaded = model.episodes.filter((e) => e.from < model.to && (e.to ?? Infinity) > model.from).length;
  if (shaded > 0) parts.push(`${shaded} ${shaded === 1 ? 'period' : 'periods'} below normal shaded.`);
  parts.push(`Grey band: the normal range. ${status.delayText}. Times in ${zoneLabel(model.timeZone)}.`);
  return parts.join(' ');
}

function lowerFirst(text: string): string {
  return text.startsWith('No data') || text.startsWith('Normal') || text.startsWith('Lower') || text.startsWith('Below') || text.startsWith('Baseline')
    ? text[0].toLowerCase() + text.slice(1)
    : text;
}

// ---------------------------------------------------------------------------------------------
// SVG

/**
 * Two layouts of one chart. SVG text scales with the image, so a 640-wide chart squeezed onto a
 * phone (about 310 CSS px of figure at 375 px) would print its 12-unit labels at 6 px: the narrow
 * layout is drawn 340 wide with 13-unit labels (at least 11 CSS px there) and fewer time ticks, and
 * the page's CSS shows one or the other.
 */
const LAYOUTS = {
  wide: { width: 640, height: 220, left: 56, right: 10, top: 10, bottom: 24, font: 12, labelHalf: 16 },
  narrow: { width: 340, height: 220, left: 46, right: 8, top: 10, bottom: 26, font: 13, labelHalf: 22 },
} as const;
type Layout = keyof typeof LAYOUTS;
/** Time ticks of the narrow layout: half as many or fewer. */
const NARROW_TICK_EVERY: Record<ChartRange, number> = { '1h': 20 * 60_000, '24h': 6 * 3_600_000, '7d': 2 * 86_400_000 };
const SPARK = { width: 120, height: 28, pad: 2 } as const;

interface Scale {
  x(t: number): number;
  y(v: number): number;
}

const fixed = (v: number) => (Math.round(v * 10) / 10).toString();

/** Nice y ticks from 0 to at least `max`: 1, 2, 2.5 or 5 × 10^k steps, about 4 of them. */
export function yTicks(max: number): number[] {
  if (!(max > 0)) return [0, 5, 10];
  const raw = max / 4;
  const power = 10 ** Math.floor(Math.log10(raw));
  const f = raw / power;
  const step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * power;
  const ticks: number[] = [];
  for (let i = 0; ticks.length === 0 || ticks[ticks.length - 1] < max; i++) ticks.push(Math.round(i * step * 1e6) / 1e6);
  return ticks;
}

/** Time ticks at round local times of `timeZone`: every 10 min (1 h), 3 h (24 h), local midnight (7 d). */
export function timeTicks(from: number, to: number, range: ChartRange, timeZone: string, everyMs?: number): { t: number; label: string }[] {
  const every = everyMs ?? (range === '1h' ? 10 * MINUTE_MS : range === '24h' ? 3 * HOUR_MS : DAY_MS);
  // Every zone's offset is a whole number of minutes (quarter hours since 1979), so a 1-minute scan
  // (15 for the long ranges) finds the local round times across DST changes.
  const scan = range === '1h' ? MINUTE_MS : 15 * MINUTE_MS;
  const ticks: { t: number; label: string }[] = [];
  for (let t = Math.ceil(from / scan) * scan; t <= to; t += scan) {
    const local = t + zoneOffsetMs(timeZone, t);
    if (((local % every) + every) % every !== 0) continue;
    const midnight = ((local % DAY_MS) + DAY_MS) % DAY_MS === 0;
    const label = range === '7d' || (range === '24h' && midnight) ? formatter(timeZone, 'day').format(t) : formatter(timeZone, 'time').format(t);
    ticks.push({ t, label });
  }
  return ticks;
}

/** Runs of consecutive points where `value` is not null. */
function runs<T>(points: readonly T[], value: (p: T) => number | null): T[][] {
  const out: T[][] = [];
  let current: T[] = [];
  for (const p of points) {
    if (value(p) === null) {
      if (current.length > 0) out.push(current);
      current = [];
    } else current.push(p);
  }
  if (current.length > 0) out.push(current);
  return out;
}

function linePath(points: HeartbeatChartData['points'], value: (p: HeartbeatChartData['points'][number]) => number | null, mid: number, scale: Scale): string {
  return runs(points, value)
    .map((run) => run.map((p, i) => `${i === 0 ? 'M' : 'L'}${fixed(scale.x(p.start + mid))},${fixed(scale.y(value(p) as number))}`).join(''))
    .join('');
}

function bandPolygons(points: HeartbeatChartData['points'], mid: number, scale: Scale, className: string): string {
  return runs(points, (p) => (p.low === null || p.high === null ? null : p.high))
    .map((run) => {
      const upper = run.map((p) => `${fixed(scale.x(p.start + mid))},${fixed(scale.y(p.high as number))}`);
      const lower = [...run].reverse().map((p) => `${fixed(scale.x(p.start + mid))},${fixed(scale.y(p.low as number))}`);
      return `<polygon class="${className}" points="${[...upper, ...lower].join(' ')}"/>`;
    })
    .join('');
}

function episodeRects(model: HeartbeatChartData, scale: Scale, top: number, height: number, titled: { timeZone: string } | null): string {
  return model.episodes
    .filter((e) => e.from < model.to && (e.to ?? Infinity) > model.from)
    .map((e) => {
      const x = scale.x(Math.max(e.from, model.from));
      const width = Math.max(1, scale.x(Math.min(e.to ?? model.to, model.to)) - x);
      const title = titled
        ? `<title>${escapeXml(`Below normal (${e.tier}) ${e.to === null ? 'since' : 'from'} ${formatMoment(e.from, model.generatedAt, titled.timeZone)}${e.to === null ? '' : ` to ${formatMoment(e.to, model.generatedAt, titled.timeZone)}`}`)}</title>`
        : '';
      return `<rect class="episode" x="${fixed(x)}" y="${top}" width="${fixed(width)}" height="${height}">${title}</rect>`;
    })
    .join('');
}

function maxValue(model: HeartbeatChartData): number {
  let max = 0;
  for (const p of model.points) max = Math.max(max, p.observed ?? 0, p.high ?? 0, p.expected ?? 0);
  return max;
}

/**
 * The full chart: y axis with thousands separators, local time labels, shaded alarm episodes, the
 * expected band (see expectedBand in load-heartbeat-chart.ts) with the expected line, and the
 * observed line on top, each point at the middle of its step.
 */
export function renderHeartbeatChart(model: HeartbeatChartModel, layout: Layout = 'wide'): string {
  const { width, height, left, right, top, bottom, font, labelHalf } = LAYOUTS[layout];
  const id = `${model.id ?? `hb-${model.metric}-${model.region}-${model.range}`}${layout === 'narrow' ? '-n' : ''}`;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const ticks = yTicks(maxValue(model) * 1.05);
  const yMax = ticks[ticks.length - 1];
  const span = Math.max(1, model.to - model.from);
  const scale: Scale = { x: (t) => left + ((t - model.from) / span) * plotW, y: (v) => top + plotH - (v / yMax) * plotH };
  const mid = (model.stepSeconds * 1000) / 2;
  const fraction = ticks[1] - ticks[0] < 1 ? 2 : 0;
  const title = `${model.label} in ${regionLabel(model.region)}, ${RANGE_LABELS[model.range]}`;

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="hb-chart${layout === 'narrow' ? ' hb-narrow' : ''}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-labelledby="${id}-title ${id}-desc" focusable="false">`,
  );
  out.push(`<title id="${id}-title">${escapeXml(title)}</title><desc id="${id}-desc">${escapeXml(describeChart(model))}</desc>`);
  out.push(episodeRects(model, scale, top, plotH, { timeZone: model.timeZone }));
  out.push('<g class="grid" stroke="currentColor" stroke-opacity=".2">');
  for (const v of ticks) out.push(`<line x1="${left}" x2="${width - right}" y1="${fixed(scale.y(v))}" y2="${fixed(scale.y(v))}"/>`);
  out.push('</g>');
  out.push(`<g class="tick y-tick" fill="currentColor" text-anchor="end" font-size="${font}">`);
  for (const v of ticks) out.push(`<text x="${left - 6}" y="${fixed(scale.y(v) + 4)}">${escapeXml(formatCount(v, fraction))}</text>`);
  out.push('</g>');
  out.push(`<g class="tick x-tick" fill="currentColor" text-anchor="middle" font-size="${font}">`);
  for (const tick of timeTicks(model.from, model.to, model.range, model.timeZone, layout === 'narrow' ? NARROW_TICK_EVERY[model.range] : undefined)) {
    const x = scale.x(tick.t);
    out.push(
      `<line class="axis" stroke="currentColor" x1="${fixed(x)}" x2="${fixed(x)}" y1="${top + plotH}" y2="${top + plotH + 4}"/><text x="${fixed(Math.min(Math.max(x, left + labelHalf), width - right - labelHalf))}" y="${height - 6}">${escapeXml(tick.label)}</text>`,
    );
  }
  out.push('</g>');
  out.push(bandPolygons(model.points, mid, scale, 'expected-band'));
  const expected = linePath(model.points, (p) => p.expected, mid, scale);
  if (expected) out.push(`<path class="expected" fill="none" stroke="currentColor" stroke-dasharray="4 3" d="${expected}"/>`);
  const observed = linePath(model.points, (p) => p.observed, mid, scale);
  if (observed) out.push(`<path class="observed" fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round" d="${observed}"/>`);
  else
    out.push(
      `<text class="tick no-data" fill="currentColor" text-anchor="middle" font-size="${font}" x="${left + plotW / 2}" y="${top + plotH / 2}">No data in this period</text>`,
    );
  out.push(`<line class="axis" stroke="currentColor" x1="${left}" x2="${width - right}" y1="${top + plotH}" y2="${top + plotH}"/>`);
  out.push('</svg>');
  return out.join('');
}

/**
 * A small standalone SVG (served as an image) of the last hour: band, observed line, episodes; no
 * axes. It carries its own colours, light and dark, since page styles do not reach an <img>.
 */
export function renderSparkline(model: HeartbeatChartModel): string {
  const { width, height, pad } = SPARK;
  const yMax = Math.max(maxValue(model) * 1.05, 1e-9);
  const span = Math.max(1, model.to - model.from);
  const scale: Scale = { x: (t) => ((t - model.from) / span) * width, y: (v) => height - pad - (v / yMax) * (height - 2 * pad) };
  const mid = (model.stepSeconds * 1000) / 2;
  const status = chartStatus(model, model.timeZone);
  const title = `${model.label} in ${regionLabel(model.region)}, ${RANGE_LABELS[model.range]}: ${status.text}`;
  const observed = linePath(model.points, (p) => p.observed, mid, scale);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" class="hb-spark" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeXml(title)}">`,
    `<title>${escapeXml(title)}</title>`,
    '<style>.hb-spark .observed{fill:none;stroke:#0969da;stroke-width:1.5;stroke-linejoin:round}.hb-spark .expected-band{fill:#57606a;fill-opacity:.22}.hb-spark .episode{fill:#cf222e;fill-opacity:.25}',
    '@media (prefers-color-scheme:dark){.hb-spark .observed{stroke:#58a6ff}.hb-spark .expected-band{fill:#9198a1;fill-opacity:.3}.hb-spark .episode{fill:#f85149;fill-opacity:.3}}</style>',
    episodeRects(model, scale, 0, height, null),
    bandPolygons(model.points, mid, scale, 'expected-band'),
    observed ? `<path class="observed" d="${observed}"/>` : '',
    '</svg>',
  ].join('');
}

// ---------------------------------------------------------------------------------------------
// Page view models and data downloads

export interface HeartbeatChrome {
  name: string;
  companyUrl: string | undefined;
  timeZone: string;
}

/** Query string carrying the visitor's chosen zone, if they chose one. */
function withQuery(path: string, params: Record<string, string | null>): string {
  const query = Object.entries(params)
    .filter((entry): entry is [string, string] => entry[1] !== null)
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
    .join('&');
  return query ? `${path}?${query}` : path;
}

export function seriesPath(metric: string, region: string): string {
  return `/heartbeat/${encodeURIComponent(metric)}/${encodeURIComponent(region)}`;
}

/** One chart on a page: heading, state in words, detection delay, data links and the SVG. */
export function heartbeatChartView(data: HeartbeatChartData, options: { timeZone: string; tz: string | null }) {
  const status = chartStatus(data, options.timeZone);
  const base = seriesPath(data.metric, data.region);
  return {
    id: `hb-${data.metric}-${data.region}-${data.range}`,
    metric: data.metric,
    region: data.region,
    title: `${data.label} in ${regionLabel(data.region)}`,
    description: data.description,
    range: data.range,
    rangeLabel: RANGE_LABELS[data.range],
    rangeShort: RANGE_SHORT[data.range],
    rangeHeading: capitalise(RANGE_LABELS[data.range]),
    status,
    latestLine: status.latestText ? capitalise(status.latestText) : 'No data in this period',
    seriesUrl: withQuery(base, { tz: options.tz }),
    csvUrl: withQuery(`${base}/data.csv`, { range: data.range }),
    jsonUrl: withQuery(`${base}/data.json`, { range: data.range }),
    // Both layouts; the page's CSS shows the narrow one on a phone.
    svg: renderHeartbeatChart({ ...data, timeZone: options.timeZone }) + renderHeartbeatChart({ ...data, timeZone: options.timeZone }, 'narrow'),
  };
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function pageTime(at: number, timeZone: string) {
  return { iso: new Date(at).toISOString(), text: formatDateTime(new Date(at), timeZone) };
}

/** GET /heartbeat: every public series for one range. */
export function heartbeatOverviewView(input: {
  chrome: HeartbeatChrome;
  charts: HeartbeatChartData[];
  range: ChartRange;
  timeZone: string;
  tz: string | null;
  now: number;
}) {
  const { chrome, range, timeZone, tz } = input;
  return {
    chrome,
    title: `Live activity · ${chrome.name}`,
    range,
    rangeLabel: RANGE_LABELS[range],
    ranges: (['1h', '24h', '7d'] as const).map((r) => ({ label: RANGE_SHORT[r], href: withQuery('/heartbeat', { range: r, tz }), current: r === range })),
    zone: zoneLabel(timeZone),
    pageZone: chrome.timeZone,
    tzChosen: tz !== null,
    charts: input.charts.map((data) => heartbeatChartView(data, { timeZone, tz })),
    lastUpdated: pageTime(input.now, timeZone),
  };
}

/** GET /heartbeat/:metric/:region: one series over the three ranges. */
export function heartbeatSeriesView(input: { chrome: HeartbeatChrome; charts: HeartbeatChartData[]; timeZone: string; tz: string | null; now: number }) {
  const { chrome, timeZone, tz } = input;
  const first = input.charts[0];
  const charts = input.charts.map((data) => heartbeatChartView(data, { timeZone, tz }));
  return {
    chrome,
    title: `${charts[0].title} · ${chrome.name}`,
    heading: charts[0].title,
    description: first.description,
    status: charts[0].status,
    zone: zoneLabel(timeZone),
    pageZone: chrome.timeZone,
    tzChosen: tz !== null,
    overviewUrl: withQuery('/heartbeat', { tz }),
    charts,
    lastUpdated: pageTime(input.now, timeZone),
  };
}

/** The 404 of an unknown series, in the site's layout. */
export function heartbeatNotFoundView(chrome: HeartbeatChrome) {
  return { chrome, title: `Not found · ${chrome.name}`, notFound: true };
}

const BAND_TEXT =
  "expected_low..expected_high: the normal range, at least 0.8 × expected (the detector's recovery level) and at most expected ÷ 0.8, widened to ±3·√expected for small counts";

/** The plotted points as JSON: values are counts per bucket, averaged over each step. */
export function chartDataJson(data: HeartbeatChartData) {
  const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
  return {
    metric: data.metric,
    region: data.region,
    label: data.label,
    range: data.range,
    from: iso(data.from),
    to: iso(data.to),
    bucket_seconds: data.bucketSeconds,
    step_seconds: data.stepSeconds,
    unit: `count ${unitText(data.bucketSeconds)}, averaged over each step of ${data.stepSeconds} s`,
    band: BAND_TEXT,
    state: data.summary
      ? {
          state: data.summary.state,
          since: iso(data.summary.since),
          provisional: data.summary.provisional,
          promised_delay_seconds: data.summary.promisedDelaySeconds,
          evaluated_at: iso(data.summary.evaluatedAt),
        }
      : { state: 'no_baseline', since: null, provisional: true, promised_delay_seconds: null, evaluated_at: null },
    episodes: data.episodes.map((e) => ({ started_at: iso(e.from), ended_at: iso(e.to), tier: e.tier })),
    points: data.points.map((p) => ({
      bucket_start: new Date(p.start).toISOString(),
      observed: p.observed,
      pending: p.pending,
      expected: p.expected,
      expected_low: p.low,
      expected_high: p.high,
      in_episode: p.inEpisode,
    })),
  };
}

const CSV_HEADER = 'bucket_start,observed,expected,expected_low,expected_high,in_episode';

export function chartDataCsv(data: HeartbeatChartData): string {
  const cell = (v: number | null) => (v === null ? '' : String(v));
  const lines = [CSV_HEADER];
  for (const p of data.points)
    lines.push([new Date(p.start).toISOString(), cell(p.observed), cell(p.expected), cell(p.low), cell(p.high), p.inEpisode ? 'true' : 'false'].join(','));
  return `${lines.join('\r\n')}\r\n`;
}
