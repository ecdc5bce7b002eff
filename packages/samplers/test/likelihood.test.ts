import { PhiloxRng, Tensor, ValueError, type Denoiser } from '@phys/tensor';
import { DenoiserOutputError } from '../src/common.js';
import { gaussianPriorLogDensity, odeLogLikelihood, pfgmLogLikelihood, type DenoiserJvp } from '../src/likelihood.js';
import { pfgmEncode, type NormalizedField } from '../src/pfgm.js';

/**
 * Data N(mu, S) in n dims with S = s^2 I (isotropic) or a full 2x2 covariance. Under the Gaussian
 * kernel p_sigma = N(mu, S + sigma^2 I) and the exact denoiser is D = mu + S (S + sigma^2 I)^{-1} (x - mu).
 */
interface Gaussian {
  mu: number[];
  /** Covariance, row-major n x n. */
  cov: number[];
}

function solveSym(a: number[], n: number, b: number[]): number[] {
  // Gaussian elimination (small n).
  const m = a.map((v) => v);
  const x = b.map((v) => v);
  for (let i = 0; i < n; i++) {
    for (let k = i + 1; k < n; k++) {
      const f = m[k * n + i]! / m[i * n + i]!;
      for (let j = i; j < n; j++) m[k * n + j]! -= f * m[i * n + j]!;
      x[k]! -= f * x[i]!;
    }
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = x[i]!;
    for (let j = i + 1; j < n; j++) s -= m[i * n + j]! * x[j]!;
    x[i] = s / m[i * n + i]!;
  }
  return x;
}

function logDet(a: number[], n: number): number {
  const m = a.map((v) => v);
  let ld = 0;
  for (let i = 0; i < n; i++) {
    for (let k = i + 1; k < n; k++) {
      const f = m[k * n + i]! / m[i * n + i]!;
      for (let j = i; j < n; j++) m[k * n + j]! -= f * m[i * n + j]!;
    }
    ld += Math.log(m[i * n + i]!);
  }
  return ld;
}

const plusSigma2 = (g: Gaussian, sigma: number): number[] => {
  const n = g.mu.length;
  return g.cov.map((v, k) => v + (k % (n + 1) === 0 ? sigma * sigma : 0));
};

/** The matrix S (S + sigma^2 I)^{-1} (row-major; S symmetric so this is (S + sigma^2 I)^{-1} S transposed). */
function shrinkMatrix(g: Gaussian, sigma: number): number[] {
  const n = g.mu.length;
  const c = plusSigma2(g, sigma);
  const m = new Array<number>(n * n);
  for (let j = 0; j < n; j++) {
    // Column j of (S + sigma^2 I)^{-1} S is the solve against column j of S; M = that matrix transposed.
    const col = solveSym(c, n, Array.from({ length: n }, (_, i) => g.cov[i * n + j]!));
    col.forEach((v, i) => (m[j * n + i] = v));
  }
  return m;
}

/** out_r = shift + M (x_r - mu) for every row (sigma shared by the batch). */
function applyRows(g: Gaussian, sigma: number, x: Tensor, centre: boolean, shift: boolean): Tensor {
  const n = g.mu.length;
  const m = shrinkMatrix(g, sigma);
  const out = Tensor.zeros(x.shape, x.dtype);
  for (let r = 0; r < x.rows; r++) {
    const o = r * n;
    for (let i = 0; i < n; i++) {
      let s = shift ? g.mu[i]! : 0;
      for (let j = 0; j < n; j++) s += m[i * n + j]! * (x.data[o + j]! - (centre ? g.mu[j]! : 0));
      out.data[o + i] = s;
    }
  }
  return out;
}

function denoiserOf(g: Gaussian): Denoiser {
  return (x, sigma) => Promise.resolve(applyRows(g, sigma[0]!, x, true, true));
}

function jvpOf(g: Gaussian): DenoiserJvp {
  return (x, sigma, v) => Promise.resolve({ value: applyRows(g, sigma[0]!, x, true, true), jvp: applyRows(g, sigma[0]!, v, false, false) });
}

/** Exact log N(x; mu, S + sigma^2 I) per row. */
function exactLogDensity(g: Gaussian, sigma: number, x: Tensor): number[] {
  const n = g.mu.length;
  const c = plusSigma2(g, sigma);
  const ld = logDet(c, n);
  return Array.from({ length: x.rows }, (_, r) => {
    const dx = Array.from(x.row(r), (v, i) => v - g.mu[i]!);
    const w = solveSym(c, n, dx);
    return -0.5 * (n * Math.log(2 * Math.PI) + ld + dx.reduce((s, v, i) => s + v * w[i]!, 0));
  });
}

const f64 = (rows: number[][]): Tensor => Tensor.from(rows.flat(), [rows.length, rows[0]!.length], 'float64');

describe('odeLogLikelihood (instantaneous change of variables on the PF-ODE, Hutchinson trace)', () => {
  const iso: Gaussian = { mu: [0.5, -1, 2], cov: [0.09, 0, 0, 0, 0.09, 0, 0, 0, 0.09] };
  const sigmaMin = 0.01;
  const sigmaMax = 80;
  const x = f64([
    [0.5, -1, 2],
    [0.9, -1.2, 1.7],
    [-0.3, -0.5, 2.4],
  ]);

  it('matches the exact log-density of Gaussian data (exact prior p_sigmaMax): 1e-3 nats at the default tolerance, 1e-5 at rtol = atol = 1e-8', async () => {
    const exact = exactLogDensity(iso, sigmaMin, x);
    const opts = { sigmaMin, sigmaMax, priorLogDensity: (latent: Tensor) => Float64Array.from(exactLogDensity(iso, sigmaMax, latent)) };
    const res = await odeLogLikelihood(denoiserOf(iso), x, { ...opts, rng: new PhiloxRng(1) });
    res.logDensity.forEach((lp, r) => { expect(Math.abs(lp - exact[r]!)).toBeLessThan(1e-3); });
    const tight = await odeLogLikelihood(denoiserOf(iso), x, { ...opts, rng: new PhiloxRng(1), rtol: 1e-8, atol: 1e-8 });
    tight.logDensity.forEach((lp, r) => { expect(Math.abs(lp - exact[r]!)).toBeLessThan(1e-5); });
    // bits/dim = -log p / (N ln 2) (+ offset).
    res.bitsPerDim.forEach((b, r) => { expect(b).toBeCloseTo(-res.logDensity[r]! / (3 * Math.LN2), 12); });
    res.logDensity.forEach((lp, r) => { expect(lp).toBeCloseTo(res.priorLogDensity[r]! + res.deltaLogDensity[r]!, 12); });
    // Each ODE evaluation: one drift call plus two finite-difference calls for the single probe.
    expect(res.nfe % 3).toBe(0);
    const shifted = await odeLogLikelihood(denoiserOf(iso), x, { sigmaMin, sigmaMax, rng: new PhiloxRng(1), bitsPerDimOffset: 7 });
    shifted.bitsPerDim.forEach((b, r) => { expect(b).toBeCloseTo(-shifted.logDensity[r]! / (3 * Math.LN2) + 7, 12); });
  });

  it('with the default prior N(0, sigmaMax^2 I): within 1e-3 nats for centred data, and the divergence integral does not depend on the prior', async () => {
    const centred: Gaussian = { mu: [0, 0, 0], cov: iso.cov };
    const xc = f64([
      [0, 0, 0],
      [0.4, -0.2, -0.3],
    ]);
    const exact = exactLogDensity(centred, sigmaMin, xc);
    const res = await odeLogLikelihood(denoiserOf(centred), xc, { sigmaMin, sigmaMax, rng: new PhiloxRng(2) });
    res.logDensity.forEach((lp, r) => { expect(Math.abs(lp - exact[r]!)).toBeLessThan(1e-3); });
    res.priorLogDensity.forEach((p, r) => { expect(p).toBeCloseTo(gaussianPriorLogDensity(res.latent, sigmaMax)[r]!, 12); });
    const other = await odeLogLikelihood(denoiserOf(centred), xc, { sigmaMin, sigmaMax, rng: new PhiloxRng(2), priorLogDensity: () => new Float64Array(2) });
    other.deltaLogDensity.forEach((d, r) => { expect(d).toBe(res.deltaLogDensity[r]); });
    expect(Array.from(other.logDensity)).toEqual(Array.from(other.deltaLogDensity));
  });

  // Correlated 2-D Gaussian: the Jacobian of D is not diagonal, so a single Rademacher probe is noisy.
  const corr: Gaussian = { mu: [0.2, -0.4], cov: [1, 0.9, 0.9, 1] };
  const rows = 128;
  const same = f64(Array.from({ length: rows }, () => [0.7, 0.1]));
  const meanSd = (a: Float64Array): [number, number] => {
    const m = a.reduce((s, v) => s + v, 0) / a.length;
    return [m, Math.sqrt(a.reduce((s, v) => s + (v - m) ** 2, 0) / (a.length - 1))];
  };

  it.each(['rademacher', 'gaussian'] as const)(
    '%s probes on a correlated Gaussian: unbiased (mean of 128 estimates within 4 standard errors of the exact value)',
    async (probe) => {
      const exact = exactLogDensity(corr, sigmaMin, same.sliceRows(0, 1))[0]!;
      const res = await odeLogLikelihood(denoiserOf(corr), same, {
        sigmaMin,
        sigmaMax: 40,
        rng: new PhiloxRng(7),
        probe,
        rtol: 1e-6,
        atol: 1e-6,
        priorLogDensity: (latent) => Float64Array.from(exactLogDensity(corr, 40, latent)),
      });
      const [m, sd] = meanSd(res.logDensity);
      expect(sd).toBeGreaterThan(1e-3); // the estimator is genuinely stochastic here
      expect(Math.abs(m - exact)).toBeLessThan(4 * (sd / Math.sqrt(rows)) + 1e-4);
      // More probes per row shrink the spread (~1/sqrt(probes): 1/2 for 4 probes).
      const res4 = await odeLogLikelihood(denoiserOf(corr), same, {
        sigmaMin,
        sigmaMax: 40,
        rng: new PhiloxRng(8),
        probe,
        probes: 4,
        rtol: 1e-6,
        atol: 1e-6,
        priorLogDensity: (latent) => Float64Array.from(exactLogDensity(corr, 40, latent)),
      });
      const [m4, sd4] = meanSd(res4.logDensity);
      expect(sd4).toBeLessThan(0.7 * sd);
      expect(Math.abs(m4 - exact)).toBeLessThan(4 * (sd4 / Math.sqrt(rows)) + 1e-4);
    },
  );

  it('a user-supplied JVP gives the finite-difference result (same probes) with one call per probe', async () => {
    const opts = { sigmaMin, sigmaMax: 40, priorLogDensity: (l: Tensor) => gaussianPriorLogDensity(l, 40) };
    const sub = same.sliceRows(0, 8);
    const fd = await odeLogLikelihood(denoiserOf(corr), sub, { ...opts, rng: new PhiloxRng(3) });
    const jv = await odeLogLikelihood(denoiserOf(corr), sub, { ...opts, rng: new PhiloxRng(3), jvp: jvpOf(corr) });
    jv.logDensity.forEach((lp, r) => { expect(Math.abs(lp - fd.logDensity[r]!)).toBeLessThan(1e-6); });
    expect(jv.nfe).toBeLessThan(fd.nfe / 2);
  });

  it('rejects bad input with typed errors and names the step and sigma of a NaN denoiser output', async () => {
    const d = denoiserOf(iso);
    const rng = new PhiloxRng(0);
    await expect(odeLogLikelihood(d, x, { sigmaMin: 0, sigmaMax, rng })).rejects.toThrow(ValueError);
    await expect(odeLogLikelihood(d, x, { sigmaMin: 1, sigmaMax: 0.5, rng })).rejects.toThrow(ValueError);
    await expect(odeLogLikelihood(d, x, { sigmaMin, sigmaMax, rng: undefined as unknown as PhiloxRng })).rejects.toThrow(ValueError);
    await expect(odeLogLikelihood(d, x, { sigmaMin, sigmaMax, rng, probe: 'uniform' as 'gaussian' })).rejects.toThrow(ValueError);
    await expect(odeLogLikelihood(d, x, { sigmaMin, sigmaMax, rng, probes: 0 })).rejects.toThrow(ValueError);
    await expect(odeLogLikelihood(d, x, { sigmaMin, sigmaMax, rng, fdStep: 0 })).rejects.toThrow(ValueError);
    const bad: Denoiser = (xs, s) => (s[0]! > 1 ? Promise.resolve(Tensor.from(new Array(xs.size).fill(NaN), xs.shape, 'float64')) : d(xs, s));
    await expect(odeLogLikelihood(bad, x, { sigmaMin, sigmaMax, rng })).rejects.toThrow(DenoiserOutputError);
  });
});

/** Exact PFGM normalized field of 1-D points (N = 1, field in 2-D), gamma = 5 (same fixture as pfgm.test.ts). */
function exactField1d(ys: number[]): NormalizedField {
  return (x, z) => {
    const vx = Tensor.zeros(x.shape, 'float64');
    const vz = new Float64Array(x.rows);
    for (let r = 0; r < x.rows; r++) {
      const xr = x.data[r]!;
      const zr = z[r]!;
      const d = ys.map((y) => Math.hypot(y - xr, zr));
      const dMin = Math.min(...d);
      const c = d.map((di) => (dMin / (di + 1e-7)) ** 2);
      const cs = c.reduce((a, b) => a + b) + 1e-7;
      let ex = 0;
      let ez = 0;
      ys.forEach((y, i) => {
        ex += (c[i]! / cs) * (y - xr);
        ez += (c[i]! / cs) * -zr;
      });
      const k = 1 / (Math.hypot(ex, ez) + 5);
      vx.data[r] = k * ex;
      vz[r] = k * ez;
    }
    return Promise.resolve({ vx, vz });
  };
}

describe('pfgmLogLikelihood (forward ODE of seed 001 Sec. 4.4)', () => {
  it('N = 1: the estimated density integrates over [a, b] to the prior (Cauchy) mass between the encoded end points', async () => {
    const field = exactField1d([-1, 0.5, 2]);
    const zMin = 0.3;
    const zMax = 10;
    const a = -2;
    const b = 3;
    const m = 200;
    const grid = Tensor.from(
      Array.from({ length: m }, (_, i) => a + ((i + 0.5) / m) * (b - a)),
      [m, 1],
      'float64',
    );
    const res = await pfgmLogLikelihood(field, grid, { zMin, zMax, zExp: 0, rng: new PhiloxRng(5), rtol: 1e-8, atol: 1e-8 });
    const mass = res.logDensity.reduce((s, lp) => s + Math.exp(lp) * ((b - a) / m), 0);
    const ends = await pfgmEncode(field, Tensor.from([a, b], [2, 1], 'float64'), { zMin, zMax, zExp: 0, rtol: 1e-10, atol: 1e-10 });
    const cdf = (u: number): number => 0.5 + Math.atan(u / zMax) / Math.PI;
    const priorMass = cdf(ends.x.data[1]!) - cdf(ends.x.data[0]!);
    expect(Math.abs(mass - priorMass)).toBeLessThan(2e-3 * priorMass);
    // Latents are the encoded points and the prior density is evaluated there.
    expect(res.latent.shape).toEqual([m, 1]);
  });

  it('rejects bad z ranges', async () => {
    const field = exactField1d([0]);
    const x = Tensor.from([0.1], [1, 1], 'float64');
    await expect(pfgmLogLikelihood(field, x, { rng: new PhiloxRng(0), zMin: 0 })).rejects.toThrow(ValueError);
    await expect(pfgmLogLikelihood(field, x, { rng: new PhiloxRng(0), zMin: 2, zMax: 1 })).rejects.toThrow(ValueError);
  });
});
