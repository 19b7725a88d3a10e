// npm run bench:heartbeat — heartbeat ingest throughput and time to notice, against a real Lifeline
// server process (node src/server.ts, default roles web+worker) on a scratch PostgreSQL database.
//
// Phase 1, ingest: HB_CONNECTIONS keep-alive connections (undici Pool, one request in flight each)
//   POST /api/v1/heartbeats with HB_BATCH points per request, every point a distinct
//   (metric, region, bucket) of the non-public metric `ingest-bench` (1 s buckets) × HB_REGIONS regions, with
//   timestamps between 47.5 h and 26 h ago (older than anything the detector reads, so those series
//   never fire). Prints points/s, requests/s, latency, errors, CPU (Lifeline, PostgreSQL backends of
//   the bench database, the bench itself) against the 20,000 points/s target, and checks that
//   heartbeat_point holds exactly the points acknowledged with 202.
// Phase 2, time to notice: 5 weeks of history for `messages-created` / `eu` (~HB_RATE per 10 s with a
//   daily shape; 1-minute roll-ups in heartbeat_rollup, then raw heartbeat_point rows for the last
//   25 h) written with SQL, so the detector has a weekly (non-provisional) baseline; a generator
//   pushes each 10 s bucket 0.5 s after it ends, for HB_LIVE_SECONDS, then stops (the drop to zero).
//   t0 = start of the first missing bucket (= end of the last pushed bucket). From t0 it prints
//   (a) the first /api/v2/summary.json (polled every 250 ms) with an unresolved incident,
//   (b) the alert webhook (`alert.webhooks`) arriving at a loopback receiver, with its event_type,
//   (c) the first email to the confirmed subscriber accepted by the in-process SMTP server (the
//   responder alert email to oncall@acme.example is reported too), each with its target.
// Phase 3, time to notice a depression: 4 weeks of 1-minute history for `sessions-started` / `eu`
//   imported through POST /api/v1/heartbeats/history (timed), then live pushes at the normal level
//   for HB_DEPRESSION_LIVE_SECONDS, then at HB_DEPRESSION_LEVEL_PERCENT (45) % of normal, pushes going on.
//   t0 = start of the first low bucket. From t0 it prints (a) the notice in /api/v2/summary.json,
//   (b) the alert webhook (its own path) and (c) the responder alert email, against 60 s.
//
// Settings (environment):
//   HB_INGEST_SECONDS=15      recorded ingest window (after HB_WARMUP_SECONDS=3 unrecorded)
//   HB_CONNECTIONS=64         keep-alive connections of the ingest load
//   HB_BATCH=500              points per request (the API takes up to 5,000)
//   HB_REGIONS=40             regions of the ingest metric (= series; 1 s buckets: 77,400 distinct points each)
//   HB_SKIP_INGEST=1 / HB_SKIP_NOTICE=1 / HB_SKIP_DEPRESSION=1   leave a phase out
//   HB_DEPRESSION_LIVE_SECONDS=60   normal live pushes before the depression
//   HB_DEPRESSION_LEVEL_PERCENT=45  the depression level, in percent of normal
//   HB_LIVE_SECONDS=60        live pushes before the drop
//   HB_RATE=3000              daily mean count per 10 s bucket of the noticed series
//   HB_SUBSCRIBERS=1          confirmed email subscribers: one through the API, the rest written with SQL
//                             (shows whether the responder alert waits behind a large public fan-out)
//   HB_NOTICE_TIMEOUT_SECONDS=150   how long after t0 to wait for (a), (b) and (c)
//   HB_POSTGRES_URL=postgres://postgres@127.0.0.1:5432   server for the scratch database (created and dropped)
//   HB_DEADLINE_SECONDS=600   overall bound; at the deadline everything is stopped and cleaned up
//   HB_CPU_PROF=1             Lifeline runs with --cpu-prof; a summary is printed (covers the phases that ran)
//   HB_KEEP_TMP=1             keep the scratch folder (server log, profile) instead of removing it
// Everything runs on 127.0.0.1; every child is stopped by PID and the database dropped, even on failure.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { GroupSampler, type GroupWindow } from './fanout-procs.ts';
import { formatSummary, summarizeProfile } from './fanout-profile.ts';
import { createScratchDatabase, createToken, freePort, type ScratchDatabase } from './lib/lifeline.ts';
import { runPostLoad, type LoadItem, type PostLoadResult } from './lib/post-load.ts';
import { startChild, stopAllChildren, stopChild, waitForHttp200, type Child } from './lib/processes.ts';
import { fmt, LIFELINE_NODE_FLAGS, setting, sleep } from './lib/settings.ts';
import { startSmtpSink, type SmtpSink } from './lib/smtp-sink.ts';
import { startWebhookReceiver, type WebhookReceiver } from './lib/webhook-receiver.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
process.chdir(ROOT);

const HOST = '127.0.0.1';
const NODE = join(ROOT, 'node_modules/.bin/node');
const NODE_FLAGS = ['--disable-warning=ExperimentalWarning'];
const flag = (name: string) => /^(1|true|yes)$/i.test(process.env[name] ?? '');

const INGEST_SECONDS = setting('HB_INGEST_SECONDS', 15, 1, 120);
const WARMUP_SECONDS = setting('HB_WARMUP_SECONDS', 3, 0, 30);
const CONNECTIONS = setting('HB_CONNECTIONS', 64, 1, 1024);
const BATCH = setting('HB_BATCH', 500, 1, 5000);
const REGIONS = setting('HB_REGIONS', 40, 1, 2000);
const LIVE_SECONDS = setting('HB_LIVE_SECONDS', 60, 20, 600);
const RATE = setting('HB_RATE', 3000, 10, 10_000_000);
const SUBSCRIBERS = setting('HB_SUBSCRIBERS', 1, 1, 200_000);
const NOTICE_TIMEOUT_SECONDS = setting('HB_NOTICE_TIMEOUT_SECONDS', 150, 30, 900);
const DEADLINE_SECONDS = setting('HB_DEADLINE_SECONDS', 600, 60, 3600);
const SKIP_INGEST = flag('HB_SKIP_INGEST');
const SKIP_NOTICE = flag('HB_SKIP_NOTICE');
const SKIP_DEPRESSION = flag('HB_SKIP_DEPRESSION');
const DEPRESSION_LIVE_SECONDS = setting('HB_DEPRESSION_LIVE_SECONDS', 60, 20, 600);
const DEPRESSION_LEVEL_PERCENT = setting('HB_DEPRESSION_LEVEL_PERCENT', 45, 1, 90);
const CPU_PROF = flag('HB_CPU_PROF');
const KEEP_TMP = flag('HB_KEEP_TMP');
const POSTGRES_URL = process.env.HB_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432';
if (SKIP_INGEST && SKIP_NOTICE && SKIP_DEPRESSION) throw new Error('HB_SKIP_INGEST, HB_SKIP_NOTICE and HB_SKIP_DEPRESSION are all set: nothing to do');

const TARGETS = { pointsPerSecond: 20_000, noticeS: 45, webhookS: 45, emailS: 60, depressionS: 60 };
const BUCKET_MS = 10_000;
const INGEST_BUCKET_MS = 1_000;
const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const INGEST_METRIC = 'ingest-bench';
const NOTICE_METRIC = 'messages-created';
const NOTICE_REGION = 'eu';
const SUBSCRIBER_EMAIL = 'customer@subscriber.example';
const ONCALL_EMAIL = 'oncall@acme.example';
const ALERT_PATH = '/page-me';
const DEPRESSION_METRIC = 'sessions-started';
const DEPRESSION_NOTICE = 'Reduced activity: Sessions started in EU';
const DEPRESSION_PATH = '/depression';
const DEPRESSION_EMAIL = 'growth-oncall@acme.example';
const DEPRESSION_HISTORY_DAYS = 28;
/** Ingest timestamps: from 47.5 h ago (the API takes 48 h) to 26 h ago (the detector reads the last 25 h raw). */
const INGEST_OLDEST_MS = 47.5 * HOUR_MS;
const INGEST_NEWEST_MS = 26 * HOUR_MS;
const HISTORY_DAYS = 35;
const PUSH_DELAY_MS = 500;

const wall = () => performance.timeOrigin + performance.now();
const started = wall();
const log = (message: string) =>
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)} +${((wall() - started) / 1000).toFixed(1).padStart(5)} s] ${message}\n`);
const iso = (ms: number) => new Date(ms).toISOString();
const secs = (ms: number | null | undefined, digits = 1) => (ms == null || !Number.isFinite(ms) ? '–' : `${fmt(ms / 1000, digits)} s`);
const verdict = (ms: number | null, targetS: number) => (ms === null ? 'MISSED (not received)' : ms <= targetS * 1000 ? 'PASS' : 'MISSED');

// ---- state the cleanup needs ---------------------------------------------------------------

const state = {
  tmp: null as string | null,
  db: null as ScratchDatabase | null,
  smtp: null as SmtpSink | null,
  receiver: null as WebhookReceiver | null,
  sampler: null as GroupSampler | null,
  lifeline: null as Child | null,
  serverLog: null as string | null,
  cleanup: null as Promise<void> | null,
  exitCode: 0,
  report: [] as string[],
};

function cleanup(): Promise<void> {
  state.cleanup ??= (async () => {
    state.sampler?.stop();
    const stopped = await stopAllChildren();
    if (stopped.length > 0) log(`stopped ${stopped.join(', ')}`);
    await state.smtp?.close().catch(() => {});
    await state.receiver?.close().catch(() => {});
    if (state.db) {
      const error = await state.db.drop();
      log(error ? `WARNING: could not drop database ${state.db.name}: ${error}` : `dropped database ${state.db.name}`);
    }
    if (state.tmp) {
      if (KEEP_TMP) log(`kept ${state.tmp}`);
      else rmSync(state.tmp, { recursive: true, force: true });
    }
  })();
  return state.cleanup;
}

function printReport(): void {
  if (state.report.length > 0) process.stdout.write(`${state.report.join('\n')}\n`);
  state.report = [];
}

function abort(reason: string, code: number): void {
  if (state.exitCode === 0) state.exitCode = code;
  log(reason);
  printReport();
  void cleanup().finally(() => process.exit(state.exitCode));
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => abort(`${signal}: stopping`, 130));
const deadline = setTimeout(() => abort(`ERROR: the bench exceeded HB_DEADLINE_SECONDS=${DEADLINE_SECONDS}; stopping`, 1), DEADLINE_SECONDS * 1000);
deadline.unref();

const p = (line = '') => state.report.push(line);

// ---- the page definition -------------------------------------------------------------------

const regionName = (i: number) => `r${String(i + 1).padStart(4, '0')}`;

function pageDefinition(alertUrl: string, depressionUrl: string): string {
  const definition = {
    page: { name: 'Acme Chat (heartbeat bench)', url: 'https://www.acme.example', time_zone: 'Etc/UTC' },
    groups: [
      {
        key: 'europe',
        name: 'Europe',
        components: [
          { key: 'eu-messaging', name: 'Messaging' },
          { key: 'eu-api', name: 'API' },
        ],
      },
    ],
    heartbeats: [
      // First, so the detector evaluates it first on every tick.
      {
        key: NOTICE_METRIC,
        label: 'Messages created',
        description: 'Messages our customers created',
        bucket_seconds: 10,
        regions: [NOTICE_REGION],
        public: true,
        notify_subscribers: true,
        alert: { webhooks: [alertUrl], emails: [ONCALL_EMAIL] },
      },
      {
        key: DEPRESSION_METRIC,
        label: 'Sessions started',
        bucket_seconds: 10,
        regions: [NOTICE_REGION],
        public: true,
        alert: { webhooks: [depressionUrl], emails: [DEPRESSION_EMAIL] },
      },
      // 1 s buckets: 10 times the distinct (region, bucket) keys per series in the allowed window, so
      // a long run needs few series (every declared series costs the detector a little on each tick).
      {
        key: INGEST_METRIC,
        label: 'Ingest bench',
        bucket_seconds: INGEST_BUCKET_MS / 1000,
        regions: Array.from({ length: REGIONS }, (_, i) => regionName(i)),
        public: false,
      },
    ],
  };
  return `# Generated by bench/heartbeat.ts\n${JSON.stringify(definition, null, 2)}\n`;
}

// ---- HTTP helpers --------------------------------------------------------------------------

async function api<T>(base: string, token: string, method: string, path: string, body?: unknown, okStatus = 200): Promise<T> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  if (response.status !== okStatus) throw new Error(`${method} ${path}: HTTP ${response.status} ${text.slice(0, 300)}`);
  return (text ? JSON.parse(text) : null) as T;
}

// ---- phase 1: ingest -----------------------------------------------------------------------

interface IngestResult {
  load: PostLoadResult;
  cpu: GroupWindow | null;
  capacity: number;
  rows: number;
  rowsMs: number;
}

async function phaseIngest(base: string, token: string, db: ScratchDatabase): Promise<IngestResult> {
  const now = Date.now();
  const oldest = Math.ceil((now - INGEST_OLDEST_MS) / INGEST_BUCKET_MS) * INGEST_BUCKET_MS;
  const newest = Math.floor((now - INGEST_NEWEST_MS) / INGEST_BUCKET_MS) * INGEST_BUCKET_MS;
  const buckets = (newest - oldest) / INGEST_BUCKET_MS;
  const stamps = Array.from({ length: buckets }, (_, i) => iso(oldest + i * INGEST_BUCKET_MS));
  const regions = Array.from({ length: REGIONS }, (_, i) => regionName(i));
  const capacity = buckets * REGIONS;
  let k = 0;
  let seed = 12345;
  // Point k: region k mod R, bucket k div R; consecutive points in a batch are different series.
  const next = (): LoadItem | null => {
    if (k >= capacity) return null;
    const n = Math.min(BATCH, capacity - k);
    const parts = new Array<string>(n);
    for (let i = 0; i < n; i++, k++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      parts[i] = `{"metric":"${INGEST_METRIC}","region":"${regions[k % REGIONS]}","timestamp":"${stamps[Math.floor(k / REGIONS)]}","value":${seed % 5000}}`;
    }
    return { body: `{"points":[${parts.join(',')}]}`, items: n };
  };
  log(
    `phase 1: ${CONNECTIONS} connections × ${BATCH} points per request, ${WARMUP_SECONDS} s warm-up + ${INGEST_SECONDS} s; ${REGIONS} series × ${fmt(buckets)} buckets = ${fmt(capacity)} distinct points available`,
  );
  const load = await runPostLoad({
    origin: base,
    path: '/api/v1/heartbeats',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    connections: CONNECTIONS,
    warmupMs: WARMUP_SECONDS * 1000,
    measureMs: INGEST_SECONDS * 1000,
    next,
    okStatus: 202,
  });
  await sleep(600);
  state.sampler?.take();
  const cpu = state.sampler?.window(load.windowStart, load.windowEnd) ?? null;
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const t0 = performance.now();
    const rows = Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM heartbeat_point WHERE metric = $1', [INGEST_METRIC])).rows[0].n);
    const rowsMs = performance.now() - t0;
    if (!SKIP_NOTICE) {
      // Phase 2 should not pay for the bench's bulk data (the maintenance job scans all of heartbeat_point).
      await client.query('DELETE FROM heartbeat_point WHERE metric = $1', [INGEST_METRIC]);
      await client.query('VACUUM ANALYZE heartbeat_point');
    }
    return { load, cpu, capacity, rows, rowsMs };
  } finally {
    await client.end();
  }
}

function reportIngest(r: IngestResult): void {
  const l = r.load;
  const seconds = (l.windowEnd - l.windowStart) / 1000;
  const ratio = l.itemsPerSecond / TARGETS.pointsPerSecond;
  p(`Phase 1 · ingest: POST /api/v1/heartbeats, ${CONNECTIONS} keep-alive connections (undici Pool, 1 in flight each), ${BATCH} points per request,`);
  p(
    `  ${REGIONS} series of ${INGEST_METRIC} (${INGEST_BUCKET_MS / 1000} s buckets, timestamps 47.5 h to 26 h ago, each (metric, region, bucket) once); ${WARMUP_SECONDS} s warm-up + ${fmt(seconds, 1)} s recorded`,
  );
  p(
    `  points/s ${fmt(l.itemsPerSecond)} · requests/s ${fmt(l.requestsPerSecond, 1)} · latency p50 ${fmt(l.latencyMs.p50, 1)} ms, p90 ${fmt(l.latencyMs.p90, 1)} ms, p99 ${fmt(l.latencyMs.p99, 1)} ms, max ${fmt(l.latencyMs.max)} ms, mean ${fmt(l.latencyMs.mean, 1)} ms`,
  );
  p(`  target ≥ ${fmt(TARGETS.pointsPerSecond)} points/s: ratio ${fmt(ratio, 2)} → ${ratio >= 1 ? 'PASS' : 'MISSED'}`);
  const statuses = Object.entries(l.total.statuses)
    .map(([s, n]) => `${s}×${fmt(n)}`)
    .join(', ');
  p(
    `  errors ${fmt(l.total.errors)} of ${fmt(l.total.requests)} requests (whole run: ${statuses || 'none'})${l.total.errorSamples.length ? `; first: ${l.total.errorSamples[0]}` : ''}`,
  );
  if (l.exhausted) p(`  NOTE: all ${fmt(r.capacity)} distinct points were sent before the window ended: raise HB_REGIONS for a longer run`);
  const lossless = r.rows === l.total.okItems;
  p(
    `  stored: heartbeat_point has ${fmt(r.rows)} rows for ${fmt(l.total.okItems)} points acknowledged (202) of ${fmt(l.total.sentItems)} sent → ${lossless ? 'no data lost' : `MISMATCH (${fmt(r.rows - l.total.okItems)})`} (count took ${fmt(r.rowsMs)} ms)`,
  );
  const c = r.cpu;
  if (c) {
    const pct = (name: string) => c.pct[name] ?? null;
    const perK = (name: string) => (pct(name) == null || !(l.itemsPerSecond > 0) ? null : (((pct(name) as number) * 10) / l.itemsPerSecond) * 1000);
    p(
      `  CPU (% of one core; ${cpus().length} cores = ${cpus().length * 100}%): Lifeline ${fmt(pct('lifeline'))}%, PostgreSQL backends of the bench database ${fmt(pct('postgres'))}% + shared PostgreSQL processes (WAL writer, checkpointer…) ${fmt(pct('pg-shared'))}%, bench client ${fmt(pct('bench'))}%, other ${fmt(c.otherPct)}%, machine ${fmt(c.machineBusyPct)}%`,
    );
    p(`  CPU per 1,000 points: Lifeline ${fmt(perK('lifeline'), 1)} ms, PostgreSQL ${fmt(perK('postgres'), 1)} ms, client ${fmt(perK('bench'), 1)} ms`);
    if ((c.otherPct ?? 0) > 25) p(`  WARNING: ${fmt(c.otherPct)}% of a core went to processes outside the bench: figures are depressed.`);
  }
}

// ---- phase 2: time to notice ---------------------------------------------------------------

/** Deterministic PRNG (mulberry32) and a standard normal, so runs are comparable. */
function rng(seed: number) {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { uniform, normal: () => Math.sqrt(-2 * Math.log(uniform() || 1e-12)) * Math.cos(2 * Math.PI * uniform()) };
}

/** Expected count of the 10 s bucket starting at t: RATE on average, ±40% over the day (peak at 12:00 UTC). */
const shape = (t: number) => RATE * (1 + 0.4 * Math.sin((2 * Math.PI * ((t % DAY_MS) - 6 * HOUR_MS)) / DAY_MS));
/** A Poisson-like draw around `mean` (normal approximation). */
const draw = (mean: number, normal: () => number) => Math.max(0, Math.round(mean + Math.sqrt(mean) * normal()));

async function seedHistory(db: ScratchDatabase, lastBucket: number): Promise<{ rollups: number; raw: number; ms: number; from: number; split: number }> {
  const t0 = performance.now();
  const { normal } = rng(42);
  const from = Math.floor((lastBucket - HISTORY_DAYS * DAY_MS) / MINUTE_MS) * MINUTE_MS;
  // Raw buckets from a little more than 25 h back (what the detector reads raw), roll-ups before.
  const split = Math.floor((lastBucket - 25 * HOUR_MS - 15 * MINUTE_MS) / MINUTE_MS) * MINUTE_MS;
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  let rollups = 0;
  let raw = 0;
  try {
    await client.query('BEGIN');
    const chunk = 20_000;
    for (let start = from; start < split; start += chunk * MINUTE_MS) {
      const buckets: string[] = [];
      const values: number[] = [];
      for (let t = start; t < Math.min(split, start + chunk * MINUTE_MS); t += MINUTE_MS) {
        let mean = 0;
        for (let b = t; b < t + MINUTE_MS; b += BUCKET_MS) mean += shape(b);
        buckets.push(iso(t));
        values.push(draw(mean, normal));
      }
      await client.query(
        `INSERT INTO heartbeat_rollup (metric, region, resolution, bucket, value, samples)
         SELECT $1, $2, '1m', b, v, 6 FROM unnest($3::timestamptz[], $4::float8[]) AS x(b, v)`,
        [NOTICE_METRIC, NOTICE_REGION, buckets, values],
      );
      rollups += buckets.length;
    }
    const buckets: string[] = [];
    const values: number[] = [];
    for (let t = split; t <= lastBucket; t += BUCKET_MS) {
      buckets.push(iso(t));
      values.push(draw(shape(t), normal));
    }
    await client.query(
      `INSERT INTO heartbeat_point (metric, region, bucket, value, received_at)
       SELECT $1, $2, b, v, b + interval '10.5 seconds' FROM unnest($3::timestamptz[], $4::float8[]) AS x(b, v)`,
      [NOTICE_METRIC, NOTICE_REGION, buckets, values],
    );
    raw = buckets.length;
    await client.query('COMMIT');
    await client.query('ANALYZE heartbeat_rollup');
    await client.query('ANALYZE heartbeat_point');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    await client.end();
  }
  return { rollups, raw, ms: performance.now() - t0, from, split };
}

/** Confirmed email subscribers to everything, straight into the table (as bench/fanout.ts does). */
async function seedSubscribers(db: ScratchDatabase, count: number): Promise<number> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const result = await client.query(
      `INSERT INTO subscriber (id, type, email, all_components, component_ids, source, confirmed_at, confirmation_sent_at, created_at, updated_at)
       SELECT 'hb' || lpad(n::text, 10, '0'), 'email', 'subscriber' || n || '@subscriber.example', true, '[]'::jsonb, 'public', now(), now(), now(), now()
       FROM generate_series(1, $1::int) AS n`,
      [count],
    );
    await client.query('ANALYZE subscriber');
    return result.rowCount ?? 0;
  } finally {
    await client.end();
  }
}

interface NoticeResult {
  seed: Awaited<ReturnType<typeof seedHistory>>;
  pushes: { bucket: number; at: number; ms: number; status: number }[];
  t0: number;
  lastPushed: number;
  beforeDrop: { state: string; observed: number | null; expected: number | null; provisional: boolean; promised: number | null } | null;
  falseAlarm: { at: number; name: string } | null;
  summaryAt: number | null;
  summaryIncident: { name: string; impact: string; status: string } | null;
  polls: number;
  webhook: { at: number; eventType: string | null; signed: boolean; path: string } | null;
  webhooksOther: string[];
  /** The first email to any subscriber (not the responder). */
  subscriberEmail: { at: number; subject: string; to: string } | null;
  apiSubscriberEmailAt: number | null;
  subscriberEmails: number;
  lastSubscriberEmailAt: number | null;
  oncallEmail: { at: number; subject: string } | null;
  emailsBeforeT0: number;
  alertEventSeen: boolean;
  gaveUpOnAlert: string | null;
  timedOut: boolean;
  pipeline: string[];
}

async function phaseNotice(base: string, token: string, db: ScratchDatabase, smtp: SmtpSink, receiver: WebhookReceiver): Promise<NoticeResult> {
  // ---- seed the history up to the last bucket that has ended ----
  const firstLive = Math.floor(Date.now() / BUCKET_MS) * BUCKET_MS;
  log(`phase 2: seeding ${HISTORY_DAYS} days of ${NOTICE_METRIC}/${NOTICE_REGION} (~${fmt(RATE)} per 10 s, daily shape) up to ${iso(firstLive - BUCKET_MS)}`);
  const seed = await seedHistory(db, firstLive - BUCKET_MS);
  log(`seeded ${fmt(seed.rollups)} 1-minute roll-ups (${iso(seed.from)} → ${iso(seed.split)}) and ${fmt(seed.raw)} raw buckets in ${fmt(seed.ms)} ms`);

  const result: NoticeResult = {
    seed,
    pushes: [],
    t0: 0,
    lastPushed: 0,
    beforeDrop: null,
    falseAlarm: null,
    summaryAt: null,
    summaryIncident: null,
    polls: 0,
    webhook: null,
    webhooksOther: [],
    subscriberEmail: null,
    apiSubscriberEmailAt: null,
    subscriberEmails: 0,
    lastSubscriberEmailAt: null,
    oncallEmail: null,
    emailsBeforeT0: 0,
    alertEventSeen: false,
    gaveUpOnAlert: null,
    timedOut: false,
    pipeline: [],
  };

  // ---- poll summary.json every 250 ms from now on ----
  let polling = true;
  let t0: number | null = null;
  const poller = (async () => {
    while (polling) {
      const sent = wall();
      try {
        const response = await fetch(`${base}/api/v2/summary.json`, { signal: AbortSignal.timeout(5_000) });
        const summary = (await response.json()) as { incidents?: { name: string; status: string; impact: string }[] };
        const at = wall();
        result.polls++;
        const open = (summary.incidents ?? []).find((i) => i.status !== 'resolved');
        if (open) {
          if (t0 === null || at < t0) result.falseAlarm ??= { at, name: open.name };
          else if (result.summaryAt === null) {
            result.summaryAt = at;
            result.summaryIncident = { name: open.name, impact: open.impact, status: open.status };
          }
        }
      } catch {
        // a slow or failed poll is retried; it only delays (a)
      }
      await sleep(Math.max(0, 250 - (wall() - sent)));
    }
  })();

  // ---- live pushes, each bucket 0.5 s after it ends ----
  const liveBuckets = Math.round(LIVE_SECONDS / 10);
  try {
    for (let i = 0; i < liveBuckets; i++) {
      const bucket = firstLive + i * BUCKET_MS;
      const due = bucket + BUCKET_MS + PUSH_DELAY_MS;
      if (due > Date.now()) await sleep(due - Date.now());
      const t = wall();
      const { normal } = rng(1000 + i);
      const response = await fetch(`${base}/api/v1/heartbeats`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ points: [{ metric: NOTICE_METRIC, region: NOTICE_REGION, timestamp: iso(bucket), value: draw(shape(bucket), normal) }] }),
        signal: AbortSignal.timeout(9_000),
      });
      await response.text();
      result.pushes.push({ bucket, at: t, ms: wall() - t, status: response.status });
      if (response.status !== 202) throw new Error(`live push of ${iso(bucket)}: HTTP ${response.status}`);
      result.lastPushed = bucket;
    }
    t0 = result.lastPushed + BUCKET_MS;
    result.t0 = t0;
    const pushMs = result.pushes.map((x) => x.ms);
    log(
      `pushed ${result.pushes.length} live buckets (${iso(firstLive)} … ${iso(result.lastPushed)}), push latency max ${fmt(Math.max(...pushMs))} ms; pushes stop: t0 = ${iso(t0)}`,
    );
    try {
      const hb = await api<{
        heartbeats: {
          metric: string;
          region: string;
          state: string;
          observed: number | null;
          expected: number | null;
          provisional: boolean;
          promised_delay_seconds: number | null;
        }[];
      }>(base, token, 'GET', '/api/v2/heartbeats.json');
      const s = hb.heartbeats.find((h) => h.metric === NOTICE_METRIC && h.region === NOTICE_REGION);
      if (s) result.beforeDrop = { state: s.state, observed: s.observed, expected: s.expected, provisional: s.provisional, promised: s.promised_delay_seconds };
    } catch (error) {
      log(`WARNING: heartbeats.json: ${(error as Error).message}`);
    }
    if (result.beforeDrop)
      log(
        `detector before the drop: state ${result.beforeDrop.state}, observed ${result.beforeDrop.observed}, expected ${result.beforeDrop.expected}, provisional ${result.beforeDrop.provisional}, promised delay ${result.beforeDrop.promised} s`,
      );
    if (result.falseAlarm) log(`WARNING: an incident was open before the drop: ${result.falseAlarm.name}`);

    // ---- wait for (a), (b), (c) ----
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const limit = t0 + NOTICE_TIMEOUT_SECONDS * 1000;
      let lastDbCheck = 0;
      let lastLog = wall();
      let scanned = 0;
      for (;;) {
        await sleep(100);
        const now = wall();
        if (!result.webhook) {
          const hit = receiver.received.find((r) => r.path.startsWith(ALERT_PATH) && r.at >= (t0 as number));
          if (hit) result.webhook = { at: hit.at, eventType: hit.eventType, signed: typeof hit.headers['webhook-signature'] === 'string', path: hit.path };
        }
        for (; scanned < smtp.messages.length; scanned++) {
          const m = smtp.messages[scanned];
          if (m.at < (t0 as number)) continue;
          const to = m.rcptTo.map((r) => r.toLowerCase());
          if (to.includes(ONCALL_EMAIL)) {
            result.oncallEmail ??= { at: m.at, subject: m.subject };
            continue;
          }
          result.subscriberEmail ??= { at: m.at, subject: m.subject, to: to.join(', ') };
          if (to.includes(SUBSCRIBER_EMAIL)) result.apiSubscriberEmailAt ??= m.at;
          result.subscriberEmails += to.length;
          result.lastSubscriberEmailAt = m.at;
        }
        if (now - lastDbCheck > 1_000) {
          lastDbCheck = now;
          const rows = await client.query<{ n: string }>("SELECT count(*) AS n FROM outbox_event WHERE type LIKE 'heartbeat.%'");
          result.alertEventSeen = Number(rows.rows[0].n) > 0;
        }
        // The alert path may not exist in this build: 20 s after the notice without an outbox event, stop waiting for it.
        const alertMissing = !result.alertEventSeen && result.summaryAt !== null && now - result.summaryAt > 20_000;
        const alertDone = (result.webhook !== null && result.oncallEmail !== null) || alertMissing;
        if (result.summaryAt !== null && result.subscriberEmails >= SUBSCRIBERS && alertDone) {
          if (alertMissing) result.gaveUpOnAlert = 'no heartbeat.* event in the outbox 20 s after the notice';
          break;
        }
        if (now > limit) {
          result.timedOut = true;
          if (alertMissing) result.gaveUpOnAlert = 'no heartbeat.* event in the outbox 20 s after the notice';
          break;
        }
        if (now - lastLog > 10_000) {
          lastLog = now;
          log(
            `t0 + ${secs(now - (t0 as number), 0)}: notice ${result.summaryAt ? 'seen' : 'not yet'}, webhook ${result.webhook ? 'received' : 'not yet'}, subscriber emails ${fmt(result.subscriberEmails)}/${fmt(SUBSCRIBERS)}, oncall email ${result.oncallEmail ? 'received' : 'not yet'}`,
          );
        }
      }
      result.emailsBeforeT0 = smtp.messages.filter((m) => m.at < (t0 as number)).length;
      for (const r of receiver.received)
        if (!r.path.startsWith(ALERT_PATH) || r.at < (t0 as number))
          result.webhooksOther.push(
            `${r.method} ${r.path} ${r.eventType ?? ''} at t0 ${r.at >= (t0 as number) ? '+' : '-'}${secs(Math.abs(r.at - (t0 as number)))}`,
          );
      result.pipeline = await readPipeline(client, t0);
    } finally {
      await client.end();
    }
  } finally {
    polling = false;
    await poller;
  }
  return result;
}

/** What the server recorded, relative to t0 (server and bench share the clock). */
async function readPipeline(client: pg.Client, t0: number): Promise<string[]> {
  const rel = (d: Date | null) => (d ? `${(d.getTime() - t0) >= 0 ? '+' : ''}${fmt((d.getTime() - t0) / 1000, 2)} s` : '–');
  const lines: string[] = [];
  const incidents = await client.query<{ id: string; name: string; created_at: Date }>(
    "SELECT id, name, created_at FROM incident WHERE source = 'heartbeat' ORDER BY created_at",
  );
  for (const i of incidents.rows) lines.push(`incident ${i.id} "${i.name}" created t0 ${rel(i.created_at)}`);
  const events = await client.query<{ id: string; type: string; created_at: Date; dispatched_at: Date | null }>(
    'SELECT id, type, created_at, dispatched_at FROM outbox_event WHERE created_at >= $1 ORDER BY id',
    [new Date(t0 - 60_000)],
  );
  for (const e of events.rows) lines.push(`outbox ${e.type} #${e.id}: created t0 ${rel(e.created_at)}, dispatched ${rel(e.dispatched_at)}`);
  // One line per (event, channel, audience): a large public audience stays readable.
  const deliveries = await client.query<{
    event_id: string;
    type: string;
    channel: string;
    audience: string;
    who: string;
    n: number;
    sent: number;
    states: string;
    max_attempts: number;
    created: Date;
    published: Date | null;
    claimed: Date | null;
    first_sent: Date | null;
    last_sent: Date | null;
    last_error: string | null;
  }>(
    `SELECT d.event_id, e.type, d.channel, s.audience, min(coalesce(s.email, s.url)) AS who, count(*)::int AS n, count(*) FILTER (WHERE d.state = 'sent')::int AS sent,
            string_agg(DISTINCT d.state, ',') AS states, max(d.attempts) AS max_attempts, min(d.created_at) AS created, min(d.published_at) AS published,
            min(d.claimed_at) AS claimed, min(d.sent_at) AS first_sent, max(d.sent_at) AS last_sent, max(d.last_error) AS last_error
     FROM delivery d JOIN subscriber s ON s.id = d.subscriber_id JOIN outbox_event e ON e.id = d.event_id
     WHERE e.created_at >= $1 GROUP BY d.event_id, e.type, d.channel, s.audience ORDER BY min(d.id)`,
    [new Date(t0 - 60_000)],
  );
  for (const d of deliveries.rows) {
    const who = d.n === 1 ? `→ ${d.who}` : `→ ${fmt(d.n)} recipients`;
    const sent = d.n === 1 ? `sent ${rel(d.first_sent)}` : `${fmt(d.sent)} sent, first ${rel(d.first_sent)}, last ${rel(d.last_sent)}`;
    lines.push(
      `deliveries of #${d.event_id} ${d.type} ${d.channel} ${who} (${d.audience}): ${d.states}, max ${d.max_attempts} attempt(s); created ${rel(d.created)}, first published ${rel(d.published)}, first claimed ${rel(d.claimed)}, ${sent}${d.last_error ? `; an error: ${d.last_error.slice(0, 160)}` : ''}`,
    );
  }
  return lines;
}

function reportNotice(r: NoticeResult): void {
  const since = (at: number | null | undefined) => (at == null ? null : at - r.t0);
  p(
    `Phase 2 · time to notice: ${NOTICE_METRIC}/${NOTICE_REGION}, ~${fmt(RATE)} per 10 s bucket with a daily shape; history: ${fmt(r.seed.rollups)} 1-minute roll-ups (${HISTORY_DAYS} days) + ${fmt(r.seed.raw)} raw buckets (last ~25 h), written with SQL`,
  );
  p(
    `  live: ${r.pushes.length} buckets pushed 0.5 s after each ended (push latency median ${fmt(median(r.pushes.map((x) => x.ms)))} ms, max ${fmt(Math.max(...r.pushes.map((x) => x.ms)))} ms), then none (drop to zero); detector tick: the default LIFELINE_DETECTOR_TICK_SECONDS (5 s)`,
  );
  if (r.beforeDrop) {
    p(
      `  detector just before the drop: state ${r.beforeDrop.state}, observed ${fmt(r.beforeDrop.observed)}, expected ${fmt(r.beforeDrop.expected)}, ${r.beforeDrop.provisional ? 'PROVISIONAL baseline (the weekly history was not used!)' : 'weekly baseline (not provisional)'}, promised delay for a stop ${r.beforeDrop.promised ?? '–'} s`,
    );
  }
  if (r.falseAlarm)
    p(`  WARNING: an incident was already open before the drop (${r.falseAlarm.name}): the live series looked low to the detector; (a) is not meaningful`);
  p(`  t0 = ${iso(r.t0)}: start of the first missing 10 s bucket (= end of the last pushed bucket ${iso(r.lastPushed)}); its push was due at t0 + 10.5 s and`);
  p('       the detector sees it closed at t0 + 15 s; firing takes 2 bad closed buckets, so t0 + 25 s plus up to one 5 s tick is the design floor for (a)');
  const a = since(r.summaryAt);
  const b = since(r.webhook?.at);
  const c = since(r.subscriberEmail?.at);
  p(
    `  (a) unresolved incident in /api/v2/summary.json (polled every 250 ms, ${fmt(r.polls)} polls): ${a === null ? 'not seen' : `t0 + ${secs(a, 2)}`}${r.summaryIncident ? ` ("${r.summaryIncident.name}", ${r.summaryIncident.impact})` : ''} · target ≤ ${TARGETS.noticeS} s: ${verdict(a, TARGETS.noticeS)}`,
  );
  if (r.webhook) {
    p(
      `  (b) alert webhook POST ${r.webhook.path} received: t0 + ${secs(b, 2)}, event_type ${r.webhook.eventType ?? '(none)'}${r.webhook.eventType === 'heartbeat.fired' ? '' : ' (expected heartbeat.fired)'}, ${r.webhook.signed ? 'signed (webhook-signature present)' : 'NOT signed'} · target ≤ ${TARGETS.webhookS} s: ${verdict(b, TARGETS.webhookS)}`,
    );
  } else {
    p(`  (b) alert webhook: not received (alert path missing?)${r.gaveUpOnAlert ? ` — ${r.gaveUpOnAlert}` : ''} · target ≤ ${TARGETS.webhookS} s: MISSED`);
  }
  p(
    `  (c) first subscriber email accepted by SMTP (250 after DATA): ${c === null ? 'not received' : `t0 + ${secs(c, 2)} (to ${r.subscriberEmail?.to}: "${r.subscriberEmail?.subject}")`} · target ≤ ${TARGETS.emailS} s: ${verdict(c, TARGETS.emailS)}`,
  );
  if (SUBSCRIBERS > 1) {
    p(
      `      ${fmt(r.subscriberEmails)} of ${fmt(SUBSCRIBERS)} subscriber emails accepted, the last at t0 + ${secs(since(r.lastSubscriberEmailAt), 2)}; the API-created subscriber's at t0 + ${secs(since(r.apiSubscriberEmailAt), 2)}`,
    );
  }
  p(
    `      responder alert email to ${ONCALL_EMAIL}: ${r.oncallEmail ? `t0 + ${secs(since(r.oncallEmail.at), 2)} ("${r.oncallEmail.subject}")` : 'not received'}`,
  );
  if (r.emailsBeforeT0 > 0) p(`      note: ${r.emailsBeforeT0} email(s) arrived before t0 (not counted)`);
  for (const other of r.webhooksOther) p(`      other request at the receiver: ${other}`);
  if (r.timedOut) p(`  stopped waiting at t0 + ${NOTICE_TIMEOUT_SECONDS} s (HB_NOTICE_TIMEOUT_SECONDS)`);
  if (r.pipeline.length > 0) {
    p("  server-side timeline (Lifeline's rows, relative to t0):");
    for (const line of r.pipeline) p(`    ${line}`);
  }
}

// ---- phase 3: time to notice a depression ------------------------------------------------------

interface DepressionResult {
  importMs: number;
  imported: number;
  requests: number;
  t0: number;
  beforeDrop: { state: string; baseline: string; alarms: string } | null;
  summaryAt: number | null;
  impact: string | null;
  webhookAt: number | null;
  emailAt: number | null;
  pushes: number;
  failedPushes: number;
  /** The depression's notice was already open before t0 (the import or a push came too late). */
  falseAlarm: boolean;
  timedOut: boolean;
}

async function phaseDepression(base: string, token: string, smtp: SmtpSink, receiver: WebhookReceiver): Promise<DepressionResult> {
  // ---- 4 weeks of 1-minute history through the import API ----
  const firstLive = Math.floor(Date.now() / BUCKET_MS) * BUCKET_MS;
  const from = Math.floor((firstLive - DEPRESSION_HISTORY_DAYS * DAY_MS) / MINUTE_MS) * MINUTE_MS;
  const { normal } = rng(7);
  log(
    `phase 3: importing ${DEPRESSION_HISTORY_DAYS} days of 1-minute history for ${DEPRESSION_METRIC}/${NOTICE_REGION} through POST /api/v1/heartbeats/history`,
  );
  const t = wall();
  let imported = 0;
  let requests = 0;
  for (let start = from; start < firstLive; start += 10_000 * MINUTE_MS) {
    const points = [];
    for (let at = start; at < Math.min(firstLive, start + 10_000 * MINUTE_MS); at += MINUTE_MS) {
      let mean = 0;
      for (let b = at; b < at + MINUTE_MS; b += BUCKET_MS) mean += shape(b);
      points.push({ metric: DEPRESSION_METRIC, region: NOTICE_REGION, timestamp: iso(at), value: draw(mean, normal) });
    }
    await api(base, token, 'POST', '/api/v1/heartbeats/history', { resolution_seconds: 60, points });
    imported += points.length;
    requests++;
  }
  const importMs = wall() - t;
  log(`imported ${fmt(imported)} points in ${requests} requests, ${fmt(importMs)} ms`);

  const result: DepressionResult = {
    importMs,
    imported,
    requests,
    t0: 0,
    beforeDrop: null,
    summaryAt: null,
    impact: null,
    webhookAt: null,
    emailAt: null,
    pushes: 0,
    failedPushes: 0,
    falseAlarm: false,
    timedOut: false,
  };

  // ---- live pushes: normal, then the depression, pushes going on ----
  const lowFrom = Math.ceil((Date.now() + DEPRESSION_LIVE_SECONDS * 1000) / BUCKET_MS) * BUCKET_MS;
  result.t0 = lowFrom;
  let pushing = true;
  const pusher = (async () => {
    // From the end of the imported history: the buckets that ended during the import go first.
    for (let bucket = firstLive; pushing; bucket += BUCKET_MS) {
      const due = bucket + BUCKET_MS + PUSH_DELAY_MS;
      if (due > Date.now()) await sleep(due - Date.now());
      if (!pushing) break;
      const level = bucket >= lowFrom ? DEPRESSION_LEVEL_PERCENT / 100 : 1;
      const { normal: n } = rng(5000 + Math.floor(bucket / BUCKET_MS));
      try {
        const response = await fetch(`${base}/api/v1/heartbeats`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            points: [{ metric: DEPRESSION_METRIC, region: NOTICE_REGION, timestamp: iso(bucket), value: Math.round(draw(shape(bucket), n) * level) }],
          }),
          signal: AbortSignal.timeout(9_000),
        });
        await response.text();
        result.pushes++;
        if (response.status !== 202) result.failedPushes++;
      } catch {
        result.failedPushes++;
      }
    }
  })();

  try {
    // Just before the depression: what the detector says about the series.
    await sleep(Math.max(0, lowFrom - 2_000 - Date.now()));
    try {
      const hb = await api<{ heartbeats: { metric: string; region: string; state: string; baseline: string; alarms: string }[] }>(
        base,
        token,
        'GET',
        '/api/v2/heartbeats.json',
      );
      const s = hb.heartbeats.find((h) => h.metric === DEPRESSION_METRIC && h.region === NOTICE_REGION);
      if (s) result.beforeDrop = { state: s.state, baseline: s.baseline, alarms: s.alarms };
      const early = (await api<{ incidents: { name: string }[] }>(base, token, 'GET', '/api/v2/incidents/unresolved.json')).incidents;
      result.falseAlarm = early.some((i) => i.name === DEPRESSION_NOTICE);
    } catch (error) {
      log(`WARNING: heartbeats.json: ${(error as Error).message}`);
    }
    log(`depression from ${iso(lowFrom)} at ${DEPRESSION_LEVEL_PERCENT}% of normal; detector before it: ${JSON.stringify(result.beforeDrop)}`);
    const limit = lowFrom + NOTICE_TIMEOUT_SECONDS * 1000;
    for (;;) {
      await sleep(250);
      const now = wall();
      if (result.summaryAt === null) {
        try {
          const summary = (await (await fetch(`${base}/api/v2/summary.json`, { signal: AbortSignal.timeout(5_000) })).json()) as {
            incidents?: { name: string; status: string; impact: string }[];
          };
          const open = (summary.incidents ?? []).find((i) => i.name === DEPRESSION_NOTICE && i.status !== 'resolved');
          if (open) {
            result.summaryAt = wall();
            result.impact = open.impact;
          }
        } catch {
          // retried on the next poll
        }
      }
      if (result.webhookAt === null) result.webhookAt = receiver.received.find((r) => r.path.startsWith(DEPRESSION_PATH) && r.at >= lowFrom)?.at ?? null;
      if (result.emailAt === null)
        result.emailAt = smtp.messages.find((m) => m.at >= lowFrom && m.rcptTo.some((r) => r.toLowerCase() === DEPRESSION_EMAIL))?.at ?? null;
      if (result.summaryAt !== null && result.webhookAt !== null && result.emailAt !== null) break;
      if (now > limit) {
        result.timedOut = true;
        break;
      }
    }
  } finally {
    pushing = false;
    await pusher;
  }
  return result;
}

function reportDepression(r: DepressionResult): void {
  const since = (at: number | null) => (at === null ? null : at - r.t0);
  p(
    `Phase 3 · time to notice a depression: ${DEPRESSION_METRIC}/${NOTICE_REGION}, ~${fmt(RATE)} per 10 s bucket; history: ${fmt(r.imported)} 1-minute points (${DEPRESSION_HISTORY_DAYS} days) imported through POST /api/v1/heartbeats/history in ${r.requests} requests, ${secs(r.importMs)}`,
  );
  p(
    `  live pushes 0.5 s after each bucket ended: ${fmt(r.pushes)} (${r.failedPushes} failed); from t0 = ${iso(r.t0)} at ${DEPRESSION_LEVEL_PERCENT}% of normal, pushes going on`,
  );
  if (r.beforeDrop) p(`  detector just before: state ${r.beforeDrop.state}, baseline ${r.beforeDrop.baseline}, alarms ${r.beforeDrop.alarms}`);
  if (r.falseAlarm) p('  WARNING: the notice was already open before t0 (a false alarm before the depression): (a), (b) and (c) are not meaningful');
  const a = since(r.summaryAt);
  const b = since(r.webhookAt);
  const c = since(r.emailAt);
  p(
    `  (a) "${DEPRESSION_NOTICE}" in /api/v2/summary.json: ${a === null ? 'not seen' : `t0 + ${secs(a, 2)} (${r.impact})`} · target ≤ ${TARGETS.depressionS} s: ${verdict(a, TARGETS.depressionS)}`,
  );
  p(
    `  (b) alert webhook POST ${DEPRESSION_PATH}: ${b === null ? 'not received' : `t0 + ${secs(b, 2)}`} · target ≤ ${TARGETS.depressionS} s: ${verdict(b, TARGETS.depressionS)}`,
  );
  p(
    `  (c) responder alert email to ${DEPRESSION_EMAIL}: ${c === null ? 'not received' : `t0 + ${secs(c, 2)}`} · target ≤ ${TARGETS.depressionS} s: ${verdict(c, TARGETS.depressionS)}`,
  );
  if (r.timedOut) p(`  stopped waiting at t0 + ${NOTICE_TIMEOUT_SECONDS} s (HB_NOTICE_TIMEOUT_SECONDS)`);
}

const median = (values: number[]) => {
  const sorted = values.filter(Number.isFinite).sort((x, y) => x - y);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

// ---- main ----------------------------------------------------------------------------------

async function main(): Promise<void> {
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 24) throw new Error(`needs Node 24 (this is ${process.version}); run it with npm run bench:heartbeat`);
  const stamp = new Date(started).toISOString().replace(/[:.]/g, '-');
  const tmp = join(tmpdir(), `lifeline-bench-hb-${stamp}`);
  mkdirSync(tmp, { recursive: true });
  state.tmp = tmp;

  const [db, smtp, receiver, port] = await Promise.all([
    createScratchDatabase(POSTGRES_URL, 'lifeline_bench_hb'),
    startSmtpSink(HOST),
    startWebhookReceiver(HOST),
    freePort(HOST),
  ]);
  state.db = db;
  state.smtp = smtp;
  state.receiver = receiver;
  log(`database ${db.name} (PostgreSQL ${db.version}); SMTP sink ${smtp.url}; webhook receiver ${receiver.base}; scratch ${tmp}`);

  const configPath = join(tmp, 'page.yaml');
  writeFileSync(configPath, pageDefinition(`${receiver.base}${ALERT_PATH}`, `${receiver.base}${DEPRESSION_PATH}`));
  const base = `http://${HOST}:${port}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOST,
    DATABASE_URL: db.url,
    LIFELINE_DATA_DIR: join(tmp, 'data'),
    LIFELINE_CONFIG: configPath,
    LIFELINE_PUBLIC_URL: base,
    LIFELINE_ADMIN_SOCKET: 'false',
    LIFELINE_ALLOW_PRIVATE_WEBHOOKS: 'true',
    LIFELINE_ROLES: 'web,worker',
    SMTP_URL: smtp.url,
    LOG_LEVEL: 'warn',
  };
  // The detector tick stays at its default (5 s) so the figure is what a deployment gets; DATABASE_POOL_SIZE may be set to experiment.
  for (const name of ['LIFELINE_DETECTOR_TICK_SECONDS', 'LIFELINE_PUBSUB_TOPIC', 'PUBSUB_EMULATOR_HOST', 'GOOGLE_CLOUD_PROJECT', 'SMTP_FALLBACK_URL'])
    delete env[name];
  const token = await createToken(NODE, NODE_FLAGS, env);
  log('created an admin token with the CLI (it also applied the migrations)');

  const serverLog = join(tmp, 'lifeline.log');
  state.serverLog = serverLog;
  const profileDir = join(tmp, 'profiles');
  const profileFlags = CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const lifeline = startChild('lifeline', NODE, [...LIFELINE_NODE_FLAGS, ...profileFlags, 'src/server.ts'], { env, logFile: serverLog });
  state.lifeline = lifeline;
  try {
    const ms = await waitForHttp200(`${base}/healthz`, 60_000, lifeline);
    log(`Lifeline (pid ${lifeline.pid}) healthy on ${base} after ${ms} ms`);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- ${serverLog} ---\n${readFileSync(serverLog, 'utf8').slice(-3000)}`);
  }
  const subscriber = await api<{ id: string; confirmed_at: string | null }>(
    base,
    token,
    'POST',
    '/api/v1/subscribers',
    { type: 'email', email: SUBSCRIBER_EMAIL, confirmed: true },
    201,
  );
  log(`subscriber ${SUBSCRIBER_EMAIL} (${subscriber.id}, confirmed ${subscriber.confirmed_at})`);
  if (SUBSCRIBERS > 1) log(`wrote ${fmt(await seedSubscribers(db, SUBSCRIBERS - 1))} more confirmed email subscribers with SQL`);

  state.sampler = new GroupSampler((pid, comm, cmdline) => {
    if (pid === lifeline.pid) return 'lifeline';
    if (pid === process.pid) return 'bench';
    if (comm !== 'postgres' && !cmdline.includes('bin/postgres')) return null;
    if (cmdline.includes(db.name)) return 'postgres';
    // WAL writer, checkpointer, background writer…: shared with other databases, but busy because of the bench.
    return /\d+\.\d+\.\d+\.\d+\(\d+\)|\[local\]/.test(cmdline) ? null : 'pg-shared';
  }, 250);

  const cpu = cpus();
  p('');
  p(
    `Lifeline heartbeat bench · ${iso(started)} · node ${process.version}, PostgreSQL ${db.version} · ${cpu[0]?.model ?? '?'} × ${cpu.length}, kernel ${release()}`,
  );
  p(
    `Lifeline: one process (node src/server.ts, roles web+worker, DATABASE_POOL_SIZE ${env.DATABASE_POOL_SIZE || '10 (default)'}) on PostgreSQL; the load generator, SMTP sink and webhook receiver run in the bench process on the same machine`,
  );

  if (!SKIP_INGEST) {
    await sleep(1_000);
    const ingest = await phaseIngest(base, token, db);
    p('');
    reportIngest(ingest);
    log(`phase 1 done: ${fmt(ingest.load.itemsPerSecond)} points/s`);
    if (lifeline.done) throw new Error(`Lifeline exited during phase 1 (see ${serverLog})`);
  }
  if (!SKIP_NOTICE) {
    await sleep(2_000);
    const notice = await phaseNotice(base, token, db, smtp, receiver);
    p('');
    reportNotice(notice);
    if (notice.summaryAt === null || notice.subscriberEmail === null) {
      state.exitCode = 1;
      p(
        `ERROR: within ${NOTICE_TIMEOUT_SECONDS} s of t0 there was ${notice.summaryAt === null ? 'no notice in summary.json' : ''}${notice.summaryAt === null && notice.subscriberEmail === null ? ' and ' : ''}${notice.subscriberEmail === null ? 'no subscriber email' : ''} (see the server-side timeline above)`,
      );
    }
  }

  if (!SKIP_DEPRESSION) {
    await sleep(2_000);
    const depression = await phaseDepression(base, token, smtp, receiver);
    p('');
    reportDepression(depression);
    if (depression.summaryAt === null || depression.webhookAt === null || depression.emailAt === null) state.exitCode = 1;
  }

  state.sampler.stop();
  await stopChild(lifeline, 15_000);
  if (CPU_PROF) {
    let files: string[] = [];
    try {
      files = readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile'));
    } catch {
      // no profile written
    }
    for (const file of files) {
      p('');
      for (const line of formatSummary(
        summarizeProfile(join(profileDir, file), 25),
        `Lifeline CPU profile (${SKIP_NOTICE ? 'phase 1' : SKIP_INGEST ? 'phase 2' : 'both phases'}) ${file}`,
      ))
        p(line);
    }
    if (files.length === 0) p('CPU profile: none written');
    else
      p(
        '  (V8 samples wall-clock time: on a saturated machine, time the main thread waits for a core after a syscall such as writev is charged to that syscall; compare with the procfs CPU figures above)',
      );
  }
  const warnings = readFileSync(serverLog, 'utf8')
    .split('\n')
    .filter((l) => /"level":(40|50|60)/.test(l));
  if (warnings.length > 0) {
    p('');
    p(`server log: ${warnings.length} warning/error line(s); the last ones:`);
    for (const line of warnings.slice(-5)) p(`  ${line.slice(0, 400)}`);
  }
  if (KEEP_TMP) p(`scratch folder (kept): ${tmp}`);
}

try {
  await main();
} catch (error) {
  if (state.exitCode === 0) {
    state.exitCode = 1;
    log(`ERROR: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    if (state.serverLog) {
      try {
        log(`--- last lines of the server log ---\n${readFileSync(state.serverLog, 'utf8').slice(-2000)}`);
      } catch {
        // no log yet
      }
    }
  }
} finally {
  printReport();
  await cleanup();
  clearTimeout(deadline);
}
process.exit(state.exitCode);
