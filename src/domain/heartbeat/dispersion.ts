/** How bursty a series is, from its own recent counts: the guard that keeps bursty traffic from paging. */
import type { CountHistory } from './types.ts';

/**
 * Windows used to estimate dispersion, with the factor that turns the trimmed mean of squared
 * second differences over 6·mean into a lower 90% confidence bound of the dispersion of a Poisson
 * series (calibrated by simulation: the estimate from 12 windows is noisy, so it must be
 * discounted more). Using the lower bound keeps Poisson-like series at 1 most of the time.
 */
const DISPERSION_PLANS = [
  { windows: 48, discount: 1.13 },
  { windows: 24, discount: 1.11 },
  { windows: 12, discount: 1.04 },
] as const;
/** How far back the dispersion estimate reads: keep at least this much recent history. */
export const DISPERSION_HORIZON_MS = 24 * 3_600_000;

/**
 * Overdispersion of the series at the scale of an n-bucket window: variance over mean of the
 * counts of up to 48 windows of the same length just before this one (at most 24 h back). Second
 * differences cancel a trend, and dropping the two largest ignores an onset step, so neither a
 * ramp nor the drop being tested inflates it. At least 1 (Poisson). Real traffic can be much
 * burstier (NAB tweets: 2 to 5), and a plain Poisson test on it pages on noise.
 */
export function windowDispersion(history: CountHistory, end: number, n: number, bucketMs: number): number {
  const length = n * bucketMs;
  const available = Math.min(Math.floor((end - length - history.since) / length), Math.floor(DISPERSION_HORIZON_MS / length));
  const plan = DISPERSION_PLANS.find((p) => p.windows <= available);
  if (!plan) return 1;
  const m = plan.windows;
  const counts = new Float64Array(m);
  let total = 0;
  for (let j = 0; j < m; j++) {
    const to = end - length * (j + 1);
    counts[j] = history.count(to - length, to);
    total += counts[j];
  }
  const mean = total / m;
  if (!(mean > 0)) return 1;
  const squares = new Float64Array(m - 2);
  for (let j = 1; j < m - 1; j++) {
    const second = counts[j - 1] - 2 * counts[j] + counts[j + 1];
    squares[j - 1] = second * second;
  }
  squares.sort();
  let sum = 0;
  for (let i = 0; i < m - 4; i++) sum += squares[i];
  return Math.max(1, sum / (m - 4) / (6 * mean) / plan.discount);
}
