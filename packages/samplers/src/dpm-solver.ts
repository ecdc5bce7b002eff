// DPM-Solver family with EDM's noise levels as time (alpha = 1, lambda = -log sigma), for the
// probability-flow ODE dx/dsigma = (x - D(x; sigma))/sigma. Thesis A.2.3: DPM-Solver-1 is
// DDIM, i.e. EDM's Euler step; thesis Sec. 5.4 (Fig. 5.4) pairs Restart with DPM-Solver-3.
import { Tensor, ValueError, getBackend, type Denoiser } from '@phys/tensor';
import { SamplerRun, checkInitial, validateSigmas } from './common.js';
import type { OdeSolver } from './ode.js';
import type { SampleResult, SamplerOptions } from './types.js';

/** Settings of {@link dpmSolverMultistep}. */
export interface DpmSolverMultistepOptions {
  /** Multistep order: 1 (DDIM), 2 (DPM-Solver++(2M)) or 3 (DPM-Solver++(3M)). Default 3. */
  order?: 1 | 2 | 3;
  /**
   * Whose loop to reproduce. `'dpm-solver'` (default): `DPM_Solver.sample(method='multistep',
   * algorithm_type='dpmsolver++')` of dpm_solver_pytorch.py, with its `lower_order_final` and, on a
   * schedule ending in 0, `denoise_to_zero=True` (the steps are counted to the last positive level,
   * then x = D(x; sigma_min)). `'k-diffusion'`: `sample_dpmpp_2m` (order 2) and
   * `sample_dpmpp_3m_sde(eta=0)` (order 3) of k-diffusion: no final order lowering, and the second
   * step of the 3M warm-up is the `'taylor'` 2nd-order update.
   */
  variant?: 'dpm-solver' | 'k-diffusion';
  /**
   * The 2nd-order multistep update of dpm_solver_pytorch.py (its `solver_type`; `'dpm-solver'`
   * variant only): `'dpmsolver'` (default, -phi_1/2 D1) or `'taylor'` (phi_2 D1).
   */
  solverType?: 'dpmsolver' | 'taylor';
  /**
   * dpm_solver_pytorch.py's `lower_order_final` (`'dpm-solver'` variant only): with fewer than 10
   * solver steps, step j of N uses order min(order, N + 1 - j). Default true.
   */
  lowerOrderFinal?: boolean;
  /**
   * How a 3rd-order solver starts without history. `'lower-order'` (default, the references): a
   * 1st-order step, then a 2nd-order step. `'singlestep'` (phys extension): the first step is a
   * DPM-Solver++(2S) step (one extra NFE).
   */
  warmup?: 'lower-order' | 'singlestep';
  /**
   * Opt-in, not a reference: weight the second difference D2 twice as the references do
   * (x' = ... + phi_2 D1 - 2 phi_3 D2, the Taylor-consistent term since D2 ~ h^2 x''/2). On fine
   * log-uniform schedules its global order is 3 (the references' form measures 2), but it is
   * unstable on short schedules: see docs/samplers.md. Default false. Only affects order 3.
   */
  doubledSecondDifference?: boolean;
}

/** phi_1 = expm1(-h), phi_2 = phi_1/h + 1, phi_3 = phi_2/h - 1/2, by series where they cancel. */
function phis(h: number): [number, number, number] {
  if (Math.abs(h) < 1e-2) {
    const h2 = h * h;
    const h3 = h2 * h;
    const h4 = h3 * h;
    const h5 = h4 * h;
    return [
      -h + h2 / 2 - h3 / 6 + h4 / 24 - h5 / 120,
      h / 2 - h2 / 6 + h3 / 24 - h4 / 120 + h5 / 720,
      -h / 6 + h2 / 24 - h3 / 120 + h4 / 720 - h5 / 5040,
    ];
  }
  const p1 = Math.expm1(-h);
  const p2 = p1 / h + 1;
  return [p1, p2, p2 / h - 0.5];
}

/** Which update {@link dpmSolverCoefficients} computes: order 1, the two 2nd-order forms, or the 3rd-order one. */
export type DpmSolverUpdate = 1 | '2-dpmsolver' | '2-taylor' | 3 | '3-doubled';

/**
 * Coefficients `[a, b0, b1, b2]` of one DPM-Solver++ multistep update
 * x' = a x + b0 m0 + b1 m1 + b2 m2 from `sigma` to `sigmaNext`, where m0, m1, m2 are the data
 * predictions at `sigma`, `sigmaPrev1`, `sigmaPrev2` (Lu et al. 2022, DPM-Solver++ Alg. 2 and the
 * 3rd-order update of dpm_solver_pytorch.py). A step to sigma = 0 returns m0.
 */
export function dpmSolverCoefficients(
  sigmaPrev2: number,
  sigmaPrev1: number,
  sigma: number,
  sigmaNext: number,
  update: DpmSolverUpdate,
): [number, number, number, number] {
  const ratio = sigmaNext / sigma;
  if (sigmaNext === 0 || update === 1) return [ratio, 1 - ratio, 0, 0]; // x' = (s'/s) x - phi_1 m0
  const h = Math.log(sigma / sigmaNext);
  const [p1, p2, p3] = phis(h);
  const r0 = Math.log(sigmaPrev1 / sigma) / h;
  if (update === '2-dpmsolver') {
    // x' = (s'/s) x - phi_1 m0 - phi_1/2 * D1_0, D1_0 = (m0 - m1)/r0.
    const c = (0.5 * p1) / r0;
    return [ratio, -p1 - c, c, 0];
  }
  if (update === '2-taylor') {
    // x' = (s'/s) x - phi_1 m0 + phi_2 D1_0.
    const c = p2 / r0;
    return [ratio, -p1 + c, -c, 0];
  }
  const r1 = Math.log(sigmaPrev2 / sigmaPrev1) / h;
  // D1_0 = (m0 - m1)/r0, D1_1 = (m1 - m2)/r1, D1 = D1_0 + r0/(r0+r1)(D1_0 - D1_1) ~ h x',
  // D2 = (D1_0 - D1_1)/(r0+r1) ~ h^2 x''/2; x' = (s'/s) x - phi_1 m0 + phi_2 D1 - phi_3 D2 (the references),
  // or - 2 phi_3 D2 with '3-doubled'.
  const d10 = [1 / r0, -1 / r0, 0];
  const d11 = [0, 1 / r1, -1 / r1];
  const w = r0 / (r0 + r1);
  const q = (update === '3-doubled' ? 2 : 1) / (r0 + r1);
  const b = [0, 1, 2].map((j) => {
    const diff = d10[j]! - d11[j]!;
    return (j === 0 ? -p1 : 0) + p2 * (d10[j]! + w * diff) - p3 * q * diff;
  });
  return [ratio, b[0]!, b[1]!, b[2]!];
}

function checkOrder(order: unknown): 1 | 2 | 3 {
  if (order !== 1 && order !== 2 && order !== 3) throw new ValueError('order', order, '1, 2 or 3');
  return order;
}

function checkChoice<T extends string>(value: unknown, argument: string, choices: readonly T[]): T {
  if (!choices.includes(value as T)) throw new ValueError(argument, value, choices.map((c) => `'${c}'`).join(' or '));
  return value as T;
}

/**
 * DPM-Solver++ multistep in the data-prediction form (Lu et al. 2022): one denoiser call per
 * step, reusing the previous predictions; the first steps warm up at lower order and a step to
 * sigma = 0 returns the data prediction. By default it computes what dpm_solver_pytorch.py does
 * (see {@link DpmSolverMultistepOptions.variant}). Implements {@link OdeSolver}, so Restart can use
 * it for its main and inner backward processes.
 */
export function dpmSolverMultistep(options: DpmSolverMultistepOptions = {}): OdeSolver {
  const order = checkOrder(options.order ?? 3);
  const variant = checkChoice(options.variant ?? 'dpm-solver', 'variant', ['dpm-solver', 'k-diffusion']);
  const solverType = checkChoice(options.solverType ?? 'dpmsolver', 'solverType', ['dpmsolver', 'taylor']);
  const lowerOrderFinal = options.lowerOrderFinal ?? true;
  const warmup = checkChoice(options.warmup ?? 'lower-order', 'warmup', ['lower-order', 'singlestep']);
  const doubled = options.doubledSecondDifference ?? false;
  const kdiff = variant === 'k-diffusion';
  return {
    name: `dpm-solver++(${order}M)`,
    async integrate<C>(run: SamplerRun<C>, x0: Tensor, sigmas: Float64Array): Promise<Tensor> {
      const backend = getBackend();
      const steps = sigmas.length - 1;
      // dpm_solver_pytorch counts the steps to the last positive level; a step to 0 is its denoise_to_zero.
      const solverSteps = sigmas[steps] === 0 ? steps - 1 : steps;
      const x = backend.clone(x0);
      const prev: Tensor[] = []; // data predictions, newest first
      for (let i = 0; i < steps; i++) {
        const sigma = sigmas[i]!;
        const sigmaNext = sigmas[i + 1]!;
        const m0 = await run.denoise(x, sigma);
        prev.unshift(m0);
        if (prev.length > order) prev.pop();
        // Step i has i + 1 predictions; dpm-solver lowers the order over the last steps of short schedules.
        const kMax = !kdiff && lowerOrderFinal && solverSteps < 10 ? Math.min(order, solverSteps - i) : order;
        const k = Math.min(kMax, i + 1);
        if (i === 0 && order === 3 && warmup === 'singlestep' && sigmaNext > 0 && kMax > 1) {
          // DPM-Solver++(2S) (Lu et al. 2022, Alg. 1, r = 1/2): with the midpoint prediction the
          // update is x' = (s'/s) x - phi_1 m_mid, local error O(h^3).
          const sigmaMid = Math.sqrt(sigma * sigmaNext);
          const u = backend.lincomb([[sigmaMid / sigma, x], [1 - sigmaMid / sigma, m0]]);
          const mMid = await run.denoise(u, sigmaMid);
          backend.lincomb([[sigmaNext / sigma, x], [1 - sigmaNext / sigma, mMid]], x);
          run.step(x, sigmaNext);
          continue;
        }
        let update: DpmSolverUpdate = 1;
        if (k === 2) update = kdiff ? (order === 3 ? '2-taylor' : '2-dpmsolver') : solverType === 'taylor' ? '2-taylor' : '2-dpmsolver';
        else if (k === 3) update = doubled ? '3-doubled' : 3;
        const c = dpmSolverCoefficients(sigmas[i - 2] ?? NaN, sigmas[i - 1] ?? NaN, sigma, sigmaNext, update);
        const terms: [number, Tensor][] = [[c[0], x], [c[1], m0]];
        if (c[2] !== 0) terms.push([c[2], prev[1]!]);
        if (c[3] !== 0) terms.push([c[3], prev[2]!]);
        backend.lincomb(terms, x);
        run.step(x, sigmaNext);
      }
      return x;
    },
  };
}

/** Settings of {@link dpmSolverSinglestep}. */
export interface DpmSolverSinglestepOptions {
  /** Stages per step: 1 (Euler/DDIM), 2 (DPM-Solver-2, r1 = 1/2) or 3 (DPM-Solver-3, r1 = 1/3, r2 = 2/3). Default 3. */
  order?: 1 | 2 | 3;
}

/**
 * Singlestep DPM-Solver-k in the noise-prediction form (Lu et al. 2022, Alg. 1 with r1 = 1/2,
 * and DPM-Solver-3 with r1 = 1/3, r2 = 2/3), written in EDM sigma as the Restart reference
 * (`generate_dpm_solver.py`, the "DPM-Solver-3" of thesis Fig. 5.4) does: k NFE per step. On a
 * schedule ending in 0, the step to 0 is an Euler step and the step before it uses at most
 * order 2, as the reference's main loop. Implements {@link OdeSolver}.
 */
export function dpmSolverSinglestep(options: DpmSolverSinglestepOptions = {}): OdeSolver {
  const order = checkOrder(options.order ?? 3);
  return {
    name: `dpm-solver-${order}`,
    async integrate<C>(run: SamplerRun<C>, x0: Tensor, sigmas: Float64Array): Promise<Tensor> {
      const backend = getBackend();
      const x = backend.clone(x0);
      const n = sigmas.length - 1;
      const endsInZero = sigmas[n] === 0;
      // d = (x - D(x; t))/t at (x, t); a step from t to t' with h = log(t/t') has t'(e^h - 1) = t - t'.
      const slope = async (y: Tensor, t: number): Promise<Tensor> => backend.axpby(1 / t, y, -1 / t, await run.denoise(y, t));
      for (let i = 0; i < n; i++) {
        const t = sigmas[i]!;
        const tNext = sigmas[i + 1]!;
        let k: number = order;
        if (tNext === 0) k = 1;
        else if (endsInZero && i === n - 2) k = Math.min(order, 2);
        const d = await slope(x, t);
        if (k === 1) {
          backend.lincomb([[1, x], [tNext - t, d]], x);
        } else {
          const h = Math.log(t / tNext);
          if (k === 2) {
            // DPM-Solver-2, r1 = 1/2: x' = x - (t - t')[(1 - 1/(2 r1)) d + 1/(2 r1) d_1].
            const t1 = t * Math.exp(-0.5 * h);
            const x1 = backend.lincomb([[1, x], [t1 - t, d]]);
            const d1 = await slope(x1, t1);
            backend.lincomb([[1, x], [tNext - t, d1]], x);
          } else {
            // DPM-Solver-3 (r1 = 1/3, r2 = 2/3).
            const r1 = 1 / 3;
            const r2 = 2 / 3;
            const t1 = t * Math.exp(-r1 * h);
            const x1 = backend.lincomb([[1, x], [t1 - t, d]]);
            const d1 = await slope(x1, t1);
            const t2 = t * Math.exp(-r2 * h);
            // x_2 = x - t_2(e^{r2 h} - 1) d - (r2/r1) t_2 ((e^{r2 h} - 1)/(r2 h) - 1) (d_1 - d)
            const c2 = (r2 / r1) * t2 * (Math.expm1(r2 * h) / (r2 * h) - 1);
            const x2 = backend.lincomb([[1, x], [t2 - t + c2, d], [-c2, d1]]);
            const d2 = await slope(x2, t2);
            // x' = x - t'(e^h - 1) d - (1/r2) t' ((e^h - 1)/h - 1) (d_2 - d)
            const c3 = (1 / r2) * tNext * (Math.expm1(h) / h - 1);
            backend.lincomb([[1, x], [tNext - t + c3, d], [-c3, d2]], x);
          }
        }
        run.step(x, tNext);
      }
      return x;
    },
  };
}

/** Options of {@link dpmSolverSample}. */
export interface DpmSolverSampleOptions<C = unknown> extends SamplerOptions<C>, DpmSolverMultistepOptions {
  /** `'multistep'` (DPM-Solver++ data prediction, default, 1 NFE per step) or `'singlestep'` (DPM-Solver-k, k NFE per step). */
  method?: 'multistep' | 'singlestep';
}

/**
 * Samples with the DPM-Solver family on an explicit strictly decreasing noise schedule,
 * optionally ending in 0. Default: DPM-Solver++(3M), NFE = number of steps.
 *
 * @example
 * ```ts
 * const { x, nfe } = await dpmSolverSample(denoiser, kernel.prior([64, 3072], 80, rng), edmSchedule({ steps: 18 }), { order: 3 });
 * ```
 * @throws ScheduleError for an empty, negative or non-decreasing schedule;
 *   DenoiserOutputError when the denoiser returns the wrong shape or NaN.
 */
export async function dpmSolverSample<C = unknown>(denoiser: Denoiser<C>, x: Tensor, sigmas: ArrayLike<number>, options: DpmSolverSampleOptions<C> = {}): Promise<SampleResult> {
  const method = checkChoice(options.method ?? 'multistep', 'method', ['multistep', 'singlestep']);
  const solver = method === 'multistep' ? dpmSolverMultistep(options) : dpmSolverSinglestep(options.order === undefined ? {} : { order: options.order });
  checkInitial(x);
  const s = validateSigmas(sigmas);
  const run = new SamplerRun(denoiser, options, x, s[0]!);
  return run.finish(await solver.integrate(run, x, s));
}
