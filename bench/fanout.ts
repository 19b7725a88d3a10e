// npm run bench:fanout — one incident declared through the API, fanned out to 100,000 confirmed email
// subscribers and 10,000 webhook subscribers on PostgreSQL through the Pub/Sub emulator, into an
// SMTP sink and an HTTP receiver on loopback. Prints time to first and last email, emails/s,
// webhooks/s, peak RSS per Lifeline process, and emails/s against nodemailer's own build rate
// measured in the same run.
// Everything runs on 127.0.0.1; every child is stopped by PID (the emulator by process group) and
// the bench database is dropped, even on failure or at the deadline.
// Settings (environment):
//   FANOUT_EMAILS=100000 FANOUT_WEBHOOKS=10000   subscriber counts (try 2000 / 200 first)
//   FANOUT_CHATS=1000        chat channels (Slack, Discord, Teams in turn), each its own URL spread over the
//                            receiver's origins; measured apart, so the email and webhook figures stay comparable
//   FANOUT_WORKERS=2         Lifeline processes with LIFELINE_ROLES=worker (plus one web process)
//   FANOUT_SMTP_POOL=5       SMTP_POOL_SIZE per worker
//   FANOUT_WEBHOOK_ORIGINS=10 ports the HTTP receiver listens on (webhook n goes to port n mod N). 10,000
//                            webhook subscribers are many receivers, and Lifeline allows only 4 requests in
//                            flight per endpoint (per worker): with 1 origin the bench measures that cap
//   FANOUT_ORDER=mixed       subscriber order: mixed (webhooks spread evenly), emails-first, webhooks-first
//   FANOUT_DEADLINE_SECONDS=360   overall bound; at the deadline it prints what it has and cleans up
//   FANOUT_CEILING_N=5000    messages nodemailer builds for the ceiling (0 skips it)
//   FANOUT_CPU_PROF=1        workers run with --cpu-prof; a summary is printed (FANOUT_CPU_PROF=all: web too)
//   FANOUT_DKIM=1            workers sign every email with DKIM (a fresh RSA-2048 key), as production mail is
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startPubSubEmulator, type PubSubEmulator } from '../test/helpers/pubsub-emulator.ts';
import type { ReceiverStats } from './fanout-receivers.ts';
import { GroupSampler, memoryOf, type GroupWindow } from './fanout-procs.ts';
import { formatSummary, summarizeProfile } from './fanout-profile.ts';
import { runToCompletion, startChild, stopAllChildren, stopChild, waitForHttp200, type Child } from './lib/processes.ts';
import { pageDefinitionYaml, ResponderApi } from './lib/seed.ts';
import { fmt, LIFELINE_NODE_FLAGS, setting, sleep } from './lib/settings.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
process.chdir(ROOT);

const HOST = '127.0.0.1';
const NODE = join(ROOT, 'node_modules/.bin/node');
const NODE_FLAGS = ['--disable-warning=ExperimentalWarning'];
const ADMIN_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const MiB = 1024 * 1024;

const EMAILS = setting('FANOUT_EMAILS', 100_000, 0, 2_000_000);
const WEBHOOKS = setting('FANOUT_WEBHOOKS', 10_000, 0, 200_000);
const CHATS = setting('FANOUT_CHATS', 1_000, 0, 100_000);
const WORKERS = setting('FANOUT_WORKERS', 2, 1, 4);
const SMTP_POOL = setting('FANOUT_SMTP_POOL', 5, 1, 100);
const DEADLINE_SECONDS = setting('FANOUT_DEADLINE_SECONDS', 360, 60, 3600);
const CEILING_N = setting('FANOUT_CEILING_N', 5_000, 0, 100_000);
const WEBHOOK_ORIGINS = setting('FANOUT_WEBHOOK_ORIGINS', 10, 1, 1_000);
const ORDER = process.env.FANOUT_ORDER || 'mixed';
if (!['mixed', 'emails-first', 'webhooks-first'].includes(ORDER))
  throw new Error(`FANOUT_ORDER must be mixed, emails-first or webhooks-first, got ${JSON.stringify(ORDER)}`);
const CPU_PROF = (process.env.FANOUT_CPU_PROF ?? '').toLowerCase();
const DKIM = ['1', 'true'].includes((process.env.FANOUT_DKIM ?? '').toLowerCase());
const PROFILE_WORKERS = ['1', 'true', 'yes', 'all'].includes(CPU_PROF);
const PROFILE_WEB = CPU_PROF === 'all';
if (EMAILS + WEBHOOKS === 0) throw new Error('FANOUT_EMAILS and FANOUT_WEBHOOKS are both 0: nothing to fan out');

// Issue 16's targets (100k emails + 10k webhooks on this 2-core box).
const TARGETS = {
  firstEmailMs: 1_000,
  allEmailsMs: 60_000,
  webhooksPerSecond: 1_000,
  rssBytes: 512 * MiB,
  workerCpuMsPerDelivery: 0.6,
  postgresCpuMsPerDelivery: 0.3,
  /** No full 10-second window after the first below this share of the median. */
  flatRateShare: 0.8,
};
/** Time kept after the fan-out for the read-back, the nodemailer ceiling and the cleanup. */
const RESERVE_MS = 45_000;

const wall = () => performance.timeOrigin + performance.now();
const started = wall();
const log = (message: string) => process.stderr.write(`[${((wall() - started) / 1000).toFixed(1).padStart(6)} s] ${message}\n`);
const secs = (ms: number | null | undefined, digits = 2) => (ms == null || !Number.isFinite(ms) ? '–' : `${fmt(ms / 1000, digits)} s`);
const mib = (bytes: number | null | undefined) => (bytes == null || !Number.isFinite(bytes) ? '–' : `${fmt(bytes / MiB)} MiB`);
const verdict = (met: boolean | null) => (met === null ? 'n/a' : met ? 'MET' : 'MISSED');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

// ---- what the report and the cleanup need --------------------------------------------------

interface LifelineProcess {
  name: string;
  role: 'web' | 'worker';
  port: number;
  child: Child;
  logFile: string;
  peakRss: number;
  hwm: number | null;
}

interface Results {
  setup: Record<string, number | string>;
  api: { postMs: number; incidentId: string; at: number } | null;
  stats: ReceiverStats | null;
  times: { emails: number[]; webhooks: number[] } | null;
  deliveries: { totals: { targeted: number; sent: number; failed: number; pending: number }; notices: unknown[] } | null;
  stages: Record<string, number | null> | null;
  cpu: GroupWindow | null;
  ceiling: { reference?: CeilingResult; lifeline?: CeilingResult; raw_pool?: CeilingResult; error?: string } | null;
  /** FANOUT_DKIM=1: CPU-ms per RSA-2048 signature of the run's sample message, three ways. */
  dkim: { lifeline_cpu_ms: number; nodemailer_stream_cpu_ms: number; rsa_sign_cpu_ms: number; avg_msg_bytes: number } | null;
  profiles: string[];
  complete: boolean;
  notes: string[];
}
interface CeilingResult {
  msgs_per_s: number;
  cpu_pct: number;
  cpu_ms_per_msg: number;
  avg_msg_bytes: number;
  sent: number;
  wall_s: number;
}

const state = {
  tmp: null as string | null,
  database: null as string | null,
  emulator: null as PubSubEmulator | null,
  receivers: null as Child | null,
  lifeline: [] as LifelineProcess[],
  sampler: null as GroupSampler | null,
  cleanup: null as Promise<void> | null,
  printed: false,
  exitCode: 0,
};
const results: Results = {
  setup: {},
  api: null,
  stats: null,
  times: null,
  deliveries: null,
  stages: null,
  cpu: null,
  ceiling: null,
  dkim: null,
  profiles: [],
  complete: false,
  notes: [],
};

/** Idempotent: every caller (normal end, failure, signal, deadline) awaits the same cleanup. */
function cleanup(): Promise<void> {
  state.cleanup ??= (async () => {
    state.sampler?.stop();
    const stopped = await stopAllChildren();
    if (stopped.length > 0) log(`stopped ${stopped.join(', ')}`);
    if (state.emulator) {
      await state.emulator.stop().catch((error: Error) => log(`WARNING: could not stop the Pub/Sub emulator: ${error.message}`));
      log('stopped the Pub/Sub emulator');
    }
    if (state.database) {
      const client = new pg.Client({ connectionString: ADMIN_DATABASE_URL, connectionTimeoutMillis: 5_000 });
      try {
        await client.connect();
        await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(state.database)} WITH (FORCE)`);
        log(`dropped database ${state.database}`);
      } catch (error) {
        log(`WARNING: could not drop database ${state.database}: ${(error as Error).message}`);
      } finally {
        await client.end().catch(() => {});
      }
    }
    if (state.tmp) for (const dir of readdirSync(state.tmp)) if (dir.startsWith('data-')) rmSync(join(state.tmp, dir), { recursive: true, force: true });
  })();
  return state.cleanup;
}

function abort(reason: string, code: number): void {
  if (state.exitCode === 0) state.exitCode = code;
  log(reason);
  results.notes.push(reason);
  printReport();
  void cleanup().finally(() => process.exit(state.exitCode));
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => abort(`${signal}: stopping`, 130));
// The fan-out itself stops RESERVE_MS before the deadline; this is the backstop.
const hardDeadline = setTimeout(
  () => abort(`ERROR: the bench exceeded FANOUT_DEADLINE_SECONDS=${DEADLINE_SECONDS} (+30 s); printing what it has and stopping`, 1),
  (DEADLINE_SECONDS + 30) * 1000,
);
hardDeadline.unref();
const softDeadline = started + DEADLINE_SECONDS * 1000 - RESERVE_MS;

// ---- the receivers child (SMTP sink + HTTP receiver), over IPC ------------------------------

let ipcId = 0;
const ipcWaiting = new Map<number, (reply: unknown) => void>();
function ask<T>(type: string, timeoutMs = 10_000): Promise<T> {
  const child = state.receivers;
  if (!child || child.done) return Promise.reject(new Error('the receivers process is not running'));
  const id = ++ipcId;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      ipcWaiting.delete(id);
      reject(new Error(`receivers did not answer ${type} within ${timeoutMs} ms`));
    }, timeoutMs);
    ipcWaiting.set(id, (reply) => {
      clearTimeout(timer);
      resolve(reply as T);
    });
    child.proc.send({ id, type });
  });
}

async function startReceivers(salt: string): Promise<{ smtpPort: number; httpPorts: number[] }> {
  const child = startChild('receivers', NODE, [...NODE_FLAGS, 'bench/fanout-receivers.ts'], {
    env: { ...process.env, FANOUT_SECRET_SALT: salt, FANOUT_WEBHOOK_ORIGINS: String(WEBHOOK_ORIGINS) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  state.receivers = child;
  const ready = new Promise<{ smtpPort: number; httpPorts: number[] }>((resolve, reject) => {
    ipcWaiting.set(0, (reply) => resolve(reply as { smtpPort: number; httpPorts: number[] }));
    void child.exited.then(({ code, signal }) => reject(new Error(`the receivers process exited (${code ?? signal}) before it was ready`)));
  });
  child.proc.on('message', (message: { id: number; reply: unknown }) => {
    const waiter = ipcWaiting.get(message.id);
    ipcWaiting.delete(message.id);
    waiter?.(message.reply);
  });
  return ready;
}

// ---- setup steps ---------------------------------------------------------------------------

async function createDatabase(): Promise<{ url: string; version: string }> {
  const name = `lifeline_fanout_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL, connectionTimeoutMillis: 5_000 });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
    state.database = name;
    const version = (await admin.query<{ server_version: string }>('SHOW server_version')).rows[0].server_version;
    return { url: ADMIN_DATABASE_URL.replace(/\/postgres$/, `/${name}`), version };
  } finally {
    await admin.end();
  }
}

async function createToken(env: NodeJS.ProcessEnv): Promise<string> {
  const result = await runToCompletion(
    'lifeline token create',
    NODE,
    [...NODE_FLAGS, 'bin/lifeline.mjs', 'token', 'create', '--name', 'bench', '--scope', 'admin'],
    { env, timeoutMs: 60_000 },
  );
  const token = result.stdout.trim().split('\n').pop()?.trim() ?? '';
  if (result.code !== 0 || !/^\S{16,}$/.test(token))
    throw new Error(`token create failed (exit ${result.code}): ${result.stderr.trim() || result.stdout.trim()}`);
  return token;
}

/**
 * Confirmed subscribers straight into the table (the CLI/API path would take minutes and is not
 * what is measured). Webhook n posts to /hook/n with secret whsec_base64(sha256("salt:n")), which
 * the receiver derives to check every signature. FANOUT_ORDER decides where webhooks sit in the
 * table, and so in the delivery order: mixed spreads them evenly, as sign-ups over time would.
 */
async function seedSubscribers(url: string, httpPorts: number[], salt: string): Promise<{ ms: number; counts: Record<string, number> }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const t0 = performance.now();
    const total = EMAILS + WEBHOOKS;
    const isWebhook = {
      mixed: '($2::bigint * n) / $1 > ($2::bigint * (n - 1)) / $1',
      'emails-first': 'n > $1 - $2',
      'webhooks-first': 'n <= $2',
    }[ORDER];
    await client.query(
      `INSERT INTO subscriber (id, type, email, url, secret, all_components, component_ids, source, confirmed_at, confirmation_sent_at, created_at, updated_at)
       SELECT 'fo' || lpad(n::text, 10, '0'), kind,
              CASE WHEN kind = 'email' THEN 'subscriber' || n || '@example.test' END,
              CASE WHEN kind = 'webhook' THEN 'http://127.0.0.1:' || ($3::int[])[1 + n % cardinality($3::int[])] || '/hook/' || n END,
              CASE WHEN kind = 'webhook' THEN 'whsec_' || encode(sha256(convert_to($4 || ':' || n, 'UTF8')), 'base64') END,
              true, '[]'::jsonb, CASE WHEN kind = 'email' THEN 'public' ELSE 'api' END,
              created + interval '3 minutes', CASE WHEN kind = 'email' THEN created END, created, created + interval '3 minutes'
       FROM (SELECT n, CASE WHEN ${isWebhook} THEN 'webhook' ELSE 'email' END AS kind,
                    now() - interval '400 days' + n * interval '5 minutes' AS created
             FROM generate_series(1, $1::int) AS n) AS g
       ORDER BY n`,
      [total, WEBHOOKS, httpPorts, salt],
    );
    // Chat channel n: platform n mod 3, its own URL /chat/<platform>/<n> on one of the receiver's ports.
    // The URL goes where Lifeline keeps it (secret; unsealed values are read as they are), shown elided.
    await client.query(
      `INSERT INTO subscriber (id, type, email, url, url_hash, secret, all_components, component_ids, source, confirmed_at, created_at, updated_at)
       SELECT 'fc' || lpad(n::text, 10, '0'), platform, NULL, base || '…', encode(sha256(convert_to(full_url, 'UTF8')), 'hex'), full_url,
              true, '[]'::jsonb, 'api', now() - interval '1 day', now() - interval '2 days', now() - interval '1 day'
       FROM (SELECT n, platform, base, base || n AS full_url
             FROM (SELECT n, (ARRAY['slack', 'discord', 'teams'])[1 + n % 3] AS platform,
                          'http://127.0.0.1:' || ($2::int[])[1 + n % cardinality($2::int[])] || '/chat/' || (ARRAY['slack', 'discord', 'teams'])[1 + n % 3] || '/' AS base
                   FROM generate_series(1, $1::int) AS n) AS p) AS g
       ORDER BY n`,
      [CHATS, httpPorts],
    );
    await client.query('ANALYZE subscriber');
    const rows = await client.query<{ type: string; n: number }>(
      'SELECT type, count(*)::int AS n FROM subscriber WHERE confirmed_at IS NOT NULL GROUP BY type',
    );
    return { ms: performance.now() - t0, counts: Object.fromEntries(rows.rows.map((r) => [r.type, r.n])) };
  } finally {
    await client.end();
  }
}

async function getJson<T>(url: string, token: string): Promise<T> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(15_000) });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`GET ${url}: HTTP ${response.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

/** When each stage of the pipeline first and last happened, from the rows (Lifeline's own clock). */
async function readStages(url: string, incidentId: string): Promise<Record<string, number | null>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const row = (
      await client.query(
        `SELECT extract(epoch FROM min(e.created_at)) * 1000 AS event_created, extract(epoch FROM min(e.dispatched_at)) * 1000 AS expansion_started,
              extract(epoch FROM min(d.published_at)) * 1000 AS first_published, extract(epoch FROM max(d.published_at)) * 1000 AS last_published,
              extract(epoch FROM min(d.claimed_at)) * 1000 AS first_claimed, extract(epoch FROM max(d.claimed_at)) * 1000 AS last_claimed,
              extract(epoch FROM min(d.sent_at)) * 1000 AS first_sent, extract(epoch FROM max(d.sent_at)) * 1000 AS last_sent,
              max(d.attempts) AS max_attempts, count(*) FILTER (WHERE d.attempts > 1) AS retried,
              -- The first pass publishes every row within seconds of its creation; a row last published more
              -- than REPUBLISH_AFTER_MS (2 min) after it was created was published again by the sweeper.
              count(*) FILTER (WHERE d.published_at > d.created_at + interval '2 minutes') AS republished
       FROM outbox_event e JOIN delivery d ON d.event_id = e.id WHERE e.payload->>'incident_id' = $1`,
        [incidentId],
      )
    ).rows[0] as Record<string, string | null>;
    return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v === null ? null : Number(v)]));
  } finally {
    await client.end();
  }
}

async function startLifeline(name: string, role: 'web' | 'worker', env: NodeJS.ProcessEnv, profile: boolean, port: number): Promise<LifelineProcess> {
  const tmp = state.tmp as string;
  const logFile = join(tmp, `${name}.log`);
  const flags = profile ? ['--cpu-prof', `--cpu-prof-dir=${join(tmp, 'profiles')}`, `--cpu-prof-name=${name}.cpuprofile`] : [];
  const child = startChild(name, NODE, [...LIFELINE_NODE_FLAGS, ...flags, 'src/server.ts'], {
    env: { ...env, PORT: String(port), LIFELINE_ROLES: role, LIFELINE_DATA_DIR: join(tmp, `data-${name}`) },
    logFile,
  });
  const proc: LifelineProcess = { name, role, port, child, logFile, peakRss: 0, hwm: null };
  state.lifeline.push(proc);
  return proc;
}

/** Nodemailer's build rate, in its own process on the then quiet machine. */
async function runCeiling(samplePath: string | null, smtpUrl?: string): Promise<NonNullable<Results['ceiling']>> {
  const args = [...NODE_FLAGS, 'bench/fanout-mail-ceiling.ts', '--n', String(CEILING_N)];
  if (samplePath) args.push('--sample', samplePath);
  if (smtpUrl) args.push('--smtp', smtpUrl, '--pool', String(SMTP_POOL));
  const result = await runToCompletion('nodemailer ceiling', NODE, args, { timeoutMs: 90_000 });
  const out: NonNullable<Results['ceiling']> = {};
  for (const line of result.stdout.split('\n').filter((l) => l.startsWith('{'))) {
    const parsed = JSON.parse(line) as CeilingResult & { kind: 'reference' | 'lifeline' | 'raw_pool' };
    out[parsed.kind] = parsed;
  }
  if (result.code !== 0) out.error = `exit ${result.code}: ${result.stderr.trim().slice(-500)}`;
  return out;
}

// ---- the report ----------------------------------------------------------------------------

function rate(times: number[] | undefined): number | null {
  if (!times || times.length < 2) return null;
  return (times.length - 1) / ((times[times.length - 1] - times[0]) / 1000);
}

function quantile(times: number[], q: number): number | null {
  if (times.length === 0) return null;
  return times[Math.min(times.length - 1, Math.ceil(q * times.length) - 1)];
}

/** The slowest and the median email rate over the full 10-second windows after the first one (from the API call). */
function flatRate(times: number[], t0: number | null): { min: number; median: number } | null {
  if (t0 === null || times.length === 0) return null;
  const window = 10_000;
  const last = times[times.length - 1] - t0;
  const counts: number[] = [];
  for (let from = window; from + window <= last; from += window)
    counts.push(times.filter((t) => t - t0 >= from && t - t0 < from + window).length / (window / 1000));
  if (counts.length === 0) return null;
  const sorted = [...counts].sort((a, b) => a - b);
  return { min: sorted[0], median: sorted[Math.floor(sorted.length / 2)] };
}

function printReport(): void {
  if (state.printed) return;
  state.printed = true;
  const lines: string[] = [];
  const p = (line = '') => lines.push(line);
  const t0 = results.api?.at ?? null;
  const rel = (t: number | null | undefined) => (t0 === null || t == null ? null : t - t0);
  const stats = results.stats;
  const emailTimes = results.times?.emails ?? [];
  const hookTimes = results.times?.webhooks ?? [];
  const emailsDone = stats?.emails ?? 0;
  const hooksDone = stats?.webhooks ?? 0;
  const firstEmail = rel(stats?.emailFirst);
  const lastEmail = rel(stats?.emailLast);
  const lastHook = rel(stats?.webhookLast);
  const emailRate = rate(emailTimes);
  const hookRate = rate(hookTimes);
  const endToEndEmailRate = lastEmail ? emailsDone / (lastEmail / 1000) : null;
  const cpu = cpus();

  p('');
  p(`Lifeline fan-out bench · ${new Date(started).toISOString()} · node ${process.version} · ${cpu[0]?.model ?? '?'} × ${cpu.length} · kernel ${release()}`);
  p(
    `${fmt(EMAILS)} confirmed email + ${fmt(WEBHOOKS)} webhook + ${fmt(CHATS)} chat subscribers (order: ${ORDER}) on PostgreSQL ${results.setup.postgres ?? '?'}; Pub/Sub emulator; ` +
      `1 web + ${WORKERS} worker process(es), SMTP_POOL_SIZE=${SMTP_POOL} per worker${DKIM ? ', DKIM (RSA-2048) on' : ''}; SMTP sink and HTTP receiver (204, ${WEBHOOK_ORIGINS} origin(s)) on 127.0.0.1`,
  );
  p(
    `setup: emulator ${secs(Number(results.setup.emulatorMs), 1)}, seeding ${secs(Number(results.setup.seedMs), 1)}, Lifeline ready ${secs(Number(results.setup.readyMs), 1)}` +
      `${results.api ? ` · POST /api/v1/incidents answered 201 in ${fmt(results.api.postMs)} ms (incident ${results.api.incidentId})` : ' · the incident was never posted'}`,
  );
  if (!results.complete) p('INCOMPLETE: the fan-out did not finish before the bench stopped; figures are what arrived until then.');
  p('');
  const row = (label: string, value: string, target = '', met: boolean | null = null) =>
    p(`  ${label.padEnd(40)} ${value.padStart(16)}   ${target ? `${target.padEnd(22)} ${verdict(met)}` : ''}`.trimEnd());
  p('  figure                                              value   target');
  row('emails accepted by the SMTP sink', `${fmt(emailsDone)} / ${fmt(EMAILS)}`);
  row(
    'time to first email (from the API call)',
    secs(firstEmail),
    '≤ 1 s',
    firstEmail === null ? (EMAILS === 0 ? null : false) : firstEmail <= TARGETS.firstEmailMs,
  );
  row(
    'time to last email',
    secs(lastEmail, 1),
    'all within 60 s',
    EMAILS === 0 ? null : emailsDone >= EMAILS && lastEmail !== null && lastEmail <= TARGETS.allEmailsMs,
  );
  row(
    '  50% / 90% / 99% of emails by',
    emailTimes.length
      ? `${secs(rel(quantile(emailTimes, 0.5)), 1)} / ${secs(rel(quantile(emailTimes, 0.9)), 1)} / ${secs(rel(quantile(emailTimes, 0.99)), 1)}`
      : '–',
  );
  row('emails/s (first → last email)', fmt(emailRate));
  row('emails/s (API call → last email)', fmt(endToEndEmailRate));
  row(
    'webhooks received (signatures valid)',
    `${fmt(hooksDone)} / ${fmt(WEBHOOKS)}${stats && stats.badSignatures + stats.badPaths > 0 ? ` (${stats.badSignatures + stats.badPaths} BAD)` : ''}`,
  );
  row(
    'webhooks/s (first → last webhook)',
    fmt(hookRate),
    '≥ 1,000/s',
    WEBHOOKS === 0 ? null : hookRate !== null && hooksDone >= WEBHOOKS && hookRate >= TARGETS.webhooksPerSecond,
  );
  row('time to first / last webhook', `${secs(rel(stats?.webhookFirst))} / ${secs(lastHook, 1)}`);
  if (CHATS > 0) {
    const chatsDone = stats?.chats ?? 0;
    const byPlatform = stats
      ? Object.entries(stats.chatsByPlatform)
          .map(([platform, n]) => `${platform} ${fmt(n)}`)
          .join(', ')
      : '';
    row(
      'chat messages received (one per URL)',
      `${fmt(chatsDone)} / ${fmt(CHATS)}${stats && stats.chatDuplicates > 0 ? ` (${fmt(stats.chatDuplicates)} DUPLICATES)` : ''}`,
    );
    row('  by platform', byPlatform || '–');
    row('time to first / last chat message', `${secs(rel(stats?.chatFirst))} / ${secs(rel(stats?.chatLast), 1)}`);
  }
  for (const proc of state.lifeline) {
    const peak = Math.max(proc.peakRss, proc.hwm ?? 0);
    row(`peak RSS ${proc.name} (pid ${proc.child.pid})`, mib(peak), '< 512 MiB', peak > 0 ? peak < TARGETS.rssBytes : null);
  }
  const ceiling = results.ceiling;
  if (ceiling?.reference) {
    row('nodemailer build rate, ~12 KB reference msg', `${fmt(ceiling.reference.msgs_per_s)}/s`);
    row('  ratio emails/s ÷ nodemailer build rate', emailRate ? fmt(emailRate / ceiling.reference.msgs_per_s, 2) : '–');
  }
  if (ceiling?.lifeline) {
    row(`nodemailer build rate, Lifeline's msg`, `${fmt(ceiling.lifeline.msgs_per_s)}/s`);
    row('  ratio emails/s ÷ that rate', emailRate ? fmt(emailRate / ceiling.lifeline.msgs_per_s, 2) : '–');
  }
  if (ceiling?.raw_pool) {
    row(`pooled SMTP, one prebuilt raw msg`, `${fmt(ceiling.raw_pool.msgs_per_s)}/s`);
    row('  ratio emails/s (API call → last) ÷ that', endToEndEmailRate ? fmt(endToEndEmailRate / ceiling.raw_pool.msgs_per_s, 2) : '–');
  }
  if (ceiling?.error) p(`  nodemailer ceiling failed: ${ceiling.error}`);
  const flat = flatRate(emailTimes, t0);
  if (flat)
    row(
      `slowest full 10 s after the first (emails/s)`,
      `${fmt(flat.min)} (median ${fmt(flat.median)})`,
      `≥ ${TARGETS.flatRateShare * 100}% of the median`,
      flat.min >= TARGETS.flatRateShare * flat.median,
    );
  const c0 = results.cpu;
  if (c0 && emailsDone + hooksDone > 0) {
    const workerSeconds = Object.entries(c0.cpuSeconds)
      .filter(([n]) => n.startsWith('worker'))
      .reduce((sum, [, v]) => sum + v, 0);
    const perDelivery = (workerSeconds * 1000) / (emailsDone + hooksDone);
    const pgPerDelivery = ((c0.cpuSeconds.postgres ?? 0) * 1000) / (emailsDone + hooksDone);
    row('worker CPU per delivery', `${fmt(perDelivery, 2)} ms`, `≤ ${TARGETS.workerCpuMsPerDelivery} ms`, perDelivery <= TARGETS.workerCpuMsPerDelivery);
    row(
      'PostgreSQL CPU per delivery',
      `${fmt(pgPerDelivery, 2)} ms`,
      `≤ ${TARGETS.postgresCpuMsPerDelivery} ms`,
      pgPerDelivery <= TARGETS.postgresCpuMsPerDelivery,
    );
  }
  p('');
  if (results.dkim) {
    const d = results.dkim;
    p(
      `DKIM signing cost (RSA-2048, relaxed/relaxed, the run's ${fmt(d.avg_msg_bytes)} B sample, in its own process after the fan-out): ` +
        `Lifeline's signer ${fmt(d.lifeline_cpu_ms, 3)} CPU-ms/msg; nodemailer's DKIM stream ${fmt(d.nodemailer_stream_cpu_ms, 3)}; the RSA signature alone ${fmt(d.rsa_sign_cpu_ms, 3)}`,
    );
  }
  if (ceiling?.raw_pool) {
    p(
      `SMTP hand-off reference (nodemailer pooled transport, ${SMTP_POOL} connections, one process, the prebuilt sample message ${fmt(ceiling.raw_pool.avg_msg_bytes)} B, ` +
        `${fmt(ceiling.raw_pool.sent)} messages after 200 warm-up, to the bench's sink after the fan-out): ${fmt(ceiling.raw_pool.msgs_per_s)} msg/s at ${fmt(ceiling.raw_pool.cpu_ms_per_msg, 2)} CPU-ms/msg`,
    );
  }
  if (ceiling?.reference) {
    p(
      `nodemailer streamTransport (buffer: true, 32 in flight, ${fmt(ceiling.reference.sent)} messages after 200 warm-up, own process, after the fan-out): ` +
        `reference ${fmt(ceiling.reference.avg_msg_bytes)} B/msg ${fmt(ceiling.reference.msgs_per_s)} msg/s at ${fmt(ceiling.reference.cpu_ms_per_msg, 2)} CPU-ms/msg` +
        (ceiling.lifeline
          ? `; Lifeline's message ${fmt(ceiling.lifeline.avg_msg_bytes)} B/msg ${fmt(ceiling.lifeline.msgs_per_s)} msg/s at ${fmt(ceiling.lifeline.cpu_ms_per_msg, 2)} CPU-ms/msg`
          : ''),
    );
    p(
      '  (shared/bench/ceilings.md: 1,616 msg/s build-only; pooled SMTP to smtp-sink 950 / 1,046 / 1,133 msg/s with 1 / 5 / 20 connections, all in ONE process)',
    );
  }
  if (stats) {
    p(
      `sink: ${fmt(stats.uniqueRecipients)} distinct recipients, ${fmt(stats.emailDuplicates)} duplicates, ${fmt(stats.emailBytes / Math.max(1, stats.emails))} B/msg average, ${fmt(stats.smtpConnections)} SMTP connections; ` +
        `receiver: ${fmt(stats.uniqueWebhookIds)} distinct webhook-ids, ${fmt(stats.webhookDuplicates)} duplicates, ${fmt(stats.badSignatures)} bad signatures, ${fmt(stats.webhookBytes / Math.max(1, stats.webhooks))} B/body`,
    );
  }
  if (results.deliveries) {
    const t = results.deliveries.totals;
    const ok = t.targeted === EMAILS + WEBHOOKS + CHATS && t.sent === t.targeted && t.failed === 0 && t.pending === 0;
    p(
      `GET /api/v1/incidents/${results.api?.incidentId}/deliveries totals: targeted ${fmt(t.targeted)}, sent ${fmt(t.sent)}, failed ${fmt(t.failed)}, pending ${fmt(t.pending)} → ${ok ? 'all sent' : `NOT all sent (expected ${fmt(EMAILS + WEBHOOKS + CHATS)} targeted and sent)`}`,
    );
    for (const n of results.deliveries.notices as { event_type: string; channel: string; targeted: number; sent: number; failed: number; pending: number }[]) {
      p(`  ${n.event_type} ${n.channel}: targeted ${fmt(n.targeted)}, sent ${fmt(n.sent)}, failed ${fmt(n.failed)}, pending ${fmt(n.pending)}`);
    }
  }
  const s = results.stages;
  if (s && t0 !== null) {
    p(
      `pipeline (Lifeline's timestamps, from the API call): event committed ${secs(rel(s.event_created))}, expansion started ${secs(rel(s.expansion_started))}, ` +
        `first batch published ${secs(rel(s.first_published))}, last published ${secs(rel(s.last_published))}, first claim ${secs(rel(s.first_claimed))}, last claim ${secs(rel(s.last_claimed), 1)}, ` +
        `first marked sent ${secs(rel(s.first_sent))}, last marked sent ${secs(rel(s.last_sent), 1)}; deliveries retried ${fmt(s.retried)} (max attempts ${fmt(s.max_attempts)}); ` +
        `published again by the sweeper (last published > 2 min after creation) ${fmt(s.republished)}`,
    );
  }
  if (emailTimes.length + hookTimes.length > 0 && t0 !== null) {
    const bucket = 10_000;
    const end = Math.max(emailTimes[emailTimes.length - 1] ?? 0, hookTimes[hookTimes.length - 1] ?? 0) - t0;
    const cells: string[] = [];
    for (let from = 0; from <= end; from += bucket) {
      const count = (list: number[]) => list.filter((t) => t - t0 >= from && t - t0 < from + bucket).length;
      cells.push(`${from / 1000}-${(from + bucket) / 1000}s ${fmt(count(emailTimes) / (bucket / 1000))}/${fmt(count(hookTimes) / (bucket / 1000))}`);
    }
    p(`timeline, emails/s / webhooks/s per 10 s: ${cells.join(' · ')}`);
  }
  const c = results.cpu;
  if (c) {
    const names = Object.keys(c.pct).sort((a, b) => c.pct[b] - c.pct[a]);
    p(
      `CPU over the fan-out (API call → last message, ${fmt(c.seconds, 1)} s; % of one core, 2 cores = 200%): ` +
        `${names.map((n) => `${n} ${fmt(c.pct[n])}% (${fmt(c.cpuSeconds[n], 1)} s)`).join(', ')}, other ${fmt(c.otherPct)}%, machine ${fmt(c.machineBusyPct)}%`,
    );
    const workerSeconds = Object.entries(c.cpuSeconds)
      .filter(([n]) => n.startsWith('worker'))
      .reduce((sum, [, v]) => sum + v, 0);
    const delivered = emailsDone + hooksDone;
    if (delivered > 0)
      p(
        `  worker CPU per delivery: ${fmt((workerSeconds * 1000) / delivered, 2)} ms (${fmt(workerSeconds, 1)} CPU-s for ${fmt(delivered)} deliveries); postgres ${fmt(((c.cpuSeconds.postgres ?? 0) * 1000) / delivered, 2)} ms per delivery`,
      );
    if ((c.otherPct ?? 0) > 25)
      p(`  WARNING: ${fmt(c.otherPct)}% of a core went to processes outside the bench (other work on the machine): figures are depressed.`);
  }
  for (const line of results.profiles) p(line);
  for (const note of results.notes) p(`note: ${note}`);
  if (state.tmp) p(`logs and results: ${state.tmp}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  if (state.tmp) {
    try {
      writeFileSync(
        join(state.tmp, 'fanout-results.json'),
        `${JSON.stringify({ settings: { EMAILS, WEBHOOKS, CHATS, WORKERS, SMTP_POOL, WEBHOOK_ORIGINS, ORDER, DEADLINE_SECONDS, CEILING_N }, ...results, times: undefined }, null, 2)}\n`,
      );
    } catch {
      // the report is already printed
    }
  }
}

// ---- main ----------------------------------------------------------------------------------

async function main(): Promise<void> {
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 24) throw new Error(`needs Node 24 (this is ${process.version}); run it with npm run bench:fanout`);
  const stamp = new Date(started).toISOString().replace(/[:.]/g, '-');
  const tmp = join(tmpdir(), `lifeline-fanout-${stamp}`);
  mkdirSync(join(tmp, 'profiles'), { recursive: true });
  state.tmp = tmp;
  const configPath = join(tmp, 'page.yaml');
  writeFileSync(configPath, pageDefinitionYaml());
  log(
    `scratch folder ${tmp}; ${fmt(EMAILS)} emails + ${fmt(WEBHOOKS)} webhooks + ${fmt(CHATS)} chat channels, ${WORKERS} worker(s), deadline ${DEADLINE_SECONDS} s`,
  );

  // The Google client must never probe the metadata server (the emulator needs no credentials).
  process.env.METADATA_SERVER_DETECTION = 'none';
  const salt = randomBytes(8).toString('hex');
  const [db, emulator, ports] = await Promise.all([
    createDatabase(),
    (async () => {
      const t0 = performance.now();
      const e = await startPubSubEmulator({ projectId: 'lifeline-fanout' });
      state.emulator = e;
      results.setup.emulatorMs = performance.now() - t0;
      return e;
    })(),
    startReceivers(salt),
  ]);
  results.setup.postgres = db.version;
  log(
    `database ${state.database} (PostgreSQL ${db.version}); Pub/Sub emulator on ${emulator.host}; SMTP sink on ${HOST}:${ports.smtpPort}, HTTP receiver on ${HOST}:${ports.httpPorts.join(',')}`,
  );

  const webPort = await freePort();
  const topic = `lifeline-fanout-${salt}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOST,
    DATABASE_URL: db.url,
    LIFELINE_CONFIG: configPath,
    LIFELINE_DATA_DIR: join(tmp, 'data-cli'),
    LIFELINE_PUBLIC_URL: `http://${HOST}:${webPort}`,
    LOG_LEVEL: 'warn',
    LIFELINE_ADMIN_SOCKET: 'false',
    GOOGLE_CLOUD_PROJECT: emulator.projectId,
    PUBSUB_EMULATOR_HOST: emulator.host,
    LIFELINE_PUBSUB_TOPIC: topic,
    LIFELINE_PUBSUB_SUBSCRIPTION: `${topic}-deliveries`,
    SMTP_URL: `smtp://${HOST}:${ports.smtpPort}`,
    SMTP_POOL_SIZE: String(SMTP_POOL),
    LIFELINE_ALLOW_PRIVATE_WEBHOOKS: 'true',
    METADATA_SERVER_DETECTION: 'none',
  };
  if (DKIM) {
    const keyFile = join(tmp, 'dkim.pem');
    writeFileSync(keyFile, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    Object.assign(env, { DKIM_DOMAIN: 'bench.example', DKIM_SELECTOR: 'lifeline', DKIM_PRIVATE_KEY_FILE: keyFile });
  }
  const token = await createToken(env);
  log('created an admin token with the CLI (it also applied the migrations)');
  const seeded = await seedSubscribers(db.url, ports.httpPorts, salt);
  results.setup.seedMs = seeded.ms;
  log(
    `seeded ${Object.entries(seeded.counts)
      .map(([type, n]) => `${fmt(n)} ${type}`)
      .join(' + ')} confirmed subscribers with INSERT … SELECT generate_series in ${fmt(seeded.ms)} ms`,
  );

  const readyStarted = performance.now();
  await startLifeline('web', 'web', env, PROFILE_WEB, webPort);
  for (let i = 1; i <= WORKERS; i++) await startLifeline(`worker-${i}`, 'worker', env, PROFILE_WORKERS, await freePort());
  for (const proc of state.lifeline) {
    try {
      await waitForHttp200(`http://${HOST}:${proc.port}/healthz`, 60_000, proc.child);
    } catch (error) {
      throw new Error(`${(error as Error).message}\n--- ${proc.logFile} ---\n${readFileSync(proc.logFile, 'utf8').slice(-3000)}`);
    }
  }
  results.setup.readyMs = performance.now() - readyStarted;
  log(`Lifeline ready in ${fmt(results.setup.readyMs)} ms: ${state.lifeline.map((p) => `${p.name} pid ${p.child.pid}`).join(', ')}`);

  const emulatorPort = emulator.host.split(':')[1];
  const named = new Map(state.lifeline.map((p) => [p.child.pid, p.name]));
  named.set((state.receivers as Child).pid, 'receivers');
  named.set(process.pid, 'bench');
  state.sampler = new GroupSampler((pid, comm, cmdline) => {
    const name = named.get(pid);
    if (name) return name;
    if (comm === 'postgres') {
      const isClient = /\d+\.\d+\.\d+\.\d+\(\d+\)|\[local\]/.test(cmdline);
      if (!isClient) return 'postgres';
      return cmdline.includes(state.database as string) ? 'postgres' : null;
    }
    if (comm === 'java' && cmdline.includes(`--port=${emulatorPort}`)) return 'pubsub-emulator';
    return null;
  });
  // Let the subscribers' streaming pulls settle, as on an idle production system.
  await sleep(2_000);

  // ---- the one incident ----
  const api = new ResponderApi(`http://${HOST}:${webPort}`, token);
  const at = wall();
  const incident = await api.declare({
    name: 'Messages delayed in Europe',
    status: 'investigating',
    body: 'We are seeing delays of up to several minutes for messages sent in eu-west. Engineers are working with our cloud provider; no data has been lost.',
    components: { 'eu-west-messaging': 'major_outage', 'eu-west-api': 'degraded_performance' },
  });
  results.api = { at, postMs: wall() - at, incidentId: incident.id };
  log(`POST /api/v1/incidents → 201 in ${fmt(results.api.postMs)} ms (incident ${incident.id}); watching the sink and the receiver`);

  // ---- watch until everything arrived, it stalls, or the soft deadline ----
  let lastProgressAt = wall();
  let lastCount = 0;
  let lastLogAt = wall();
  let lastLogCount = { emails: 0, webhooks: 0 };
  for (;;) {
    await sleep(250);
    for (const proc of state.lifeline) {
      const memory = memoryOf(proc.child.pid);
      if (memory) proc.peakRss = Math.max(proc.peakRss, memory.rss);
    }
    const stats = await ask<ReceiverStats>('stats');
    results.stats = stats;
    const count = stats.emails + stats.webhooks + stats.chats;
    const t = wall();
    if (count > lastCount) {
      lastCount = count;
      lastProgressAt = t;
    }
    if (t - lastLogAt >= 5_000) {
      const dt = (t - lastLogAt) / 1000;
      log(
        `emails ${fmt(stats.emails)}/${fmt(EMAILS)} (${fmt((stats.emails - lastLogCount.emails) / dt)}/s), webhooks ${fmt(stats.webhooks)}/${fmt(WEBHOOKS)} (${fmt((stats.webhooks - lastLogCount.webhooks) / dt)}/s), ` +
          `chats ${fmt(stats.chats)}/${fmt(CHATS)}, ` +
          `RSS ${state.lifeline.map((p) => `${p.name} ${mib(memoryOf(p.child.pid)?.rss)}`).join(', ')}`,
      );
      lastLogAt = t;
      lastLogCount = { emails: stats.emails, webhooks: stats.webhooks };
    }
    if (stats.emails >= EMAILS && stats.webhooks >= WEBHOOKS && stats.chats >= CHATS) {
      results.complete = true;
      break;
    }
    const dead = state.lifeline.find((p) => p.child.done);
    if (dead) {
      results.notes.push(`${dead.name} exited during the fan-out (see ${dead.logFile})`);
      break;
    }
    if (t > softDeadline) {
      results.notes.push(
        `stopped watching at the deadline (FANOUT_DEADLINE_SECONDS=${DEADLINE_SECONDS}, ${RESERVE_MS / 1000} s kept for the read-back and the ceiling)`,
      );
      break;
    }
    if (t - lastProgressAt > 20_000) {
      // Nothing new for 20 s: finished with failures, or stuck. The API says which.
      const progress = await getJson<NonNullable<Results['deliveries']>>(`http://${HOST}:${webPort}/api/v1/incidents/${incident.id}/deliveries`, token).catch(
        () => null,
      );
      if (progress && progress.totals.targeted > 0 && progress.totals.pending === 0) {
        results.notes.push('nothing more arrived for 20 s and no delivery is pending');
        break;
      }
      if (t - lastProgressAt > 60_000) {
        results.notes.push(
          `nothing arrived for 60 s; ${progress ? `${fmt(progress.totals.pending)} deliveries still pending` : 'the deliveries API did not answer'}`,
        );
        break;
      }
    }
  }
  const finishedAt = Math.max(results.stats?.emailLast ?? 0, results.stats?.webhookLast ?? 0, at + 1_000);
  log(`fan-out ${results.complete ? 'complete' : 'stopped'}: ${fmt(results.stats?.emails)} emails, ${fmt(results.stats?.webhooks)} webhooks`);

  // ---- read back ----
  const deliveriesUrl = `http://${HOST}:${webPort}/api/v1/incidents/${incident.id}/deliveries`;
  for (let i = 0; i < 40; i++) {
    results.deliveries = await getJson<NonNullable<Results['deliveries']>>(deliveriesUrl, token).catch((error: Error) => {
      results.notes.push(`deliveries read-back failed: ${error.message}`);
      return results.deliveries;
    });
    const totals = results.deliveries?.totals;
    // The last rows are marked sent just after the receiver saw them.
    if (!results.complete || (totals && totals.pending === 0 && totals.sent + totals.failed === totals.targeted)) break;
    await sleep(250);
  }
  results.stages = await readStages(db.url, incident.id).catch((error: Error) => {
    results.notes.push(`reading pipeline timestamps failed: ${error.message}`);
    return null;
  });
  await sleep(600); // one more CPU sample after the last message
  state.sampler.take();
  results.cpu = state.sampler.window(at, finishedAt);
  state.sampler.stop();
  results.times = await ask<{ emails: number[]; webhooks: number[] }>('times', 30_000);
  results.stats = await ask<ReceiverStats>('stats');
  const samples = await ask<{ email: string | null; webhook: string | null }>('samples');
  let samplePath: string | null = null;
  if (samples.email) {
    samplePath = join(tmp, 'sample-email.eml');
    writeFileSync(samplePath, samples.email);
  }
  if (samples.webhook) writeFileSync(join(tmp, 'sample-webhook.json'), samples.webhook);
  for (const proc of state.lifeline) proc.hwm = memoryOf(proc.child.pid)?.hwm ?? null;

  // ---- stop Lifeline (profiles are written on exit), then measure nodemailer on a quiet machine ----
  await Promise.all(state.lifeline.map((proc) => stopChild(proc.child, 15_000)));
  // The SMTP hand-off reference needs the sink, so it runs before the receivers stop (their figures are read).
  let handOff: Results['ceiling'] = null;
  if (CEILING_N > 0 && samplePath && wall() < started + (DEADLINE_SECONDS - 25) * 1000) {
    log(`measuring the SMTP hand-off reference (${fmt(CEILING_N)} prebuilt messages through a pooled transport)`);
    handOff = await runCeiling(samplePath, `smtp://${HOST}:${ports.smtpPort}`);
  }
  await stopChild(state.receivers as Child, 5_000);
  await emulator.stop();
  state.emulator = null;
  if (PROFILE_WORKERS || PROFILE_WEB) {
    for (const file of readdirSync(join(tmp, 'profiles'))
      .filter((f) => f.endsWith('.cpuprofile'))
      .sort()) {
      try {
        results.profiles.push('', ...formatSummary(summarizeProfile(join(tmp, 'profiles', file), 20), `CPU profile ${file}`));
      } catch (error) {
        results.profiles.push(`CPU profile ${file}: ${(error as Error).message}`);
      }
    }
  }
  if (CEILING_N > 0 && wall() < started + (DEADLINE_SECONDS - 15) * 1000) {
    log(`measuring nodemailer's build rate (${fmt(CEILING_N)} messages, streamTransport)`);
    results.ceiling = { ...(await runCeiling(samplePath)), ...(handOff?.raw_pool ? { raw_pool: handOff.raw_pool } : {}) };
    if (handOff?.error) results.ceiling.error = `${results.ceiling.error ?? ''} hand-off: ${handOff.error}`.trim();
  } else if (CEILING_N > 0) {
    results.notes.push('nodemailer ceiling skipped: too close to the deadline');
  }
  if (DKIM && CEILING_N > 0 && samplePath && wall() < started + (DEADLINE_SECONDS - 15) * 1000) {
    log('measuring the DKIM signing cost of the sample message');
    const run = await runToCompletion('dkim cost', NODE, [...NODE_FLAGS, 'bench/fanout-mail-ceiling.ts', '--dkim', '--sample', samplePath, '--n', '2000'], {
      timeoutMs: 60_000,
    });
    const line = run.stdout.split('\n').find((l) => l.startsWith('{'));
    if (run.code === 0 && line) results.dkim = JSON.parse(line) as NonNullable<Results['dkim']>;
    else results.notes.push(`DKIM signing cost not measured: exit ${run.code}: ${run.stderr.trim().slice(-300)}`);
  }
  printReport();
}

try {
  await main();
} catch (error) {
  if (state.exitCode === 0) {
    state.exitCode = 1;
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    log(`ERROR: ${message}`);
    results.notes.push(`ERROR: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
  printReport();
} finally {
  await cleanup();
  clearTimeout(hardDeadline);
}
process.exit(state.exitCode);
