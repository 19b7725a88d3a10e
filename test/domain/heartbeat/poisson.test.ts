import { describe, expect, it } from 'vitest';
import { logGamma, logNormalCdf, logPoissonCdf, logQuasiPoissonCdf, minExpectedForDrop, poissonCdf } from '../../../src/domain/heartbeat/poisson.ts';

// Reference values from scipy.stats.poisson.logcdf / mpmath.gammainc (regularized), 40 digits.
const KNOWN: Array<[k: number, lambda: number, cdf: number]> = [
  [0, 1, 0.367879441171442],
  [2, 1, 0.919698602928606],
  [10, 10, 0.583039750192986],
  [4, 4.5, 0.532103576374715],
  [5, 20, 7.19088405284289e-5],
  [0, 13.8155, 1.00001055802001e-6],
  [36, 73, 1.23149184190172e-6],
  [50, 100, 2.40159223561682e-8],
  [0, 50, 1.92874984796392e-22],
  [1000, 1000, 0.508409367168506],
  [2400, 2500, 0.0227464511188449],
  [9900, 10000, 0.159871182245284],
  [14999, 15000, 0.498914216238134],
];

describe('Poisson lower tail', () => {
  it.each(KNOWN)('P(X ≤ %d | λ = %d) matches the reference', (k, lambda, cdf) => {
    expect(Math.abs(poissonCdf(k, lambda) / cdf - 1)).toBeLessThan(1e-9);
  });

  it('stays accurate far in the tail, where the probability underflows', () => {
    // 1.1e-335 is below the smallest double; mpmath gives ln P = -771.270295573857394 (here to double precision).
    expect(logPoissonCdf(2500, 5000)).toBeCloseTo(-771.2702955738574, 8);
    expect(logPoissonCdf(0, 1e6)).toBe(-1e6);
  });

  it('uses Wilson–Hilferty for very large means, within 1e-4 of the exact log', () => {
    // scipy.stats.poisson.logcdf
    expect(logPoissonCdf(99_000, 100_000)).toBeCloseTo(-7.163679248464108, 3);
    expect(logPoissonCdf(199_000, 200_000)).toBeCloseTo(-4.3691969498213625, 3);
    expect(Math.abs(logPoissonCdf(480_000, 500_000) / -409.6846601533562 - 1)).toBeLessThan(1e-3);
  });

  it('handles the edges', () => {
    expect(logPoissonCdf(-1, 5)).toBe(-Infinity);
    expect(logPoissonCdf(3, 0)).toBe(0);
    expect(poissonCdf(3.7, 2)).toBe(poissonCdf(3, 2));
    expect(logPoissonCdf(1e6, 10)).toBe(0);
  });

  it('computes ln Γ', () => {
    expect(logGamma(1)).toBeCloseTo(0, 13);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 13);
    expect(logGamma(101)).toBeCloseTo(363.73937555556347, 9); // ln 100!
  });

  it('computes the normal tail in log space', () => {
    expect(Math.exp(logNormalCdf(-1.959963985))).toBeCloseTo(0.025, 6);
    expect(logNormalCdf(-40)).toBeCloseTo(-804.6084420137538, 4); // scipy.stats.norm.logcdf(-40)
  });

  it('weakens the evidence for a bursty (quasi-Poisson) count', () => {
    expect(logQuasiPoissonCdf(20, 60, 1)).toBe(logPoissonCdf(20, 60));
    expect(logQuasiPoissonCdf(20, 60, 3)).toBeGreaterThan(logPoissonCdf(20, 60));
    expect(logQuasiPoissonCdf(0, 60, 3)).toBeCloseTo(-20, 10); // e^(-λ/φ)
  });
});

describe('minimum expected count for a significant drop', () => {
  it('is -ln(alpha) for a complete stop', () => {
    expect(minExpectedForDrop(0, 1e-6)).toBeCloseTo(13.8155, 3);
  });
  it('grows as the drop gets shallower (the reference table: about 73 to 77 for a halving at 1e-6)', () => {
    const half = minExpectedForDrop(0.5, 1e-6);
    expect(half).toBeGreaterThan(70);
    expect(half).toBeLessThan(80);
    expect(minExpectedForDrop(0.2, 1e-6)).toBeLessThan(half);
    expect(minExpectedForDrop(1, 1e-6)).toBe(Infinity);
  });
});
