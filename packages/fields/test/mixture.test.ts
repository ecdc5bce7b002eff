import { PhiloxRng, Tensor, ValueError, ShapeError } from '@phys/tensor';
import { GaussianMixture, gridMixture, restartMixture20d, ringMixture, symmetricEigen, twoGaussians } from '../src/index.js';
import { expectClose } from '../../../test-support/golden.js';

/** Dense Gaussian log density via an explicit inverse (Gauss-Jordan), independent of the eigen path. */
function gaussLogPdf(x: number[], mu: number[], cov: number[][]): number {
  const d = x.length;
  const a = cov.map((r, i) => [...r, ...Array.from({ length: d }, (_, j) => (i === j ? 1 : 0))]);
  let det = 1;
  for (let c = 0; c < d; c++) {
    let p = c;
    for (let r = c + 1; r < d; r++) if (Math.abs(a[r]![c]!) > Math.abs(a[p]![c]!)) p = r;
    [a[c], a[p]] = [a[p]!, a[c]!];
    if (p !== c) det = -det;
    const piv = a[c]![c]!;
    det *= piv;
    for (let j = 0; j < 2 * d; j++) a[c]![j]! /= piv;
    for (let r = 0; r < d; r++) {
      if (r === c) continue;
      const f = a[r]![c]!;
      for (let j = 0; j < 2 * d; j++) a[r]![j]! -= f * a[c]![j]!;
    }
  }
  const inv = a.map((r) => r.slice(d));
  const dx = x.map((v, i) => v - mu[i]!);
  let q = 0;
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) q += dx[i]! * inv[i]![j]! * dx[j]!;
  return -0.5 * (q + Math.log(det) + d * Math.log(2 * Math.PI));
}

function randomSpd(d: number, rng: PhiloxRng, rank = d): number[][] {
  const g = rng.normal([d, rank], 'float64').data;
  return Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => {
    let s = 0;
    for (let q = 0; q < rank; q++) s += g[i * rank + q]! * g[j * rank + q]!;
    return s;
  }));
}

describe('symmetricEigen', () => {
  it('reconstructs a random symmetric matrix with orthonormal vectors', () => {
    const d = 7;
    const m = randomSpd(d, new PhiloxRng(3));
    const { values, vectors } = symmetricEigen(m.flat(), d);
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        let a = 0;
        let o = 0;
        for (let q = 0; q < d; q++) {
          a += vectors[i * d + q]! * values[q]! * vectors[j * d + q]!;
          o += vectors[q * d + i]! * vectors[q * d + j]!;
        }
        expect(Math.abs(a - m[i]![j]!)).toBeLessThan(1e-12);
        expect(Math.abs(o - (i === j ? 1 : 0))).toBeLessThan(1e-13);
      }
    }
  });
});

describe('GaussianMixture exact fields', () => {
  it('matches 1-D quadrature of the posterior (density, denoiser, score, posterior variance)', () => {
    const mix = new GaussianMixture([
      { mean: [-1.5], covariance: 0.09, weight: 0.3 },
      { mean: [0.7], covariance: [0.25], weight: 0.5 },
      { mean: [2.0], covariance: 0, weight: 0.2 },
    ]);
    const xs = [-2, -0.3, 0.4, 1.9, 3.1];
    const sigma = Float64Array.from([0.2, 0.5, 1.0, 0.05, 2.5]);
    const ev = mix.evaluate(Tensor.from(xs, [5, 1], 'float64'), sigma);
    for (let i = 0; i < xs.length; i++) {
      const x = xs[i]!;
      const s = sigma[i]!;
      // Point mass part: exact; Gaussian parts: trapezoid quadrature over x0.
      const pm = 0.2 * Math.exp(-((x - 2) ** 2) / (2 * s * s)) / Math.sqrt(2 * Math.PI * s * s);
      let z = pm;
      let m1 = pm * 2;
      let m2 = pm * 4;
      const h = 2e-3;
      for (let x0 = -8; x0 <= 8; x0 += h) {
        const prior =
          (0.3 * Math.exp(-((x0 + 1.5) ** 2) / 0.18)) / Math.sqrt(2 * Math.PI * 0.09) +
          (0.5 * Math.exp(-((x0 - 0.7) ** 2) / 0.5)) / Math.sqrt(2 * Math.PI * 0.25);
        const lik = Math.exp(-((x - x0) ** 2) / (2 * s * s)) / Math.sqrt(2 * Math.PI * s * s);
        const w = prior * lik * h;
        z += w;
        m1 += w * x0;
        m2 += w * x0 * x0;
      }
      const mean = m1 / z;
      expect(Math.abs(ev.logDensity[i]! - Math.log(z))).toBeLessThan(1e-7);
      expect(Math.abs(ev.denoised[i]! - mean)).toBeLessThan(1e-7);
      expect(Math.abs(ev.score[i]! - (mean - x) / (s * s))).toBeLessThan(1e-6 / (s * s));
      expect(Math.abs(ev.posteriorTrace[i]! - (m2 / z - mean * mean))).toBeLessThan(1e-7);
    }
  });

  it('full covariances: log density vs a dense inverse, score vs finite differences, Tweedie', () => {
    const rng = new PhiloxRng(11);
    const d = 4;
    const covA = randomSpd(d, rng);
    const covB = randomSpd(d, rng, 2); // rank 2: degenerate direction
    const muA = [1, -1, 0.5, 2];
    const muB = [-0.5, 0.3, -1, 0];
    const mix = new GaussianMixture([
      { mean: muA, covariance: covA.flat(), weight: 2 },
      { mean: muB, covariance: covB.flat(), weight: 1 },
    ]);
    const x = rng.normal([6, d], 'float64');
    const sigma = Float64Array.from([0.1, 0.3, 0.7, 1.5, 3, 0.02]);
    const ev = mix.evaluate(x, sigma);
    for (let i = 0; i < 6; i++) {
      const xi = Array.from(x.row(i));
      const s2 = sigma[i]! ** 2;
      const add = (c: number[][]) => c.map((r, a) => r.map((v, b) => v + (a === b ? s2 : 0)));
      const lp = Math.log((2 / 3) * Math.exp(gaussLogPdf(xi, muA, add(covA))) + (1 / 3) * Math.exp(gaussLogPdf(xi, muB, add(covB))));
      expect(Math.abs(ev.logDensity[i]! - lp)).toBeLessThan(1e-9 * Math.max(1, Math.abs(lp)));
      for (let j = 0; j < d; j++) {
        // Tweedie: D(x) = x + sigma^2 * score.
        expect(Math.abs(ev.denoised[i * d + j]! - (xi[j]! + s2 * ev.score[i * d + j]!))).toBeLessThan(1e-9);
        const h = 1e-5 * Math.max(1, sigma[i]!);
        const xp = [...xi];
        const xm = [...xi];
        xp[j]! += h;
        xm[j]! -= h;
        const f = (v: number[]) => mix.logDensity(Tensor.from(v, [1, d], 'float64'), sigma[i]!)[0]!;
        const fd = (f(xp) - f(xm)) / (2 * h);
        expect(Math.abs(fd - ev.score[i * d + j]!)).toBeLessThan(1e-5 * Math.max(1, Math.abs(fd)));
      }
    }
  });

  it('sampling matches mean() and covariance() (n = 20000, 5 standard errors)', () => {
    const rng = new PhiloxRng(5);
    const mix = new GaussianMixture([
      { mean: [1, 2], covariance: [1, 0.6, 0.6, 0.5], weight: 1 },
      { mean: [-2, 0], covariance: [0.2, 0.1], weight: 3 },
    ]);
    const n = 20000;
    const xs = mix.sample(n, rng);
    expect(xs.shape).toEqual([n, 2]);
    const m = mix.mean();
    const c = mix.covariance();
    const em = [0, 0];
    for (let i = 0; i < n; i++) for (let j = 0; j < 2; j++) em[j]! += xs.data[i * 2 + j]! / n;
    const ec = [0, 0, 0, 0];
    for (let i = 0; i < n; i++) {
      for (let a = 0; a < 2; a++) for (let b = 0; b < 2; b++) ec[a * 2 + b]! += ((xs.data[i * 2 + a]! - em[a]!) * (xs.data[i * 2 + b]! - em[b]!)) / (n - 1);
    }
    for (let j = 0; j < 2; j++) expect(Math.abs(em[j]! - m[j]!)).toBeLessThan(5 * Math.sqrt(c[j * 3]! / n));
    // Var of a sample variance <= E[x^4]/n; bound it loosely with 5 * sqrt(3 c^2 * 4 / n).
    for (let k = 0; k < 4; k++) expect(Math.abs(ec[k]! - c[k]!)).toBeLessThan(5 * Math.sqrt((12 * Math.max(c[0]!, c[3]!) ** 2) / n));
  });

  it('denoiser() satisfies the Denoiser contract and keeps the dtype', async () => {
    const mix = ringMixture();
    const x = Tensor.from([0.5, 0.1, -0.2, 0.9], [2, 2]);
    const out = await mix.denoiser()(x, Float64Array.from([0.3, 1]));
    expect(out.dtype).toBe('float32');
    expect(out.shape).toEqual([2, 2]);
    expectClose(out.data, mix.denoise(x.astype('float64'), Float64Array.from([0.3, 1])).data, 1e-6, 1e-7, 'denoised');
  });

  it('rejects bad input with typed errors', () => {
    expect(() => new GaussianMixture([])).toThrow(ValueError);
    expect(() => new GaussianMixture([{ mean: [0, 0] }, { mean: [1] }])).toThrow(ShapeError);
    expect(() => new GaussianMixture([{ mean: [0], covariance: -1 }])).toThrow(ValueError);
    expect(() => new GaussianMixture([{ mean: [0, 0], covariance: [1, 2, 0, 1] }])).toThrow(ValueError);
    expect(() => new GaussianMixture([{ mean: [0, 0], covariance: [1, 2, 2, 1] }])).toThrow(/semi-definite/);
    const pm = new GaussianMixture([{ mean: [0, 0] }]);
    expect(() => pm.evaluate(Tensor.zeros([1, 2]), 0)).toThrow(ValueError);
    expect(() => pm.evaluate(Tensor.zeros([1, 3]), 1)).toThrow(ShapeError);
    expect(() => pm.evaluate(Tensor.zeros([2, 2]), Float64Array.from([1]))).toThrow(ShapeError);
    expect(() => pm.evaluate(Tensor.zeros([1, 2]), -1)).toThrow(ValueError);
  });
});

describe('mixture builders', () => {
  it('ring, grid and two-Gaussian layouts', () => {
    const ring = ringMixture({ count: 8, radius: 3, std: 0.2 });
    expect(ring.components).toBe(8);
    for (let k = 0; k < 8; k++) expect(Math.hypot(ring.means[2 * k]!, ring.means[2 * k + 1]!)).toBeCloseTo(3, 12);
    const grid = gridMixture({ perSide: 3, spacing: 2 });
    expect(grid.components).toBe(9);
    expect(Array.from(grid.mean()).map((v) => Math.abs(v))).toEqual([0, 0]);
    const two = twoGaussians();
    expect(two.dim).toBe(64);
    expect(two.means[0]).toBe(0.1);
    expect(two.means[64]).toBe(-0.1);
  });

  it('restartMixture20d: 20-d, weights 0.3/0.7, unit variance per coordinate, rank-4 covariance', () => {
    const mix = restartMixture20d(new PhiloxRng(7));
    expect(mix.dim).toBe(20);
    expect(Array.from(mix.weights)).toEqual([0.3, 0.7]);
    expect(mix.singular).toBe(true);
    const c = mix.covariance();
    for (let j = 0; j < 20; j++) expect(Math.abs(c[j * 21]! - 1)).toBeLessThan(1e-12);
    const rng = new PhiloxRng(8);
    const s = mix.sample(4000, rng);
    for (let j = 0; j < 20; j += 5) {
      let m = 0;
      let v = 0;
      for (let i = 0; i < 4000; i++) m += s.data[i * 20 + j]! / 4000;
      for (let i = 0; i < 4000; i++) v += (s.data[i * 20 + j]! - m) ** 2 / 3999;
      expect(Math.abs(v - 1)).toBeLessThan(0.12);
    }
    // The same projection gives the same mixture.
    const again = restartMixture20d(new PhiloxRng(7));
    expect(Array.from(again.means)).toEqual(Array.from(mix.means));
  });
});
