// Stable Target Field (thesis Ch. 3): self-normalised importance-weighted targets over a large
// reference batch (Eq. 3.4/3.5, Alg. 1), and the trace-of-covariance diagnostics V_DSM(t) and
// V_STF(t) (Eq. 3.3, Sec. 3.4.2) and the posterior-vs-uniform TVD (thesis Fig. 8.3).
import type { Kernel } from '@phys/kernels';
import { ShapeError, Tensor, ValueError, formatShape, getBackend, type Random } from '@phys/tensor';
import { checkData, checkInteger, checkNonNegative, checkPositive, checkReference, checkResult, checkSameRowSize, sigmaRows } from './check.js';
import { fieldCoefficients } from './electric.js';
import { posteriorMean, posteriorWeights, shapedLike, type LogKernel } from './posterior.js';

/**
 * The reference batch of STF training (REFERENCE-NOTES "STF"): the small batch's clean points
 * first (row i is the clean point of perturbed sample i), then the extra reference points.
 * Returns a new float64 tensor unless both inputs are float32.
 */
export function stfReferenceBatch(clean: Tensor, extra?: Tensor): Tensor {
  checkData(clean, 'clean');
  if (!extra || extra.rows === 0) return clean.clone();
  checkSameRowSize(clean, extra, 'clean', 'extra');
  const dtype = clean.dtype === 'float32' && extra.dtype === 'float32' ? 'float32' : 'float64';
  const out = Tensor.zeros([clean.rows + extra.rows, ...clean.shape.slice(1)], dtype);
  out.data.set(clean.data, 0);
  out.data.set(extra.data, clean.size);
  return out;
}

/**
 * STF targets (thesis Eq. 3.4, Alg. 1): for each perturbed sample x_i at noise sigma_i, the
 * self-normalised importance-weighted average over the reference batch,
 * sum_k softmax_k(log p_sigma_i(x_i | y_k)) y_k, in the denoiser (x0) parameterisation the EDM
 * and PFGM++ reference code trains on; the score-form target of Eq. 3.4 is (target - x_i)/sigma_i^2
 * for the Gaussian kernel. Works for every kernel: Gaussian weights softmax(-|x - y|^2/(2 sigma^2))
 * (Newbeeer/stf, max-subtracted, no epsilon) and PFGM++ weights proportional to
 * (|x - y|^2 + r^2)^(-(N+D)/2) (exact by default; `{ epsilon: 1e-7 }` gives the reference code's
 * guarded variant, see {@link StfOptions}). With n = 1 STF reduces to DSM.
 *
 * @param x - perturbed batch `[B, ...]`
 * @param sigma - noise level per row (> 0)
 * @param reference - the reference batch; the sample's own clean point must be in it, by the
 *   reference code's convention as row i (see {@link stfReferenceBatch})
 * @param kernel - the perturbation kernel (any `Kernel` of `@phys/kernels`)
 */
export function stfTargets(x: Tensor, sigma: Float64Array | number, reference: Tensor, kernel: LogKernel & { readonly D?: number }, options: StfOptions = {}): Tensor {
  checkReference(reference, 'reference', options.checkFinite !== false);
  checkData(x, 'x');
  if (reference.rows < x.rows) {
    throw new ShapeError('reference', `at least ${x.rows} rows (the batch's own clean points first)`, formatShape(reference.shape));
  }
  const eps = options.epsilon ?? 0;
  checkNonNegative(eps, 'epsilon');
  if (eps === 0) return posteriorMean(x, reference, kernel, sigma, { checkFinite: false });
  const D = kernel.D;
  if (D === undefined || !Number.isFinite(D)) throw new ValueError('kernel', kernel.D, 'a PFGM++ kernel (finite D) for the guarded STF variant (epsilon > 0)');
  checkData(x, 'x');
  checkSameRowSize(x, reference);
  const r = sigmaRows(sigma, x.rows).map((s) => s * Math.sqrt(D));
  const w = fieldCoefficients(x, r, reference, D, eps);
  return checkResult(shapedLike(getBackend().weightedSum(w, reference), x), 'stfTargets result');
}

/** Options of {@link stfTargets}. */
export interface StfOptions {
  /**
   * PFGM++ only: the reference code's STF variant (REFERENCE-NOTES "PFGM++"), weights
   * (min_j d_j/(d_i + epsilon))^(N+D) normalised by (sum + epsilon), d_i = sqrt(|x - y_i|^2 + r^2);
   * `1e-7` reproduces Newbeeer/pfgmpp. Default 0: the exact self-normalised weights.
   */
  epsilon?: number;
  /** Scan `reference` for NaN/Infinity (default true; see `CheckFiniteOption`). */
  checkFinite?: boolean;
}

/** A Monte-Carlo estimate and its standard error. */
export interface Estimate {
  readonly mean: number;
  readonly standardError: number;
  /** Number of independent outer samples averaged. */
  readonly samples: number;
}

/** Options shared by the diagnostics. */
export interface DiagnosticOptions {
  /** The data set: p_0 is uniform over its rows (e.g. 1k draws of a mixture, or 4096 images). */
  data: Tensor;
  /** Perturbation kernel (Gaussian / VE / EDM or PFGM++). Its `perturb` draws x~ ~ p_sigma(. | x). */
  kernel: Kernel;
  /** Noise level sigma (> 0). */
  sigma: number;
  /** Number of perturbed samples x~ ~ p_sigma (outer Monte-Carlo samples). */
  samples: number;
  /** Randomness (explicit, e.g. `new PhiloxRng(seed)`). */
  rng: Random;
}

/** Draws `count` data indices uniformly and perturbs those rows: x~ ~ p_sigma = p_0 * kernel. */
function perturbedSamples(data: Tensor, kernel: Kernel, sigma: number, count: number, rng: Random): { x: Tensor; index: Int32Array } {
  const u = rng.uniform([count, 1], 'float64').data;
  const index = Int32Array.from(u, (v) => Math.min(data.rows - 1, Math.floor(v * data.rows)));
  const x0 = gatherRows(data, index);
  return { x: kernel.perturb(x0, new Float64Array(count).fill(sigma), rng).x, index };
}

function gatherRows(t: Tensor, index: ArrayLike<number>): Tensor {
  const rs = t.rowSize;
  const out = Tensor.zeros([index.length, ...t.shape.slice(1)], 'float64');
  for (let i = 0; i < index.length; i++) out.data.set(t.data.subarray(index[i]! * rs, (index[i]! + 1) * rs), i * rs);
  return out;
}

function checkDiagnostic(o: DiagnosticOptions): Tensor {
  checkReference(o.data, 'data');
  checkData(o.data, 'data');
  checkPositive(o.sigma, 'sigma');
  checkInteger(o.samples, 'samples', 2);
  return o.data.dtype === 'float64' ? o.data : o.data.astype('float64');
}

function summarize(values: Float64Array): Estimate {
  const n = values.length;
  let m = 0;
  for (const v of values) m += v / n;
  let s2 = 0;
  for (const v of values) s2 += (v - m) ** 2 / (n - 1);
  return { mean: m, standardError: Math.sqrt(s2 / n), samples: n };
}

/**
 * d/ds of `kernel.logKernel(s, sigma, n)` by a five-point central difference (one-sided at s near
 * 0). A kernel's log density depends on x only through s = |x - y|^2, so its score is
 * grad_x log p_sigma(x | y) = 2 (d logKernel/ds) (x - y): the kernel's own math, differentiated.
 * Relative accuracy about 1e-10 for the Gaussian and PFGM++ kernels.
 */
export function logKernelSlope(kernel: LogKernel, s: number, sigma: number, n: number): number {
  const g = (v: number): number => kernel.logKernel(v, sigma, n);
  let h = 1e-4 * (s + sigma * sigma);
  if (s - 2 * h >= 0) return (g(s - 2 * h) - 8 * g(s - h) + 8 * g(s + h) - g(s + 2 * h)) / (12 * h);
  h = Math.min(h, 1e-3 * sigma * sigma);
  // Second-order one-sided difference from s.
  return (-3 * g(s) + 4 * g(s + h) - g(s + 2 * h)) / (2 * h);
}

/**
 * Weighted mean and trace of covariance of the kernel's score targets
 * t_k = grad_x log p_sigma(x | y_k) = c_k (y_k - x), c_k = -2 dlogK/ds(s_k), over the rows of
 * `ys` with weights `w` (summing to 1), two-pass: sum_k w_k |t_k - mean|^2.
 */
function scoreMoments(kernel: LogKernel, x: Float64Array, ys: Tensor, sq: Float64Array, w: Float64Array, sigma: number): { mean: Float64Array; trace: number } {
  const N = ys.rowSize;
  const y = ys.data;
  const mean = new Float64Array(N);
  const c = new Float64Array(ys.rows);
  for (let k = 0; k < ys.rows; k++) {
    const wk = w[k]!;
    if (wk === 0) continue;
    c[k] = -2 * logKernelSlope(kernel, sq[k]!, sigma, N);
    const f = wk * c[k]!;
    for (let q = 0; q < N; q++) mean[q]! += f * (y[k * N + q]! - x[q]!);
  }
  let trace = 0;
  for (let k = 0; k < ys.rows; k++) {
    const wk = w[k]!;
    if (wk === 0) continue;
    let d2 = 0;
    for (let q = 0; q < N; q++) d2 += (c[k]! * (y[k * N + q]! - x[q]!) - mean[q]!) ** 2;
    trace += wk * d2;
  }
  return { mean, trace };
}

/**
 * V_DSM(sigma) of thesis Eq. 3.3: the average over x~ ~ p_sigma of the trace of the posterior
 * covariance of the denoising-score-matching target grad_x~ log p_sigma(x~ | x), x ~ p_0|sigma(. | x~),
 * with p_0 uniform over `data` (the posterior is then exact: softmax of the log kernel over
 * the data set). For the Gaussian kernel this is E[Tr Cov[x | x~]]/sigma^4.
 */
export function vDsm(options: DiagnosticOptions): Estimate {
  const data = checkDiagnostic(options);
  const { kernel, sigma, samples, rng } = options;
  const { x } = perturbedSamples(data, kernel, sigma, samples, rng);
  const { weights, sqDist } = posteriorWeights(x, data, kernel, sigma);
  const M = data.rows;
  const vals = new Float64Array(samples);
  for (let i = 0; i < samples; i++) {
    const w = weights.data.subarray(i * M, (i + 1) * M);
    vals[i] = scoreMoments(kernel, x.row(i) as Float64Array, data, sqDist.data.subarray(i * M, (i + 1) * M), w, sigma).trace;
  }
  return summarize(vals);
}

/** Options of {@link vStf}. */
export interface VStfOptions extends DiagnosticOptions {
  /** Reference batch size n (>= 1; n = 1 is DSM). */
  n: number;
  /** Reference batches drawn per perturbed sample to estimate the covariance (>= 2, default 32). */
  batches?: number;
}

/**
 * V_STF(sigma) of thesis Sec. 3.4.2: the average over x~ ~ p_sigma of the trace of the covariance
 * of the STF target sum_k softmax_k(log p(x~ | x_k)) grad log p(x~ | x_k) over reference batches
 * {x_1 ~ p_0|sigma(. | x~), x_2..x_n ~ p_0} (Eq. 3.6's sampling order), p_0 uniform over `data`.
 * Each perturbed sample's covariance is estimated from `batches` independent reference batches
 * (unbiased sample covariance). Theorem 2: V_STF <~ V_DSM/(n - 1) where p_0|sigma is close to p_0.
 */
export function vStf(options: VStfOptions): Estimate {
  const data = checkDiagnostic(options);
  const { kernel, sigma, samples, rng, n } = options;
  const batches = options.batches ?? 32;
  checkInteger(n, 'n', 1);
  checkInteger(batches, 'batches', 2);
  const { x } = perturbedSamples(data, kernel, sigma, samples, rng);
  const post = posteriorWeights(x, data, kernel, sigma).weights;
  const M = data.rows;
  const N = data.rowSize;
  const vals = new Float64Array(samples);
  const targets = new Float64Array(batches * N);
  const cum = new Float64Array(M);
  for (let i = 0; i < samples; i++) {
    const xi = x.sliceRows(i, i + 1);
    let acc = 0;
    for (let j = 0; j < M; j++) cum[j] = acc += post.data[i * M + j]!;
    const u = rng.uniform([batches, n], 'float64').data;
    for (let r = 0; r < batches; r++) {
      const index = new Int32Array(n);
      // x_1 from the exact posterior (inverse CDF), x_2..x_n uniform over the data (with replacement).
      index[0] = lowerBound(cum, u[r * n]! * acc);
      for (let k = 1; k < n; k++) index[k] = Math.min(M - 1, Math.floor(u[r * n + k]! * M));
      const ys = gatherRows(data, index);
      const pw = posteriorWeights(xi, ys, kernel, sigma);
      targets.set(scoreMoments(kernel, xi.data as Float64Array, ys, pw.sqDist.data, pw.weights.data, sigma).mean, r * N);
    }
    let tr = 0;
    for (let q = 0; q < N; q++) {
      let m = 0;
      for (let r = 0; r < batches; r++) m += targets[r * N + q]! / batches;
      for (let r = 0; r < batches; r++) tr += (targets[r * N + q]! - m) ** 2 / (batches - 1);
    }
    vals[i] = tr;
  }
  return summarize(vals);
}

function lowerBound(cum: Float64Array, v: number): number {
  let lo = 0;
  let hi = cum.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cum[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The phase indicator of thesis Fig. 8.3 (from [23]): the mean total variation distance
 * E_{x~ ~ p_sigma} TVD(U || p_0|sigma(. | x~)) = E 1/2 sum_j |p(y_j | x~) - 1/M| between the
 * posterior over the M data points and the uniform distribution. 0 in the far field, -> 1 - 1/M
 * in the near field. Use a PFGM++ kernel to compare D's before/after the r = sigma sqrt(D)
 * alignment.
 */
export function posteriorTvd(options: DiagnosticOptions): Estimate {
  const data = checkDiagnostic(options);
  const { kernel, sigma, samples, rng } = options;
  const { x } = perturbedSamples(data, kernel, sigma, samples, rng);
  const { weights } = posteriorWeights(x, data, kernel, sigma);
  const M = data.rows;
  const vals = new Float64Array(samples);
  for (let i = 0; i < samples; i++) {
    let s = 0;
    for (let j = 0; j < M; j++) s += Math.abs(weights.data[i * M + j]! - 1 / M);
    vals[i] = s / 2;
  }
  return summarize(vals);
}
