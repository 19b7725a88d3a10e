/** Small helpers every benchmark script shares: integer settings from the environment, number formatting. */
export function setting(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  return value;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const fmt = (n: number | null | undefined, digits = 0) =>
  n == null || !Number.isFinite(n) ? '–' : n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/**
 * How `npm start` and the Dockerfile run Lifeline: a 32 MB young generation (with V8's default, a
 * process serving ~40k requests/s promotes enough to run old-generation collections whose pauses
 * put p99 at ~20 ms; with it p99 stays at ~3 ms, bench:page) and a 384 MB old generation (without
 * a cap V8 lets a fan-out worker's heap grow to ~500 MB RSS before collecting; with it ~260 MB at
 * the same throughput, bench:fanout, and it fits Cloud Run's default 512 MiB instance), and no
 * allocation-site pretenuring (after the seeding's slow POSTs V8 had decided that Node's per-request
 * objects live long and allocated every later visitor's directly in the old generation: ~1.4 MB per
 * scavenge promoted, a mark-compact every 1–2 s and GC threads busy; without it the old generation
 * holds still under load, bench:page), and no memory reducer (in a lull between bursts it ran a
 * memory-reducing full collection after which the same process served ~25% fewer requests/s until
 * it exited, bench:page's later rounds).
 */
export const LIFELINE_NODE_FLAGS = [
  '--disable-warning=ExperimentalWarning',
  '--max-semi-space-size=32',
  '--max-old-space-size=384',
  '--no-allocation-site-pretenuring',
  '--no-memory-reducer',
];
