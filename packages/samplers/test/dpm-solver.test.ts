import { Tensor, ValueError, type Denoiser } from '@phys/tensor';
import { ScheduleError, SamplerRun } from '../src/common.js';
import { dpmSolverCoefficients, dpmSolverMultistep, dpmSolverSample, dpmSolverSinglestep, type DpmSolverSampleOptions } from '../src/dpm-solver.js';
import { eulerSample } from '../src/ode.js';
import { restartSample } from '../src/restart.js';
import { PhiloxRng } from '@phys/tensor';
import { edmSchedule } from '@phys/kernels';
import { logUniform, slope } from './convergence.js';

// Exact denoiser of N(mu, s^2 I) under the Gaussian kernel: D = mu + s^2/(s^2 + sigma^2) (x - mu).
function gaussianDenoiser(mu: number, s: number): Denoiser {
  return (x, sigma) => {
    const out = Tensor.zeros(x.shape, x.dtype);
    for (let r = 0; r < x.rows; r++) {
      const c = (s * s) / (s * s + sigma[r]! ** 2);
      for (let j = r * x.rowSize; j < (r + 1) * x.rowSize; j++) out.data[j] = mu + c * (x.data[j]! - mu);
    }
    return Promise.resolve(out);
  };
}

describe('DPM-Solver family (sigma as time, lambda = -log sigma)', () => {
  // On a Gaussian N(mu, s^2) the PF-ODE has the closed form
  // x(sigma) = mu + (x0 - mu) sqrt((s^2 + sigma^2)/(s^2 + sMax^2)); slopes are fitted over N = 32..256
  // log-uniform steps (asymptotic regime for these parameters).
  const mu = 0.3;
  const s = 1;
  const sMax = 5;
  const sMin = 0.05;
  const x0 = Tensor.from([15, -10, 7.5, 1], [4, 1], 'float64');
  const exact = Array.from(x0.data, (v) => mu + (v - mu) * Math.sqrt((s * s + sMin * sMin) / (s * s + sMax * sMax)));
  const maxErr = (x: Tensor): number => Math.max(...Array.from(x.data, (v, i) => Math.abs(v - exact[i]!)));
  const ns = [32, 64, 128, 256];

  it.each([
    ['DPM-Solver++(1M) = DDIM', { order: 1 }, 1, 0.95, 1.05],
    ['DPM-Solver++(2M)', { order: 2 }, 1, 1.9, 2.1],
    ['DPM-Solver++(3M) as dpm_solver_pytorch (D2 weighted phi_3), 2S warm-up', { order: 3, warmup: 'singlestep' }, 1, 1.8, 2.2],
    ['DPM-Solver++(3M) with the doubled D2 weight (opt-in), 2S warm-up', { order: 3, warmup: 'singlestep', doubledSecondDifference: true }, 1, 2.7, 3.3],
    // 1st-order first step (local error O(h^2)) and the reference D2 weight: order 2, 1.74 measured over N = 32..256.
    ['DPM-Solver++(3M), k-diffusion variant', { order: 3, variant: 'k-diffusion' }, 1, 1.6, 2.2],
    ['DPM-Solver-2 singlestep', { method: 'singlestep', order: 2 }, 2, 1.9, 2.1],
    ['DPM-Solver-3 singlestep', { method: 'singlestep', order: 3 }, 3, 2.8, 3.2],
  ] as [string, DpmSolverSampleOptions, number, number, number][])('%s: global error order (log-log slope) in range', async (_name, options, nfePerStep, lo, hi) => {
    const errs: number[] = [];
    for (const n of ns) {
      const r = await dpmSolverSample(gaussianDenoiser(mu, s), x0, logUniform(sMax, sMin, n), options);
      const extra = options.warmup === 'singlestep' ? 1 : 0;
      expect(r.nfe).toBe(n * nfePerStep + extra);
      errs.push(maxErr(r.x));
    }
    const order = -slope(ns, errs);
    expect(order).toBeGreaterThan(lo);
    expect(order).toBeLessThan(hi);
  });

  it('beats Euler at equal NFE and order 3 beats order 2', async () => {
    const sigmas = logUniform(sMax, sMin, 16);
    const d = gaussianDenoiser(mu, s);
    const euler = maxErr((await eulerSample(d, x0, sigmas)).x);
    const e2 = maxErr((await dpmSolverSample(d, x0, sigmas, { order: 2 })).x);
    const e3 = maxErr((await dpmSolverSample(d, x0, sigmas, { order: 3 })).x);
    expect(e2).toBeLessThan(euler / 5);
    expect(e3).toBeLessThan(e2);
  });

  it('order 1 is DDIM / the exponential-integrator Euler step, and a step to sigma = 0 returns the data prediction', async () => {
    expect(dpmSolverCoefficients(NaN, NaN, 2, 1, 1)).toEqual([0.5, 0.5, 0, 0]);
    expect(dpmSolverCoefficients(4, 3, 2, 0, 3)).toEqual([0, 1, 0, 0]);
    // Every update is an affine combination: coefficients of x and the predictions sum to 1.
    for (const k of ['2-dpmsolver', '2-taylor', 3, '3-doubled'] as const) {
      const c = dpmSolverCoefficients(5, 3, 2, 1.2, k);
      expect(c.reduce((a, b) => a + b)).toBeCloseTo(1, 14);
    }
    // EDM-style schedule ending in 0: N steps, N NFE, last step lands on D(x; sigma_{N-1}).
    const sigmas = [...logUniform(sMax, sMin, 8), 0];
    const d = gaussianDenoiser(mu, s);
    const full = await dpmSolverSample(d, x0, sigmas, { trajectory: true });
    expect(full.nfe).toBe(9);
    // Singlestep DPM-Solver-3 on the same schedule: 3 NFE per step, order 2 into the last positive level, Euler to 0.
    const single = await dpmSolverSample(d, x0, sigmas, { method: 'singlestep' });
    expect(single.nfe).toBe(3 * 7 + 2 + 1);
    expect(full.trajectory).toHaveLength(10);
    const before = full.trajectory![8]!;
    const expected = await d(before, new Float64Array(before.rows).fill(sMin));
    expect(Array.from(full.x.data)).toEqual(Array.from(expected.data));
  });

  it('is an OdeSolver that shares the run (NFE and steps accumulate across integrate calls)', async () => {
    const solver = dpmSolverMultistep({ order: 2 });
    expect(solver.name).toBe('dpm-solver++(2M)');
    const steps: number[] = [];
    const run = new SamplerRun(gaussianDenoiser(mu, s), { onStep: (i) => steps.push(i.step) }, x0, sMax);
    const mid = await solver.integrate(run, x0, Float64Array.from(logUniform(sMax, 1, 5)));
    await solver.integrate(run, mid, Float64Array.from(logUniform(1, sMin, 5)));
    expect(run.nfe).toBe(10);
    expect(steps).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('rejects bad orders and schedules with typed errors', async () => {
    const d = gaussianDenoiser(mu, s);
    expect(() => dpmSolverMultistep({ order: 4 as 3 })).toThrow(ValueError);
    expect(() => dpmSolverSinglestep({ order: 0 as 1 })).toThrow(ValueError);
    await expect(dpmSolverSample(d, x0, [2, 1], { method: 'adaptive' as 'multistep' })).rejects.toThrow(ValueError);
    await expect(dpmSolverSample(d, x0, [])).rejects.toThrow(ScheduleError);
    await expect(dpmSolverSample(d, x0, [1, 2])).rejects.toThrow(ScheduleError);
    await expect(dpmSolverSample(d, x0, [1, -1])).rejects.toThrow(ScheduleError);
  });

  it('plugs into Restart as its solver (thesis Fig. 5.4: Restart + DPM-Solver-3): NFE as the reference counts it', async () => {
    const d = gaussianDenoiser(mu, s);
    const sigmas = edmSchedule({ steps: 12 });
    const levels = { '0': [3, 2, 0.06, 0.3] };
    const xT = Tensor.from([40, -30, 10, 5], [4, 1], 'float64');
    const single = await restartSample(d, xT, sigmas, { levels, rng: new PhiloxRng(1), solver: dpmSolverSinglestep({ order: 3 }) });
    // Reference generate_dpm_solver.py: main 3 NFE per step, 2 for the step before the final 0, 1 for the Euler step to 0;
    // each of the K Restart repetitions takes N_restart - 1 DPM-Solver-3 steps.
    expect(single.nfe).toBe(3 * (12 - 2) + 2 + 1 + 2 * (3 - 1) * 3);
    const multi = await restartSample(d, xT, sigmas, { levels, rng: new PhiloxRng(1), solver: dpmSolverMultistep() });
    expect(multi.nfe).toBe(12 + 2 * (3 - 1));
    for (const r of [single, multi]) r.x.data.forEach((v) => { expect(Number.isFinite(v)).toBe(true); });
  });
});
