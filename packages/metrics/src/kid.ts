import { PhiloxRng, ShapeError, ValueError, type Random, type Tensor } from '@phys/tensor';
import { gatherRows, gram, rows64, sqDistances, type Rows64 } from './features.js';
import { checkSeed, finiteResult, meanStd } from './util.js';

/** A positive-definite kernel on feature vectors. */
export type MmdKernel =
  | { readonly type: 'polynomial'; readonly degree?: number; readonly gamma?: number; readonly coef0?: number }
  | { readonly type: 'rbf'; readonly sigma: number };

/**
 * Which estimator of MMD^2: 'unbiased' (torch-fidelity/clean-fid/KID: within-set sums without the
 * diagonal over m(m-1), cross sum over all m^2 pairs), 'u-statistic' (cross sum also without i = j,
 * over m(m-1); needs equal sizes), 'biased' (V-statistic, every sum over all pairs).
 */
export type MmdEstimator = 'unbiased' | 'u-statistic' | 'biased';

function kernelMatrix(x: Rows64, y: Rows64, kernel: MmdKernel): Float64Array {
  if (kernel.type === 'polynomial') {
    // k(a, b) = (gamma <a, b> + coef0)^degree, gamma = 1/d by default (KID: degree 3, coef0 1).
    const degree = kernel.degree ?? 3;
    const gamma = kernel.gamma ?? 1 / x.dim;
    const coef0 = kernel.coef0 ?? 1;
    if (!(Number.isInteger(degree) && degree >= 1)) throw new ValueError('kernel.degree', degree, 'an integer >= 1');
    const g = gram(x, y);
    for (let i = 0; i < g.length; i++) g[i] = (gamma * g[i]! + coef0) ** degree;
    return g;
  }
  const s = kernel.sigma;
  if (!(Number.isFinite(s) && s > 0)) throw new ValueError('kernel.sigma', s, 'a finite bandwidth > 0');
  // k(a, b) = exp(-|a - b|^2 / (2 sigma^2)) (torch-fidelity kernel_rbf).
  const d2 = sqDistances(x, y);
  const c = -1 / (2 * s * s);
  for (let i = 0; i < d2.length; i++) d2[i] = Math.exp(c * d2[i]!);
  return d2;
}

function mmd2Rows(x: Rows64, y: Rows64, kernel: MmdKernel, estimator: MmdEstimator): number {
  const m = x.rows;
  const n = y.rows;
  const kxx = kernelMatrix(x, x, kernel);
  const kyy = kernelMatrix(y, y, kernel);
  const kxy = kernelMatrix(x, y, kernel);
  let sxx = 0;
  let dxx = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) sxx += kxx[i * m + j]!;
    dxx += kxx[i * m + i]!;
  }
  let syy = 0;
  let dyy = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) syy += kyy[i * n + j]!;
    dyy += kyy[i * n + i]!;
  }
  let sxy = 0;
  let dxy = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) sxy += kxy[i * n + j]!;
    if (i < n) dxy += kxy[i * n + i]!;
  }
  if (estimator === 'biased') return sxx / (m * m) + syy / (n * n) - (2 * sxy) / (m * n);
  const within = (sxx - dxx) / (m * (m - 1)) + (syy - dyy) / (n * (n - 1));
  if (estimator === 'unbiased') return within - (2 * sxy) / (m * n);
  if (m !== n) throw new ShapeError('y', `${m} rows (the u-statistic pairs x_i with y_i)`, `${n} rows`);
  return within - (2 * (sxy - dxy)) / (m * (m - 1));
}

/**
 * Squared maximum mean discrepancy between the samples `x` and `y` under `kernel` (default RBF
 * with sigma = 1), with the chosen estimator (default 'unbiased'). Sums are in float64.
 */
export function mmd2(x: Tensor, y: Tensor, options: { kernel?: MmdKernel; estimator?: MmdEstimator } = {}): number {
  const a = rows64(x, 'x', 2);
  const b = rows64(y, 'y', 2);
  if (a.dim !== b.dim) throw new ShapeError('y', `rows of ${a.dim} values (like x)`, `rows of ${b.dim}`);
  return finiteResult(mmd2Rows(a, b, options.kernel ?? { type: 'rbf', sigma: 1 }, options.estimator ?? 'unbiased'), 'mmd2');
}

/** Options of {@link kernelInceptionDistance}. */
export interface KidOptions {
  /** Number of random subsets (default 100, torch-fidelity's default). */
  subsets?: number;
  /** Rows per subset, drawn without replacement from each set (default 1000; must not exceed either set). */
  subsetSize?: number;
  /** Subset draws; default `new PhiloxRng(seed)`. */
  rng?: Random;
  /** Seed when `rng` is absent (default 0). */
  seed?: number;
  /** Replay explicit subsets instead of drawing: `x[s]` and `y[s]` are the row indices of subset s. */
  subsetIndices?: { readonly x: readonly (readonly number[])[]; readonly y: readonly (readonly number[])[] };
  /** Polynomial kernel parameters (default degree 3, gamma 1/d, coef0 1). */
  degree?: number;
  gamma?: number;
  coef0?: number;
}

/** Result of {@link kernelInceptionDistance} (JSON-serialisable). */
export interface KidResult {
  /** Mean over subsets of the unbiased MMD^2 (may be negative for close distributions). */
  readonly mean: number;
  /** Population standard deviation over subsets (np.std, ddof 0), as torch-fidelity reports. */
  readonly std: number;
  readonly perSubset: number[];
  readonly subsetSize: number;
  readonly subsets: number;
}

/**
 * Kernel Inception Distance (Binkowski et al. 2018) as torch-fidelity computes it: for each of
 * `subsets` random subsets of `subsetSize` rows drawn without replacement from each feature set, the
 * unbiased MMD^2 under the cubic polynomial kernel k(a, b) = (a.b/d + 1)^3; report the mean and
 * std. Subsets are drawn with a seeded Philox generator (a partial Fisher-Yates shuffle), or
 * replayed from `subsetIndices`. Name it after the feature extractor when that is not Inception-v3.
 */
export function kernelInceptionDistance(x: Tensor, y: Tensor, options: KidOptions = {}): KidResult {
  const a = rows64(x, 'x', 2);
  const b = rows64(y, 'y', 2);
  if (a.dim !== b.dim) throw new ShapeError('y', `rows of ${a.dim} values (like x)`, `rows of ${b.dim}`);
  const kernel: MmdKernel = { type: 'polynomial', degree: options.degree ?? 3, gamma: options.gamma ?? 1 / a.dim, coef0: options.coef0 ?? 1 };
  const per: number[] = [];
  let size: number;
  if (options.subsetIndices) {
    const { x: ix, y: iy } = options.subsetIndices;
    if (ix.length !== iy.length || ix.length === 0) throw new ValueError('subsetIndices', `${ix.length} x / ${iy.length} y subsets`, 'the same non-zero number of x and y subsets');
    size = ix[0]!.length;
    for (let s = 0; s < ix.length; s++) {
      checkIndices(ix[s]!, a.rows, size, `subsetIndices.x[${s}]`);
      checkIndices(iy[s]!, b.rows, size, `subsetIndices.y[${s}]`);
      per.push(mmd2Rows(gatherRows(a, ix[s]!), gatherRows(b, iy[s]!), kernel, 'unbiased'));
    }
  } else {
    const subsets = options.subsets ?? 100;
    size = options.subsetSize ?? 1000;
    if (!(Number.isInteger(subsets) && subsets >= 1)) throw new ValueError('subsets', subsets, 'an integer >= 1');
    if (!(Number.isInteger(size) && size >= 2)) throw new ValueError('subsetSize', size, 'an integer >= 2');
    if (size > a.rows || size > b.rows) {
      throw new ValueError('subsetSize', size, `at most the size of each set (x: ${a.rows}, y: ${b.rows} rows); pass a smaller subsetSize`);
    }
    if (options.rng === undefined) checkSeed(options.seed ?? 0);
    const rng = options.rng ?? new PhiloxRng(options.seed ?? 0);
    for (let s = 0; s < subsets; s++) {
      const ix = drawWithoutReplacement(rng, a.rows, size);
      const iy = drawWithoutReplacement(rng, b.rows, size);
      per.push(mmd2Rows(gatherRows(a, ix), gatherRows(b, iy), kernel, 'unbiased'));
    }
  }
  const { mean, std } = meanStd(per);
  finiteResult(per, 'kernelInceptionDistance per subset');
  return { mean, std, perSubset: per, subsetSize: size, subsets: per.length };
}

function checkIndices(idx: readonly number[], n: number, size: number, argument: string): void {
  if (idx.length !== size) throw new ValueError(argument, idx.length, `${size} indices (every subset the same size)`);
  const seen = new Set<number>();
  for (const i of idx) {
    if (!(Number.isInteger(i) && i >= 0 && i < n) || seen.has(i)) throw new ValueError(argument, i, `distinct row indices in [0, ${n})`);
    seen.add(i);
  }
}

/** `k` distinct indices of [0, n) by a partial Fisher-Yates shuffle on one uniform per pick. */
export function drawWithoutReplacement(rng: Random, n: number, k: number): Int32Array {
  const perm = Int32Array.from({ length: n }, (_, i) => i);
  const u = rng.uniform([k], 'float64').data;
  for (let i = 0; i < k; i++) {
    const j = i + Math.min(n - i - 1, Math.floor(u[i]! * (n - i)));
    const t = perm[i]!;
    perm[i] = perm[j]!;
    perm[j] = t;
  }
  return perm.slice(0, k);
}
