// Training-noise distributions p(sigma) and their PFGM++ transfer p(r), and one training batch
// (sigma draw, perturbation, target, loss weight) for any Kernel.
import { ValueError, type Random, type Tensor } from '@phys/tensor';
import type { Kernel } from './kernel.js';
import { edmLossWeight } from './precond.js';
import { checkD } from './pfgmpp.js';
import { vpSigma, type VpParams } from './schedule.js';
import { checkPositive } from './validate.js';

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** A distribution of training noise levels sigma, with its PFGM++ transfer to r = sigma sqrt(D). */
export interface SigmaDistribution {
  /** One sigma per row. Draws its randomness from `rng` (one call). */
  sample(rows: number, rng: Random): Float64Array;
  /** ln p(sigma) (`-Infinity` outside the support). */
  logPdf(sigma: number): number;
  /** p(sigma). */
  pdf(sigma: number): number;
  /** ln p(r) for PFGM++ with D dims: p(r) = p(sigma = r/sqrt(D))/sqrt(D) (thesis Sec. B.6.2). */
  logPdfR(r: number, D: number): number;
  /** One r = sigma sqrt(D) per row. */
  sampleR(rows: number, D: number, rng: Random): Float64Array;
}

abstract class BaseSigmaDistribution implements SigmaDistribution {
  abstract sample(rows: number, rng: Random): Float64Array;
  abstract logPdf(sigma: number): number;
  pdf(sigma: number): number {
    return Math.exp(this.logPdf(sigma));
  }
  logPdfR(r: number, D: number): number {
    checkD(D);
    if (D === Infinity) throw new ValueError('D', D, 'a finite D (r = sigma sqrt(D) is infinite for D = Infinity)');
    const s = Math.sqrt(D);
    return this.logPdf(r / s) - Math.log(s);
  }
  sampleR(rows: number, D: number, rng: Random): Float64Array {
    checkD(D);
    if (D === Infinity) throw new ValueError('D', D, 'a finite D');
    const out = this.sample(rows, rng);
    const s = Math.sqrt(D);
    for (let i = 0; i < rows; i++) out[i]! *= s;
    return out;
  }
}

/** Options of {@link logNormalSigma}. */
export interface LogNormalSigmaOptions {
  /** Mean of ln sigma (EDM P_mean, default -1.2). */
  pMean?: number;
  /** Standard deviation of ln sigma (EDM P_std, default 1.2). */
  pStd?: number;
}

/** EDM's log-normal p(sigma): ln sigma ~ N(P_mean, P_std^2). */
export class LogNormalSigma extends BaseSigmaDistribution {
  readonly pMean: number;
  readonly pStd: number;
  constructor(options: LogNormalSigmaOptions = {}) {
    super();
    const { pMean = -1.2, pStd = 1.2 } = options;
    if (!Number.isFinite(pMean)) throw new ValueError('pMean', pMean, 'a finite number');
    checkPositive(pStd, 'pStd');
    this.pMean = pMean;
    this.pStd = pStd;
  }
  /** sigma = exp(P_mean + P_std eps), eps from one `rng.normal([rows])` call (EDM's training loss). */
  sample(rows: number, rng: Random): Float64Array {
    return this.fromNormal(rng.normal([rows], 'float64').data);
  }
  /** sigma_i = exp(P_mean + P_std eps_i) for given standard normal draws. */
  fromNormal(eps: ArrayLike<number>): Float64Array {
    return Float64Array.from(eps, (e) => Math.exp(this.pMean + this.pStd * e));
  }
  logPdf(sigma: number): number {
    if (!(sigma > 0)) return -Infinity;
    const z = (Math.log(sigma) - this.pMean) / this.pStd;
    return -0.5 * z * z - LOG_SQRT_2PI - Math.log(this.pStd) - Math.log(sigma);
  }
}

/** EDM's training distribution ln sigma ~ N(-1.2, 1.2^2) (thesis Sec. B.6.2); pass other P_mean/P_std in `options`. */
export function logNormalSigma(options: LogNormalSigmaOptions = {}): LogNormalSigma {
  return new LogNormalSigma(options);
}

/** VE training distribution: sigma = sigma_min (sigma_max/sigma_min)^u, u ~ U(0, 1) (log-uniform; EDM's VELoss). */
export class LogUniformSigma extends BaseSigmaDistribution {
  constructor(
    readonly sigmaMin = 0.02,
    readonly sigmaMax = 100,
  ) {
    super();
    checkPositive(sigmaMin, 'sigmaMin');
    checkPositive(sigmaMax, 'sigmaMax');
    if (!(sigmaMax > sigmaMin)) throw new ValueError('sigmaMax', sigmaMax, `a value > sigmaMin = ${sigmaMin}`);
  }
  sample(rows: number, rng: Random): Float64Array {
    const u = rng.uniform([rows], 'float64').data;
    return Float64Array.from(u, (v) => this.sigmaMin * (this.sigmaMax / this.sigmaMin) ** v);
  }
  logPdf(sigma: number): number {
    if (!(sigma >= this.sigmaMin && sigma <= this.sigmaMax)) return -Infinity;
    return -Math.log(sigma) - Math.log(Math.log(this.sigmaMax / this.sigmaMin));
  }
}

/** Options of {@link VpTrainingSigma}. */
export interface VpTrainingSigmaOptions extends VpParams {
  /** Smallest training time epsilon_t (default 1e-5). */
  epsilonT?: number;
}

/**
 * VP training distribution (EDM's VPLoss; thesis Alg. 15/16 in continuous time): t ~ U(epsilon_t, 1),
 * sigma = sigma_VP(t).
 */
export class VpTrainingSigma extends BaseSigmaDistribution {
  readonly epsilonT: number;
  readonly params: VpParams;
  constructor(options: VpTrainingSigmaOptions = {}) {
    super();
    const { epsilonT = 1e-5, ...params } = options;
    if (!(epsilonT > 0 && epsilonT < 1)) throw new ValueError('epsilonT', epsilonT, 'a number in (0, 1)');
    this.epsilonT = epsilonT;
    this.params = params;
    vpSigma(1, params); // validates beta_d, beta_min
  }
  /** t = 1 + u (epsilon_t - 1), u ~ U(0, 1) (EDM's VPLoss), sigma = sigma_VP(t). */
  sample(rows: number, rng: Random): Float64Array {
    const u = rng.uniform([rows], 'float64').data;
    return Float64Array.from(u, (v) => vpSigma(1 + v * (this.epsilonT - 1), this.params));
  }
  logPdf(sigma: number): number {
    const { betaD = 19.9, betaMin = 0.1 } = this.params;
    if (!(sigma > 0)) return -Infinity;
    // t(sigma) and |dt/dsigma| = 2 sigma/((1 + sigma^2)(beta_min + beta_d t)).
    const l = 2 * betaD * Math.log1p(sigma * sigma);
    const t = l / ((Math.sqrt(betaMin * betaMin + l) + betaMin) * betaD);
    if (t < this.epsilonT || t > 1) return -Infinity;
    return Math.log((2 * sigma) / ((1 + sigma * sigma) * (betaMin + betaD * t))) - Math.log(1 - this.epsilonT);
  }
}

/** One training batch of the denoiser objective. */
export interface TrainingBatch {
  /** Noise level per row (the network's conditioning input; PFGM++ nets see sigma, not r). */
  readonly sigma: Float64Array;
  /** The perturbed batch (network input). */
  readonly x: Tensor;
  /** Regression target of D(x; sigma): x0. */
  readonly target: Tensor;
  /** Loss weight lambda(sigma) per row. */
  readonly weight: Float64Array;
}

/** Options of {@link trainingBatch}. */
export interface TrainingBatchOptions {
  /** p(sigma); default EDM's log-normal ({@link logNormalSigma}). */
  distribution?: SigmaDistribution;
  /** lambda(sigma); default EDM's with sigma_data 0.5 ({@link edmLossWeight}). */
  lossWeight?: (sigma: number) => number;
}

/**
 * Draws one training batch: sigma ~ p(sigma), x ~ p_sigma(x | x0) by the kernel, weight
 * lambda(sigma). The loss is `weight_i * |D(x_i; sigma_i) - target_i|^2` (EDM Alg. 11, PFGM++
 * Alg. 12: the same loop, only the kernel differs). Draw order as the reference training losses:
 * sigma first, then the kernel's draws.
 */
export function trainingBatch(kernel: Kernel, x0: Tensor, rng: Random, options: TrainingBatchOptions = {}): TrainingBatch {
  const distribution = options.distribution ?? logNormalSigma();
  const lossWeight = options.lossWeight ?? ((s: number) => edmLossWeight(s));
  const sigma = distribution.sample(x0.rows, rng);
  const p = kernel.perturb(x0, sigma, rng);
  return { sigma, x: p.x, target: p.target, weight: sigma.map(lossWeight) };
}
