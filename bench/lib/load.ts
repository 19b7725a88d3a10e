import { execFileSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { startChild, stopChild, type Child } from './processes.ts';

/** autocannon's `--json` result, the fields this bench reads. */
interface AutocannonJson {
  url: string;
  connections: number;
  duration: number;
  start: string;
  finish: string;
  errors: number;
  timeouts: number;
  non2xx: number;
  resets?: number;
  statusCodeStats?: Record<string, { count: number }>;
  latency: Record<string, number>;
  requests: Record<string, number>;
  throughput: Record<string, number>;
}

export interface LoadResult {
  url: string;
  connections: number;
  seconds: number;
  start: number;
  finish: number;
  requests: number;
  rps: number;
  /** autocannon's histogram has whole-millisecond buckets: 1 means 1.00–1.99 ms. */
  latencyMs: { p50: number; p90: number; p99: number; p99_9: number; max: number; mean: number };
  /** Mean latency by Little's law (connections / throughput): sub-millisecond, for a closed loop. */
  littleMeanMs: number;
  bytesPerResponse: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodes: Record<string, number>;
}

/** Which load generator drives the target: wrk (C, what shared/bench/ceilings used) or autocannon (Node). */
export type LoadClient = 'wrk' | 'autocannon';

export function wrkAvailable(): boolean {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (error) {
    // wrk --version exits 1 after printing its version.
    return (error as { status?: number }).status === 1;
  }
}

export interface LoadOptions {
  url: string;
  connections: number;
  seconds: number;
  headers: Record<string, string>;
  /** Called with the load generator's process once it is started (for CPU sampling). */
  onStart?: (child: Child) => void;
  /** Default autocannon. */
  client?: LoadClient;
}

const AUTOCANNON = realpathSync(resolve('node_modules/.bin/autocannon'));

const WRK_REPORT = realpathSync(resolve('bench/lib/wrk-report.lua'));

/** Runs the load generator in its own process, bounded by its duration plus a kill timer. */
export function runLoad(node: string, options: LoadOptions): Promise<LoadResult> {
  return options.client === 'wrk' ? runWrk(options) : runAutocannon(node, options);
}

/** wrk -t1 (one thread, as in shared/bench/ceilings), keep-alive, with report.lua's WRKJSON line. */
async function runWrk(options: LoadOptions): Promise<LoadResult> {
  const args = ['-t1', `-c${options.connections}`, `-d${options.seconds}s`, '--timeout', '10s', '-s', WRK_REPORT];
  for (const [name, value] of Object.entries(options.headers)) args.push('-H', `${name}: ${value}`);
  args.push(options.url);
  const start = Date.now();
  const child = startChild('wrk', 'wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  options.onStart?.(child);
  let stdout = '';
  let stderr = '';
  child.proc.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.proc.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const killer = setTimeout(() => void stopChild(child, 1_000), (options.seconds + 20) * 1000);
  const { code, signal } = await child.exited;
  clearTimeout(killer);
  const finish = Date.now();
  const line = stdout.split('\n').find((l) => l.startsWith('WRKJSON '));
  if (code !== 0 || !line) throw new Error(`wrk failed (exit ${code ?? signal}): ${stderr.trim().slice(-500) || stdout.slice(-500)}`);
  const r = JSON.parse(line.slice('WRKJSON '.length)) as Record<string, number>;
  const seconds = r.duration_us / 1e6;
  const rps = r.requests / seconds;
  const ms = (us: number) => us / 1000;
  return {
    url: options.url,
    connections: options.connections,
    seconds,
    start,
    finish,
    requests: r.requests,
    rps,
    latencyMs: { p50: ms(r.lat_p50_us), p90: ms(r.lat_p90_us), p99: ms(r.lat_p99_us), p99_9: ms(r.lat_max_us), max: ms(r.lat_max_us), mean: ms(r.lat_mean_us) },
    littleMeanMs: rps > 0 ? (options.connections / rps) * 1000 : Number.NaN,
    bytesPerResponse: r.requests > 0 ? r.bytes / r.requests : 0,
    errors: r.err_connect + r.err_read + r.err_write,
    timeouts: r.err_timeout,
    non2xx: r.err_status,
    statusCodes: {},
  };
}

/** autocannon in its own process (`--json`). */
async function runAutocannon(node: string, options: LoadOptions): Promise<LoadResult> {
  const args = [AUTOCANNON, '--json', '-c', String(options.connections), '-d', String(options.seconds), '-t', '10'];
  for (const [name, value] of Object.entries(options.headers)) args.push('-H', `${name}=${value}`);
  args.push(options.url);
  const child = startChild('autocannon', node, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  options.onStart?.(child);
  let stdout = '';
  let stderr = '';
  child.proc.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.proc.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const killer = setTimeout(() => void stopChild(child, 1_000), (options.seconds + 20) * 1000);
  const { code, signal } = await child.exited;
  clearTimeout(killer);
  const line = stdout
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .pop();
  if (code !== 0 || !line) throw new Error(`autocannon failed (exit ${code ?? signal}): ${stderr.trim().slice(-500) || stdout.slice(-500)}`);
  const r = JSON.parse(line) as AutocannonJson;
  const total = r.requests.total;
  const statusCodes = Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([status, s]) => [status, s.count]));
  return {
    url: r.url,
    connections: r.connections,
    seconds: r.duration,
    start: Date.parse(r.start),
    finish: Date.parse(r.finish),
    requests: total,
    rps: r.requests.average,
    latencyMs: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, p99_9: r.latency.p99_9, max: r.latency.max, mean: r.latency.average },
    littleMeanMs: r.requests.average > 0 ? (r.connections / r.requests.average) * 1000 : Number.NaN,
    bytesPerResponse: total > 0 ? r.throughput.total / total : 0,
    errors: r.errors,
    timeouts: r.timeouts,
    non2xx: r.non2xx,
    statusCodes,
  };
}
