import { Tensor, ValueError, type Denoiser } from '@phys/tensor';
import { DenoiserOutputError } from '../src/common.js';
import { odeSample } from '../src/ode.js';
import { IntegrationError, integrateRk45, rk45Sample, rk45Solver, type OdeFunction } from '../src/rk45.js';

const f64 = (values: number[], shape: number[]): Tensor => Tensor.from(values, shape, 'float64');

// y' = -2 y + t, y(t) = (y0 + 1/4) e^{-2t} + t/2 - 1/4.
const linear: OdeFunction = (t, [y]) => Promise.resolve([Tensor.from(y!.data.map((v) => -2 * v + t), y!.shape, 'float64')]);
const linearExact = (y0: number, t: number): number => (y0 + 0.25) * Math.exp(-2 * t) + t / 2 - 0.25;

// Damped pendulum p'' = -sin p - p'/2 on two rows, state split into two tensors [angle, velocity].
const pendulum: OdeFunction = (_t, [p, v]) =>
  Promise.resolve([v!.clone(), Tensor.from(p!.data.map((q, i) => -Math.sin(q) - 0.5 * v!.data[i]!), p!.shape, 'float64')]);

describe('integrateRk45 (Dormand-Prince 5(4), scipy solve_ivp semantics)', () => {
  it('matches scipy step for step on a linear ODE (same nfev, same accepted steps)', async () => {
    // Reference: /usr/bin/python3 -c "from scipy.integrate import solve_ivp;
    //   s = solve_ivp(lambda t, y: -2*y + t, (0, 3), [1, -0.5], rtol=1e-6, atol=1e-8); print(s.nfev, len(s.t) - 1)"
    // prints "116 19" with scipy 1.10.1: initial-step rule, factor limits and FSAL accounting agree.
    const r = await integrateRk45(linear, 0, 3, [f64([1, -0.5], [1, 2])], { rtol: 1e-6, atol: 1e-8 });
    expect(r.nfe).toBe(116);
    expect(r.steps).toBe(19);
    expect(r.nfe).toBe(2 + 6 * (r.steps + r.rejected));
  });

  it.each([1e-3, 1e-6, 1e-9])('meets rtol = atol = %g on the linear ODE against its closed form', async (tol) => {
    const y0 = [1, -0.5, 3];
    const r = await integrateRk45(linear, 0, 3, [f64(y0, [3, 1])], { rtol: tol, atol: tol });
    y0.forEach((v, i) => {
      const exact = linearExact(v, 3);
      // Global error of a stable problem under local error control: within the tolerance scale.
      expect(Math.abs(r.y[0]!.data[i]! - exact)).toBeLessThan(tol * (1 + Math.abs(exact)));
    });
  });

  it('integrates backwards in time (t1 < t0) to the closed form', async () => {
    const r = await integrateRk45(linear, 2, 0.5, [f64([linearExact(1, 2)], [1, 1])], { rtol: 1e-8, atol: 1e-10 });
    expect(Math.abs(r.y[0]!.data[0]! - linearExact(1, 0.5))).toBeLessThan(1e-7);
  });

  it('meets its tolerance on a nonlinear ODE (damped pendulum) against a tight-tolerance run, with a two-tensor state', async () => {
    const y0 = [f64([2, -1], [2, 1]), f64([0, 0.5], [2, 1])];
    const tight = await integrateRk45(pendulum, 0, 10, y0, { rtol: 1e-12, atol: 1e-12 });
    let lastNfe = 0;
    for (const tol of [1e-4, 1e-6, 1e-8]) {
      const r = await integrateRk45(pendulum, 0, 10, y0, { rtol: tol, atol: tol });
      for (let k = 0; k < 2; k++) {
        for (let i = 0; i < 2; i++) {
          const ref = tight.y[k]!.data[i]!;
          expect(Math.abs(r.y[k]!.data[i]! - ref)).toBeLessThan(3 * tol * (1 + Math.abs(ref)));
        }
      }
      expect(r.nfe).toBeGreaterThan(lastNfe);
      lastNfe = r.nfe;
    }
    // The input state is not modified.
    expect(Array.from(y0[0]!.data)).toEqual([2, -1]);
  });

  it('honours maxStep, reports steps and records the trajectory', async () => {
    const seen: number[] = [];
    const r = await integrateRk45(linear, 0, 1, [f64([1], [1, 1])], {
      maxStep: 0.1,
      trajectory: true,
      onStep: ({ t, h, step }) => {
        expect(step).toBe(seen.length);
        expect(Math.abs(h)).toBeLessThanOrEqual(0.1 + 1e-15);
        seen.push(t);
      },
    });
    expect(r.steps).toBeGreaterThanOrEqual(10);
    expect(r.ts).toEqual([0, ...seen]);
    expect(r.trajectory).toHaveLength(r.steps + 1);
    expect(seen[seen.length - 1]).toBe(1);
  });

  it('rejects bad input with typed errors', async () => {
    const y = [f64([1], [1, 1])];
    await expect(integrateRk45(linear, 0, 1, y, { rtol: 0 })).rejects.toThrow(ValueError);
    await expect(integrateRk45(linear, 0, 1, y, { atol: -1 })).rejects.toThrow(ValueError);
    await expect(integrateRk45(linear, 0, NaN, y)).rejects.toThrow(ValueError);
    await expect(integrateRk45(linear, 0, 1, [])).rejects.toThrow(ValueError);
    await expect(integrateRk45(linear, 0, 1, [f64([NaN], [1, 1])])).rejects.toThrow(/y0\[0\]/);
    const wrongShape: OdeFunction = () => Promise.resolve([f64([1, 2], [2, 1])]);
    await expect(integrateRk45(wrongShape, 0, 1, y)).rejects.toThrow(ValueError);
    await expect(integrateRk45(linear, 0, 1, y, { rtol: 1e-10, atol: 1e-12, maxNfe: 20 })).rejects.toThrow(IntegrationError);
    // Finite-time blow-up y' = y^2 from y(0) = 1 at t = 1: the step size underflows.
    const blowUp: OdeFunction = (_t, [v]) => Promise.resolve([Tensor.from(v!.data.map((q) => q * q), v!.shape, 'float64')]);
    await expect(integrateRk45(blowUp, 0, 2, y)).rejects.toThrow(IntegrationError);
    const ac = new AbortController();
    ac.abort(new Error('stop'));
    await expect(integrateRk45(linear, 0, 1, y, { signal: ac.signal })).rejects.toThrow('stop');
  });
});

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

describe('rk45Sample (probability-flow ODE dx/dsigma = (x - D)/sigma)', () => {
  const mu = 0.3;
  const s = 0.5;
  const sigmaMax = 80;
  const sigmaMin = 0.002;
  const x0 = f64([80, -40, 12, 160, -8, 0.5], [2, 3]);
  // Exact flow for Gaussian data: x(sigma) = mu + (x0 - mu) sqrt((s^2 + sigma^2)/(s^2 + sigmaMax^2)).
  const exact = (v: number): number => mu + (v - mu) * Math.sqrt((s * s + sigmaMin ** 2) / (s * s + sigmaMax ** 2));

  it('reaches the exact ODE solution within its tolerance and reports NFE, steps and trajectory', async () => {
    let calls = 0;
    const base = gaussianDenoiser(mu, s);
    const counted: Denoiser = (x, sg) => {
      calls++;
      return base(x, sg);
    };
    const steps: { step: number; sigma: number; nfe: number }[] = [];
    const r = await rk45Sample(counted, x0, { sigmaMax, sigmaMin, rtol: 1e-6, atol: 1e-6, trajectory: true, onStep: (i) => steps.push(i) });
    expect(r.nfe).toBe(calls);
    expect(steps.length).toBeGreaterThan(3);
    expect(steps[steps.length - 1]!.sigma).toBe(sigmaMin);
    expect(steps[steps.length - 1]!.nfe).toBe(calls);
    expect(r.trajectory).toHaveLength(steps.length + 1);
    expect(r.trajectorySigmas![0]).toBe(sigmaMax);
    x0.data.forEach((v, i) => {
      expect(Math.abs(r.x.data[i]! - exact(v))).toBeLessThan(1e-5 * (1 + Math.abs(exact(v))));
    });
  });

  it('adds one NFE for the final denoising step', async () => {
    const a = await rk45Sample(gaussianDenoiser(mu, s), x0, { sigmaMax, sigmaMin });
    const b = await rk45Sample(gaussianDenoiser(mu, s), x0, { sigmaMax, sigmaMin, denoise: true });
    expect(b.nfe).toBe(a.nfe + 1);
    const c = (s * s) / (s * s + sigmaMin ** 2);
    a.x.data.forEach((v, i) => {
      expect(b.x.data[i]).toBeCloseTo(mu + c * (v - mu), 12);
    });
  });

  it('rejects bad noise levels and names the step and sigma of a NaN denoiser output', async () => {
    const d = gaussianDenoiser(mu, s);
    await expect(rk45Sample(d, x0, { sigmaMax, sigmaMin: 0 })).rejects.toThrow(ValueError);
    await expect(rk45Sample(d, x0, { sigmaMax: 0.001, sigmaMin })).rejects.toThrow(ValueError);
    await expect(rk45Sample(d, f64([NaN], [1, 1]), { sigmaMax, sigmaMin })).rejects.toThrow(ValueError);
    const bad: Denoiser = (x, sg) => (sg[0]! < 1 ? Promise.resolve(Tensor.from(new Array(x.size).fill(NaN), x.shape, 'float64')) : d(x, sg));
    const err = await rk45Sample(bad, x0, { sigmaMax, sigmaMin }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DenoiserOutputError);
    expect((err as DenoiserOutputError).sigma).toBeLessThan(1);
    expect((err as DenoiserOutputError).message).toMatch(/step \d+ \(sigma = /);
  });

  it('works as an OdeSolver: adaptive between the first and last positive level, Euler step onto sigma = 0', async () => {
    const d = gaussianDenoiser(mu, s);
    const direct = await rk45Sample(d, x0, { sigmaMax, sigmaMin, rtol: 1e-7, atol: 1e-7 });
    const viaSolver = await odeSample(d, x0, [sigmaMax, 5, 1, sigmaMin, 0], rk45Solver({ rtol: 1e-7, atol: 1e-7 }));
    expect(viaSolver.nfe).toBe(direct.nfe + 1);
    const c = (s * s) / (s * s + sigmaMin ** 2);
    direct.x.data.forEach((v, i) => {
      expect(viaSolver.x.data[i]).toBeCloseTo(mu + c * (v - mu), 12);
    });
  });
});
