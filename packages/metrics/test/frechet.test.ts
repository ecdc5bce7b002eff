import { PhiloxRng, Tensor, ValueError } from '@phys/tensor';
import { expectClose, flat, loadGolden } from '../../../test-support/golden.js';
import { FeatureStatistics, frechetDistance, frechetDistanceName, type GaussianStats } from '../src/index.js';
import { generated, generatedCheck, input } from './helpers.js';
import { symmetricEigenvalues } from '../src/linalg.js';

const golden = loadGolden('metrics/fid.json');
const SLOW = process.env.PHYS_SLOW === '1';
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- golden JSON
type Case = any;
const cases: Case[] = golden.cases;
const byName = (name: string): Case => cases.find((c) => c.name === name);
const features = (name: string): Tensor => (name.startsWith('G_') ? generated(name) : input(name));
const quiet = { onWarning: () => undefined };

describe('Frechet distance (golden: pytorch-fid calculate_frechet_distance)', () => {
  test('generated inputs reproduce the check values of inputs.json', () => {
    const x = generated('G_1000x512_s3');
    const c = generatedCheck('G_1000x512_s3');
    expect(x.data[0]).toBe(c.x00);
    expect(x.data[1 * 512 + 2]).toBe(c.x_1_2);
    expect(x.data[x.size - 1]).toBe(c.x_last);
    let sum = 0;
    for (const v of x.data) sum += v;
    expectClose([sum], [c.sum!], 1e-12, 0, 'sum');
  });

  for (const c of cases.filter((k) => k.mu1 !== undefined && typeof k.mu1 !== 'string')) {
    test(`${c.name}: streaming mu and sigma equal np.mean / np.cov (atol 1e-12)`, () => {
      const s1 = FeatureStatistics.fromFeatures(features(c.x)).gaussian();
      const s2 = FeatureStatistics.fromFeatures(features(c.y)).gaussian();
      expectClose(s1.mu, c.mu1, 0, 1e-12, 'mu1');
      expectClose(s2.mu, c.mu2, 0, 1e-12, 'mu2');
      expectClose(s1.sigma, flat(c.sigma1), 0, 1e-12, 'sigma1');
      expectClose(s2.sigma, flat(c.sigma2), 0, 1e-12, 'sigma2');
    });
  }

  for (const name of ['64x16_vs_64x16', '200x32_vs_180x32', 'gen_1000x512_vs_1200x512', ...(SLOW ? ['gen_2500x2048_vs_2500x2048'] : [])]) {
    test(`${name}: full rank, rtol 1e-10 vs pytorch_fid (Cholesky route)`, () => {
      const c = byName(name);
      const r = frechetDistance(FeatureStatistics.fromFeatures(features(c.x)), FeatureStatistics.fromFeatures(features(c.y)), quiet);
      expect(r.method).toBe('cholesky');
      expectClose([r.value], [c.fid.pytorch_fid], 1e-10, 0, 'fid');
      expectClose([r.meanTerm, r.traceSigma1, r.traceSigma2], [c.mean_diff_sq, c.trace_sigma1, c.trace_sigma2], 1e-12, 0, 'terms');
      expectClose([r.traceSqrtProduct], [c.tr_sqrt_sigma1_sigma2_exact], 1e-10, 0, 'tr sqrt');
      // The eigen route agrees on full-rank inputs too.
      if (c.d <= 32) {
        const e = frechetDistance(FeatureStatistics.fromFeatures(features(c.x)), FeatureStatistics.fromFeatures(features(c.y)), { ...quiet, method: 'eigen' });
        expect(e.method).toBe('eigen');
        expectClose([e.value], [c.fid.pytorch_fid], 1e-10, 0, 'fid (eigen route)');
      }
    });
  }

  test('identical_64x16: FID(A, A) within 1e-9 of 0', () => {
    const c = byName('identical_64x16');
    const s = FeatureStatistics.fromFeatures(input(c.x));
    const r = frechetDistance(s, s, quiet);
    expect(Math.abs(r.value)).toBeLessThan(1e-9);
    expect(Math.abs(c.fid.exact_data_nuclear_norm - r.value)).toBeLessThan(1e-9);
  });

  for (const name of ['rank_deficient_10x32_vs_12x32', ...(SLOW ? ['gen_300x2048_vs_400x2048_n_lt_d'] : [])]) {
    test(`${name}: n < d, rtol 1e-10 vs the exact nuclear norm, 1e-7 vs pytorch_fid, with a warning`, () => {
      const c = byName(name);
      const warnings: string[] = [];
      const r = frechetDistance(FeatureStatistics.fromFeatures(features(c.x)), FeatureStatistics.fromFeatures(features(c.y)), {
        onWarning: (m) => warnings.push(m),
      });
      expect(r.method).toBe('eigen');
      expect(r.rank).toBe(c.n1 - 1);
      expectClose([r.value], [c.fid.exact_data_nuclear_norm], 1e-10, 0, 'fid vs exact');
      expectClose([r.value], [c.fid.pytorch_fid], 1e-7, 0, 'fid vs pytorch_fid');
      expect(warnings).toHaveLength(2);
      expect(r.warnings).toEqual(warnings);
      expect(warnings[0]).toMatch(new RegExp(`a: ${c.n1} samples <= feature dimension ${c.d}`));
    });
  }

  test('dead_units_50x8_vs_60x8: rtol 1e-10 vs the new-scipy value and the exact one', () => {
    const c = byName('dead_units_50x8_vs_60x8');
    const r = frechetDistance(FeatureStatistics.fromFeatures(input(c.x)), FeatureStatistics.fromFeatures(input(c.y)));
    expect(r.method).toBe('eigen');
    expect(r.rank).toBe(6);
    expectClose([r.value], [c.fid.pytorch_fid_new_scipy], 1e-10, 0, 'fid vs scipy 1.17');
    expectClose([r.value], [c.fid.exact_data_nuclear_norm], 1e-10, 0, 'fid vs exact');
  });

  test('pytorch_fid_unit_test_identity_2048: mu 0 vs 1, sigma = I gives exactly 2048', () => {
    const d = 2048;
    const eye = new Float64Array(d * d);
    for (let i = 0; i < d; i++) eye[i * d + i] = 1;
    const a: GaussianStats = { dim: d, mu: new Float64Array(d), sigma: eye };
    const b: GaussianStats = { dim: d, mu: new Float64Array(d).fill(1), sigma: eye };
    expect(frechetDistance(a, b).value).toBe(byName('pytorch_fid_unit_test_identity_2048').fid.pytorch_fid);
  });
});

describe('Frechet distance properties', () => {
  const rng = new PhiloxRng(21);
  const x = rng.normal([300, 24], 'float64');
  const y = rng.normal([250, 24], 'float64');
  for (let i = 0; i < y.size; i++) y.data[i] = 0.8 * y.data[i]! + 0.3 * Math.sin(i);

  test('symmetric to 1e-12 relative, and FID(A, A) ~ 0', () => {
    const sx = FeatureStatistics.fromFeatures(x);
    const sy = FeatureStatistics.fromFeatures(y);
    const ab = frechetDistance(sx, sy).value;
    const ba = frechetDistance(sy, sx).value;
    expect(Math.abs(ab - ba)).toBeLessThan(1e-12 * ab);
    expect(Math.abs(frechetDistance(sx, sx).value)).toBeLessThan(1e-11);
  });

  test('n1 < d < n2: auto factors sigma2 and agrees with the eigen route and the data nuclear norm (1e-10)', () => {
    const r = new PhiloxRng(5);
    const a = r.normal([20, 32], 'float64');
    const b = r.normal([200, 32], 'float64');
    const sa = FeatureStatistics.fromFeatures(a);
    const sb = FeatureStatistics.fromFeatures(b);
    const auto = frechetDistance(sa, sb, quiet);
    expect(auto.method).toBe('cholesky');
    expect(auto.factored).toBe('sigma2');
    expect(auto.clampedEigenvalues).toBe(32 - 19);
    const eig = frechetDistance(sa, sb, { ...quiet, method: 'eigen' });
    expect(Math.abs(auto.value - eig.value)).toBeLessThan(1e-10 * eig.value);
    // tr sqrt(S1 S2) = nuclear norm of A B^T with A, B the centred data over sqrt(n - 1), and
    // (A B^T)(A B^T)^T = A S2 A^T (20 x 20) has the squared singular values as eigenvalues.
    const centred = (t: Tensor): number[][] => {
      const n = t.rows;
      const mu = Array.from({ length: 32 }, (_, j) => Array.from({ length: n }, (_, i) => t.data[i * 32 + j]!).reduce((p, q) => p + q) / n);
      return Array.from({ length: n }, (_, i) => mu.map((m, j) => (t.data[i * 32 + j]! - m) / Math.sqrt(n - 1)));
    };
    const A = centred(a);
    const s2 = sb.covariance();
    const G = new Float64Array(20 * 20);
    for (let i = 0; i < 20; i++) for (let j = 0; j < 20; j++) {
      let v = 0;
      for (let p = 0; p < 32; p++) for (let q = 0; q < 32; q++) v += A[i]![p]! * s2[p * 32 + q]! * A[j]![q]!;
      G[i * 20 + j] = v;
    }
    const mu = symmetricEigenvalues(G, 20);
    // Centring makes G rank 19: its null eigenvalue is 0 up to rounding (~1e-15 of the largest),
    // and the square root of that rounding (~1e-8) is not part of the nuclear norm.
    const top = Math.max(...mu);
    const nuclear = mu.reduce((p, q) => p + (q > 1e-12 * top ? Math.sqrt(q) : 0), 0);
    expect(Math.abs(auto.traceSqrtProduct - nuclear)).toBeLessThan(1e-10 * nuclear);
  });

  test('Gaussians with commuting covariances: closed form sum (sqrt a - sqrt b)^2', () => {
    const d = 5;
    const a = [1, 2, 3, 4, 5];
    const b = [2, 2, 0.5, 9, 1];
    const diag = (v: number[]): Float64Array => {
      const m = new Float64Array(d * d);
      v.forEach((x, i) => (m[i * d + i] = x));
      return m;
    };
    const r = frechetDistance({ dim: d, mu: new Float64Array(d), sigma: diag(a) }, { dim: d, mu: Float64Array.from([1, 0, 0, 0, 0]), sigma: diag(b) });
    const expected = 1 + a.reduce((s, ai, i) => s + (Math.sqrt(ai) - Math.sqrt(b[i]!)) ** 2, 0);
    expect(r.value).toBeCloseTo(expected, 13);
  });

  test('non-PSD input fails loudly (not-negligible imaginary part)', () => {
    const bad = { dim: 2, mu: new Float64Array(2), sigma: Float64Array.from([1, 0, 0, -1]) };
    const good = { dim: 2, mu: new Float64Array(2), sigma: Float64Array.from([1, 0, 0, 1]) };
    expect(() => frechetDistance(good, bad)).toThrow(/imaginary part/);
    expect(() => frechetDistance(bad, bad)).toThrow(ValueError);
    expect(() => frechetDistance(good, { dim: 2, mu: new Float64Array(2), sigma: Float64Array.from([1, 0.5, 0, 1]) })).toThrow(/symmetric/);
    expect(() => frechetDistance(good, { dim: 3, mu: new Float64Array(3), sigma: new Float64Array(9) })).toThrow(/dimension 2/);
  });

  test('names: FID only for Inception-v3', () => {
    expect(frechetDistanceName('inception-v3')).toBe('FID');
    expect(frechetDistanceName('fashion-mnist-classifier')).toBe('FD_fashion-mnist-classifier');
  });
});
