import { PhiloxRng, ShapeError, Tensor, ValueError } from '@phys/tensor';
import { GaussianMixture, approximationErrorDenoiser, lowRankMixtureDenoiser, restartMixture20d, restartMixture20dComponents } from '../src/index.js';

describe('lowRankMixtureDenoiser (Woodbury form of the exact mixture denoiser)', () => {
  it('restartMixture20d in low-rank form matches GaussianMixture.denoise (1e-10)', async () => {
    const mixture = restartMixture20d(new PhiloxRng(0));
    const exact = lowRankMixtureDenoiser(restartMixture20dComponents(new PhiloxRng(0)));
    const x = new PhiloxRng(9).normal([6, 20], 'float64');
    for (const s of [0.01, 0.3, 1.2, 7, 80]) {
      const sig = new Float64Array(6).fill(s);
      const xs = Tensor.from(x.data.map((v) => v * (1 + s)), [6, 20], 'float64');
      const a = await exact(xs, sig);
      const b = mixture.denoise(xs, sig);
      for (let i = 0; i < a.size; i++) expect(Math.abs(a.data[i]! - b.data[i]!)).toBeLessThan(1e-10 * (1 + Math.abs(b.data[i]!)));
    }
  });

  it('components of different ranks, means and weights, per-row sigma: matches GaussianMixture.denoise (1e-10)', async () => {
    const rng = new PhiloxRng(3);
    const d = 7;
    const ranks = [1, 3, 7];
    const comps = ranks.map((r, k) => ({
      mean: rng.normal([1, d], 'float64').data.map((v) => 2 * v),
      factor: rng.normal([d, r], 'float64').data.map((v) => 0.7 * v),
      weight: k + 0.5,
    }));
    const full = new GaussianMixture(
      comps.map((c, k) => {
        const r = ranks[k]!;
        const cov = new Float64Array(d * d);
        for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) for (let q = 0; q < r; q++) cov[i * d + j]! += c.factor[i * r + q]! * c.factor[j * r + q]!;
        return { mean: c.mean, covariance: cov, weight: c.weight };
      }),
    );
    const x = rng.normal([5, d], 'float64');
    const sig = Float64Array.of(0.05, 0.4, 1, 3, 20);
    const a = await lowRankMixtureDenoiser(comps)(x, sig);
    const b = full.denoise(x, sig);
    for (let i = 0; i < a.size; i++) expect(Math.abs(a.data[i]! - b.data[i]!)).toBeLessThan(1e-10 * (1 + Math.abs(b.data[i]!)));
  });

  it('rejects sigma <= 0, a wrong row size and a factor that is not d x r', async () => {
    const exact = lowRankMixtureDenoiser(restartMixture20dComponents(new PhiloxRng(0)));
    await expect(exact(Tensor.zeros([1, 20], 'float64'), Float64Array.of(0))).rejects.toThrow(ValueError);
    await expect(exact(Tensor.zeros([1, 19], 'float64'), Float64Array.of(1))).rejects.toThrow(ShapeError);
    expect(() => lowRankMixtureDenoiser([{ mean: [0, 0, 0], factor: [1, 2] }])).toThrow(ShapeError);
    expect(() => lowRankMixtureDenoiser([])).toThrow(ValueError);
  });
});

describe('approximationErrorDenoiser (thesis Sec. 5.4.1 injected error)', () => {
  it('adds eps sigma tanh(W x / sqrt(1 + sigma^2) + b), W ~ N(0, 1/d), b ~ N(0, 1); score error <= eps sqrt(d)', async () => {
    const d = 20;
    const base = lowRankMixtureDenoiser(restartMixture20dComponents(new PhiloxRng(0)));
    const approx = approximationErrorDenoiser(base, { dim: d, eps: 0.2, rng: new PhiloxRng(1) });
    const r = new PhiloxRng(1);
    const W = r.normal([d, d], 'float64').data;
    const b = r.normal([1, d], 'float64').data;
    const x = new PhiloxRng(5).normal([3, d], 'float64');
    const sig = Float64Array.of(0.5, 1.2, 10);
    const exact = await base(x, sig);
    const got = await approx(x, sig);
    for (let i = 0; i < 3; i++) {
      const s = sig[i]!;
      let sq = 0;
      for (let j = 0; j < d; j++) {
        let u = 0;
        for (let k = 0; k < d; k++) u += (W[j * d + k]! / Math.sqrt(d)) * x.data[i * d + k]!;
        const want = exact.data[i * d + j]! + 0.2 * s * Math.tanh(u / Math.sqrt(1 + s * s) + b[j]!);
        expect(Math.abs(got.data[i * d + j]! - want)).toBeLessThan(1e-12);
        // t s_theta - t grad log p = (D_theta - D) / t.
        sq += ((got.data[i * d + j]! - exact.data[i * d + j]!) / s) ** 2;
      }
      expect(Math.sqrt(sq)).toBeLessThanOrEqual(0.2 * Math.sqrt(d));
    }
    // eps = 0 is the base denoiser; the base output is not modified.
    const none = await approximationErrorDenoiser(base, { dim: d, eps: 0, rng: new PhiloxRng(1) })(x, sig);
    expect(Array.from(none.data)).toEqual(Array.from(exact.data));
    expect(() => approximationErrorDenoiser(base, { dim: d, eps: -1, rng: new PhiloxRng(1) })).toThrow(ValueError);
  });
});
