import { PhiloxRng, Tensor, ValueError, getBackend } from '@phys/tensor';
import { expectClose, loadGolden } from '../../../test-support/golden.js';
import { ksPValue, ksStatistic, moments } from '../../../test-support/stats.js';
import { betaInc, logBeta, pfgmppKernel, logGamma, radiusCdf, radiusLogPdf, radiusMoments, radiusQuantile, sampleRadius } from '../src/index.js';

interface RadiusRow {
  N: number;
  D: number;
  r: number;
  mean: number | string;
  E_R2: number | string;
  var: number | string;
  mode: number;
  quantiles: Record<string, number>;
  cdf_at: { R: number; cdf: number }[];
}

const rows = loadGolden<{ radius_stats: { rows: RadiusRow[] } }>('pfgmpp.json').radius_stats.rows;
const num = (v: number | string): number => (v === 'inf' ? Infinity : (v as number));

describe('special functions', () => {
  it('logGamma matches known values', () => {
    expect(logGamma(1)).toBeCloseTo(0, 15);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 14);
    expect(logGamma(10) / Math.log(362880)).toBeCloseTo(1, 14);
    // Stirling check at 1e6: ln Gamma(1e6) = 12815504.569147611 (scipy)
    expect(logGamma(1e6) / 12815504.569147611).toBeCloseTo(1, 15);
  });

  it('betaInc: closed forms I_x(a, 1) = x^a, I_x(1, b) = 1 - (1 - x)^b, symmetry I_x(a, b) = 1 - I_{1-x}(b, a)', () => {
    for (const x of [0.01, 0.3, 0.77, 0.999]) {
      expect(betaInc(x, 3.5, 1)).toBeCloseTo(x ** 3.5, 14);
      expect(betaInc(x, 1, 2.5)).toBeCloseTo(1 - (1 - x) ** 2.5, 14);
      expect(betaInc(x, 4, 9) + betaInc(1 - x, 9, 4)).toBeCloseTo(1, 14);
    }
    // Large parameters (N = 3072, D = 3072000) at the mean N/(N+D): about one half.
    const a = 1536;
    const b = 1536000;
    const c = betaInc(a / (a + b), a, b);
    expect(c).toBeGreaterThan(0.49);
    expect(c).toBeLessThan(0.52);
    expect(Math.exp(logBeta(2, 3))).toBeCloseTo(1 / 12, 15);
  });
});

describe('radius distribution p_r(R) vs pfgmpp.json radius_stats (analytic, rtol 1e-8)', () => {
  it.each(rows.map((r) => [r.N, r.D, r.r, r] as const))('N=%d D=%d r=%d: mean, E[R^2], variance, mode, CDF, quantiles', (N, D, r, row) => {
    const p = { N, D, r };
    const m = radiusMoments(p);
    for (const [got, want, what] of [
      [m.mean, num(row.mean), 'mean'],
      [m.meanSq, num(row.E_R2), 'E_R2'],
      [m.variance, num(row.var), 'var'],
      [m.mode, row.mode, 'mode'],
    ] as const) {
      if (want === Infinity) expect(got).toBe(Infinity);
      else expectClose([got], [want], 1e-8, 0, what);
    }
    expectClose(
      row.cdf_at.map((c) => radiusCdf(c.R, p)),
      row.cdf_at.map((c) => c.cdf),
      1e-8,
      0,
      'cdf',
    );
    const qs = Object.entries(row.quantiles);
    expectClose(
      qs.map(([prob]) => radiusQuantile(Number(prob), p)),
      qs.map(([, q]) => q),
      1e-8,
      0,
      'quantiles',
    );
  });

  it('the pdf is the derivative of the CDF', () => {
    const p = { N: 8, D: 3, r: 2 };
    for (const R of [0.5, 2, 9]) {
      const h = 1e-5 * R;
      const deriv = (radiusCdf(R + h, p) - radiusCdf(R - h, p)) / (2 * h);
      expect(Math.exp(radiusLogPdf(R, p)) / deriv).toBeCloseTo(1, 7);
    }
  });

  it('rejects bad parameters with typed errors', () => {
    expect(() => radiusMoments({ N: 4, D: 0, r: 1 })).toThrow(ValueError);
    expect(() => radiusMoments({ N: 4, D: -2, r: 1 })).toThrow(/^D: /);
    expect(() => radiusMoments({ N: 4, D: NaN, r: 1 })).toThrow(/^D: /);
    expect(() => radiusCdf(1, { N: 4, D: 2, r: 0 })).toThrow(/^r: /);
    expect(() => radiusQuantile(1.5, { N: 4, D: 2, r: 1 })).toThrow(/^p: /);
    expect(() => sampleRadius({ N: 2.5, D: 2, r: 1 }, 3, new PhiloxRng(0))).toThrow(/^N: /);
  });
});

// Statistical checks of the sampler R1 ~ Beta(N/2, D/2), R = r sqrt(R1/(1 - R1)) (thesis l. 5150).
describe('sampleRadius (fixed seeds)', () => {
  const n = 4000;
  // Mean within 4 sd/sqrt(n) where the variance is finite; KS p > 0.001 against the CDF always.
  it.each([
    [4, 4, 1],
    [4, 8, 1],
    [8, 3, 2],
    [8, 1, 1],
    [4, 128, 11.313708498984761],
    [3072, 128, 905.0966799187809],
    [3072, 2048, 3620.3867196751235],
    [3072, 3072000, 0.5 * Math.sqrt(3072000)],
  ])('N=%d D=%d r=%d: mean vs beta-prime moment, KS vs the CDF', (N, D, r) => {
    const p = { N, D, r };
    const R = sampleRadius(p, n, new PhiloxRng(1000 + N + D));
    const m = radiusMoments(p);
    const emp = moments(R);
    if (Number.isFinite(m.variance)) {
      expect(Math.abs(emp.mean - m.mean)).toBeLessThan((4 * Math.sqrt(m.variance)) / Math.sqrt(n));
      // Variance: sd of the sample variance ~ var sqrt((kurtosis - 1)/n); with 4th moments finite
      // (D > 4) a 25% band is > 4 sd for these n.
      if (D > 8) expect(emp.variance / m.variance).toBeGreaterThan(0.75);
      if (D > 8) expect(emp.variance / m.variance).toBeLessThan(1.25);
    }
    const d = ksStatistic(R, (q) => radiusCdf(q, p));
    expect(ksPValue(d, n)).toBeGreaterThan(0.001);
  });

  // Thesis Fig. 8.4b: with r = sigma sqrt(D) the radius concentrates as D grows; the relative
  // spread sd/mean falls monotonically in D, analytically and in the sampler.
  it('concentrates as D grows with r = sigma sqrt(D) (thesis Fig. 8.4b)', () => {
    const N = 3072;
    const sigma = 1;
    let prevAnalytic = Infinity;
    let prevVar = Infinity;
    let prevEmpirical = Infinity;
    for (const D of [64, 256, 2048, 32768, 3072000]) {
      const p = { N, D, r: sigma * Math.sqrt(D) };
      const m = radiusMoments(p);
      const rel = Math.sqrt(m.variance) / m.mean;
      expect(rel).toBeLessThan(prevAnalytic);
      expect(m.variance).toBeLessThan(prevVar);
      prevAnalytic = rel;
      prevVar = m.variance;
      const emp = moments(sampleRadius(p, 2000, new PhiloxRng(D)));
      const relEmp = Math.sqrt(emp.variance) / emp.mean;
      expect(relEmp).toBeLessThan(prevEmpirical);
      prevEmpirical = relEmp;
    }
    // D -> infinity: Var[R] -> sigma^2/2 (Gaussian chi with N dims: var of |n| sigma -> sigma^2/2).
    const last = radiusMoments({ N, D: 3072000, r: Math.sqrt(3072000) });
    expect(last.variance).toBeCloseTo(0.5, 2);
  });

  it('the perturbed norm |x - y| of pfgmppKernel.perturb concentrates likewise (N = 16, 1500 rows per D)', () => {
    const N = 16;
    const y = Tensor.zeros([1500, N], 'float64');
    const sigma = new Float64Array(1500).fill(0.7);
    let prev = Infinity;
    for (const D of [6, 16, 64, 1024]) {
      const k = pfgmppKernel({ D, betaClip: 0, radiusEps: 0 });
      const norms = getBackend().rowNorm(k.perturb(y, sigma, new PhiloxRng(D)).x);
      const v = moments(norms).variance;
      expect(v).toBeLessThan(prev);
      prev = v;
    }
  });
});
