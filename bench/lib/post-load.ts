import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';

/** A request body and how many items (e.g. heartbeat points) it carries. */
export interface LoadItem {
  body: string;
  items: number;
}

export interface PostLoadOptions {
  /** http://host:port */
  origin: string;
  path: string;
  headers: Record<string, string>;
  /** Keep-alive connections, one request in flight on each (a closed loop per connection). */
  connections: number;
  /** Unrecorded time at the start, then the recorded window. */
  warmupMs: number;
  measureMs: number;
  /** The next body to send, or null when there is nothing left (the run then ends early). */
  next: () => LoadItem | null;
  /** The status that counts as success. */
  okStatus: number;
  /** Per-request timeout. */
  timeoutMs?: number;
}

export interface PostLoadResult {
  /** Wall-clock ms (performance.timeOrigin based) of the recorded window; `end` is earlier than planned if `next` ran dry. */
  windowStart: number;
  windowEnd: number;
  /** Requests completed inside the recorded window. */
  requests: number;
  okRequests: number;
  okItems: number;
  itemsPerSecond: number;
  requestsPerSecond: number;
  /** Latency of the requests completed inside the window, ms. */
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  /** The whole run, warm-up and stragglers included. */
  total: { requests: number; okRequests: number; okItems: number; sentItems: number; errors: number; statuses: Record<string, number>; errorSamples: string[] };
  exhausted: boolean;
}

const wall = () => performance.timeOrigin + performance.now();

class Samples {
  data = new Float64Array(4096);
  length = 0;
  push(value: number) {
    if (this.length === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = value;
  }
  sorted(): Float64Array {
    return this.data.slice(0, this.length).sort();
  }
}

/**
 * POSTs bodies from `next()` over an undici Pool of `connections` keep-alive connections, one
 * request in flight per connection, for warm-up + measure; then waits for the requests in flight.
 */
export async function runPostLoad(options: PostLoadOptions): Promise<PostLoadResult> {
  const pool = new Pool(options.origin, {
    connections: options.connections,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    headersTimeout: options.timeoutMs ?? 30_000,
    bodyTimeout: options.timeoutMs ?? 30_000,
  });
  const started = wall();
  const windowStart = started + options.warmupMs;
  const plannedEnd = windowStart + options.measureMs;
  let exhausted = false;
  let exhaustedAt: number | null = null;
  const latencies = new Samples();
  let windowRequests = 0;
  let windowOk = 0;
  let windowItems = 0;
  const total = { requests: 0, okRequests: 0, okItems: 0, sentItems: 0, errors: 0, statuses: {} as Record<string, number>, errorSamples: [] as string[] };
  const error = (message: string) => {
    total.errors++;
    if (total.errorSamples.length < 5) total.errorSamples.push(message.slice(0, 300));
  };

  const worker = async () => {
    while (wall() < plannedEnd) {
      const item = options.next();
      if (!item) {
        if (!exhausted) {
          exhausted = true;
          exhaustedAt = wall();
        }
        return;
      }
      const t0 = wall();
      let ok = false;
      total.requests++;
      total.sentItems += item.items;
      try {
        const response = await pool.request({ method: 'POST', path: options.path, headers: options.headers, body: item.body });
        const text = await response.body.text();
        total.statuses[response.statusCode] = (total.statuses[response.statusCode] ?? 0) + 1;
        if (response.statusCode === options.okStatus) ok = true;
        else error(`HTTP ${response.statusCode}: ${text}`);
      } catch (e) {
        total.statuses.network = (total.statuses.network ?? 0) + 1;
        error((e as Error).message);
      }
      const t1 = wall();
      if (ok) {
        total.okRequests++;
        total.okItems += item.items;
      }
      if (t1 >= windowStart && t1 <= plannedEnd) {
        windowRequests++;
        latencies.push(t1 - t0);
        if (ok) {
          windowOk++;
          windowItems += item.items;
        }
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: options.connections }, worker));
  } finally {
    await pool.close().catch(() => {});
  }
  const windowEnd = Math.max(windowStart, Math.min(plannedEnd, exhaustedAt ?? plannedEnd));
  const seconds = (windowEnd - windowStart) / 1000;
  const sorted = latencies.sorted();
  const at = (q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] : Number.NaN);
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    windowStart,
    windowEnd,
    requests: windowRequests,
    okRequests: windowOk,
    okItems: windowItems,
    itemsPerSecond: seconds > 0 ? windowItems / seconds : Number.NaN,
    requestsPerSecond: seconds > 0 ? windowOk / seconds : Number.NaN,
    latencyMs: {
      p50: at(0.5),
      p90: at(0.9),
      p99: at(0.99),
      max: sorted.length ? sorted[sorted.length - 1] : Number.NaN,
      mean: sorted.length ? sum / sorted.length : Number.NaN,
    },
    total,
    exhausted,
  };
}
