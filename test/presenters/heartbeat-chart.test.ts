import { describe, expect, it } from 'vitest';
import {
  chartDataCsv,
  chartDataJson,
  chartStatus,
  describeChart,
  renderHeartbeatChart,
  renderSparkline,
  timeTicks,
  yTicks,
  type HeartbeatChartModel,
} from '../../src/presenters/heartbeat-chart.ts';
import { chartStepSeconds, expectedBand, type ChartPoint, type ChartSummary, type HeartbeatChartData } from '../../src/queries/load-heartbeat-chart.ts';

/** The pure SVG and text of the heartbeat charts. */
const FROM = Date.UTC(2026, 2, 10, 11, 0);
const TO = FROM + 3_600_000;
const STEP = 10_000;

const OK: ChartSummary = {
  state: 'ok',
  observed: 3000,
  expected: 3000,
  windowSeconds: 30,
  since: null,
  provisional: false,
  baseline: 'weekly',
  alarms: 'all',
  weeklyBaselineFrom: null,
  promisedDelaySeconds: 25,
  evaluatedAt: TO,
};

function model(overrides: Partial<HeartbeatChartModel> = {}, point: (i: number) => Partial<ChartPoint> = () => ({})): HeartbeatChartModel {
  const points: ChartPoint[] = Array.from({ length: 360 }, (_, i) => ({
    start: FROM + i * STEP,
    observed: 1000,
    pending: false,
    expected: 1000,
    low: 800,
    high: 1250,
    provisional: false,
    inEpisode: false,
    ...point(i),
  }));
  return {
    metric: 'messages-created',
    label: 'Messages created',
    description: null,
    region: 'eu',
    range: '1h',
    bucketSeconds: 10,
    threshold: 0.5,
    stepSeconds: 10,
    from: FROM,
    to: TO,
    points,
    episodes: [],
    summary: OK,
    seriesStart: FROM - 86_400_000,
    generatedAt: TO + 5_000,
    timeZone: 'UTC',
    ...overrides,
  };
}

/** [x, y] of each vertex of the path with this class. */
function pathPoints(svg: string, className: string): number[][] {
  const d = svg.match(new RegExp(`<path class="${className}"[^>]* d="([^"]+)"`))?.[1] ?? '';
  return [...d.matchAll(/[ML](-?[\d.]+),(-?[\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
}

function texts(svg: string, group: string): string[] {
  const g = svg.match(new RegExp(`<g class="tick ${group}"[^>]*>([\\s\\S]*?)</g>`))?.[1] ?? '';
  return [...g.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
}

describe('renderHeartbeatChart', () => {
  it('is an accessible image: role, title and a description of what it shows', () => {
    const svg = renderHeartbeatChart(model());
    expect(svg).toMatch(
      /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" class="hb-chart" viewBox="0 0 640 220"[^>]* role="img" aria-labelledby="hb-messages-created-eu-1h-title hb-messages-created-eu-1h-desc"/,
    );
    expect(svg).toContain('<title id="hb-messages-created-eu-1h-title">Messages created in EU, last hour</title>');
    expect(svg).toContain('<desc id="hb-messages-created-eu-1h-desc">Messages created in EU over the last hour: now 1,000 per 10 s, expected 1,000; normal.');
    expect(svg).toContain('Detection delay: about 25 s. Times in UTC.</desc>');
  });

  it('draws one observed vertex per plotted point, broken where the series has no history', () => {
    const svg = renderHeartbeatChart(model({}, (i) => (i >= 100 && i < 110 ? { observed: null } : {})));
    const points = pathPoints(svg, 'observed');
    expect(points).toHaveLength(350);
    expect(svg.match(/<path class="observed"[^>]* d="([^"]+)"/)?.[1].match(/M/g)).toHaveLength(2);
    // Points sit in the middle of their step, left to right across the plot (x 56..630).
    expect(points[0][0]).toBeCloseTo(56 + (5_000 / 3_600_000) * 574, 1);
    expect(points.at(-1)?.[0]).toBeCloseTo(56 + (3_595_000 / 3_600_000) * 574, 1);
  });

  it('puts the observed line at its value on the y axis, labelled with thousands separators', () => {
    const svg = renderHeartbeatChart(model({}, (i) => ({ observed: i === 359 ? 12_345 : 1000 })));
    expect(texts(svg, 'y-tick')).toEqual(['0', '5,000', '10,000', '15,000']);
    const [, y0] = pathPoints(svg, 'observed')[0];
    const [, yLast] = pathPoints(svg, 'observed')[359];
    // y = 196 (zero) up to 10 (15,000): 186 px for 15,000.
    expect(y0).toBeCloseTo(196 - (1000 / 15_000) * 186, 1);
    expect(yLast).toBeCloseTo(196 - (12_345 / 15_000) * 186, 1);
    expect(describeChart(model({}, (i) => ({ observed: i === 359 ? 12_345 : 1000 })))).toContain('now 12,345 per 10 s, expected 1,000');
  });

  it('draws the expected band from low to high, and the expected line', () => {
    const svg = renderHeartbeatChart(model());
    const polygon = svg.match(/<polygon class="expected-band" points="([^"]+)"/)?.[1] ?? '';
    const vertices = polygon.split(' ').map((p) => p.split(',').map(Number));
    expect(vertices).toHaveLength(720);
    // Ticks 0, 500, 1,000, 1,500: y(1250) and y(800).
    expect(vertices[0][1]).toBeCloseTo(196 - (1250 / 1500) * 186, 1);
    expect(vertices[719][1]).toBeCloseTo(196 - (800 / 1500) * 186, 1);
    expect(pathPoints(svg, 'expected')).toHaveLength(360);
    // No band while there is no baseline (cold start): nothing is invented.
    const none = renderHeartbeatChart(model({}, () => ({ expected: null, low: null, high: null })));
    expect(none).not.toContain('expected-band');
    expect(none).not.toContain('class="expected"');
  });

  it('shades each alarm episode over its time span, an open one up to the end', () => {
    const svg = renderHeartbeatChart(
      model({
        episodes: [
          { from: FROM + 30 * 60_000, to: FROM + 45 * 60_000, tier: 'major' },
          { from: FROM + 55 * 60_000, to: null, tier: 'critical' },
          { from: FROM - 7_200_000, to: FROM - 3_600_000, tier: 'major' }, // before the chart: not drawn
        ],
      }),
    );
    const rects = [...svg.matchAll(/<rect class="episode" x="([\d.]+)" y="10" width="([\d.]+)" height="186"><title>([^<]+)<\/title>/g)];
    expect(rects.map((r) => [Number(r[1]), Number(r[2])])).toEqual([
      [56 + 574 * 0.5, 574 * 0.25],
      [Number((56 + (574 * 55) / 60).toFixed(1)), Number(((574 * 5) / 60).toFixed(1))],
    ]);
    expect(rects.map((r) => r[3])).toEqual(['Below normal (major) from 11:30 to 11:45', 'Below normal (critical) since 11:55']);
    expect(describeChart(model({ episodes: [{ from: FROM + 30 * 60_000, to: FROM + 45 * 60_000, tier: 'major' }] }))).toContain(
      '1 period below normal shaded.',
    );
  });

  it('escapes every label that comes from the configuration', () => {
    const svg = renderHeartbeatChart(model({ label: 'Messages <b>"sent"</b> & more', region: 'eu' }));
    expect(svg).not.toContain('<b>');
    expect(svg).toContain('<title id="hb-messages-created-eu-1h-title">Messages &lt;b&gt;&quot;sent&quot;&lt;/b&gt; &amp; more in EU, last hour</title>');
    const spark = renderSparkline(model({ label: '<script>alert(1)</script>' }));
    expect(spark).not.toContain('<script>');
    expect(spark).toContain('aria-label="&lt;script&gt;alert(1)&lt;/script&gt; in EU, last hour: Normal"');
  });

  it('labels times in the zone given', () => {
    expect(texts(renderHeartbeatChart(model()), 'x-tick')).toEqual(['11:00', '11:10', '11:20', '11:30', '11:40', '11:50', '12:00']);
    // India is UTC+5:30; Kathmandu UTC+5:45: ticks stay on round local times.
    expect(texts(renderHeartbeatChart(model({ timeZone: 'Asia/Kolkata' })), 'x-tick')).toEqual(['16:30', '16:40', '16:50', '17:00', '17:10', '17:20', '17:30']);
    expect(texts(renderHeartbeatChart(model({ timeZone: 'Asia/Kathmandu' })), 'x-tick')).toEqual(['16:50', '17:00', '17:10', '17:20', '17:30', '17:40']);
    expect(describeChart(model({ timeZone: 'Asia/Kolkata' }))).toContain('Times in Asia/Kolkata.');
  });

  it('keeps 3-hourly ticks on the local clock across a DST change, the day named at midnight', () => {
    const from = Date.UTC(2026, 2, 28, 12, 0); // Berlin moves to summer time at 01:00 UTC on March 29
    const ticks = timeTicks(from, from + 86_400_000, '24h', 'Europe/Berlin');
    expect(ticks.map((t) => t.label)).toEqual(['15:00', '18:00', '21:00', 'Mar 29', '03:00', '06:00', '09:00', '12:00']);
    expect(ticks.map((t) => new Date(t.t).toISOString().slice(11, 16))).toEqual(['14:00', '17:00', '20:00', '23:00', '01:00', '04:00', '07:00', '10:00']);
    expect(timeTicks(from, from + 7 * 86_400_000, '7d', 'UTC').map((t) => t.label)).toEqual(['Mar 29', 'Mar 30', 'Mar 31', 'Apr 1', 'Apr 2', 'Apr 3', 'Apr 4']);
  });

  it('says when there is no data in the period instead of drawing a flat line', () => {
    const svg = renderHeartbeatChart(model({ seriesStart: null, summary: null }, () => ({ observed: null, expected: null, low: null, high: null })));
    expect(svg).not.toContain('class="observed"');
    expect(svg).toContain('No data in this period');
    expect(svg).toContain('no data; no data received yet.');
  });
});

describe('chartStatus', () => {
  it('says normal, below normal or no data since when, and the detection delay', () => {
    expect(chartStatus(model(), 'UTC')).toMatchObject({
      kind: 'ok',
      text: 'Normal',
      className: 's-operational',
      provisionalText: null,
      delayText: 'Detection delay: about 25 s',
    });
    const since = FROM + 40 * 60_000;
    const below = model({ summary: { ...OK, state: 'major', observed: 400, since, promisedDelaySeconds: 240 } });
    expect(chartStatus(below, 'UTC')).toMatchObject({
      kind: 'below',
      text: 'Below normal since 11:40',
      className: 's-partial_outage',
      delayText: 'Detection delay: about 4 min',
    });
    expect(describeChart({ ...below, timeZone: 'Europe/Berlin' })).toContain('now 1,000 per 10 s, expected 1,000; below normal since 12:40.');
    const stopped = model({ summary: { ...OK, state: 'critical', observed: 0, since } });
    expect(chartStatus(stopped, 'UTC')).toMatchObject({ kind: 'no_data', text: 'No data since 11:40', className: 's-major_outage' });
    // An onset on another local day carries its date.
    expect(chartStatus(model({ summary: { ...OK, state: 'critical', observed: 0, since: FROM - 86_400_000 } }), 'UTC').text).toBe('No data since Mar 9, 11:00');
  });

  it('says when the baseline is provisional (cold start), what alarms until when, and when no delay can be promised', () => {
    const weeklyAt = TO + 5 * 86_400_000;
    const warming = model({
      summary: { ...OK, provisional: true, baseline: 'daily', alarms: 'critical_only', weeklyBaselineFrom: weeklyAt, promisedDelaySeconds: null },
    });
    const note =
      'Baseline provisional: learning the weekly pattern. Only a stop or a drop below 10% of normal raises an alarm until Mar 15, 12:00, when 3 weeks of history give the weekly baseline; a drop below 50% of normal does not yet. Import history to detect drops now.';
    expect(chartStatus(warming, 'UTC')).toMatchObject({
      text: 'Normal',
      baselineText: 'Baseline: the same time of day on recent days of the same kind (weekday or weekend) (provisional)',
      provisionalText: note,
      delayText: 'Detection delay: none promised at the current level of activity',
    });
    expect(describeChart(warming)).toContain(`normal. ${note} Grey band`);
    // A metric that opted in to major alarms on a provisional baseline says so.
    const optedIn = model({ summary: { ...OK, provisional: true, baseline: 'recent', alarms: 'all', weeklyBaselineFrom: weeklyAt } });
    expect(chartStatus(optedIn, 'UTC').provisionalText).toBe(
      'Baseline provisional: learning the weekly pattern. A drop below 50% of normal raises an alarm already (alarm_while_provisional), with more false alarms than usual until Mar 15, 12:00, when 3 weeks of history give the weekly baseline.',
    );
    expect(chartStatus(model(), 'UTC')).toMatchObject({ baselineText: 'Baseline: the same time of week over the last 4 weeks', provisionalText: null });
    expect(chartStatus(model({ summary: { ...OK, alarms: 'critical_only' } }), 'UTC').provisionalText).toMatch(/^Holiday: only a stop/);
    const learning = model({
      summary: { ...OK, state: 'no_baseline', expected: null, provisional: true, baseline: 'none', alarms: 'none', promisedDelaySeconds: null },
    });
    expect(chartStatus(learning, 'UTC')).toMatchObject({
      kind: 'learning',
      text: 'Baseline provisional: learning the weekly pattern',
      provisionalText:
        'No drop raises an alarm until there is half an hour of data, and only a stop or a drop to near zero until 3 weeks of history give the weekly baseline. Import history to detect drops now.',
      delayText: 'Detection delay: not known yet',
    });
  });

  it('says a drop seen once is being checked, never "Normal" with nothing arriving', () => {
    const pending = model({ summary: { ...OK, state: 'pending', observed: 0, since: FROM + 59 * 60_000 } });
    expect(chartStatus(pending, 'UTC')).toMatchObject({ kind: 'pending', text: 'No data since 11:59, checking', className: 's-degraded_performance' });
    expect(chartStatus(model({ summary: { ...OK, state: 'pending', observed: 900, since: FROM } }), 'UTC').text).toBe(
      'Lower than normal since 11:00, checking',
    );
  });
});

describe('renderSparkline', () => {
  it('is a small standalone image of the last hour with its own light and dark colours, no axes', () => {
    const svg = renderSparkline(model({ episodes: [{ from: FROM + 30 * 60_000, to: FROM + 45 * 60_000, tier: 'major' }] }));
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" class="hb-spark" viewBox="0 0 120 28" width="120" height="28" role="img"/);
    expect(pathPoints(svg, 'observed')).toHaveLength(360);
    expect(svg).toContain('class="expected-band"');
    expect(svg).toMatch(/<rect class="episode" x="60" y="0" width="30" height="28">/);
    expect(svg).toContain('@media (prefers-color-scheme:dark)');
    expect(svg).not.toContain('<text');
  });
});

describe('chart data', () => {
  const data: HeartbeatChartData = model({}, (i) => (i === 0 ? { observed: null, expected: null, low: null, high: null, inEpisode: true } : {}));

  it('as CSV: one row per plotted point, empty cells for unknown values', () => {
    const lines = chartDataCsv(data).split('\r\n');
    expect(lines[0]).toBe('bucket_start,observed,expected,expected_low,expected_high,in_episode');
    expect(lines[1]).toBe('2026-03-10T11:00:00.000Z,,,,,true');
    expect(lines[2]).toBe('2026-03-10T11:00:10.000Z,1000,1000,800,1250,false');
    expect(lines).toHaveLength(362); // header, 360 rows, final line break
  });

  it('as JSON: the points with their unit and step, the state and the episodes', () => {
    const json = chartDataJson({ ...data, episodes: [{ from: FROM, to: null, tier: 'critical' }] });
    expect(json).toMatchObject({
      metric: 'messages-created',
      region: 'eu',
      range: '1h',
      bucket_seconds: 10,
      step_seconds: 10,
      unit: 'count per 10 s, averaged over each step of 10 s',
    });
    expect(json.state).toEqual({ state: 'ok', since: null, provisional: false, promised_delay_seconds: 25, evaluated_at: new Date(TO).toISOString() });
    expect(json.episodes).toEqual([{ started_at: '2026-03-10T11:00:00.000Z', ended_at: null, tier: 'critical' }]);
    expect(json.points[1]).toEqual({
      bucket_start: '2026-03-10T11:00:10.000Z',
      observed: 1000,
      pending: false,
      expected: 1000,
      expected_low: 800,
      expected_high: 1250,
      in_episode: false,
    });
  });
});

describe('chart scales', () => {
  it('steps: at most 720 points, whole buckets', () => {
    expect(chartStepSeconds('1h', 10)).toBe(10);
    expect(chartStepSeconds('24h', 10)).toBe(120);
    expect(chartStepSeconds('7d', 10)).toBe(900);
    expect(chartStepSeconds('1h', 60)).toBe(60);
    expect(chartStepSeconds('1h', 7)).toBe(14);
  });

  it('band: the recovery ratio around expected, widened to 3 Poisson deviations for small counts', () => {
    expect(expectedBand(1000, 0.8)).toEqual({ low: 800, high: 1250 });
    expect(expectedBand(4, 0.8)).toEqual({ low: 0, high: 10 });
    expect(expectedBand(0, 0.8)).toEqual({ low: 0, high: 0 });
  });

  it('y ticks: round steps from zero up to at least the maximum', () => {
    expect(yTicks(1234)).toEqual([0, 500, 1000, 1500]);
    expect(yTicks(0.3)).toEqual([0, 0.1, 0.2, 0.3]);
    expect(yTicks(0)).toEqual([0, 5, 10]);
  });
});
