// Empirical posterior over a reference set: p(y_i | x) proportional to p_sigma(x | y_i), the
// self-normalised weights behind the exact denoiser of an empirical data set, the STF targets
// (thesis Eq. 3.4) and the PFGM/PFGM++ empirical fields (thesis Eq. 8.1).
import { NonFiniteError, Tensor, ValueError, getBackend, type Denoiser, type Matrix64, type SoftmaxOptions } from '@phys/tensor';
import { checkData, checkReference, checkResult, checkSameRowSize, sigmaRows, type CheckFiniteOption } from './check.js';

/**
 * The part of a perturbation kernel a posterior needs: the unnormalised log kernel as a function
 * of the squared distance `|x - y|^2` in `n` data dimensions. Every `Kernel` of `@phys/kernels`
 * qualifies (Gaussian: -sqDist/(2 sigma^2); PFGM++: -(n+D)/2 log(1 + sqDist/r^2)), and so does
 * every {@link PointSource} of this package.
 */
export interface LogKernel {
  logKernel(sqDist: number, sigma: number, n: number): number;
  /**
   * Optional row-batched `logKernel`: writes `logKernel(sqDist[start + j], sigma, n)` into
   * `out[start + j]` for `0 <= j < count`, bit for bit the same numbers, with the parts that do
   * not depend on the distance computed once (`out` may be `sqDist`). {@link logKernelMatrix}
   * uses it when present.
   */
  logKernelRow?(sqDist: Float64Array, start: number, count: number, sigma: number, n: number, out: Float64Array): void;
}

/**
 * The `[B, m]` matrix of log kernels `kernel.logKernel(sqDist[i, j], sigma_i, n)`: one
 * `kernel.logKernelRow` call per row when the kernel has it (same numbers, no per-entry
 * dispatch), else the per-entry method. Writes into `out` (default: a new array; may be
 * `sqDist.data`) and returns it as a matrix.
 *
 * @param sigma - one noise level per row of `sqDist` (not checked: callers validate)
 */
export function logKernelMatrix(kernel: LogKernel, sqDist: Matrix64, sigma: Float64Array, n: number, out = new Float64Array(sqDist.data.length)): Matrix64 {
  const { data, rows, cols } = sqDist;
  if (kernel.logKernelRow) {
    for (let i = 0; i < rows; i++) kernel.logKernelRow(data, i * cols, cols, sigma[i]!, n, out);
  } else {
    for (let i = 0; i < rows; i++) {
      const s = sigma[i]!;
      for (let k = i * cols, end = k + cols; k < end; k++) out[k] = kernel.logKernel(data[k]!, s, n);
    }
  }
  return { data: out, rows, cols };
}

/** Self-normalised posterior weights over a reference set. */
export interface PosteriorWeights {
  /** `[B, n]` float64 weights w_ij = p(y_j | x_i); each row sums to 1. */
  readonly weights: Matrix64;
  /** Per row, log sum_j exp(logKernel(|x_i - y_j|^2)) (the unnormalised log marginal). */
  readonly logNormalizer: Float64Array;
  /** `[B, n]` squared distances |x_i - y_j|^2 (float64). */
  readonly sqDist: Matrix64;
}

/**
 * Options of {@link posteriorWeights}, {@link posteriorMean} and {@link empiricalDenoiser}:
 * `checkFinite` ({@link CheckFiniteOption}) and `exp`, the precision of the softmax's exponentials
 * (`SoftmaxOptions` of @phys/tensor). `exp: 'float32'` (opt in) evaluates them in float32 SIMD
 * lanes on the WebAssembly backend, the normalisation staying in float64: every weight within a
 * relative 2^-21 (4.8e-7) of the default float64 weights (those below e^-708 of a row's largest may
 * be 0), so a posterior mean moves by at most about 2^-21 times the largest |y_j| of the references.
 */
export interface PosteriorOptions extends CheckFiniteOption, SoftmaxOptions {}

/**
 * Posterior weights w_ij = softmax_j(kernel.logKernel(|x_i - y_j|^2, sigma_i, N)) over the
 * reference set, computed in float64 log space with log-sum-exp (row max subtracted), so
 * PFGM++ kernels with N + D up to 10^7 and tiny sigma neither overflow nor underflow (weights
 * below exp(-745) relative to the largest are exactly 0). Distances, softmax and (in callers) the
 * weighted sums run on the active backend.
 *
 * @param x - query points `[B, ...]`
 * @param reference - reference set `[n, ...]` with rows of the same size; must be non-empty
 * @param kernel - any {@link LogKernel} (a `Kernel` of `@phys/kernels`, a point source)
 * @param sigma - one noise level per row of `x` (or one for all), finite and > 0
 * @param options - `checkFinite: false` skips the NaN/Infinity scan of `reference` (see {@link CheckFiniteOption});
 *   `exp: 'float32'` opts in to float32 exponentials (see {@link PosteriorOptions})
 * @throws EmptyReferenceError for an empty reference set; ShapeError, ValueError, NonFiniteError
 *   (for NaN/Infinity in `x` or `reference`, or a NaN/+Infinity log-kernel value)
 */
export function posteriorWeights(x: Tensor, reference: Tensor, kernel: LogKernel, sigma: Float64Array | number, options: PosteriorOptions = {}): PosteriorWeights {
  checkReference(reference, 'reference', options.checkFinite !== false);
  checkData(x, 'x');
  checkSameRowSize(x, reference);
  if (typeof kernel !== 'object' || (kernel as LogKernel | null) === null || typeof (kernel as Partial<LogKernel>).logKernel !== 'function') throw new ValueError('kernel', kernel, 'a LogKernel (a Kernel of @phys/kernels or a point source)');
  const sig = sigmaRows(sigma, x.rows);
  const b = getBackend();
  const sq = b.pairwiseSqDist(x, reference);
  const weights = logKernelMatrix(kernel, sq, sig, x.rowSize);
  // -Infinity is a weight of 0; NaN or +Infinity has no softmax.
  const w = weights.data;
  for (let k = 0; k < w.length; k++) {
    if (!(w[k]! < Infinity)) throw new NonFiniteError('kernel.logKernel', k, w[k]!, `row ${Math.floor(k / weights.cols)}, sigma = ${sig[Math.floor(k / weights.cols)]!}`);
  }
  const logNormalizer = b.softmaxRows(weights, { exp: options.exp });
  return { weights, logNormalizer, sqDist: sq };
}

/**
 * The empirical posterior mean E[y | x] = sum_j w_ij y_j under `kernel` at noise `sigma`: the
 * exact denoiser D(x; sigma) of the data distribution "uniform over `reference`". For the
 * Gaussian kernel this is EDM's ideal denoiser; for PFGM++ it is the minimiser of the PFGM++
 * objective (thesis Eq. 8.4), i.e. x - (r/sqrt(D)) times the normalised field. Returns the shape
 * and dtype of `x`.
 */
export function posteriorMean(x: Tensor, reference: Tensor, kernel: LogKernel, sigma: Float64Array | number, options: PosteriorOptions = {}): Tensor {
  const { weights } = posteriorWeights(x, reference, kernel, sigma, options);
  return checkResult(shapedLike(getBackend().weightedSum(weights, reference), x), 'posteriorMean result');
}

/** Options of {@link empiricalDenoiser}. */
export interface EmpiricalDenoiserOptions {
  /**
   * Largest number of float64 weights held at once: batches are processed in row chunks of
   * `floor(maxWeights / n)` rows (default 2^22, 32 MiB).
   */
  maxWeights?: number;
  /** `'float32'`: the softmax's exponentials in float32 (faster; see {@link PosteriorOptions}). Default `'float64'`. */
  exp?: SoftmaxOptions['exp'];
}

/**
 * The exact denoiser of the empirical distribution over `reference` under `kernel`, as a
 * {@link Denoiser} (EDM convention: returns D(x; sigma) = E[y | x]), so every sampler of
 * `@phys/samplers` runs on it. With the Gaussian kernel the sampler reproduces the data points;
 * with a PFGM++ kernel it follows the empirical N+D electric field (thesis Alg. 14).
 *
 * @throws EmptyReferenceError when `reference` has no rows (at construction)
 */
export function empiricalDenoiser(reference: Tensor, kernel: LogKernel, options: EmpiricalDenoiserOptions = {}): Denoiser {
  checkReference(reference);
  const maxWeights = options.maxWeights ?? 1 << 22;
  const chunk = Math.max(1, Math.floor(maxWeights / reference.rows));
  const opts: PosteriorOptions = { checkFinite: false, exp: options.exp };
  return (x, sigma) => {
    // The reference set was checked once above.
    if (x.rows <= chunk) return Promise.resolve(posteriorMean(x, reference, kernel, sigma, opts));
    const sig = sigmaRows(sigma, x.rows);
    const out = Tensor.zeros(x.shape, x.dtype);
    for (let start = 0; start < x.rows; start += chunk) {
      const end = Math.min(x.rows, start + chunk);
      const part = posteriorMean(x.sliceRows(start, end), reference, kernel, sig.subarray(start, end), opts);
      out.data.set(part.data, start * x.rowSize);
    }
    return Promise.resolve(out);
  };
}

/** `t` reshaped to the shape of `like` and converted to its dtype. */
export function shapedLike(t: Tensor, like: Tensor): Tensor {
  const same = t.dtype === like.dtype ? t : t.astype(like.dtype);
  return same.reshape(like.shape);
}
