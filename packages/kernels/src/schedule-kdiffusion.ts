// k-diffusion's schedules (k_diffusion/sampling.py get_sigmas_exponential, get_sigmas_polyexponential,
// get_sigmas_vp) as data: N noise levels from a linspace ramp, then the trailing 0.
import { ValueError } from '@phys/tensor';
import { checkPositive } from './validate.js';

/** Options of {@link exponentialSchedule} and {@link polyexponentialSchedule}. */
export interface ExponentialScheduleOptions {
  /** Number of noise levels before the trailing 0 (k-diffusion `n`); an integer >= 1. */
  steps: number;
  /** Smallest nonzero level (default 0.002). */
  sigmaMin?: number;
  /** Largest level (default 80). */
  sigmaMax?: number;
}

/** Options of {@link polyexponentialSchedule}. */
export interface PolyexponentialScheduleOptions extends ExponentialScheduleOptions {
  /** Exponent of the ramp (default 1: the exponential schedule). */
  rho?: number;
}

function checkSteps(steps: number): void {
  if (!(Number.isInteger(steps) && steps >= 1)) throw new ValueError('steps', steps, 'an integer >= 1');
}

/** ramp_i = i/(N-1) for i < N (k-diffusion's linspace(0, 1, N); [0] for N = 1). */
function ramp(i: number, steps: number): number {
  return steps === 1 ? 0 : i / (steps - 1);
}

/**
 * The polyexponential schedule: sigma_i = exp((1 - i/(N-1))^rho (log sigmaMax - log sigmaMin) + log sigmaMin),
 * i < N, then 0 (k-diffusion `get_sigmas_polyexponential`). rho = 1 is the exponential schedule;
 * rho > 1 puts more levels near sigmaMin.
 */
export function polyexponentialSchedule(options: PolyexponentialScheduleOptions): Float64Array {
  const { steps, sigmaMin = 0.002, sigmaMax = 80, rho = 1 } = options;
  checkSteps(steps);
  checkPositive(sigmaMin, 'sigmaMin');
  checkPositive(sigmaMax, 'sigmaMax');
  if (!(sigmaMax > sigmaMin)) throw new ValueError('sigmaMax', sigmaMax, `a value > sigmaMin = ${sigmaMin}`);
  checkPositive(rho, 'rho');
  const lo = Math.log(sigmaMin);
  const span = Math.log(sigmaMax) - lo;
  const out = new Float64Array(steps + 1);
  for (let i = 0; i < steps; i++) out[i] = Math.exp((1 - ramp(i, steps)) ** rho * span + lo);
  return out;
}

/**
 * The exponential schedule: log sigma uniform from log sigmaMax to log sigmaMin over N levels, then 0
 * (k-diffusion `get_sigmas_exponential`; uniform steps in DPM-Solver's lambda = -log sigma).
 */
export function exponentialSchedule(options: ExponentialScheduleOptions): Float64Array {
  const { steps, sigmaMin = 0.002, sigmaMax = 80 } = options;
  checkSteps(steps);
  checkPositive(sigmaMin, 'sigmaMin');
  checkPositive(sigmaMax, 'sigmaMax');
  if (!(sigmaMax > sigmaMin)) throw new ValueError('sigmaMax', sigmaMax, `a value > sigmaMin = ${sigmaMin}`);
  const a = Math.log(sigmaMax);
  const b = Math.log(sigmaMin);
  const out = new Float64Array(steps + 1);
  for (let i = 0; i < steps; i++) out[i] = Math.exp(a + ramp(i, steps) * (b - a));
  return out;
}

/** Options of {@link kdiffusionVpSchedule}. */
export interface KdiffusionVpScheduleOptions {
  /** Number of noise levels before the trailing 0; an integer >= 1. */
  steps: number;
  /** beta_d (default 19.9). */
  betaD?: number;
  /** beta_min (default 0.1). */
  betaMin?: number;
  /** Smallest time epsilon_s (default 1e-3). */
  epsilonS?: number;
}

/**
 * k-diffusion's continuous VP schedule (`get_sigmas_vp`): t_i linear from 1 to epsilon_s,
 * sigma_i = sqrt(exp(beta_d t^2/2 + beta_min t) - 1) with the given beta_d, beta_min (EDM's
 * `vpSchedule` instead refits them to sigmaMin/sigmaMax), then 0.
 */
export function kdiffusionVpSchedule(options: KdiffusionVpScheduleOptions): Float64Array {
  const { steps, betaD = 19.9, betaMin = 0.1, epsilonS = 1e-3 } = options;
  checkSteps(steps);
  checkPositive(betaD, 'betaD');
  if (!(Number.isFinite(betaMin) && betaMin >= 0)) throw new ValueError('betaMin', betaMin, 'a finite number >= 0');
  if (!(epsilonS > 0 && epsilonS < 1)) throw new ValueError('epsilonS', epsilonS, 'a number in (0, 1)');
  const out = new Float64Array(steps + 1);
  for (let i = 0; i < steps; i++) {
    const t = 1 + ramp(i, steps) * (epsilonS - 1);
    out[i] = Math.sqrt(Math.expm1((betaD * t * t) / 2 + betaMin * t));
  }
  return out;
}
