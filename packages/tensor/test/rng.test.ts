import { PhiloxRng, ReplayRandom, ShapeError, ValueError, getBackend } from '../src/index.js';
import { ksPValue, ksStatistic, moments, normalCdf } from '../../../test-support/stats.js';

describe('PhiloxRng keyed by (seed, sample index)', () => {
  it('gives sample i the same draws whatever the batch size or offset', () => {
    const big = new PhiloxRng(42);
    const a = big.normal([8, 5]);
    const b1 = big.uniform([8, 3]);
    const small = new PhiloxRng(42, { sampleOffset: 5 });
    const c = small.normal([3, 5]);
    const d1 = small.uniform([3, 3]);
    expect(Array.from(c.data)).toEqual(Array.from(a.data.subarray(25)));
    expect(Array.from(d1.data)).toEqual(Array.from(b1.data.subarray(15)));
    expect(Array.from(new PhiloxRng(42).withSampleOffset(2).normal([1, 5]).data)).toEqual(Array.from(a.row(2)));
  });

  it('differs between seeds, streams and calls', () => {
    const x = new PhiloxRng(1).normal([1, 4]).data;
    expect(Array.from(new PhiloxRng(2).normal([1, 4]).data)).not.toEqual(Array.from(x));
    expect(Array.from(new PhiloxRng(1, { stream: 1 }).normal([1, 4]).data)).not.toEqual(Array.from(x));
    const r = new PhiloxRng(1);
    r.normal([1, 4]);
    expect(Array.from(r.normal([1, 4]).data)).not.toEqual(Array.from(x));
    expect(new PhiloxRng(2n ** 64n - 1n).normal([1, 2]).size).toBe(2);
  });

  it('rejects bad seeds and shapes with typed errors', () => {
    expect(() => new PhiloxRng(-1)).toThrow(ValueError);
    expect(() => new PhiloxRng(1.5)).toThrow(/seed/);
    expect(() => new PhiloxRng(1).normal([2, -1])).toThrow(ValueError);
    expect(() => new PhiloxRng(1).beta(0, 1, 3)).toThrow(/a: expected/);
  });

  it('draws standard normals (moments and KS test, seed 7, n = 200k)', () => {
    const z = new PhiloxRng(7).normal([1000, 200]).data;
    const { mean, variance } = moments(z);
    expect(Math.abs(mean)).toBeLessThan(4 / Math.sqrt(z.length));
    expect(Math.abs(variance - 1)).toBeLessThan(4 * Math.sqrt(2 / z.length));
    expect(ksPValue(ksStatistic(z, normalCdf), z.length)).toBeGreaterThan(0.01);
  });

  it('draws uniforms in the open interval (0, 1) (KS test)', () => {
    const u = new PhiloxRng(8).uniform([500, 100]).data;
    expect(u.every((v) => v > 0 && v < 1)).toBe(true);
    expect(ksPValue(ksStatistic(u, (x) => Math.min(1, Math.max(0, x))), u.length)).toBeGreaterThan(0.01);
  });

  it.each([
    [0.3, 'below 1'],
    [2.5, 'moderate'],
    [1.5e6, 'huge (D/2 for D = 3,072,000)'],
  ])('draws Gamma(%p) with mean and variance alpha (%s)', (alpha) => {
    const g = new PhiloxRng(9).gamma(alpha, 40000);
    const { mean, variance } = moments(g);
    const sd = Math.sqrt(alpha / g.length);
    expect(Math.abs(mean - alpha)).toBeLessThan(4 * sd);
    expect(variance / alpha).toBeGreaterThan(0.95);
    expect(variance / alpha).toBeLessThan(1.05);
  });

  it.each([
    [3, 1, (x: number) => x ** 3],
    [1, 4, (x: number) => 1 - (1 - x) ** 4],
    [0.5, 0.5, (x: number) => (2 / Math.PI) * Math.asin(Math.sqrt(x))],
  ])('draws Beta(%p, %p) that pass a KS test against the closed-form CDF', (a, b, cdf) => {
    const x = new PhiloxRng(10).beta(a, b, 20000);
    expect(ksPValue(ksStatistic(x, cdf), x.length)).toBeGreaterThan(0.01);
  });

  it('draws Beta(N/2, D/2) with the analytic mean for N = 3072, D = 128', () => {
    const a = 1536, b = 64;
    const x = new PhiloxRng(11).beta(a, b, 20000);
    const mean = a / (a + b);
    const sd = Math.sqrt((a * b) / ((a + b) ** 2 * (a + b + 1)));
    expect(Math.abs(moments(x).mean - mean)).toBeLessThan((4 * sd) / Math.sqrt(x.length));
  });

  it('draws unit directions with uniform marginals on the circle', () => {
    const d = new PhiloxRng(12).direction([20000, 2]);
    const norms = getBackend().rowNorm(d);
    expect(norms.every((v) => Math.abs(v - 1) < 1e-6)).toBe(true);
    const angles = Array.from({ length: d.rows }, (_, i) => (Math.atan2(d.data[2 * i + 1]!, d.data[2 * i]!) + Math.PI) / (2 * Math.PI));
    expect(ksPValue(ksStatistic(angles, (x) => x), angles.length)).toBeGreaterThan(0.01);
  });
});

describe('ReplayRandom', () => {
  it('hands out recorded draws in order and checks sizes', () => {
    const r = new ReplayRandom({ normal: [[1, 2, 3, 4], [5, 6]], beta: [[0.5]] });
    expect(Array.from(r.normal([2, 2]).data)).toEqual([1, 2, 3, 4]);
    expect(() => r.normal([3, 1])).toThrow(ShapeError);
    expect(Array.from(r.normal([1, 2]).data)).toEqual([5, 6]);
    expect(() => r.normal([1, 2])).toThrow(/at most 2 recorded normal/);
    expect(Array.from(r.beta(1, 1, 1))).toEqual([0.5]);
    expect(r.remaining('beta')).toBe(0);
  });
});
