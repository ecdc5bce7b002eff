// Probability-flow ODE dx/dsigma = (x - D(x; sigma))/sigma (thesis Alg. 13/14; the same loop
// serves EDM and PFGM++ with r = sigma*sqrt(D)), solved on an explicit decreasing sigma list.
import { getBackend, type Denoiser, type Random, type Tensor } from '@phys/tensor';
import { SamplerRun, checkInitial, checkNumber, checkRandom, drawNormal, validateSigmas } from './common.js';
import type { SampleResult, SamplerOptions } from './types.js';

/**
 * A deterministic solver of the probability-flow ODE over a list of noise levels. Restart uses it
 * for its main and inner backward processes, so any solver implementing this (Euler, Heun, RK45,
 * DPM-Solver) can be plugged in.
 */
export interface OdeSolver {
  /** Short id, e.g. `'heun'`. */
  readonly name: string;
  /**
   * Integrates from `x` at `sigmas[0]` down to `sigmas[sigmas.length - 1]` (strictly decreasing,
   * validated by the caller; the last may be 0). Every denoiser call goes through `run.denoise`
   * and every finished step through `run.step`. Must not modify `x`; returns the final state, a
   * tensor it allocated (the caller releases it: `SamplerRun.finish`, Restart's next stage).
   */
  integrate<C>(run: SamplerRun<C>, x: Tensor, sigmas: Float64Array): Promise<Tensor>;
}

/** EDM churn (Karras et al. 2022, Alg. 2 lines 4-6) applied before each Heun step. */
export interface Churn {
  /** gamma_i for a step starting at `sigma` (0 switches churn off for that step). */
  gamma(sigma: number): number;
  /** S_noise: scale of the added noise. */
  readonly sNoise: number;
  /** Source of the standard normal draws. */
  readonly rng: Random;
  /** Draw the noise even where gamma = 0, like the reference code, so recorded streams replay one-to-one. */
  readonly noiseEveryStep: boolean;
  /** Maps t_hat to the level the reference computes it at (Restart's inner loop rounds it to float32). */
  readonly round?: (sigma: number) => number;
}

/**
 * EDM Alg. 2 lines 4-6 in place: t_hat = t(1 + gamma), x_hat = x + sqrt(t_hat^2 - t^2) S_noise eps.
 * Returns t_hat (t itself where gamma = 0).
 */
export function applyChurn(churn: Churn, x: Tensor, t: number): number {
  const gamma = churn.gamma(t);
  if (gamma > 0) {
    const tHat = churn.round ? churn.round(t + churn.round(gamma * t)) : t + gamma * t;
    const eps = drawNormal(churn.rng, x);
    getBackend().lincomb([[1, x], [Math.sqrt(tHat * tHat - t * t) * churn.sNoise, eps]], x);
    eps.dispose();
    return tHat;
  }
  if (churn.noiseEveryStep) churn.rng.normal(x.shape, x.dtype);
  return t;
}

/** Euler step of the PF-ODE in one fused update: x' = x + (t' - t)(x - D)/t. */
function eulerUpdate(x: Tensor, denoised: Tensor, t: number, tNext: number, out: Tensor): Tensor {
  const c = (tNext - t) / t;
  return getBackend().lincomb([[1 + c, x], [-c, denoised]], out);
}

/**
 * Heun's 2nd-order correction (thesis Alg. 10 line 5) as one fused 3-term update:
 * x + h(d + d')/2 = (x + xe)/2 + (h/2)(xe - D')/t' where xe = x + h d is the Euler point.
 */
function heunUpdate(x: Tensor, xEuler: Tensor, denoised2: Tensor, t: number, tNext: number, out: Tensor): Tensor {
  const c = (tNext - t) / (2 * tNext);
  return getBackend().lincomb([[0.5, x], [0.5 + c, xEuler], [-c, denoised2]], out);
}

/** Runs Euler steps through `sigmas` (one NFE each), optionally with EDM churn before each step. */
async function integrateEuler<C>(run: SamplerRun<C>, x0: Tensor, sigmas: Float64Array, churn?: Churn): Promise<Tensor> {
  const x = getBackend().clone(x0);
  for (let i = 0; i + 1 < sigmas.length; i++) {
    const t = churn ? applyChurn(churn, x, sigmas[i]!) : sigmas[i]!;
    const tNext = sigmas[i + 1]!;
    const denoised = await run.denoise(x, t);
    eulerUpdate(x, denoised, t, tNext, x);
    run.step(x, tNext);
  }
  return x;
}

/**
 * Heun steps through `sigmas`, optionally with EDM churn before each step (thesis Alg. 10; EDM
 * Alg. 2). The second evaluation is skipped when the next level is 0, so a schedule ending in 0
 * costs 2N - 1 evaluations.
 */
async function integrateHeun<C>(run: SamplerRun<C>, x0: Tensor, sigmas: Float64Array, churn?: Churn): Promise<Tensor> {
  const x = getBackend().clone(x0);
  const xEuler = getBackend().zeros(x.shape, x.dtype);
  for (let i = 0; i + 1 < sigmas.length; i++) {
    const tCur = sigmas[i]!;
    const tNext = sigmas[i + 1]!;
    const t = churn ? applyChurn(churn, x, tCur) : tCur;
    const denoised = await run.denoise(x, t);
    if (tNext > 0) {
      eulerUpdate(x, denoised, t, tNext, xEuler);
      const denoised2 = await run.denoise(xEuler, tNext);
      heunUpdate(x, xEuler, denoised2, t, tNext, x);
    } else {
      eulerUpdate(x, denoised, t, tNext, x);
    }
    run.step(x, tNext);
  }
  xEuler.dispose();
  return x;
}

/** Euler's method (1st order, one evaluation per step). */
export const eulerSolver: OdeSolver = {
  name: 'euler',
  integrate: (run, x, sigmas) => integrateEuler(run, x, sigmas),
};

/** An Euler solver with EDM churn before every step (k-diffusion `sample_euler` with `s_churn`). */
export function churnEulerSolver(churn: Churn): OdeSolver {
  return { name: 'euler+churn', integrate: (run, x, sigmas) => integrateEuler(run, x, sigmas, churn) };
}

/** Heun's 2nd-order method (thesis Alg. 10), no second evaluation when the next level is 0. */
export const heunSolver: OdeSolver = {
  name: 'heun',
  integrate: (run, x, sigmas) => integrateHeun(run, x, sigmas),
};

/** A Heun solver with EDM churn before every step (used by the EDM stochastic and Restart samplers). */
export function churnHeunSolver(churn: Churn): OdeSolver {
  return { name: 'heun+churn', integrate: (run, x, sigmas) => integrateHeun(run, x, sigmas, churn) };
}

/**
 * Solves the probability-flow ODE dx/dsigma = (x - D(x; sigma))/sigma from `x` at `sigmas[0]`
 * down to the last level with `solver`.
 *
 * @param denoiser D(x; sigma), EDM convention.
 * @param x Initial state at `sigmas[0]` (e.g. `kernel.prior(shape, sigmas[0], rng)`); not modified.
 * @param sigmas Strictly decreasing noise levels, optionally ending in 0 (e.g. `edmSchedule(...)`).
 * @throws ScheduleError for an empty, negative or non-decreasing schedule;
 *   DenoiserOutputError when the denoiser returns the wrong shape or NaN.
 */
export async function odeSample<C = unknown>(
  denoiser: Denoiser<C>,
  x: Tensor,
  sigmas: ArrayLike<number>,
  solver: OdeSolver,
  options: SamplerOptions<C> = {},
): Promise<SampleResult> {
  checkInitial(x);
  const s = validateSigmas(sigmas);
  const run = new SamplerRun(denoiser, options, x, s[0]!);
  return run.finish(await solver.integrate(run, x, s));
}

/**
 * Euler's method on the probability-flow ODE (thesis Alg. 10 without the correction): N steps,
 * N evaluations. With `sChurn > 0` it is k-diffusion's `sample_euler` (EDM Alg. 2 churn, Euler steps).
 *
 * @example
 * ```ts
 * const { x, nfe } = await eulerSample(denoiser, kernel.prior([64, 3072], 80, rng), edmSchedule({ steps: 18 }));
 * ```
 */
export function eulerSample<C = unknown>(denoiser: Denoiser<C>, x: Tensor, sigmas: ArrayLike<number>, options: EulerOptions<C> = {}): Promise<SampleResult> {
  const churn = edmChurn(options, sigmas.length - 1);
  return odeSample(denoiser, x, sigmas, churn ? churnEulerSolver(churn) : eulerSolver, options);
}

/** Options of {@link eulerSample}: with `sChurn > 0`, EDM churn before each Euler step (k-diffusion `sample_euler`). */
export interface EulerOptions<C = unknown> extends SamplerOptions<C>, ChurnOptions {}

/**
 * Heun's 2nd-order method on the probability-flow ODE (thesis Alg. 10/13; EDM's deterministic
 * sampler). The correction is skipped when the next level is 0: NFE = 2N - 1 for a schedule of N
 * steps ending in 0.
 */
export function heunSample<C = unknown>(denoiser: Denoiser<C>, x: Tensor, sigmas: ArrayLike<number>, options: SamplerOptions<C> = {}): Promise<SampleResult> {
  return odeSample(denoiser, x, sigmas, heunSolver, options);
}

/** Options of {@link edmStochasticSample} (EDM's Table 5 hyper-parameters). */
export interface EdmStochasticOptions<C = unknown> extends SamplerOptions<C> {
  /** Source of the churn noise (a `PhiloxRng`, or a `ReplayRandom` replaying recorded draws). */
  rng: Random;
  /** S_churn: total stochasticity; gamma_i = min(S_churn/N, sqrt(2) - 1). Default 0. */
  sChurn?: number;
  /** S_min: churn only where S_min <= sigma_i <= S_max. Default 0. */
  sMin?: number;
  /** S_max. Default Infinity. */
  sMax?: number;
  /** S_noise: noise inflation. Default 1. */
  sNoise?: number;
  /** Draw noise even where gamma_i = 0 (the reference calls randn_like every step). Default false. */
  noiseEveryStep?: boolean;
}

/**
 * EDM's stochastic sampler (Karras et al. 2022, Alg. 2): before each Heun step, where
 * S_min <= sigma_i <= S_max, raise the noise to sigma_hat = sigma_i(1 + gamma_i) with
 * gamma_i = min(S_churn/N, sqrt(2) - 1) by adding sqrt(sigma_hat^2 - sigma_i^2) S_noise eps, then
 * take a Heun step from sigma_hat to sigma_{i+1}. N is the number of steps.
 */
export async function edmStochasticSample<C = unknown>(
  denoiser: Denoiser<C>,
  x: Tensor,
  sigmas: ArrayLike<number>,
  options: EdmStochasticOptions<C>,
): Promise<SampleResult> {
  checkRandom(options.rng);
  const churn = edmChurn(options, sigmas.length - 1);
  return await odeSample(denoiser, x, sigmas, churn ? churnHeunSolver(churn) : heunSolver, options);
}

/** EDM's churn settings (Table 5) shared by the Heun, Euler and DPM-2 churn samplers. */
export interface ChurnOptions {
  /** Source of the churn noise (a `PhiloxRng`, or a `ReplayRandom` replaying recorded draws); needed when sChurn > 0. */
  rng?: Random;
  /** S_churn: total stochasticity; gamma_i = min(S_churn/N, sqrt(2) - 1). Default 0 (deterministic). */
  sChurn?: number;
  /** S_min (k-diffusion `s_tmin`): churn only where S_min <= sigma_i <= S_max. Default 0. */
  sMin?: number;
  /** S_max (k-diffusion `s_tmax`). Default Infinity. */
  sMax?: number;
  /** S_noise: noise inflation. Default 1. */
  sNoise?: number;
  /** Draw noise even where gamma_i = 0 (EDM's and k-diffusion's code call randn_like every step). Default false. */
  noiseEveryStep?: boolean;
}

/**
 * The {@link Churn} of EDM Alg. 2 for a schedule of `steps` steps: gamma_i = min(S_churn/N, sqrt(2) - 1)
 * inside [S_min, S_max]; undefined when nothing is random (S_churn = 0 and no noise drawn).
 */
export function edmChurn(options: ChurnOptions, steps: number): Churn | undefined {
  const sChurn = checkNumber(options.sChurn ?? 0, 'sChurn', 0);
  const sMin = checkNumber(options.sMin ?? 0, 'sMin', 0);
  const sMax = options.sMax ?? Infinity;
  if (!(typeof sMax === 'number' && sMax >= sMin)) checkNumber(sMax, 'sMax', sMin);
  const sNoise = checkNumber(options.sNoise ?? 1, 'sNoise', 0);
  const noiseEveryStep = options.noiseEveryStep ?? false;
  if (sChurn === 0 && !noiseEveryStep) return undefined;
  const rng = checkRandom(options.rng);
  const gammaOn = Math.min(sChurn / Math.max(steps, 1), Math.SQRT2 - 1);
  return { gamma: (sigma) => (sMin <= sigma && sigma <= sMax ? gammaOn : 0), sNoise, rng, noiseEveryStep };
}
