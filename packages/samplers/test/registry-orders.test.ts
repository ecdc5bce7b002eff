// The registry (every named sampler, the CLI's list) and convergence orders of the deterministic
// solvers on the closed-form probability-flow ODE of Gaussian data.
import { PhiloxRng, Tensor, type Denoiser } from '@phys/tensor';
import { edmSchedule, pfgmppKernel } from '@phys/kernels';
import { describeSamplers, findSampler, restartSample, samplerRegistry, lmsSolver, unipcSolver, dpm2Solver } from '../src/index.js';
import { mixtureDenoiser } from './mixture.js';
import { logUniform, slope } from './convergence.js';

// Exact denoiser of N(mu, s^2 I): D = mu + s^2/(s^2 + sigma^2)(x - mu); the PF-ODE solution is
// x(sigma) = mu + (x0 - mu) sqrt((s^2 + sigma^2)/(s^2 + sMax^2)).
const mu = 0.3;
const s = 1;
const sMax = 5;
const sMin = 0.3;
const gaussian: Denoiser = (x, sigma) => {
  const out = Tensor.zeros(x.shape, x.dtype);
  for (let r = 0; r < x.rows; r++) {
    const c = (s * s) / (s * s + sigma[r]! ** 2);
    for (let j = r * x.rowSize; j < (r + 1) * x.rowSize; j++) out.data[j] = mu + c * (x.data[j]! - mu);
  }
  return Promise.resolve(out);
};
const x0 = Tensor.from([15, -10, 7.5, 1], [4, 1], 'float64');
const exact = Array.from(x0.data, (v) => mu + (v - mu) * Math.sqrt((s * s + sMin * sMin) / (s * s + sMax * sMax)));

describe('convergence orders (log-log slope of the max error over N = 64..512 log-uniform steps, no trailing 0)', () => {
  // Measured (sMin = 0.3, where D still changes along the path): the multistep methods keep the
  // order of their 1st-order start-up step and (dpm-solver's lower_order_final for N < 10 aside,
  // UniPC's for every N) of their lowered final steps: globally order 2.
  it.each([
    ['euler', 0.9, 1.1],
    ['heun', 1.9, 2.1],
    ['dpm2', 1.9, 2.1],
    ['lms', 1.9, 2.3],
    ['dpm-fast', 2.7, 4.0],
    ['dpmpp-2m', 1.9, 2.1],
    ['dpmpp-3m', 1.7, 2.1],
    ['dpmpp-3m-doubled', 1.8, 2.2],
    ['dpmpp-2m-k', 1.9, 2.1],
    ['unipc-bh1', 1.8, 2.2],
    ['unipc-bh2', 1.8, 2.2],
    ['unipc-3-bh2', 1.8, 2.2],
    ['dpm-solver-3', 2.8, 3.2],
  ] as const)('%s: order in [%f, %f]', async (name, lo, hi) => {
    const ns = [64, 128, 256, 512];
    const errs: number[] = [];
    for (const n of ns) {
      const r = await findSampler(name)!.sample(gaussian, x0, logUniform(sMax, sMin, n), {});
      errs.push(Math.max(...Array.from(r.x.data, (v, i) => Math.abs(v - exact[i]!))));
    }
    const order = -slope(ns, errs);
    expect(order).toBeGreaterThan(lo);
    expect(order).toBeLessThan(hi);
  });
});

describe('sampler registry', () => {
  const d = mixtureDenoiser();
  const sigmas = edmSchedule({ steps: 10 });
  const xT = Tensor.from(Array.from({ length: 12 }, (_, i) => 80 * Math.sin(3 * i + 1)), [6, 2], 'float64');

  it('lists every sampler once, with its NFE on a 10-step schedule ending in 0', async () => {
    expect(new Set(samplerRegistry.map((e) => e.name)).size).toBe(samplerRegistry.length);
    expect(describeSamplers()).toHaveLength(samplerRegistry.length);
    for (const e of samplerRegistry) {
      const r = await e.sample(d, xT, sigmas, { rng: new PhiloxRng(1) });
      if (e.nfePerStep !== 'adaptive') expect([e.name, r.nfe]).toEqual([e.name, e.nfe(10)]);
      r.x.data.forEach((v) => { expect(Number.isFinite(v)).toBe(true); });
    }
  });

  it('deterministic samplers ignore the rng; stochastic ones follow it (sample i independent of the batch)', async () => {
    for (const e of samplerRegistry) {
      const a = await e.sample(d, xT, sigmas, { rng: new PhiloxRng(1) });
      const b = await e.sample(d, xT, sigmas, { rng: new PhiloxRng(2) });
      const same = a.x.data.every((v, i) => v === b.x.data[i]);
      expect([e.name, same]).toEqual([e.name, !e.stochastic]);
      if (e.stochastic && e.nfePerStep !== 'adaptive') {
        const first = await e.sample(d, Tensor.from(xT.data.slice(0, 4), [2, 2], 'float64'), sigmas, { rng: new PhiloxRng(1) });
        expect(Array.from(first.x.data)).toEqual(Array.from(a.x.data.slice(0, 4)));
      }
    }
  });

  it('deterministic solvers run PFGM++ priors (r = sigma sqrt(D)) and serve as Restart inner solvers', async () => {
    const xP = pfgmppKernel({ D: 128 }).prior([6, 2], 80, new PhiloxRng(3), 'float64');
    for (const solver of [dpm2Solver, lmsSolver(), unipcSolver({ order: 3 })]) {
      const r = await restartSample(d, xP, sigmas, { levels: { '0': [3, 2, 0.06, 0.3] }, rng: new PhiloxRng(4), solver, kernel: pfgmppKernel({ D: 128 }) });
      r.x.data.forEach((v) => { expect(Math.abs(v)).toBeLessThan(2); });
    }
  });
});
