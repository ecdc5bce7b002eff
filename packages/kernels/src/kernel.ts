import type { DType, Random, Tensor } from '@phys/tensor';

/** A perturbed training batch and the regression target of the kernel's objective. */
export interface Perturbed {
  /** The perturbed batch x ~ p_sigma(x | x0). */
  readonly x: Tensor;
  /**
   * The regression target of the denoiser objective D(x; sigma) ~ target: the clean batch x0 for
   * every kernel (EDM Alg. 11 and PFGM++ Alg. 12 of the thesis; this is what the reference code
   * trains, see golden pfgmpp.json `training_step`). The same tensor as `x0`, not a copy.
   */
  readonly target: Tensor;
  /**
   * The normalised-field target (x - x0)/sigma per row: PFGM++'s (x - y)/(r/sqrt(D)) of thesis
   * Eq. 8.4 (= sqrt(D) R v / r of Alg. 16), and for Gaussian kernels the noise eps itself
   * (the epsilon target of Alg. 15). Computed on first access.
   */
  readonly fieldTarget: Tensor;
}

/**
 * Everything a sampler or a field needs from the physics (../../ARCHITECTURE "Kernel"). All
 * noise levels are in sigma units (EDM convention); a kernel with an r parameterisation converts
 * internally (PFGM++: r = sigma*sqrt(D)). A new physics is a new Kernel, never a new sampler.
 */
export interface Kernel {
  /** Short id, e.g. `'edm'`, `'pfgmpp(D=128)'`. */
  readonly name: string;
  /** Augmented dimensions D of the PFGM++ family; `Infinity` for Gaussian kernels. */
  readonly D: number;
  /** Draws x_T from the prior at noise level `sigmaMax` for a batch of `shape` (batch-first). */
  prior(shape: readonly number[], sigmaMax: number, rng: Random, dtype?: DType): Tensor;
  /** Perturbs clean data `x0` at per-row noise levels `sigma` and returns the training target. */
  perturb(x0: Tensor, sigma: Float64Array, rng: Random): Perturbed;
  /**
   * Restart's forward step: moves `x` (at noise `sigmaFrom`) to noise level `sigmaTo` > sigmaFrom
   * by the kernel's own transition (Gaussian: x + sqrt(sigmaTo^2 - sigmaFrom^2)*eps). `sNoise`
   * scales the added noise (EDM's S_noise, default 1). Returns a new tensor.
   */
  forward(x: Tensor, sigmaFrom: number, sigmaTo: number, rng: Random, sNoise?: number): Tensor;
  /**
   * Unnormalised log kernel log p_sigma(x | y) as a function of the squared distance
   * `sqDist = |x - y|^2` in `n` data dimensions. Posterior-mean denoisers weight data points by
   * softmax of this over the reference set, so terms constant in `sqDist` may be dropped
   * (Gaussian: -sqDist/(2 sigma^2); PFGM++: -(n+D)/2 * log1p(sqDist/r^2), which is
   * -(n+D)/2 * log(sqDist + r^2) up to such a constant and tends to the Gaussian one as D -> inf).
   * Returns a number or -Infinity (weight 0), never NaN: ValueError unless sigma is finite and > 0
   * and sqDist >= 0 (`logKernelRow` is the unchecked inner-loop form).
   */
  logKernel(sqDist: number, sigma: number, n: number): number;
  /**
   * Row-batched {@link Kernel.logKernel}: writes `logKernel(sqDist[start + j], sigma, n)` into
   * `out[start + j]` for `0 <= j < count`, with the parts that do not depend on the distance
   * computed once. Results are identical (bit for bit) to the per-entry method. `out` may be
   * `sqDist` itself (in place). Optional: callers fall back to `logKernel` per entry (see
   * `logKernelMatrix` of `@phys/fields`). Not argument-checked: it sits in inner loops.
   */
  logKernelRow?(sqDist: Float64Array, start: number, count: number, sigma: number, n: number, out: Float64Array): void;
  /** Normalised log density log p_sigma(x | y) per row of `x` and `y` (same shape). */
  logDensity(x: Tensor, y: Tensor, sigma: number): Float64Array;
  /** Score grad_x log p_sigma(x | y) per row (same shape as x). */
  score(x: Tensor, y: Tensor, sigma: number): Tensor;
}
