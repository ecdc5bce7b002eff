// DDIM (thesis Alg. 17) and its PFGM++ transfer (Alg. 18) with an EDM-convention denoiser.
import { ValueError, type DType, type Denoiser, type Random, type Tensor, getBackend } from '@phys/tensor';
import type { Kernel } from '@phys/kernels';
import { SamplerRun, checkInitial, checkNumber, checkRandom, validateSigmas } from './common.js';
import type { SampleResult, SamplerOptions } from './types.js';

/** Options of {@link ddimSample}. */
export interface DdimOptions<C = unknown> extends SamplerOptions<C> {
  /** DDIM's eta (Song et al. 2021 Eq. 12): 0 (default) is the deterministic sampler of Alg. 17, 1 is DDPM-like ancestral sampling. */
  eta?: number;
  /** Noise source; required when eta > 0. */
  rng?: Random;
}

/** sigma = sqrt((1 - alpha)/alpha) for each alpha-bar (thesis Alg. 16 line 3). */
export function alphaBarToSigma(alphaBar: number): number {
  return Math.sqrt((1 - alphaBar) / alphaBar);
}

function checkAlphas(alphasBar: ArrayLike<number>): Float64Array {
  const a = Float64Array.from(alphasBar);
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    if (!(v > 0 && v <= 1)) throw new ValueError(`alphasBar[${i}]`, v, 'a value in (0, 1]');
  }
  return a;
}

/**
 * DDIM sampling (thesis Alg. 17; Song et al. 2021 Eq. 12) in the VP-scaled variable
 * x_t = sqrt(alpha_t) (y + sigma_t n), driven by an EDM-convention denoiser: the predicted noise is
 * eps = (x_t/sqrt(alpha_t) - D)/sigma_t with D = D(x_t/sqrt(alpha_t); sigma_t) and
 * sigma_t = sqrt((1 - alpha_t)/alpha_t). One step from alpha to alpha' is
 * x' = sqrt(alpha') D + sqrt(1 - alpha' - s^2) eps + s z, s = eta sqrt((1-alpha')/(1-alpha)) sqrt(1 - alpha/alpha').
 * With eta = 0 this is exactly Alg. 17's update. The loop is the same for PFGM++ (Alg. 18): only the
 * prior differs, see {@link ddimPrior}.
 *
 * @param alphasBar alpha-bar at each time t_T, ..., t_0: strictly increasing in (0, 1]; ending in 1
 *   makes the last step return D (clean samples).
 * @param x x_T in the VP scaling (`ddimPrior(kernel, shape, alphasBar[0], rng)`); not modified.
 * @returns x at the last alpha-bar (for a final alpha-bar of 1, the unscaled samples).
 */
export async function ddimSample<C = unknown>(
  denoiser: Denoiser<C>,
  x: Tensor,
  alphasBar: ArrayLike<number>,
  options: DdimOptions<C> = {},
): Promise<SampleResult> {
  checkInitial(x);
  const alphas = checkAlphas(alphasBar);
  const sigmas = validateSigmas(Array.from(alphas, alphaBarToSigma), 'alphasBar (as sigmas)');
  const eta = checkNumber(options.eta ?? 0, 'eta', 0);
  const rng = eta > 0 ? checkRandom(options.rng) : undefined;
  const backend = getBackend();
  const run = new SamplerRun(denoiser, options, x, sigmas[0]!);
  const cur = x.clone();
  const unscaled = cur.clone();
  for (let i = 0; i + 1 < alphas.length; i++) {
    const a = alphas[i]!;
    const aNext = alphas[i + 1]!;
    const sigma = sigmas[i]!;
    backend.scaleRows(cur, 1 / Math.sqrt(a), unscaled);
    const denoised = await run.denoise(unscaled, sigma);
    // Eq. 12: s^2 = eta^2 (1 - a')/(1 - a) (1 - a/a'); k = sqrt(1 - a' - s^2).
    const s2 = eta > 0 ? ((eta * eta * (1 - aNext)) / (1 - a)) * (1 - a / aNext) : 0;
    const k = Math.sqrt(Math.max(1 - aNext - s2, 0));
    // x' = sqrt(a') D + k (x/sqrt(a) - D)/sigma + s z, one fused update.
    const cx = k / (sigma * Math.sqrt(a));
    const cd = Math.sqrt(aNext) - k / sigma;
    if (s2 > 0) backend.lincomb([[cx, cur], [cd, denoised], [Math.sqrt(s2), rng!.normal(cur.shape, cur.dtype)]], cur);
    else backend.lincomb([[cx, cur], [cd, denoised]], cur);
    run.step(cur, sigmas[i + 1]!);
  }
  return run.result(cur);
}

/**
 * The prior of DDIM in the VP scaling for any kernel (thesis Alg. 18 lines 1-3):
 * x_T = sqrt(alpha_1) * kernel.prior(shape, sigma_max) with sigma_max = sqrt((1 - alpha_1)/alpha_1).
 * For the Gaussian kernel this is sqrt(1 - alpha_1) N(0, I) (Alg. 17's N(0, I) up to the tiny
 * alpha_1); for PFGM++ it is sqrt(alpha_1) R v with R ~ p_{r_max}, r_max = sigma_max sqrt(D).
 */
export function ddimPrior(kernel: Kernel, shape: readonly number[], alphaBarMax: number, rng: Random, dtype?: DType): Tensor {
  if (!(alphaBarMax > 0 && alphaBarMax < 1)) throw new ValueError('alphaBarMax', alphaBarMax, 'a value in (0, 1)');
  const x = kernel.prior(shape, alphaBarToSigma(alphaBarMax), rng, dtype);
  return getBackend().scaleRows(x, Math.sqrt(alphaBarMax), x);
}
