// Empirical electric fields of PFGM (N+1 dims, seed 001 Alg. 1) and PFGM++ (N+D dims, thesis
// Eq. 8.1 after the SO(D) symmetry reduction), over a reference set of charges at (y_i, 0).
import { logGamma, pfgmppKernel } from '@phys/kernels';
import { Tensor, ValueError, getBackend, type Matrix64 } from '@phys/tensor';
import { checkData, checkNonNegative, checkPositive, checkReference, checkResult, checkSameRowSize, sigmaRows, type CheckFiniteOption } from './check.js';
import { posteriorWeights } from './posterior.js';

/**
 * An electric field in N+D dimensions after the symmetry reduction, stored as a direction part
 * and a log scale so that N + D up to 10^7 neither overflows nor underflows:
 * E_x = exp(logScale) * x, E_r = exp(logScale) * r.
 */
export interface ReducedField {
  /** x-components up to exp(logScale): sum_i c_i (x - y_i) with c = softmax_i(-(N+D)/2 log d_i^2); float64, shape of the query. */
  readonly x: Tensor;
  /** The scalar r-component up to exp(logScale) (it equals r, because sum_i c_i = 1). */
  readonly r: Float64Array;
  /** log of the common positive factor: log(sum_i d_i^-(N+D)) - log n - log S_{N+D-1}(1). */
  readonly logScale: Float64Array;
}

/** log S_{m-1}(1) = log(2 pi^(m/2) / Gamma(m/2)), the surface area of the unit sphere in R^m. */
export function logUnitSphereArea(m: number): number {
  checkPositive(m, 'm');
  return Math.log(2) + (m / 2) * Math.log(Math.PI) - logGamma(m / 2);
}

/**
 * The PFGM++ electric field (thesis Eq. 8.1) of the empirical distribution uniform over
 * `reference`, at augmented points (x, r): E(x~) = 1/(n S_{N+D-1}(1)) sum_i (x~ - y~_i)/|x~ - y~_i|^(N+D),
 * with the D extra components condensed into the scalar E_r = 1/(n S) sum_i r/|x~ - y~_i|^(N+D)
 * (Sec. 8.2.1). Weights come from the PFGM++ kernel of `@phys/kernels` in log space.
 *
 * @param x - query points `[B, ...]` (N values per row)
 * @param r - the norm of the augmented variables per row (> 0), or one for all
 * @param reference - charges `[n, ...]`, non-empty
 * @param D - augmented dimensions, a finite real > 0
 * @param options - `checkFinite: false` skips the NaN/Infinity scan of `reference`
 */
export function pfgmppField(x: Tensor, r: Float64Array | number, reference: Tensor, D: number, options: CheckFiniteOption = {}): ReducedField {
  checkPositive(D, 'D');
  checkData(x, 'x');
  const rr = sigmaRows(r, x.rows, 'r');
  const sqrtD = Math.sqrt(D);
  const sigma = rr.map((v) => v / sqrtD);
  const kernel = pfgmppKernel({ D });
  const { weights, logNormalizer } = posteriorWeights(x, reference, kernel, sigma, options);
  const b = getBackend();
  const mean = b.weightedSum(weights, reference.dtype === 'float64' ? reference : reference.astype('float64'));
  const x64 = x.dtype === 'float64' ? x : x.astype('float64');
  const fx = b.axpby(1, x64.reshape(mean.shape), -1, mean).reshape(x.shape);
  const N = x.rowSize;
  const M = N + D;
  const logS = logUnitSphereArea(M);
  const logN = Math.log(reference.rows);
  // The kernel's normaliser is LSE_i(-(M/2) log(1 + s_i/r^2)) = LSE_i(-(M/2) log d_i^2) + M log r.
  const logScale = logNormalizer.map((l, i) => l - M * Math.log(rr[i]!) - logN - logS);
  return { x: checkResult(fx, 'pfgmppField result x'), r: Float64Array.from(rr), logScale: checkResult(logScale, 'pfgmppField result logScale') };
}

/**
 * Thm. 8's scaled PFGM++ field -sqrt(D) E_x / E_r = (E[y | x] - x)/sigma with sigma = r/sqrt(D),
 * which tends to sigma * grad log p_sigma(x) of the Gaussian kernel as D -> infinity.
 * Shape and dtype of `x` (float64 arithmetic).
 */
export function scaledPfgmppField(x: Tensor, sigma: Float64Array | number, reference: Tensor, D: number): Tensor {
  const sig = sigmaRows(sigma, x.rows);
  const field = pfgmppField(x, sig.map((s) => s * Math.sqrt(D)), reference, D);
  // -sqrt(D) E_x/E_r = -sqrt(D) fx / r = -fx / sigma.
  const out = getBackend().scaleRows(field.x, sig.map((s) => -1 / s));
  return x.dtype === 'float64' ? out : out.astype(x.dtype);
}

/** Options of the normalised field targets. */
export interface NormalizedFieldOptions {
  /** The small constant in the denominator E/(|E| + gamma) (default 5, as the reference code). */
  gamma?: number;
  /**
   * The reference code's guards: weights (min_j d_j/(d_i + epsilon))^M normalised by
   * (sum + epsilon) (default 1e-7, Newbeeer/Poisson_flow and Newbeeer/pfgmpp). 0 gives the exact
   * softmax weights (the c(x) multiplier of seed 001 Alg. 1 without guards). With N + D of order
   * 10^6 or more the guard visibly shrinks the weights: pass 0 there.
   */
  epsilon?: number;
  /** Scan `reference` for NaN/Infinity (default true; see `CheckFiniteOption`). */
  checkFinite?: boolean;
}

/**
 * Weights c_i over the reference set for augmented squared distances d_i^2 = |x - y_i|^2 + a^2
 * and exponent M: the reference code's (min d/(d_i + eps))^M / (sum + eps), or, for eps = 0, the
 * exact softmax_i(-(M/2) log d_i^2) through the PFGM++ kernel with D = M - N.
 */
export function fieldCoefficients(x: Tensor, aug: Float64Array, reference: Tensor, D: number, eps: number): Matrix64 {
  const N = x.rowSize;
  if (eps === 0) {
    const sqrtD = Math.sqrt(D);
    return posteriorWeights(x, reference, pfgmppKernel({ D }), aug.map((a) => a / sqrtD)).weights;
  }
  const sq = getBackend().pairwiseSqDist(x, reference);
  const { rows, cols } = sq;
  const M = N + D;
  const c = new Float64Array(rows * cols);
  const d = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    const a2 = aug[i]! * aug[i]!;
    let dmin = Infinity;
    for (let j = 0; j < cols; j++) {
      d[j] = Math.sqrt(sq.data[o + j]! + a2);
      if (d[j]! < dmin) dmin = d[j]!;
    }
    let sum = 0;
    for (let j = 0; j < cols; j++) {
      const w = Math.pow(dmin / (d[j]! + eps), M);
      c[o + j] = w;
      sum += w;
    }
    const inv = 1 / (sum + eps);
    for (let j = 0; j < cols; j++) c[o + j]! *= inv;
  }
  return { data: c, rows, cols };
}

/**
 * E~ = sum_i c_i (y~_i - x~) in N+1 components (x part, then the augmented scalar), then
 * E~ * scale/(|E~| + gamma), and the last component divided by `lastDivisor`.
 */
function normalizedField(x: Tensor, aug: Float64Array, reference: Tensor, D: number, opts: NormalizedFieldOptions, scale: number, lastDivisor: number): Tensor {
  const gamma = opts.gamma ?? 5;
  const eps = opts.epsilon ?? 1e-7;
  checkNonNegative(gamma, 'gamma');
  checkNonNegative(eps, 'epsilon');
  const c = fieldCoefficients(x, aug, reference, D, eps);
  const b = getBackend();
  const ref64 = reference.dtype === 'float64' ? reference : reference.astype('float64');
  const cy = b.weightedSum(c, ref64).data;
  const N = x.rowSize;
  const B = x.rows;
  const out = new Float64Array(B * (N + 1));
  for (let i = 0; i < B; i++) {
    let csum = 0;
    for (let j = 0; j < c.cols; j++) csum += c.data[i * c.cols + j]!;
    const o = i * (N + 1);
    let norm2 = 0;
    for (let q = 0; q < N; q++) {
      const e = cy[i * N + q]! - csum * x.data[i * N + q]!;
      out[o + q] = e;
      norm2 += e * e;
    }
    const er = -csum * aug[i]!;
    out[o + N] = er;
    norm2 += er * er;
    const f = scale / (Math.sqrt(norm2) + gamma);
    for (let q = 0; q <= N; q++) out[o + q]! *= f;
    out[o + N]! /= lastDivisor;
  }
  return new Tensor(x.dtype === 'float64' ? out : Float32Array.from(out), [B, N + 1]);
}

/**
 * The normalised Poisson field target of PFGM (seed 001 Alg. 1; REFERENCE-NOTES "PFGM"), for
 * perturbed augmented points (x, z) against the large reference batch B_L:
 * E = sum_i c_i (y~_i - x~) with y~_i = (y_i, 0), x~ = (x, z) and c(x) the normalised
 * multiplier; target = sqrt(N) E/(|E| + gamma) over all N+1 components (sqrt(N), as the code).
 *
 * @param x - perturbed data parts `[B, ...]` (N values per row)
 * @param z - the augmented coordinate per row (> 0)
 * @param reference - B_L `[n, ...]`; the small batch is its first rows in the reference training
 * @returns `[B, N+1]` targets (x components, then z), dtype of `x`
 */
export function pfgmFieldTarget(x: Tensor, z: Float64Array | number, reference: Tensor, options: NormalizedFieldOptions = {}): Tensor {
  checkReference(reference, 'reference', options.checkFinite !== false);
  checkData(x, 'x');
  checkSameRowSize(x, reference);
  const zz = sigmaRows(z, x.rows, 'z');
  return checkResult(normalizedField(x, zz, reference, 1, options, Math.sqrt(x.rowSize), 1), 'pfgmFieldTarget result');
}

/**
 * The N+D normalised PFGM++ field with the scalar r as last coordinate (the reference code's
 * unused `pfgm_target`): E = sum_i c_i (y~_i - x~), E/(|E| + gamma) * sqrt(N+D), last component
 * divided by sqrt(D). `[B, N+1]`, dtype of `x`.
 */
export function pfgmppNormalizedField(
  x: Tensor,
  r: Float64Array | number,
  reference: Tensor,
  D: number,
  options: NormalizedFieldOptions = {},
): Tensor {
  checkReference(reference, 'reference', options.checkFinite !== false);
  checkData(x, 'x');
  checkSameRowSize(x, reference);
  checkPositive(D, 'D');
  if (!Number.isFinite(D)) throw new ValueError('D', D, 'a finite D (the field lives in N+D dimensions)');
  const rr = sigmaRows(r, x.rows, 'r');
  return checkResult(normalizedField(x, rr, reference, D, options, Math.sqrt(x.rowSize + D), Math.sqrt(D)), 'pfgmppNormalizedField result');
}

/** The output of a PFGM normalised-field model at (x, z): the x part and one z part per row. */
export interface NormalizedFieldValue {
  /** v_x, shape and dtype of the input `x`. */
  readonly vx: Tensor;
  /** v_z, one value per row. */
  readonly vz: Float64Array;
}

/**
 * The exact normalised Poisson field of the point set `reference` as a PFGM field model
 * `(x, z) => { vx, vz }` (the `NormalizedField` contract of `@phys/samplers`' PFGM ODE): the
 * {@link pfgmFieldTarget} of seed 001 Alg. 1, split into its x and z parts. Use it as an oracle
 * in place of a trained network.
 *
 * @throws EmptyReferenceError for an empty reference set (at construction)
 */
export function exactPfgmField(reference: Tensor, options: NormalizedFieldOptions = {}): (x: Tensor, z: Float64Array) => Promise<NormalizedFieldValue> {
  checkReference(reference);
  // The reference set is checked once here, not on every call.
  const perCall = { ...options, checkFinite: false };
  return (x, z) => {
    const t = pfgmFieldTarget(x, z, reference, perCall);
    const N = x.rowSize;
    const B = x.rows;
    const vx = Tensor.zeros(x.shape, x.dtype);
    const vz = new Float64Array(B);
    for (let i = 0; i < B; i++) {
      vx.data.set(t.data.subarray(i * (N + 1), i * (N + 1) + N), i * N);
      vz[i] = t.data[i * (N + 1) + N]!;
    }
    return Promise.resolve({ vx, vz });
  };
}
