import { PhiloxRng, ReplayRandom, Tensor, ValueError, getBackend } from '@phys/tensor';
import { edmKernel, pfgmppKernel, vpAlpha } from '@phys/kernels';
import { alphaBarToSigma, ddimPrior, ddimSample, eulerSample } from '../src/index.js';
import { expectGaussianMoments, gaussianDenoiser, marginal } from './gaussian.js';

// VP alpha-bar on a uniform grid t = 1 ... 0 (thesis Alg. 15 notation; alpha(0) = 1).
const alphas = (n: number): Float64Array => Float64Array.from({ length: n + 1 }, (_, i) => vpAlpha(1 - i / n));

describe('DDIM (thesis Alg. 17) with an EDM-convention denoiser', () => {
  it('eta = 0 is Euler on the PF-ODE in sigma = sqrt((1 - alpha)/alpha) (x = sqrt(alpha) x~), to 1e-12', async () => {
    const a = alphas(25);
    const sigmas = Array.from(a, alphaBarToSigma);
    const xTilde = marginal(16, sigmas[0]!, new PhiloxRng(5));
    const xVp = getBackend().scaleRows(xTilde, Math.sqrt(a[0]!));
    const ddim = await ddimSample(gaussianDenoiser, xVp, a);
    const euler = await eulerSample(gaussianDenoiser, xTilde, sigmas);
    expect(ddim.nfe).toBe(25);
    for (let i = 0; i < ddim.x.size; i++) expect(Math.abs(ddim.x.data[i]! - euler.x.data[i]!)).toBeLessThan(1e-12 * (1 + Math.abs(euler.x.data[i]!)));
  });

  it('eta = 0 applies Alg. 17 line 3 literally: sqrt(a\'/a) x + (sqrt(1-a\') - sqrt(a\'/a) sqrt(1-a)) eps', async () => {
    const x = Tensor.from([0.3, -0.2], [1, 2], 'float64');
    const [a, a2] = [0.2, 0.6];
    const { x: out } = await ddimSample(gaussianDenoiser, x, [a, a2]);
    const s = alphaBarToSigma(a);
    const d = await gaussianDenoiser(Tensor.from([0.3 / Math.sqrt(a), -0.2 / Math.sqrt(a)], [1, 2], 'float64'), new Float64Array([s]));
    const eps = [0, 1].map((j) => (x.data[j]! / Math.sqrt(a) - d.data[j]!) / s);
    const r = Math.sqrt(a2 / a);
    for (let j = 0; j < 2; j++) expect(out.data[j]).toBeCloseTo(r * x.data[j]! + (Math.sqrt(1 - a2) - r * Math.sqrt(1 - a)) * eps[j]!, 14);
  });

  it('eta = 1 (ancestral) samples N(mu, Sigma): 100 steps, n = 10000 (4 standard errors + 0.02)', async () => {
    const a = alphas(100);
    const xT = ddimPrior(edmKernel(), [10000, 2], a[0]!, new PhiloxRng(31), 'float64');
    // The prior is N(0, (1 - a_T) I); the data mean is negligible at alpha_T = vpAlpha(1) ~ 4e-5.
    const { x } = await ddimSample(gaussianDenoiser, xT, a, { eta: 1, rng: new PhiloxRng(32) });
    expectGaussianMoments(x, 4, 0.02);
  });

  it('eta = 0 from the exact VP marginal samples N(mu, Sigma): 100 steps, n = 10000', async () => {
    const a = alphas(100);
    const xTilde = marginal(10000, alphaBarToSigma(a[0]!), new PhiloxRng(33));
    const { x } = await ddimSample(gaussianDenoiser, getBackend().scaleRows(xTilde, Math.sqrt(a[0]!)), a);
    expectGaussianMoments(x, 4, 0.02);
  });

  it('ddimPrior for PFGM++ (Alg. 18 lines 1-3) is sqrt(alpha_1) R v with R ~ p_{r_max}', () => {
    const k = pfgmppKernel({ D: 8 });
    const a1 = 0.01;
    const draws = { beta: [[0.3]], normal: [[1, 2, 2, 0]] };
    const x = ddimPrior(k, [1, 4], a1, new ReplayRandom(draws), 'float64');
    const ref = k.prior([1, 4], alphaBarToSigma(a1), new ReplayRandom(draws), 'float64');
    for (let j = 0; j < 4; j++) expect(x.data[j]).toBeCloseTo(Math.sqrt(a1) * ref.data[j]!, 14);
  });

  it('rejects alpha-bar outside (0, 1] or not increasing, and eta > 0 without rng', async () => {
    const x = Tensor.from([0, 0], [1, 2]);
    await expect(ddimSample(gaussianDenoiser, x, [0, 0.5])).rejects.toBeInstanceOf(ValueError);
    await expect(ddimSample(gaussianDenoiser, x, [0.5, 0.2])).rejects.toThrow('strictly decreasing');
    await expect(ddimSample(gaussianDenoiser, x, [0.2, 1], { eta: 0.5 })).rejects.toThrow('rng');
  });
});
