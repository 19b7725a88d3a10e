import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { heartbeatSeries, validatePageDefinition } from '../../src/config.ts';
import { evaluateHeartbeats } from '../../src/services/heartbeats/evaluate-heartbeats.ts';
import { CACHE_CONTROL } from '../../src/snapshot/encoded-body.ts';
import { endEpisode, openEpisode } from '../../src/storage/heartbeat-episode-repository.ts';
import { rollUpHeartbeats } from '../../src/storage/heartbeat-repository.ts';
import { startTestApp, TEST_DEFINITION, type TestApp } from '../helpers/app.ts';
import { labelledOperator } from '../../src/domain/actor.ts';

/**
 * /heartbeat through the real app: EU has 4 weeks of history (weekly baseline) and steady
 * traffic, US stopped pushing 10 minutes ago (the detector fires), AU started 3 hours ago
 * (provisional baseline); an internal metric must not be exposed anywhere.
 */
const definition = validatePageDefinition({
  ...TEST_DEFINITION,
  heartbeats: [
    { key: 'messages-created', label: 'Messages created', description: 'Messages customers sent', bucket_seconds: 10, regions: ['eu', 'us', 'au'] },
    { key: 'queue-depth', label: 'Queue depth', bucket_seconds: 10, regions: ['eu'], public: false },
  ],
});
const METRIC = 'messages-created';
const MINUTE = 60_000;
const WEEK = 7 * 86_400_000;

let t: TestApp;
/** The clock when the data was laid down (a whole minute). */
let start: number;
let episode: { from: number; to: number };
/** When the detector says US stopped (its estimate of the onset), as HH:MM in UTC and in India. */
let usSince: { utc: string; india: string };
const hhmm = (t: number, timeZone: string) => new Intl.DateTimeFormat('en-US', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(t);

const get = (url: string, headers: Record<string, string> = {}) => t.app.inject({ method: 'GET', url, headers });
/** A page's HTML with the entities Handlebars writes in attributes decoded (`=` is written as &#x3D;). */
const page = async (url: string) => (await get(url)).body.replaceAll('&#x3D;', '=').replaceAll('&amp;', '&');
const tick = () =>
  evaluateHeartbeats(t.app.serviceContext(labelledOperator('system:heartbeat')), definition.heartbeats ?? [], { timeZone: 'UTC', maintenance: [] });

async function insertRaw(region: string, from: number, to: number, value: number) {
  await t.db.query(
    `INSERT INTO heartbeat_point (metric, region, bucket, value, received_at)
     SELECT $1, $2, b, $5, b FROM generate_series($3::timestamptz, $4::timestamptz - interval '10 seconds', interval '10 seconds') AS b
     ON CONFLICT (metric, region, bucket) DO UPDATE SET value = EXCLUDED.value`,
    [METRIC, region, new Date(from), new Date(to), value],
  );
}

beforeAll(async () => {
  t = await startTestApp({ definition });
  start = t.clock.now().getTime();
  // EU and US: the same four hours of the week, four weeks running, as 1-minute roll-ups (6,000 a minute = 1,000 per 10 s).
  for (const region of ['eu', 'us']) {
    for (let week = 1; week <= 4; week++) {
      await t.db.query(
        `INSERT INTO heartbeat_rollup (metric, region, resolution, bucket, value, samples)
         SELECT $1, $2, '1m', b, 6000, 6 FROM generate_series($3::timestamptz, $4::timestamptz, interval '1 minute') AS b`,
        [METRIC, region, new Date(start - week * WEEK - 4 * 60 * MINUTE), new Date(start - week * WEEK + 60 * MINUTE)],
      );
    }
  }
  // The last three hours as raw buckets: EU and AU keep going (a little ahead, as if pushed on time), US stopped 10 minutes ago.
  await insertRaw('eu', start - 180 * MINUTE, start + 5 * MINUTE, 1000);
  await insertRaw('au', start - 180 * MINUTE, start + 5 * MINUTE, 1000);
  await insertRaw('us', start - 180 * MINUTE, start - 10 * MINUTE, 1000);
  await rollUpHeartbeats(t.db, { from: new Date(start - 181 * MINUTE), to: new Date(start) }, heartbeatSeries(definition));
  // A past alarm episode of EU, 50 to 40 minutes ago.
  episode = { from: start - 50 * MINUTE, to: start - 40 * MINUTE };
  const id = await openEpisode(t.db, { metric: METRIC, region: 'eu' }, { startedAt: new Date(episode.from), tier: 'major', incidentId: null });
  await endEpisode(t.db, id, new Date(episode.to));
  // Two evaluations 10 s apart: US fires (no data), EU stays normal.
  expect((await tick()).transitions).toEqual([]);
  t.clock.advance(10_000);
  expect((await tick()).transitions).toEqual([`fired:${METRIC}:us`]);
  await t.settle();
  const [row] = await t.db.query<{ summary: { since: string } }>("SELECT summary FROM detector_state WHERE metric = $1 AND region = 'us'", [METRIC]);
  const since = Date.parse(row.summary.since);
  expect(since).toBeGreaterThanOrEqual(start - 10 * MINUTE);
  usSince = { utc: hhmm(since, 'UTC'), india: hhmm(since, 'Asia/Kolkata') };
});
afterAll(() => t?.close());

/** The charts in their wide layout (each also comes in a narrow one for phones). */
function svgs(html: string): string[] {
  return (html.match(/<svg[\s\S]*?<\/svg>/g) ?? []).filter((svg) => !svg.includes('hb-narrow'));
}

/** Points of the observed line (M and L commands of its path). */
function observedPoints(svg: string): number {
  const d = svg.match(/<path class="observed"[^>]* d="([^"]+)"/)?.[1] ?? '';
  return (d.match(/[ML]/g) ?? []).length;
}

describe('heartbeat pages', () => {
  it('GET /heartbeat charts every public series with the observed line, the expected band and the state in words', async () => {
    const response = await get('/heartbeat');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.headers['cache-control']).toBe(CACHE_CONTROL);
    const html = response.body.replaceAll('&#x3D;', '=').replaceAll('&amp;', '&');
    const charts = svgs(html);
    expect(charts).toHaveLength(3);
    for (const svg of charts) {
      expect(svg).toContain('role="img"');
      expect(svg).toMatch(/<title id="[^"]+-title">Messages created in (EU|US|AU), last 24 hours<\/title>/);
      expect(svg).toContain('class="observed"');
      expect(svg).toContain('class="expected-band"');
    }
    // 24 h at 2-minute steps.
    expect(observedPoints(charts[0])).toBe(720);
    expect(html).toMatch(
      /id="hb-messages-created-eu-24h-h"><a href="\/heartbeat\/messages-created\/eu" data-tz>Messages created in EU<\/a><\/h2><span class="status s-operational">Normal<\/span>/,
    );
    expect(html).toContain(`Messages created in US</a></h2><span class="status s-major_outage">No data since ${usSince.utc}</span>`);
    expect(html).toMatch(
      /Messages created in AU<\/a><\/h2><span class="status s-operational">Normal<\/span>[\s\S]*Baseline provisional: learning the weekly pattern/,
    );
    expect(html).toMatch(/Detection delay: about \d+ s/);
    expect(html).toContain('<a href="/heartbeat/messages-created/eu/data.csv?range=24h">CSV');
    expect(html).toContain('<a href="/heartbeat/messages-created/eu/data.json?range=24h">JSON');
    expect(html).toContain('<a href="/heartbeat?range=1h" data-tz>1 hour</a>');
    expect(html).toContain('<a href="/heartbeat?range=24h" data-tz aria-current="page">24 hours</a>');
    expect(html).toContain('Times in UTC.');
    // The page and its charts never expose the internal metric.
    expect(html).not.toMatch(/queue|Queue/);
  });

  it('shades the alarm periods: the past EU episode and the open US one', async () => {
    const html = (await get('/heartbeat?range=1h')).body;
    const [eu, us] = svgs(html);
    expect(observedPoints(eu)).toBe(360);
    expect(eu.match(/<rect class="episode"/g)).toHaveLength(1);
    expect(eu).toContain('<title>Below normal (major) from 11:10 to 11:20</title>');
    expect(us).toMatch(new RegExp(`<rect class="episode"[^>]*><title>Below normal \\(critical\\) since ${usSince.utc}</title>`));
  });

  it('serves the plotted points as JSON: observed, expected from the weekly baseline, band and episode flags', async () => {
    const response = await get(`/heartbeat/${METRIC}/eu/data.json?range=1h`);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    const data = response.json();
    expect(data).toMatchObject({ metric: METRIC, region: 'eu', range: '1h', bucket_seconds: 10, step_seconds: 10, state: { state: 'ok', provisional: false } });
    expect(data.state.promised_delay_seconds).toBeGreaterThan(0);
    expect(data.points).toHaveLength(360);
    const last = data.points[359];
    // The last closed bucket: now (start + 10 s) minus the 5 s grace, down to a 10 s boundary, is where it ends.
    expect(last.bucket_start).toBe(new Date(start - 10_000).toISOString());
    for (const point of data.points) {
      expect(point.observed).toBe(1000);
      expect(point.expected).toBeCloseTo(1000, 6);
      expect(point.expected_low).toBeCloseTo(800, 6);
      expect(point.expected_high).toBeCloseTo(1250, 6);
      const at = Date.parse(point.bucket_start);
      expect(point.in_episode, point.bucket_start).toBe(at < episode.to && at + 10_000 > episode.from);
    }
    expect(data.points.filter((p: { in_episode: boolean }) => p.in_episode)).toHaveLength(60);
    expect(data.episodes).toEqual([{ started_at: new Date(episode.from).toISOString(), ended_at: new Date(episode.to).toISOString(), tier: 'major' }]);
  });

  it('serves the same points as CSV', async () => {
    const response = await get(`/heartbeat/${METRIC}/eu/data.csv?range=24h`);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/csv; charset=utf-8/);
    const lines = response.body.trimEnd().split('\r\n');
    expect(lines[0]).toBe('bucket_start,observed,expected,expected_low,expected_high,in_episode');
    expect(lines).toHaveLength(721);
    const last = lines[720].split(',');
    expect(last[0]).toBe(new Date(start - 2 * MINUTE).toISOString());
    expect(Number(last[1])).toBe(1000);
    expect(Number(last[2])).toBeCloseTo(1000, 6);
    expect(last[5]).toBe('false');
    // Three hours ago the series had no raw buckets: 0 observed (missing pushes count as none), expected still known.
    const early = lines[1].split(',');
    expect(early[1]).toBe('0');
  });

  it('says when the baseline is provisional (cold start) in the data too', async () => {
    const data = (await get(`/heartbeat/${METRIC}/au/data.json?range=1h`)).json();
    expect(data.state).toMatchObject({ state: 'ok', provisional: true });
    expect(data.points.at(-1)).toMatchObject({ observed: 1000, expected: 1000 });
  });

  it('GET /heartbeat/:metric/:region shows one series over the three ranges', async () => {
    const response = await get(`/heartbeat/${METRIC}/us`);
    expect(response.statusCode).toBe(200);
    const html = response.body.replaceAll('&#x3D;', '=');
    expect(html).toContain('<h1>Messages created in US</h1>');
    expect(html).toContain('<p>Messages customers sent</p>');
    expect(html).toContain(`<span class="status s-major_outage">No data since ${usSince.utc}</span>`);
    const charts = svgs(html);
    expect(charts.map((svg) => svg.match(/<title id="[^"]+">([^<]+)<\/title>/)?.[1])).toEqual([
      'Messages created in US, last hour',
      'Messages created in US, last 24 hours',
      'Messages created in US, last 7 days',
    ]);
    expect(charts.map(observedPoints)).toEqual([360, 720, 672]);
    expect(html).toContain(`/heartbeat/${METRIC}/us/data.csv?range=7d`);
  });

  it('serves the sparkline as an SVG image', async () => {
    const response = await get(`/heartbeat/${METRIC}/eu/sparkline.svg`);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('image/svg+xml; charset=utf-8');
    expect(response.headers['content-security-policy']).toBe("default-src 'none'; style-src 'unsafe-inline'");
    expect(response.body).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" class="hb-spark"[^>]* width="120" height="28"/);
    expect(observedPoints(response.body)).toBe(360);
    expect(response.body).toContain('Messages created in EU, last hour: Normal');
  });

  it('lists a sparkline per public series on the main page', async () => {
    const html = (await get('/')).body;
    expect(html).toContain('<h2 id="activity-heading">Live activity</h2>');
    for (const region of ['eu', 'us', 'au']) {
      expect(html).toContain(
        `<a href="/heartbeat/${METRIC}/${region}"><span>Messages created in ${region.toUpperCase()}</span><img src="/heartbeat/${METRIC}/${region}/sparkline.svg" alt="chart of the last hour" width="120" height="28"></a>`,
      );
    }
    expect(html).toContain('<a href="/heartbeat">');
    expect(html).not.toContain('queue-depth');
    expect((await get(`/heartbeat/${METRIC}/eu/sparkline.svg`)).statusCode).toBe(200);
  });

  it('answers the site 404 page for an unknown or internal series', async () => {
    for (const url of [
      `/heartbeat/nope/eu`,
      `/heartbeat/${METRIC}/xx`,
      `/heartbeat/${METRIC}/EU`,
      `/heartbeat/Messages%20%3Cb%3E/eu/data.csv`,
      '/heartbeat/queue-depth/eu',
      '/heartbeat/queue-depth/eu/data.json',
      '/heartbeat/queue-depth/eu/data.csv',
      '/heartbeat/queue-depth/eu/sparkline.svg',
    ]) {
      const response = await get(url);
      expect(response.statusCode, url).toBe(404);
      expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(response.body).toContain('<h1>Not found</h1>');
      expect(response.body).toContain('<title>Not found · Acme Chat</title>');
    }
  });

  it('refuses a bad range or time zone with a 400 naming the field', async () => {
    for (const [url, field] of [
      ['/heartbeat?range=2d', 'range'],
      [`/heartbeat/${METRIC}/eu/data.json?range=1y`, 'range'],
      ['/heartbeat?tz=Mars/Olympus_Mons', 'tz'],
      ['/heartbeat?tz=%3Cscript%3E', 'tz'],
      [`/heartbeat/${METRIC}/eu?tz=Not/AZone`, 'tz'],
    ]) {
      const response = await get(url);
      expect(response.statusCode, url).toBe(400);
      expect(response.json(), url).toMatchObject({ error: 'invalid_input', field });
    }
  });

  it('shows times in the zone asked for (canonical name), else the page zone', async () => {
    // ICU's canonical name for India's zone is the older Asia/Calcutta (what browsers report, too).
    const html = await page('/heartbeat?range=1h&tz=Asia/Kolkata');
    expect(html).toContain('Times in Asia/Calcutta.');
    // 11:30 UTC is 17:00 in India (UTC+5:30).
    expect(svgs(html)[0]).toContain('>17:00</text>');
    expect(html).toContain('<a href="/heartbeat?range=24h&tz=Asia%2FCalcutta" data-tz>24 hours</a>');
    expect(html).toContain(`No data since ${usSince.india}`);
    expect((await get('/heartbeat?range=1h')).body).toContain('>11:30</text>');
    expect(await page('/heartbeat?tz=europe/berlin')).toContain('Times in Europe/Berlin.');
  });

  it('serves every spelling of one zone from one cached chart (the case of ?tz cannot bust the cache)', async () => {
    for (const spellings of [
      ['Europe/Paris', 'europe/paris', 'EUROPE/PARIS'],
      ['Asia/Kolkata', 'asia/kolkata', 'ASIA/KOLKATA', 'Asia/Calcutta'],
    ]) {
      const answers = [];
      for (const tz of spellings) answers.push(await get(`/heartbeat?range=1h&tz=${encodeURIComponent(tz)}`));
      expect(answers.map((a) => a.statusCode)).toEqual(spellings.map(() => 200));
      // One cache entry: the same bytes and the same ETag, whatever the spelling.
      expect(new Set(answers.map((a) => a.headers.etag)).size, spellings.join(', ')).toBe(1);
      expect(new Set(answers.map((a) => a.body)).size).toBe(1);
    }
  });

  it('answers 304 to a matching If-None-Match, in any encoding', async () => {
    const first = await get('/heartbeat', { 'accept-encoding': 'gzip' });
    expect(first.headers['content-encoding']).toBe('gzip');
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"[\w-]+-gzip"$/);
    const again = await get('/heartbeat', { 'accept-encoding': 'gzip', 'if-none-match': etag });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
  });

  it('builds each document at most once per detector tick; the next tick shows new data', async () => {
    // Put the clock 1 s into a 5 s detector tick, 6 s after a bucket boundary (so the last closed bucket ends at that boundary).
    const boundary = Math.ceil((t.clock.now().getTime() + 10_000) / 10_000) * 10_000;
    t.clock.set(new Date(boundary + 6_000));
    const url = `/heartbeat/${METRIC}/eu/data.json?range=1h`;
    const before = await get(url);
    expect(before.json().points.at(-1)).toMatchObject({ bucket_start: new Date(boundary - 10_000).toISOString(), observed: 1000 });
    // A late correction of that bucket, a push for the next one, and a new detector verdict...
    await insertRaw('eu', boundary - 10_000, boundary, 1234);
    await insertRaw('eu', boundary, boundary + 10_000, 4321);
    const saved = await t.db.query<{ summary: object }>("SELECT summary FROM detector_state WHERE metric = $1 AND region = 'eu'", [METRIC]);
    await t.db.query("UPDATE detector_state SET summary = summary || $2::jsonb WHERE metric = $1 AND region = 'eu'", [
      METRIC,
      JSON.stringify({ state: 'major', observed: 10 }),
    ]);
    // ...are not seen within the tick: the same body, built once (same Last-Modified, a second later).
    t.clock.advance(1_000);
    const within = await get(url);
    expect(within.headers.etag).toBe(before.headers.etag);
    expect(within.headers['last-modified']).toBe(before.headers['last-modified']);
    expect(within.body).toBe(before.body);
    expect(within.json().state.state).toBe('ok');
    // The next bucket closes 15 s after the boundary, three ticks later.
    t.clock.set(new Date(boundary + 16_000));
    const after = await get(url);
    expect(after.headers.etag).not.toBe(before.headers.etag);
    expect(after.json().state.state).toBe('major');
    expect(
      after
        .json()
        .points.slice(-2)
        .map((p: { observed: number }) => p.observed),
    ).toEqual([1234, 4321]);
    await t.db.query("UPDATE detector_state SET summary = $2 WHERE metric = $1 AND region = 'eu'", [METRIC, JSON.stringify(saved[0].summary)]);
    expect((await get(url, { 'if-none-match': before.headers.etag as string })).statusCode).toBe(200);
  });
});
