// VE and VP kernels. In sigma units both are the Gaussian kernel x = y + sigma n (EDM Table 1);
// what differs is the time-to-sigma map and, for VP, the scaling s(t) = sqrt(alpha_t) of the
// stored state x_t = s(t) (y + sigma(t) n) (thesis Alg. 15-18).
import { ShapeError, ValueError, getBackend, type Random, type Tensor } from '@phys/tensor';
import { GaussianKernel } from './gaussian.js';
import type { Kernel } from './kernel.js';
import { veSigma, veSigmaInv, vpAlpha, vpSigma, vpSigmaDeriv, vpSigmaInv, type VpParams } from './schedule.js';
import { checkData } from './validate.js';

/** The VE (SMLD) kernel: Gaussian in sigma units with sigma(t) = sqrt(t) (EDM Table 1). */
export class VeKernel extends GaussianKernel {
  constructor() {
    super('ve');
  }
  /** sigma(t) = sqrt(t). */
  sigma(t: number): number {
    return veSigma(t);
  }
  /** t(sigma) = sigma^2. */
  sigmaInv(sigma: number): number {
    return veSigmaInv(sigma);
  }
}

/** The VE kernel ({@link VeKernel}). */
export function veKernel(): VeKernel {
  return new VeKernel();
}

/**
 * The VP (DDPM, continuous-time) kernel: Gaussian in sigma units (samplers and `perturb` work on
 * x/s(t)), plus the VP maps alpha_t = exp(-beta_d t^2/2 - beta_min t), sigma(t) = sqrt((1 - alpha_t)/alpha_t),
 * s(t) = sqrt(alpha_t) (thesis Alg. 15-18), for code that works in the scaled coordinates.
 */
export class VpKernel extends GaussianKernel {
  readonly betaD: number;
  readonly betaMin: number;
  constructor(params: VpParams = {}) {
    super('vp');
    const { betaD = 19.9, betaMin = 0.1 } = params;
    vpSigma(1, { betaD, betaMin }); // validates
    this.betaD = betaD;
    this.betaMin = betaMin;
  }
  /** alpha_t (thesis Alg. 15). */
  alpha(t: number): number {
    return vpAlpha(t, this);
  }
  /** sigma(t) = sqrt((1 - alpha_t)/alpha_t) (thesis Alg. 16 line 3). */
  sigma(t: number): number {
    return vpSigma(t, this);
  }
  /** d sigma/dt. */
  sigmaDeriv(t: number): number {
    return vpSigmaDeriv(t, this);
  }
  /** t(sigma), the inverse of {@link VpKernel.sigma}. */
  sigmaInv(sigma: number): number {
    return vpSigmaInv(sigma, this);
  }
  /** s(t) = sqrt(alpha_t) = 1/sqrt(1 + sigma(t)^2). */
  scale(t: number): number {
    return Math.sqrt(this.alpha(t));
  }
}

/** The VP kernel with beta_d (default 19.9) and beta_min (default 0.1) ({@link VpKernel}). */
export function vpKernel(params: VpParams = {}): VpKernel {
  return new VpKernel(params);
}

/** Result of {@link vpPerturb}: the scaled perturbed batch and the epsilon-style target. */
export interface VpPerturbed {
  /** sigma(t_i) per row. */
  readonly sigma: Float64Array;
  /** x_t = sqrt(alpha_t)(y + noise): Alg. 15 line 3 (Gaussian) or Alg. 16 line 7 (PFGM++). */
  readonly x: Tensor;
  /** eps (Alg. 15 line 4) or sqrt(D) R v / r (Alg. 16 line 8): the kernel's fieldTarget. */
  readonly target: Tensor;
}

/**
 * DDPM-style training perturbation at VP times `t` (thesis Alg. 15 for a Gaussian kernel, Alg. 16
 * for PFGM++ transferred from DDPM): sigma_i = sigma_VP(t_i), (x, fieldTarget) = kernel.perturb(y, sigma),
 * x_t = sqrt(alpha_{t_i}) x.
 */
export function vpPerturb(kernel: Kernel, x0: Tensor, t: Float64Array, rng: Random, params: VpParams = {}): VpPerturbed {
  checkData(x0, 'x0');
  if (t.length !== x0.rows) throw new ShapeError('t', `${x0.rows} times (one per row)`, `${t.length} values`);
  const sigma = new Float64Array(t.length);
  const scale = new Float64Array(t.length);
  for (let i = 0; i < t.length; i++) {
    const ti = t[i]!;
    if (!(ti > 0 && ti <= 1)) throw new ValueError(`t[${i}]`, ti, 'a time in (0, 1]');
    sigma[i] = vpSigma(ti, params);
    scale[i] = Math.sqrt(vpAlpha(ti, params));
  }
  const p = kernel.perturb(x0, sigma, rng);
  return { sigma, x: getBackend().scaleRows(p.x, scale, p.x), target: p.fieldTarget };
}
