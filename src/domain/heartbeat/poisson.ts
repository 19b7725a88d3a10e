/**
 * Poisson lower tail, in log space so that tiny probabilities (an outage at 5,000 events per
 * bucket gives about 1e-2000) neither underflow nor lose the comparison with alpha.
 *
 * P(X ≤ k | λ) = Q(k + 1, λ), the regularized upper incomplete gamma function. It is computed
 * by the series / continued fraction of Numerical Recipes §6.2 up to a shape of 1e5, and by
 * the Wilson–Hilferty cube-root normal approximation above that, where it is accurate to a few
 * parts in 1e4 of the log-probability, far more than a significance gate needs.
 */

const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012,
  9.9843695780195716e-6, 1.5056327351493116e-7,
];
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);
const EXACT_SHAPE_LIMIT = 1e5;
const EPS = 1e-15;
const TINY = 1e-300;

/** ln Γ(x) for x > 0 (Lanczos approximation, relative error about 1e-15). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const z = x - 1;
  let sum = LANCZOS[0];
  for (let i = 1; i < LANCZOS.length; i++) sum += LANCZOS[i] / (z + i);
  const t = z + LANCZOS_G + 0.5;
  return HALF_LOG_2PI + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** ln Q(a, x), the log of the regularized upper incomplete gamma function (a > 0, x ≥ 0). */
function logGammaQ(a: number, x: number): number {
  if (x <= 0) return 0;
  if (a > EXACT_SHAPE_LIMIT) return logUpperWilsonHilferty(a, x);
  const front = -x + a * Math.log(x) - logGamma(a);
  if (x < a + 1) {
    // Series for P(a, x); Q = 1 - P is not small here (x is below the mode), so no precision is lost.
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < 1_000_000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * EPS) break;
    }
    const logP = front + Math.log(sum);
    return Math.log1p(-Math.exp(logP));
  }
  // Continued fraction for Q(a, x) (modified Lentz), accurate deep into the tail.
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 1_000_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPS) break;
  }
  return front + Math.log(h);
}

/** ln P(X ≤ k) for X ~ Poisson(λ). Non-integer k is floored; k < 0 gives -Infinity. */
export function logPoissonCdf(k: number, lambda: number): number {
  const n = Math.floor(k);
  if (n < 0) return -Infinity;
  if (lambda <= 0) return 0;
  return Math.min(0, logGammaQ(n + 1, lambda));
}

/**
 * ln P(X ≤ k) for a quasi-Poisson count, whose variance is φ·λ (bursty traffic): the count scaled
 * by 1/φ is treated as Poisson with mean λ/φ, through the continuous form Q(k/φ + 1, λ/φ), which
 * equals the Poisson CDF for φ = 1 and integer k.
 */
export function logQuasiPoissonCdf(k: number, lambda: number, dispersion: number): number {
  if (dispersion <= 1) return logPoissonCdf(k, lambda);
  if (k < 0) return -Infinity;
  if (lambda <= 0) return 0;
  return Math.min(0, logGammaQ(k / dispersion + 1, lambda / dispersion));
}

/** P(X ≤ k) for X ~ Poisson(λ). */
export function poissonCdf(k: number, lambda: number): number {
  return Math.exp(logPoissonCdf(k, lambda));
}

/**
 * The smallest expected count E at which a drop to `ratio`·E (or below) is significant at
 * `alpha`: for a complete stop (ratio 0) this is -ln(alpha), about 13.8 at 1e-6; for a drop to
 * half about 73. Found by bisection on a continuous extension, so it is exact to 1e-6.
 */
export function minExpectedForDrop(ratio: number, alpha: number): number {
  const target = Math.log(alpha);
  if (ratio <= 0) return -target;
  if (ratio >= 1) return Infinity;
  // The continuous form ln Q(rE + 1, E) avoids the saw-tooth of floor(rE).
  const logTail = (e: number) => logGammaQ(ratio * e + 1, e);
  let lo = 0;
  let hi = 16;
  while (logTail(hi) >= target) {
    hi *= 2;
    if (hi > 1e12) return Infinity;
  }
  while (hi - lo > 1e-6 * hi) {
    const mid = (lo + hi) / 2;
    if (logTail(mid) < target) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** ln Q(a, x) through Wilson–Hilferty: a Gamma(a) variable's cube root is nearly normal. */
function logUpperWilsonHilferty(a: number, x: number): number {
  const v = 1 / (9 * a);
  const z = (Math.cbrt(x / a) - (1 - v)) / Math.sqrt(v);
  return logNormalCdf(-z);
}

/** ln Φ(z), accurate in the far lower tail. */
export function logNormalCdf(z: number): number {
  if (z > -5) return Math.log(0.5 * erfc(-z / Math.SQRT2));
  // Asymptotic Mills-ratio series: Φ(z) ≈ φ(z)/|z| · (1 - 1/z² + 3/z⁴ - 15/z⁶).
  const z2 = z * z;
  const series = 1 - 1 / z2 + 3 / (z2 * z2) - 15 / (z2 * z2 * z2);
  return -0.5 * z2 - HALF_LOG_2PI - Math.log(-z) + Math.log(series);
}

/** Complementary error function (Numerical Recipes erfcc, relative error below 1.2e-7). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}
