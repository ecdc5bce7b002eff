import { PhiloxRng, ReplayRandom, Tensor } from '@phys/tensor';
import { edmSchedule } from '@phys/kernels';
import { eulerMaruyamaSample, eulerSample, predictorCorrectorSample } from '../src/index.js';
import { expectGaussianMoments, gaussianDenoiser, marginal } from './gaussian.js';

describe('Euler-Maruyama on the reverse SDE', () => {
  it('samples N(mu, Sigma) from the exact marginal: 200 EDM steps, n = 10000 (4 standard errors + 0.02 discretisation)', async () => {
    const xT = marginal(10000, 80, new PhiloxRng(11));
    const { x, nfe } = await eulerMaruyamaSample(gaussianDenoiser, xT, edmSchedule({ steps: 200 }), { rng: new PhiloxRng(12) });
    expect(nfe).toBe(200);
    expectGaussianMoments(x, 4, 0.02);
  });

  it('one step is x + 2(h/t)(D - x) + sqrt(2 t h) eps, and the step to 0 is D(x; t)', async () => {
    const x = Tensor.from([1, -2], [1, 2], 'float64');
    const eps = [0.3, -0.7];
    const { x: out } = await eulerMaruyamaSample(gaussianDenoiser, x, [2, 1.5, 0], { rng: new ReplayRandom({ normal: [eps] }) });
    const d1 = await gaussianDenoiser(x, new Float64Array([2]));
    const h = 0.5;
    const x1 = [0, 1].map((j) => x.data[j]! + ((2 * h) / 2) * (d1.data[j]! - x.data[j]!) + Math.sqrt(2 * 2 * h) * eps[j]!);
    const d2 = await gaussianDenoiser(Tensor.from(x1, [1, 2], 'float64'), new Float64Array([1.5]));
    expect(Array.from(out.data)).toEqual(Array.from(d2.data));
  });

  it('betaScale 0 is the Euler ODE and draws nothing', async () => {
    const x = marginal(8, 80, new PhiloxRng(3));
    const rng = new ReplayRandom({});
    const a = await eulerMaruyamaSample(gaussianDenoiser, x, edmSchedule({ steps: 12 }), { rng, betaScale: 0 });
    const b = await eulerSample(gaussianDenoiser, x, edmSchedule({ steps: 12 }));
    for (let i = 0; i < a.x.size; i++) expect(a.x.data[i]).toBeCloseTo(b.x.data[i]!, 12);
  });
});

describe('predictor-corrector (reverse diffusion + Langevin)', () => {
  it('samples N(mu, Sigma): 100 steps, M = 1, snr 0.16, n = 10000 (4 standard errors + 0.02)', async () => {
    const xT = marginal(10000, 80, new PhiloxRng(21));
    const { x, nfe } = await predictorCorrectorSample(gaussianDenoiser, xT, edmSchedule({ steps: 100 }), { rng: new PhiloxRng(22) });
    expect(nfe).toBe(100 + 99);
    expectGaussianMoments(x, 4, 0.02);
  });

  it('the corrector step size is 2 (snr |z| / |g|)^2 (one row: batch and sample norms agree)', async () => {
    // One predictor step 2 -> 1 then one corrector step at 1, with recorded draws; checked by hand.
    const x = Tensor.from([0.4, 0.1], [1, 2], 'float64');
    const zp = [0.5, -0.2];
    const zc = [1.1, 0.3];
    const { x: out, nfe } = await predictorCorrectorSample(gaussianDenoiser, x, [2, 1], { rng: new ReplayRandom({ normal: [zp, zc] }), snr: 0.2 });
    expect(nfe).toBe(2);
    const d = await gaussianDenoiser(x, new Float64Array([2]));
    const c = (4 - 1) / 4;
    const xp = [0, 1].map((j) => x.data[j]! + c * (d.data[j]! - x.data[j]!) + Math.sqrt(3) * zp[j]!);
    const d2 = await gaussianDenoiser(Tensor.from(xp, [1, 2], 'float64'), new Float64Array([1]));
    const g = [0, 1].map((j) => d2.data[j]! - xp[j]!);
    const e = 2 * ((0.2 * Math.hypot(...zc)) / Math.hypot(...g)) ** 2;
    const expected = [0, 1].map((j) => xp[j]! + e * g[j]! + Math.sqrt(2 * e) * zc[j]!);
    for (let j = 0; j < 2; j++) expect(out.data[j]).toBeCloseTo(expected[j]!, 13);
  });

  it('rejects a bad correctorSteps', async () => {
    const x = Tensor.from([0, 0], [1, 2]);
    await expect(predictorCorrectorSample(gaussianDenoiser, x, [1, 0], { rng: new PhiloxRng(0), correctorSteps: 1.5 })).rejects.toThrow('correctorSteps');
  });
});
