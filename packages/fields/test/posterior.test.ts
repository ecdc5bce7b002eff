import { edmKernel, edmSchedule, pfgmppKernel } from '@phys/kernels';
import { CpuBackend, PhiloxRng, ShapeError, Tensor, ValueError, WasmBackend, getBackend, setBackend } from '@phys/tensor';
import { EmptyReferenceError, GaussianMixture, empiricalDenoiser, posteriorMean, posteriorWeights } from '../src/index.js';
import { expectClose } from '../../../test-support/golden.js';

describe('posterior weights and the empirical denoiser', () => {
  const rng = new PhiloxRng(21);
  const ref = rng.normal([40, 3], 'float64');

  it('Gaussian kernel: equals the exact denoiser of a mixture of point masses at the references', () => {
    const mix = new GaussianMixture(Array.from({ length: ref.rows }, (_, i) => ({ mean: ref.row(i) })));
    const x = new PhiloxRng(22).normal([10, 3], 'float64');
    const sigma = Float64Array.from({ length: 10 }, (_, i) => 0.05 * 1.6 ** i);
    const pm = posteriorMean(x, ref, edmKernel(), sigma);
    expectClose(pm.data, mix.denoise(x, sigma).data, 1e-12, 1e-13, 'posterior mean');
    const { logNormalizer, weights } = posteriorWeights(x, ref, edmKernel(), sigma);
    const ev = mix.evaluate(x, sigma);
    for (let i = 0; i < 10; i++) {
      // log p_sigma(x) = LSE - log n - (N/2) log(2 pi sigma^2).
      const lp = logNormalizer[i]! - Math.log(40) - 1.5 * Math.log(2 * Math.PI * sigma[i]! ** 2);
      expect(Math.abs(lp - ev.logDensity[i]!)).toBeLessThan(1e-11 * Math.max(1, Math.abs(lp)));
      let s = 0;
      for (let j = 0; j < 40; j++) s += weights.data[i * 40 + j]!;
      expect(Math.abs(s - 1)).toBeLessThan(1e-14);
    }
  });

  it('N + D up to 1e7 and tiny sigma: finite weights equal to the two-point closed form', () => {
    const two = Tensor.from([0, 0, 1, 0], [2, 2], 'float64');
    const x = Tensor.from([0.6, 0.1, 0.45, -0.2, 0.5, 0], [3, 2], 'float64');
    for (const D of [1e7 - 2, 3072000, 2048, 1]) {
      const k = pfgmppKernel({ D });
      for (const sigma of [1e-6, 1e-3, 1, 1e3]) {
        const { weights } = posteriorWeights(x, two, k, sigma);
        for (let i = 0; i < 3; i++) {
          const s0 = (x.data[2 * i]! - 0) ** 2 + x.data[2 * i + 1]! ** 2;
          const s1 = (x.data[2 * i]! - 1) ** 2 + x.data[2 * i + 1]! ** 2;
          // w0 = 1/(1 + exp(l1 - l0)), l = -(N+D)/2 log1p(s/r^2), r^2 = sigma^2 D.
          const r2 = sigma * sigma * D;
          const dl = -((2 + D) / 2) * (Math.log1p(s1 / r2) - Math.log1p(s0 / r2));
          const w0 = 1 / (1 + Math.exp(dl));
          expect(Number.isFinite(weights.data[2 * i]!)).toBe(true);
          expect(Math.abs(weights.data[2 * i]! - w0)).toBeLessThan(1e-12);
          expect(Math.abs(weights.data[2 * i]! + weights.data[2 * i + 1]! - 1)).toBeLessThan(1e-15);
        }
      }
    }
  });

  it('keeps the shape and dtype of x, and chunked batches equal one pass', async () => {
    const imgs = new PhiloxRng(3).normal([30, 2, 2, 2], 'float32');
    const x = new PhiloxRng(4).normal([25, 2, 2, 2], 'float32');
    const sigma = Float64Array.from({ length: 25 }, (_, i) => 0.1 + 0.1 * i);
    const whole = await empiricalDenoiser(imgs, edmKernel())(x, sigma);
    const chunked = await empiricalDenoiser(imgs, edmKernel(), { maxWeights: 30 * 4 })(x, sigma);
    expect(whole.shape).toEqual([25, 2, 2, 2]);
    expect(whole.dtype).toBe('float32');
    expect(Array.from(chunked.data)).toEqual(Array.from(whole.data));
  });

  it('an Euler probability-flow ODE on the Gaussian empirical denoiser lands on a reference point', async () => {
    const data = Tensor.from([1, 1, -1, 1, 0, -1.5], [3, 2], 'float64');
    const denoise = empiricalDenoiser(data, edmKernel());
    const t = edmSchedule({ steps: 60, sigmaMax: 20, sigmaMin: 0.002 });
    let x = new PhiloxRng(9).normal([16, 2], 'float64');
    for (let i = 0; i < x.size; i++) x.data[i]! *= t[0]!;
    for (let i = 0; i + 1 < t.length; i++) {
      const d = await denoise(x, new Float64Array(16).fill(t[i]!));
      // dx/dsigma = (x - D)/sigma (EDM Eq. 3 with s = 1).
      const next = Tensor.zeros(x.shape, 'float64');
      for (let j = 0; j < x.size; j++) next.data[j] = x.data[j]! + ((t[i + 1]! - t[i]!) * (x.data[j]! - d.data[j]!)) / t[i]!;
      x = next;
    }
    for (let r = 0; r < 16; r++) {
      let best = Infinity;
      for (let k = 0; k < 3; k++) best = Math.min(best, Math.hypot(x.data[2 * r]! - data.data[2 * k]!, x.data[2 * r + 1]! - data.data[2 * k + 1]!));
      expect(best).toBeLessThan(0.01);
    }
  });

  it.each([
    ['CpuBackend', () => new CpuBackend()],
    ['WasmBackend', () => new WasmBackend({ minElements: 0 })],
  ])("exp: 'float32' keeps weights within 2^-21 and means within 2^-21 max |y| of the default (%s)", async (_, make) => {
    const before = getBackend();
    setBackend(make());
    try {
      const rng = new PhiloxRng(21);
      const ref = rng.normal([700, 20]);
      const x = rng.normal([9, 20]);
      const sigma = Float64Array.from({ length: 9 }, (_, i) => 0.3 * (i + 1));
      const kernel = edmKernel();
      const w64 = posteriorWeights(x, ref, kernel, sigma);
      const w32 = posteriorWeights(x, ref, kernel, sigma, { exp: 'float32' });
      let worst = 0;
      for (let k = 0; k < w64.weights.data.length; k++) {
        const [a, b] = [w32.weights.data[k]!, w64.weights.data[k]!];
        if (b > 0) worst = Math.max(worst, Math.abs(a / b - 1));
      }
      expect(worst).toBeLessThan(2 ** -21);
      let ymax = 0;
      for (const v of ref.data) ymax = Math.max(ymax, Math.abs(v));
      const [d64, d32] = await Promise.all([empiricalDenoiser(ref, kernel)(x, sigma), empiricalDenoiser(ref, kernel, { exp: 'float32', maxWeights: 2800 })(x, sigma)]);
      for (let k = 0; k < d64.size; k++) expect(Math.abs(d32.data[k]! - d64.data[k]!)).toBeLessThan(2 ** -21 * ymax + 2 ** -23 * Math.abs(d64.data[k]!));
    } finally {
      setBackend(before);
    }
  });

  it('typed errors: empty reference, shape mismatch, bad sigma', () => {
    const empty = Tensor.zeros([0, 3], 'float64');
    const x = Tensor.zeros([2, 3], 'float64');
    expect(() => posteriorMean(x, empty, edmKernel(), 1)).toThrow(EmptyReferenceError);
    expect(() => empiricalDenoiser(empty, edmKernel())).toThrow(EmptyReferenceError);
    expect(() => posteriorMean(x, empty, edmKernel(), 1)).toThrow(ValueError);
    expect(() => posteriorMean(x, Tensor.zeros([4, 2], 'float64'), edmKernel(), 1)).toThrow(ShapeError);
    expect(() => posteriorMean(x, ref, edmKernel(), 0)).toThrow(ValueError);
    expect(() => posteriorMean(x, ref, edmKernel(), Float64Array.from([1]))).toThrow(ShapeError);
    expect(() => posteriorMean(Tensor.from([NaN, 0, 0], [1, 3], 'float64'), ref, edmKernel(), 1)).toThrow(/non-finite/);
  });
});
