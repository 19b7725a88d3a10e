// npm run bench:page — the public page under keep-alive load, against Node's bare http server
// serving the same precompressed bytes, plus how fast a posted update becomes visible under load.
// Everything runs on 127.0.0.1; every child is stopped by PID and the bench database dropped, even on failure.
// Settings (environment): BENCH_SECONDS=10 BENCH_WARMUP_SECONDS=3 BENCH_CONNECTIONS=64 BENCH_ROUNDS=3
// BENCH_FRESHNESS_SAMPLES=5 BENCH_SEED_CONCURRENCY=32 BENCH_DEADLINE_SECONDS=600 BENCH_CPU_PROF=1;
// BENCH_CLIENT=wrk|autocannon (default wrk when installed, as in shared/bench/ceilings: apt-get install wrk);
// DATABASE_URL to use an existing database (not dropped).
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { createServer } from 'node:net';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { CpuSampler, type CpuWindow } from './lib/cpu.ts';
import { decode, rawGet, type RawResponse } from './lib/http.ts';
import { runLoad, wrkAvailable, type LoadClient, type LoadResult } from './lib/load.ts';
import { runToCompletion, startChild, stopAllChildren, waitForHttp200 } from './lib/processes.ts';
import { pageDefinitionYaml, ResponderApi, seedIncidents, type SeedResult } from './lib/seed.ts';
import { fmt, LIFELINE_NODE_FLAGS, setting, sleep } from './lib/settings.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
process.chdir(ROOT);

const HOST = '127.0.0.1';
const NODE = join(ROOT, 'node_modules/.bin/node');
const NODE_FLAGS = ['--disable-warning=ExperimentalWarning'];
const ADMIN_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
// The product embeds (issue 13) ride the same snapshot path as the page and the v2 JSON, so the same targets apply.
const PATHS = ['/', '/api/v2/summary.json', '/embed/status.json', '/embed/banner.js'];
const BROWSER_ACCEPT_ENCODING = 'gzip, deflate, br';

const SECONDS = setting('BENCH_SECONDS', 10, 1, 60);
const WARMUP_SECONDS = setting('BENCH_WARMUP_SECONDS', 3, 0, 30);
const CONNECTIONS = setting('BENCH_CONNECTIONS', 64, 1, 1024);
const ROUNDS = setting('BENCH_ROUNDS', 3, 1, 10);
const FRESHNESS_SAMPLES = setting('BENCH_FRESHNESS_SAMPLES', 5, 1, 20);
const DEADLINE_SECONDS = setting('BENCH_DEADLINE_SECONDS', 600, 60, 3600);
const SEED_CONCURRENCY = setting('BENCH_SEED_CONCURRENCY', 32, 1, 64);
const CLIENT: LoadClient = (() => {
  const chosen = process.env.BENCH_CLIENT || (wrkAvailable() ? 'wrk' : 'autocannon');
  if (chosen !== 'wrk' && chosen !== 'autocannon') throw new Error(`BENCH_CLIENT must be wrk or autocannon, got ${JSON.stringify(chosen)}`);
  if (chosen === 'wrk' && !wrkAvailable()) throw new Error('BENCH_CLIENT=wrk but wrk is not installed (apt-get install wrk)');
  return chosen;
})();
/** BENCH_CPU_PROF=1: Lifeline runs with --cpu-prof; the .cpuprofile lands in the scratch folder. */
const CPU_PROF = /^(1|true|yes)$/i.test(process.env.BENCH_CPU_PROF ?? '');
const TARGETS = { ratio: 0.8, p99Ms: 10, freshnessMs: 1000 };
const SEED = { resolvedCount: 200, activeCount: 3, updatesPerActive: 6, concurrency: SEED_CONCURRENCY };

const log = (message: string) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);
const median = (values: number[]) => {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const stripEtag = (etag: unknown) => String(etag ?? '').replace(/-(br|gzip)"$/, '"');

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

// ---- state the cleanup needs ---------------------------------------------------------------

const state: { tmp: string | null; createdDatabase: string | null; cleanup: Promise<void> | null; exitCode: number } = {
  tmp: null,
  createdDatabase: null,
  cleanup: null,
  exitCode: 0,
};

/** Idempotent: every caller (normal end, failure, signal, deadline) awaits the same cleanup. */
function cleanup(): Promise<void> {
  state.cleanup ??= (async () => {
    const stopped = await stopAllChildren();
    if (stopped.length > 0) log(`stopped ${stopped.join(', ')}`);
    if (state.createdDatabase) {
      const client = new pg.Client({ connectionString: ADMIN_DATABASE_URL, connectionTimeoutMillis: 5_000 });
      try {
        await client.connect();
        await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(state.createdDatabase)} WITH (FORCE)`);
        log(`dropped database ${state.createdDatabase}`);
      } catch (error) {
        log(`WARNING: could not drop database ${state.createdDatabase}: ${(error as Error).message}`);
      } finally {
        await client.end().catch(() => {});
      }
    }
    if (state.tmp) {
      for (const dir of ['data', 'bodies']) rmSync(join(state.tmp, dir), { recursive: true, force: true });
    }
  })();
  return state.cleanup;
}

function abort(reason: string, code: number): void {
  if (state.exitCode === 0) state.exitCode = code;
  log(reason);
  void cleanup().finally(() => process.exit(state.exitCode));
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => abort(`${signal}: stopping`, 130));
const deadline = setTimeout(() => abort(`ERROR: the bench exceeded BENCH_DEADLINE_SECONDS=${DEADLINE_SECONDS}; stopping`, 1), DEADLINE_SECONDS * 1000);
deadline.unref();

// ---- steps ---------------------------------------------------------------------------------

async function prepareDatabase(): Promise<{ url: string; created: boolean; version: string }> {
  const existing = process.env.DATABASE_URL;
  const url = existing || ADMIN_DATABASE_URL.replace(/\/postgres$/, `/lifeline_bench_${randomBytes(4).toString('hex')}`);
  if (!existing) {
    const name = new URL(url).pathname.slice(1);
    const admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL, connectionTimeoutMillis: 5_000 });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
      state.createdDatabase = name;
    } finally {
      await admin.end();
    }
  } else {
    const host = new URL(url).hostname;
    if (!['127.0.0.1', 'localhost', '::1', '[::1]', ''].includes(host)) log(`WARNING: DATABASE_URL points at ${host}, not loopback`);
  }
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  const version = (await client.query<{ server_version: string }>('SHOW server_version')).rows[0].server_version;
  await client.end();
  return { url, created: !existing, version };
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

/** Waits until summary.json shows every seeded update and its ETag holds still for a second. */
async function waitForSettledSnapshot(base: string, expectedIds: string[], timeoutMs = 30_000): Promise<number> {
  const started = Date.now();
  let previous = '';
  while (Date.now() - started < timeoutMs) {
    const response = await rawGet(`${base}/api/v2/summary.json`, { 'accept-encoding': BROWSER_ACCEPT_ENCODING });
    const text = decode(response).toString('utf8');
    const etag = String(response.headers.etag ?? '');
    if (response.status === 200 && expectedIds.every((id) => text.includes(id))) {
      if (etag === previous) return Date.now() - started;
      previous = etag;
      await sleep(1_000);
    } else {
      previous = '';
      await sleep(200);
    }
  }
  throw new Error(`the snapshot did not settle on the seeded data within ${timeoutMs} ms`);
}

interface ServedBody {
  path: string;
  contentType: string;
  etag: string;
  identityBytes: number;
  gzipBytes: number;
  brBytes: number;
  /** What a browser (Accept-Encoding: gzip, deflate, br) receives from Lifeline. */
  browser: { encoding: string; headerBytes: number; headers: Record<string, unknown> };
  files: { br: string; gzip: string; identity: string };
  br: Buffer;
}

/** Fetches the exact bodies Lifeline serves (br, gzip, identity) from one snapshot, for the reference server. */
async function captureBodies(base: string, dir: string): Promise<ServedBody[]> {
  mkdirSync(dir, { recursive: true });
  const out: ServedBody[] = [];
  for (const [index, path] of PATHS.entries()) {
    for (let attempt = 1; ; attempt++) {
      const [br, gzip, identity, browser] = await Promise.all([
        rawGet(`${base}${path}`, { 'accept-encoding': 'br' }),
        rawGet(`${base}${path}`, { 'accept-encoding': 'gzip' }),
        rawGet(`${base}${path}`, {}),
        rawGet(`${base}${path}`, { 'accept-encoding': BROWSER_ACCEPT_ENCODING }),
      ]);
      const all: RawResponse[] = [br, gzip, identity, browser];
      const etags = new Set(all.map((r) => stripEtag(r.headers.etag)));
      const ok =
        all.every((r) => r.status === 200) &&
        etags.size === 1 &&
        br.headers['content-encoding'] === 'br' &&
        gzip.headers['content-encoding'] === 'gzip' &&
        !identity.headers['content-encoding'];
      if (ok && decode(br).equals(identity.body) && decode(gzip).equals(identity.body)) {
        const files = { br: `${index}.br`, gzip: `${index}.gz`, identity: `${index}.raw` };
        writeFileSync(join(dir, files.br), br.body);
        writeFileSync(join(dir, files.gzip), gzip.body);
        writeFileSync(join(dir, files.identity), identity.body);
        out.push({
          path,
          contentType: String(identity.headers['content-type']),
          etag: [...etags][0],
          identityBytes: identity.body.length,
          gzipBytes: gzip.body.length,
          brBytes: br.body.length,
          browser: { encoding: String(browser.headers['content-encoding'] ?? 'identity'), headerBytes: browser.headerBytes, headers: browser.headers },
          files,
          br: br.body,
        });
        break;
      }
      if (attempt >= 5)
        throw new Error(`could not fetch consistent bodies for ${path} (statuses ${all.map((r) => r.status).join(',')}, etags ${[...etags].join(' ')})`);
      await sleep(500);
    }
  }
  return out;
}

interface Run {
  round: number;
  path: string;
  target: 'lifeline' | 'reference';
  load: LoadResult;
  cpu: CpuWindow | null;
  serverCpuPct: number | null;
  clientCpuPct: number | null;
  /** % of one core busy on the machine outside the two servers and autocannon (other work, kernel). */
  otherCpuPct: number | null;
  serverCpuUsPerRequest: number | null;
}

async function measure(options: {
  round: number;
  path: string;
  target: 'lifeline' | 'reference';
  base: string;
  sampler: CpuSampler;
  seconds: number;
  warmupSeconds: number;
}): Promise<Run> {
  const { path, target, base, sampler } = options;
  const headers = { 'accept-encoding': BROWSER_ACCEPT_ENCODING };
  if (options.warmupSeconds > 0)
    await runLoad(NODE, { url: `${base}${path}`, connections: CONNECTIONS, seconds: options.warmupSeconds, headers, client: CLIENT });
  const load = await runLoad(NODE, {
    url: `${base}${path}`,
    connections: CONNECTIONS,
    seconds: options.seconds,
    headers,
    client: CLIENT,
    onStart: (child) => sampler.track('client', child.pid),
  });
  await sleep(300); // one more CPU sample after the run's end
  const cpu = sampler.window(load.start + 500, load.finish);
  const serverCpuPct = cpu?.processes[target] ?? null;
  return {
    round: options.round,
    path,
    target,
    load,
    cpu,
    serverCpuPct,
    clientCpuPct: cpu?.processes.client ?? null,
    otherCpuPct: cpu?.other ?? null,
    serverCpuUsPerRequest: serverCpuPct == null || load.rps <= 0 ? null : ((serverCpuPct / 100) * 1e6) / load.rps,
  };
}

interface FreshnessSample {
  incidentId: string;
  updateId: string;
  postMs: number;
  visibleAfterPostMs: number | null;
  polls: number;
  underLoad: boolean;
}

/** Posts one update per sample and polls summary.json (its own keep-alive connection) until the update id shows. */
async function probeFreshness(
  base: string,
  api: ResponderApi,
  active: SeedResult['active'],
  count: number,
  loaded: () => boolean,
  gapMs: number,
): Promise<FreshnessSample[]> {
  const poller = new Agent({ keepAlive: true, maxSockets: 1 });
  const samples: FreshnessSample[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const underLoad = loaded();
      const incident = active[i % active.length];
      const postStarted = performance.now();
      const updated = await api.update(incident.id, {
        status: i % 2 ? 'identified' : 'monitoring',
        body: `Freshness probe at ${new Date().toISOString()}: delivery delays are shrinking.`,
      });
      const posted = performance.now();
      const updateId = updated.incident_updates.map((u) => u.id).find((id) => !incident.updateIds.includes(id));
      if (!updateId) throw new Error('the update response does not contain a new update id');
      incident.updateIds.push(updateId);
      let visible: number | null = null;
      let polls = 0;
      while (performance.now() - posted < 5_000) {
        polls++;
        const response = await rawGet(`${base}/api/v2/summary.json`, { 'accept-encoding': BROWSER_ACCEPT_ENCODING }, poller);
        if (response.status === 200 && decode(response).includes(`"${updateId}"`)) {
          visible = performance.now() - posted;
          break;
        }
        await sleep(5);
      }
      samples.push({ incidentId: incident.id, updateId, postMs: posted - postStarted, visibleAfterPostMs: visible, polls, underLoad: underLoad && loaded() });
      if (i < count - 1) await sleep(gapMs);
    }
  } finally {
    poller.destroy();
  }
  return samples;
}

/** While autocannon drives summary.json, posts updates and polls until each one is visible. */
async function measureFreshness(
  base: string,
  api: ResponderApi,
  active: SeedResult['active'],
  sampler: CpuSampler,
): Promise<{ samples: FreshnessSample[]; load: LoadResult; serverCpuPct: number | null }> {
  const seconds = Math.max(SECONDS, Math.ceil(4 + FRESHNESS_SAMPLES * 1.8));
  let loadDone = false;
  const loading = runLoad(NODE, {
    url: `${base}/api/v2/summary.json`,
    connections: CONNECTIONS,
    seconds,
    headers: { 'accept-encoding': BROWSER_ACCEPT_ENCODING },
    client: CLIENT,
    onStart: (child) => sampler.track('client', child.pid),
  }).finally(() => {
    loadDone = true;
  });
  await sleep(2_000);
  const samples = await probeFreshness(base, api, active, FRESHNESS_SAMPLES, () => !loadDone, 1_000);
  const load = await loading;
  await sleep(300);
  const cpu = sampler.window(load.start + 500, load.finish);
  return { samples, load, serverCpuPct: cpu?.processes.lifeline ?? null };
}

function versionOf(pkg: string): string {
  try {
    return (JSON.parse(readFileSync(join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}

// ---- main ----------------------------------------------------------------------------------

async function main(): Promise<void> {
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 24) throw new Error(`needs Node 24 (this is ${process.version}); run it with npm run bench:page`);
  const startedAt = new Date();
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const tmp = join(tmpdir(), `lifeline-bench-${stamp}`);
  mkdirSync(tmp, { recursive: true });
  state.tmp = tmp;
  const dataDir = join(tmp, 'data');
  const configPath = join(tmp, 'page.yaml');
  const serverLog = join(tmp, 'lifeline.log');
  writeFileSync(configPath, pageDefinitionYaml());
  log(`scratch folder ${tmp}`);

  const db = await prepareDatabase();
  log(
    db.created
      ? `created database ${state.createdDatabase} (PostgreSQL ${db.version})`
      : `using DATABASE_URL (PostgreSQL ${db.version}); it will not be dropped`,
  );

  const [lifelinePort, referencePort] = [await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(lifelinePort),
    HOST,
    DATABASE_URL: db.url,
    LIFELINE_DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    LIFELINE_ADMIN_SOCKET: 'false',
    LIFELINE_CONFIG: configPath,
  };
  const token = await createToken(env);
  log('created an admin token with the CLI');

  const profileFlags = CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${join(tmp, 'profiles')}`] : [];
  const lifeline = startChild('lifeline', NODE, [...LIFELINE_NODE_FLAGS, ...profileFlags, 'src/server.ts'], { env, logFile: serverLog });
  const base = `http://${HOST}:${lifelinePort}`;
  try {
    const ms = await waitForHttp200(`${base}/healthz`, 60_000, lifeline);
    log(`Lifeline (pid ${lifeline.pid}) healthy on ${base} after ${ms} ms`);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- ${serverLog} ---\n${readFileSync(serverLog, 'utf8').slice(-3000)}`);
  }

  const api = new ResponderApi(base, token);
  log(`seeding ${SEED.resolvedCount} resolved incidents (3 updates each) and ${SEED.activeCount} active incidents with ${SEED.updatesPerActive} updates each`);
  const seed = await seedIncidents(api, SEED);
  log(
    `seeded through the API: ${seed.requests} requests (${seed.retries} retries) in ${seed.seconds.toFixed(1)} s; POST latency p50 ${seed.latencyMs.p50} ms, p95 ${seed.latencyMs.p95} ms, max ${seed.latencyMs.max} ms`,
  );
  const settleMs = await waitForSettledSnapshot(
    base,
    seed.active.map((a) => a.updateIds[a.updateIds.length - 1]),
  );
  log(`snapshot settled after ${settleMs} ms`);
  const idleFreshness = await probeFreshness(base, api, seed.active, 3, () => false, 300);
  log(
    `freshness without load: ${idleFreshness.map((f) => (f.visibleAfterPostMs === null ? 'not seen' : `${Math.round(f.visibleAfterPostMs)} ms`)).join(', ')} (POST ${idleFreshness.map((f) => Math.round(f.postMs)).join(', ')} ms)`,
  );
  await waitForSettledSnapshot(
    base,
    seed.active.map((a) => a.updateIds[a.updateIds.length - 1]),
  );

  const bodies = await captureBodies(base, join(tmp, 'bodies'));
  const manifestPath = join(tmp, 'bodies', 'manifest.json');
  writeFileSync(manifestPath, JSON.stringify(Object.fromEntries(bodies.map((b) => [b.path, { contentType: b.contentType, ...b.files }])), null, 2));
  for (const b of bodies)
    log(
      `${b.path}: identity ${fmt(b.identityBytes)} B, gzip ${fmt(b.gzipBytes)} B, br ${fmt(b.brBytes)} B; a browser gets ${b.browser.encoding} with ${b.browser.headerBytes} B of headers`,
    );

  const reference = startChild('reference', NODE, [...NODE_FLAGS, 'bench/reference-server.ts', String(referencePort), manifestPath], {
    logFile: join(tmp, 'reference.log'),
  });
  const referenceBase = `http://${HOST}:${referencePort}`;
  await waitForHttp200(`${referenceBase}/`, 15_000, reference);
  const referenceHeaderBytes: Record<string, number> = {};
  for (const b of bodies) {
    const response = await rawGet(`${referenceBase}${b.path}`, { 'accept-encoding': BROWSER_ACCEPT_ENCODING });
    if (!response.body.equals(b.br)) throw new Error(`the reference server does not serve Lifeline's bytes for ${b.path}`);
    referenceHeaderBytes[b.path] = response.headerBytes;
  }
  log(`reference node:http server (pid ${reference.pid}) serves the same bytes on ${referenceBase}`);

  const sampler = new CpuSampler({ lifeline: lifeline.pid, reference: reference.pid });
  const runs: Run[] = [];
  let freshness: Awaited<ReturnType<typeof measureFreshness>>;
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      for (const path of PATHS) {
        // Alternate which server goes first, so drift over time does not favour one of them.
        const order: Run['target'][] = round % 2 ? ['lifeline', 'reference'] : ['reference', 'lifeline'];
        for (const target of order) {
          if (lifeline.done || reference.done)
            throw new Error(`${lifeline.done ? 'Lifeline' : 'the reference server'} exited during the load runs (see ${tmp})`);
          log(`round ${round}/${ROUNDS} ${target} ${path}: ${WARMUP_SECONDS} s warm-up + ${SECONDS} s at ${CONNECTIONS} connections`);
          const run = await measure({
            round,
            path,
            target,
            base: target === 'lifeline' ? base : referenceBase,
            sampler,
            seconds: SECONDS,
            warmupSeconds: WARMUP_SECONDS,
          });
          runs.push(run);
          log(
            `  ${fmt(run.load.rps)} req/s, p50 ${run.load.latencyMs.p50} ms, p99 ${run.load.latencyMs.p99} ms, server CPU ${fmt(run.serverCpuPct)}%, ${CLIENT} CPU ${fmt(run.clientCpuPct)}%, other CPU ${fmt(run.otherCpuPct)}%, errors ${run.load.errors + run.load.non2xx}`,
          );
        }
      }
    }
    log(`freshness: ${FRESHNESS_SAMPLES} updates posted while ${CLIENT} drives /api/v2/summary.json`);
    freshness = await measureFreshness(base, api, seed.active, sampler);
  } finally {
    sampler.stop();
  }

  // ---- summary -----------------------------------------------------------------------------
  const summary = PATHS.map((path) => {
    const of = (target: Run['target']) => runs.filter((r) => r.path === path && r.target === target);
    const side = (list: Run[]) => ({
      rps: median(list.map((r) => r.load.rps)),
      p50: median(list.map((r) => r.load.latencyMs.p50)),
      p99: median(list.map((r) => r.load.latencyMs.p99)),
      p99Worst: Math.max(...list.map((r) => r.load.latencyMs.p99)),
      littleMeanMs: median(list.map((r) => r.load.littleMeanMs)),
      bytesPerResponse: median(list.map((r) => r.load.bytesPerResponse)),
      serverCpuPct: median(list.map((r) => r.serverCpuPct ?? Number.NaN)),
      clientCpuPct: median(list.map((r) => r.clientCpuPct ?? Number.NaN)),
      otherCpuPct: median(list.map((r) => r.otherCpuPct ?? Number.NaN)),
      cpuUsPerRequest: median(list.map((r) => r.serverCpuUsPerRequest ?? Number.NaN)),
      errors: list.reduce((n, r) => n + r.load.errors + r.load.timeouts + r.load.non2xx, 0),
      perRound: list.map((r) => Math.round(r.load.rps)),
    });
    const lifelineSide = side(of('lifeline'));
    const referenceSide = side(of('reference'));
    const ratios = Array.from({ length: ROUNDS }, (_, i) => {
      const l = runs.find((r) => r.path === path && r.target === 'lifeline' && r.round === i + 1);
      const f = runs.find((r) => r.path === path && r.target === 'reference' && r.round === i + 1);
      return l && f ? l.load.rps / f.load.rps : Number.NaN;
    });
    const ratio = median(ratios);
    return {
      path,
      lifeline: lifelineSide,
      reference: referenceSide,
      ratio,
      ratioPerRound: ratios.map((r) => Number(r.toFixed(3))),
      cpuPerRequestRatio: referenceSide.cpuUsPerRequest / lifelineSide.cpuUsPerRequest,
      headerBytes: { lifeline: bodies.find((b) => b.path === path)?.browser.headerBytes ?? null, reference: referenceHeaderBytes[path] ?? null },
      ratioMet: ratio >= TARGETS.ratio,
      p99Met: lifelineSide.p99Worst < TARGETS.p99Ms,
      clientBound: referenceSide.clientCpuPct >= 90,
    };
  });
  const visible = freshness.samples.map((s) => s.visibleAfterPostMs);
  const freshnessMax = visible.some((v) => v === null) ? null : Math.max(...(visible as number[]));
  const freshnessSummary = {
    samples: freshness.samples,
    medianMs: median(visible.filter((v): v is number => v !== null)),
    maxMs: freshnessMax,
    postMedianMs: median(freshness.samples.map((s) => s.postMs)),
    met: freshnessMax !== null && freshnessMax <= TARGETS.freshnessMs && freshness.samples.every((s) => s.underLoad),
    load: {
      rps: freshness.load.rps,
      p99: freshness.load.latencyMs.p99,
      p99_9: freshness.load.latencyMs.p99_9,
      max: freshness.load.latencyMs.max,
      errors: freshness.load.errors + freshness.load.non2xx,
      serverCpuPct: freshness.serverCpuPct,
    },
    idle: {
      samples: idleFreshness,
      medianMs: median(idleFreshness.map((s) => s.visibleAfterPostMs ?? Number.NaN)),
      postMedianMs: median(idleFreshness.map((s) => s.postMs)),
    },
  };

  const cpu = cpus();
  const meta = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    node: process.version,
    fastify: versionOf('fastify'),
    autocannon: versionOf('autocannon'),
    postgres: db.version,
    cpu: `${cpu[0]?.model ?? '?'} × ${cpu.length}`,
    memoryGiB: Number((totalmem() / 2 ** 30).toFixed(1)),
    kernel: release(),
    settings: {
      seconds: SECONDS,
      warmupSeconds: WARMUP_SECONDS,
      connections: CONNECTIONS,
      rounds: ROUNDS,
      freshnessSamples: FRESHNESS_SAMPLES,
      acceptEncoding: BROWSER_ACCEPT_ENCODING,
    },
    page: { components: 25, groups: 5, activeIncidents: SEED.activeCount, updatesPerActive: SEED.updatesPerActive, resolvedIncidents: SEED.resolvedCount },
    targets: TARGETS,
  };

  // ---- print -------------------------------------------------------------------------------
  const lines: string[] = [];
  const p = (line = '') => lines.push(line);
  p('');
  p(`Lifeline page bench · ${meta.startedAt} · node ${meta.node}, fastify ${meta.fastify}, autocannon ${meta.autocannon}, PostgreSQL ${meta.postgres}`);
  p(`${meta.cpu}, ${meta.memoryGiB} GiB, kernel ${meta.kernel} · load generator and servers share the machine`);
  p(
    `page: 25 components in 5 groups, ${SEED.activeCount} active incidents × ${SEED.updatesPerActive} updates, ${SEED.resolvedCount} resolved incidents (seeded through the API)`,
  );
  p(
    `load: ${CLIENT === 'wrk' ? `wrk -t1 -c${CONNECTIONS} -d${SECONDS}s` : `autocannon -c ${CONNECTIONS} -d ${SECONDS}`} (after ${WARMUP_SECONDS} s unrecorded warm-up), keep-alive, Accept-Encoding: ${BROWSER_ACCEPT_ENCODING}; ${ROUNDS} round(s), servers alternating`,
  );
  for (const b of bodies)
    p(`body ${b.path}: ${fmt(b.identityBytes)} B identity, ${fmt(b.gzipBytes)} B gzip, ${fmt(b.brBytes)} B br (served: ${b.browser.encoding})`);
  p('');
  const header = [
    'path',
    'server',
    'req/s',
    'p50 ms',
    'p99 ms',
    'mean ms*',
    'B/resp',
    'hdr B',
    'srv CPU%',
    'ac CPU%',
    'other%',
    'CPU µs/req',
    'per round req/s',
  ];
  const widths = [22, 10, 9, 7, 7, 9, 8, 6, 9, 8, 7, 11, 0];
  const row = (cells: string[]) =>
    p(
      cells
        .map((c, i) => (i < 2 || i === cells.length - 1 ? c.padEnd(widths[i]) : c.padStart(widths[i])))
        .join(' ')
        .trimEnd(),
    );
  row(header);
  for (const s of summary) {
    for (const target of ['lifeline', 'reference'] as const) {
      const v = s[target];
      row([
        target === 'lifeline' ? s.path : '',
        target,
        fmt(v.rps),
        fmt(v.p50),
        fmt(v.p99),
        fmt(v.littleMeanMs, 2),
        fmt(v.bytesPerResponse),
        fmt(s.headerBytes[target]),
        fmt(v.serverCpuPct),
        fmt(v.clientCpuPct),
        fmt(v.otherCpuPct),
        fmt(v.cpuUsPerRequest, 1),
        v.perRound.map((n) => fmt(n)).join(', '),
      ]);
    }
    p(
      `${''.padEnd(23)}ratio Lifeline/reference ${fmt(s.ratio, 2)} (per round ${s.ratioPerRound.map((r) => fmt(r, 2)).join(', ')}) target ≥ ${TARGETS.ratio}: ${s.ratioMet ? 'MET' : 'MISSED'}` +
        ` · p99 ${fmt(s.lifeline.p99Worst)} ms (worst round; reference ${fmt(s.reference.p99Worst)} ms) target < ${TARGETS.p99Ms} ms: ${s.p99Met ? 'MET' : 'MISSED'}`,
    );
    p(
      `${''.padEnd(23)}CPU per request reference/Lifeline ${fmt(s.cpuPerRequestRatio, 2)}${s.clientBound ? ` · ${CLIENT} ≥ 90% of a core on the reference: client-bound, so the req/s ratio understates the gap` : ''}` +
        `${s.lifeline.errors + s.reference.errors > 0 ? ` · ERRORS ${s.lifeline.errors + s.reference.errors}` : ''}`,
    );
  }
  p(
    CLIENT === 'wrk'
      ? "* mean ms = connections / req/s (Little's law); wrk's percentiles are in microseconds."
      : "* mean ms = connections / req/s (Little's law); autocannon's p50/p99 are whole-millisecond buckets (2 = 2.00–2.99 ms).",
  );
  p(`  CPU% = % of one core (2 cores = 200%); ac = the load client (${CLIENT}); other = busy time on the machine used by none of them.`);
  const busiest = Math.max(...runs.map((r) => r.otherCpuPct ?? 0));
  if (busiest > 25)
    p(
      `  WARNING: up to ${fmt(busiest)}% of a core went to other work during the runs: the req/s figures are depressed and noisy; compare the CPU µs/req columns and re-run on a quiet machine.`,
    );
  p('');
  const f = freshnessSummary;
  p(
    `freshness under load (${CLIENT} -c ${CONNECTIONS} on /api/v2/summary.json: ${fmt(f.load.rps)} req/s, p99 ${fmt(f.load.p99)} ms, p99.9 ${fmt(f.load.p99_9)} ms, max ${fmt(f.load.max)} ms, Lifeline CPU ${fmt(f.load.serverCpuPct)}%):`,
  );
  p(
    `  POST → visible in summary.json: ${f.samples.map((s) => (s.visibleAfterPostMs === null ? 'NOT SEEN in 5 s' : `${fmt(s.visibleAfterPostMs)} ms`)).join(', ')}`,
  );
  p(
    `  median ${fmt(f.medianMs)} ms, max ${f.maxMs === null ? 'not seen' : `${fmt(f.maxMs)} ms`} · target ≤ ${TARGETS.freshnessMs} ms: ${f.met ? 'MET' : 'MISSED'} · POST latency under load: median ${fmt(f.postMedianMs)} ms, max ${fmt(f.samples.length ? Math.max(...f.samples.map((s) => s.postMs)) : null)} ms`,
  );
  p(
    `  without load (before the runs): ${f.idle.samples.map((s) => (s.visibleAfterPostMs === null ? 'not seen' : `${fmt(s.visibleAfterPostMs)} ms`)).join(', ')}; POST median ${fmt(f.idle.postMedianMs)} ms`,
  );
  p(
    `  seeding ${seed.requests} POSTs at concurrency ${SEED.concurrency} took ${fmt(seed.seconds, 1)} s; POST latency p50 ${fmt(seed.latencyMs.p50)} ms, p95 ${fmt(seed.latencyMs.p95)} ms (each write triggers a snapshot rebuild)`,
  );

  const resultsPath = join(tmp, `page-${stamp}.json`);
  writeFileSync(
    resultsPath,
    `${JSON.stringify({ meta, seed: { ...seed, active: seed.active.map((a) => ({ id: a.id, updates: a.updateIds.length })) }, bodies: bodies.map(({ br: _br, files: _files, ...b }) => b), summary, freshness: freshnessSummary, runs }, null, 2)}\n`,
  );
  p('');
  p(`results: ${resultsPath} (server log: ${serverLog})`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

try {
  await main();
} catch (error) {
  if (state.exitCode === 0) {
    state.exitCode = 1;
    log(`ERROR: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
} finally {
  await cleanup();
  clearTimeout(deadline);
}
process.exit(state.exitCode);
