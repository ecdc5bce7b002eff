// Noise-level schedules as data (k-diffusion style): functions returning Float64Arrays of sigmas.
import { ValueError } from '@phys/tensor';
import { checkNonNegative, checkPositive } from './validate.js';

/** Options of {@link edmSchedule}. */
export interface EdmScheduleOptions {
  /** Number of noise levels before the trailing 0 (the sampler's step count N); an integer >= 2. */
  steps: number;
  /** Smallest nonzero noise level t_{N-1} (default 0.002). */
  sigmaMin?: number;
  /** Largest noise level t_0 (default 80). */
  sigmaMax?: number;
  /** Exponent rho (default 7). */
  rho?: number;
}

/** Longest schedule (2^24 levels, 128 MiB of float64): far beyond any sampler, short of an allocation failure. */
export const MAX_SCHEDULE_STEPS = 2 ** 24;

function checkSteps(steps: number): void {
  if (!(Number.isInteger(steps) && steps >= 2)) throw new ValueError('steps', steps, 'an integer >= 2 (i/(N-1) is undefined for N = 1)');
  if (steps > MAX_SCHEDULE_STEPS) throw new ValueError('steps', steps, `at most ${MAX_SCHEDULE_STEPS} levels`);
}

function checkRange(sigmaMin: number, sigmaMax: number): void {
  checkPositive(sigmaMin, 'sigmaMin');
  checkPositive(sigmaMax, 'sigmaMax');
  if (!(sigmaMax > sigmaMin)) throw new ValueError('sigmaMax', sigmaMax, `a value > sigmaMin = ${sigmaMin}`);
}

/**
 * The EDM rho-schedule (thesis Alg. 8; Karras et al. Eq. 5):
 * t_i = (sigmaMax^(1/rho) + i/(N-1) (sigmaMin^(1/rho) - sigmaMax^(1/rho)))^rho for i < N, then t_N = 0.
 * Returns N + 1 values, decreasing, ending with the trailing 0. PFGM++ uses it in sigma units
 * (r_i = t_i sqrt(D)).
 *
 * @example
 * edmSchedule({ steps: 18 }); // [80, 57.58..., ..., 0.002000000000000003, 0]
 */
export function edmSchedule(options: EdmScheduleOptions): Float64Array {
  const { steps, sigmaMin = 0.002, sigmaMax = 80, rho = 7 } = options;
  checkSteps(steps);
  checkRange(sigmaMin, sigmaMax);
  checkPositive(rho, 'rho');
  const a = sigmaMax ** (1 / rho);
  const b = sigmaMin ** (1 / rho);
  const out = new Float64Array(steps + 1);
  for (let i = 0; i < steps; i++) out[i] = (a + (i / (steps - 1)) * (b - a)) ** rho;
  out[steps] = 0;
  return out;
}

/** Parameters of the VP (DDPM, continuous) noise schedule; EDM/Song et al. defaults beta_d = 19.9, beta_min = 0.1. */
export interface VpParams {
  /** beta_d = beta_max - beta_min (thesis Alg. 15: beta-bar_max - beta-bar_min). Default 19.9. */
  betaD?: number;
  /** beta_min (thesis: beta-bar_min). Default 0.1. */
  betaMin?: number;
}

function vpParams(p: VpParams): { betaD: number; betaMin: number } {
  const { betaD = 19.9, betaMin = 0.1 } = p;
  checkPositive(betaD, 'betaD');
  if (!(betaMin >= 0 && Number.isFinite(betaMin))) throw new ValueError('betaMin', betaMin, 'a finite number >= 0');
  return { betaD, betaMin };
}

/**
 * alpha_t = exp(-t^2 beta_d/2 - t beta_min) of the VP process (thesis Alg. 15, alpha-bar of DDPM):
 * x_t = sqrt(alpha_t) y + sqrt(1 - alpha_t) eps.
 */
export function vpAlpha(t: number, params: VpParams = {}): number {
  const { betaD, betaMin } = vpParams(params);
  return Math.exp(-0.5 * betaD * t * t - betaMin * t);
}

/**
 * VP time to noise level: sigma(t) = sqrt((1 - alpha_t)/alpha_t) = sqrt(exp(beta_d t^2/2 + beta_min t) - 1)
 * (thesis Alg. 16 line 3; EDM Table 1). Computed with expm1, accurate for small t.
 */
export function vpSigma(t: number, params: VpParams = {}): number {
  const { betaD, betaMin } = vpParams(params);
  if (!(t >= 0 && Number.isFinite(t))) throw new ValueError('t', t, 'a finite time >= 0');
  const sigma = Math.sqrt(Math.expm1(0.5 * betaD * t * t + betaMin * t));
  if (sigma === Infinity) throw new ValueError('t', t, 'a time whose sigma(t) is finite (exp(beta_d t^2/2 + beta_min t) overflows)');
  return sigma;
}

/** d sigma/dt of the VP schedule: (beta_min + beta_d t)(sigma + 1/sigma)/2 (EDM Table 1). */
export function vpSigmaDeriv(t: number, params: VpParams = {}): number {
  const { betaD, betaMin } = vpParams(params);
  const s = vpSigma(t, params);
  return 0.5 * (betaMin + betaD * t) * (s + 1 / s);
}

/**
 * Inverse of {@link vpSigma}: t(sigma) = (sqrt(beta_min^2 + 2 beta_d ln(sigma^2 + 1)) - beta_min)/beta_d.
 * Uses log1p, accurate for small sigma.
 */
export function vpSigmaInv(sigma: number, params: VpParams = {}): number {
  const { betaD, betaMin } = vpParams(params);
  if (!(sigma >= 0 && Number.isFinite(sigma))) throw new ValueError('sigma', sigma, 'a finite noise level >= 0');
  // ln(sigma^2 + 1) = 2 ln sigma to double precision once sigma^2 would overflow.
  const l = 2 * betaD * (sigma > 1e150 ? 2 * Math.log(sigma) : Math.log1p(sigma * sigma));
  // (sqrt(b^2 + l) - b)/beta_d written as l/((sqrt(b^2 + l) + b) beta_d): no cancellation.
  return l / ((Math.sqrt(betaMin * betaMin + l) + betaMin) * betaD);
}

/** The VP scaling s(t) = 1/sqrt(1 + sigma(t)^2) = sqrt(alpha_t) (EDM Table 1). */
export function vpScale(t: number, params: VpParams = {}): number {
  return 1 / Math.sqrt(1 + vpSigma(t, params) ** 2);
}

/** VE (SMLD) time to noise level of EDM Table 1: sigma(t) = sqrt(t). */
export function veSigma(t: number): number {
  if (!(t >= 0 && Number.isFinite(t))) throw new ValueError('t', t, 'a finite time >= 0');
  return Math.sqrt(t);
}

/** Inverse of {@link veSigma}: t = sigma^2. */
export function veSigmaInv(sigma: number): number {
  if (!(sigma >= 0 && Number.isFinite(sigma))) throw new ValueError('sigma', sigma, 'a finite noise level >= 0');
  return sigma * sigma;
}

/** Options of {@link vpSchedule}. */
export interface VpScheduleOptions {
  /** Number of noise levels before the trailing 0; an integer >= 2. */
  steps: number;
  /** Smallest time epsilon_s (default 1e-3). */
  epsilonS?: number;
  /** Noise level at t = epsilon_s (default sigma(epsilon_s) with beta_d 19.9, beta_min 0.1). */
  sigmaMin?: number;
  /** Noise level at t = 1 (default sigma(1) with beta_d 19.9, beta_min 0.1, about 152.17). */
  sigmaMax?: number;
}

/**
 * The VP time discretization of EDM's ablation sampler (Karras et al. Table 1): t_i linear from 1
 * to epsilon_s, sigma_i = sigma(t_i) with beta_d, beta_min refitted so sigma(epsilon_s) = sigmaMin
 * and sigma(1) = sigmaMax; trailing 0. Returns N + 1 sigmas.
 */
export function vpSchedule(options: VpScheduleOptions): Float64Array {
  const { steps, epsilonS = 1e-3 } = options;
  checkSteps(steps);
  if (!(epsilonS > 0 && epsilonS < 1)) throw new ValueError('epsilonS', epsilonS, 'a number in (0, 1)');
  const sigmaMin = options.sigmaMin ?? vpSigma(epsilonS);
  const sigmaMax = options.sigmaMax ?? vpSigma(1);
  checkRange(sigmaMin, sigmaMax);
  const betaD = (2 * (Math.log1p(sigmaMin ** 2) / epsilonS - Math.log1p(sigmaMax ** 2))) / (epsilonS - 1);
  const betaMin = Math.log1p(sigmaMax ** 2) - 0.5 * betaD;
  const out = new Float64Array(steps + 1);
  for (let i = 0; i < steps; i++) {
    const t = 1 + (i / (steps - 1)) * (epsilonS - 1);
    out[i] = Math.sqrt(Math.expm1(0.5 * betaD * t * t + betaMin * t));
  }
  out[steps] = 0;
  return out;
}

/** Options of {@link veSchedule}. */
export interface VeScheduleOptions {
  /** Number of noise levels before the trailing 0; an integer >= 2. */
  steps: number;
  /** Default 0.02. */
  sigmaMin?: number;
  /** Default 100. */
  sigmaMax?: number;
}

/**
 * The VE time discretization of EDM's ablation sampler: t_i = sigmaMax^2 (sigmaMin^2/sigmaMax^2)^(i/(N-1)),
 * sigma_i = sqrt(t_i) (geometric in sigma), trailing 0. Returns N + 1 sigmas.
 */
export function veSchedule(options: VeScheduleOptions): Float64Array {
  const { steps, sigmaMin = 0.02, sigmaMax = 100 } = options;
  checkSteps(steps);
  checkRange(sigmaMin, sigmaMax);
  const out = new Float64Array(steps + 1);
  const ratio = (sigmaMin * sigmaMin) / (sigmaMax * sigmaMax);
  for (let i = 0; i < steps; i++) out[i] = Math.sqrt(sigmaMax * sigmaMax * ratio ** (i / (steps - 1)));
  out[steps] = 0;
  return out;
}

/** PFGM++ alignment r = sigma sqrt(D) (thesis Sec. 8.3). ValueError unless sigma >= 0 and D > 0 are finite. */
export function sigmaToR(sigma: number, D: number): number {
  checkNonNegative(sigma, 'sigma');
  checkPositive(D, 'D');
  return sigma * Math.sqrt(D);
}

/** PFGM++ alignment sigma = r / sqrt(D) (thesis Sec. 8.3). ValueError unless r >= 0 and D > 0 are finite. */
export function rToSigma(r: number, D: number): number {
  checkNonNegative(r, 'r');
  checkPositive(D, 'D');
  return r / Math.sqrt(D);
}
