import { ShapeError, ValueError } from '@phys/tensor';
import { EPS, choleskyInPlace, congruenceLower, gemmABt, symmetricEigen, symmetricEigenvalues, symmetrizeFromLower } from './linalg.js';
import { FeatureStatistics, checkGaussian, type GaussianStats } from './stats.js';

/** How tr sqrt(S1 S2) is computed. */
export type FrechetMethod = 'auto' | 'cholesky' | 'eigen';

/** Options of {@link frechetDistance}. */
export interface FrechetOptions {
  /**
   * 'cholesky': S1 = L L^T and the eigenvalues of L^T S2 L; 'eigen': S1 = V diag(l) V^T with
   * eigenvalues <= d eps l_max dropped, then the eigenvalues of (V l^1/2)^T S2 (V l^1/2);
   * 'auto' (default): Cholesky of S1, else of S2 (the trace is symmetric), else the eigen route.
   */
  method?: FrechetMethod;
  /**
   * Eigenvalues of the product below `-negativeTolerance * max eigenvalue` mean the inputs are not
   * covariance matrices (pytorch-fid's "imaginary component" error): they throw. Default 1e-6.
   * Smaller negative ones are rounding noise and are set to 0.
   */
  negativeTolerance?: number;
  /** Receives warnings (n <= d); default `console.warn`. */
  onWarning?: (message: string) => void;
}

/** Result of {@link frechetDistance}: the value and how it was obtained (JSON-serialisable). */
export interface FrechetResult {
  /** |mu1 - mu2|^2 + tr S1 + tr S2 - 2 tr sqrt(S1 S2). */
  readonly value: number;
  /** |mu1 - mu2|^2. */
  readonly meanTerm: number;
  readonly traceSigma1: number;
  readonly traceSigma2: number;
  /** tr sqrt(S1 S2) = sum of square roots of the eigenvalues of S1 S2. */
  readonly traceSqrtProduct: number;
  /** The route actually taken. */
  readonly method: 'cholesky' | 'eigen';
  /** Which covariance was factored ('sigma1' or 'sigma2'). */
  readonly factored: 'sigma1' | 'sigma2';
  /** Rank kept for the factored covariance (d on the Cholesky route). */
  readonly rank: number;
  /** Smallest and largest eigenvalue of the product before clamping. */
  readonly minEigenvalue: number;
  readonly maxEigenvalue: number;
  /** Eigenvalues of the product treated as 0 (|value| within rounding of 0). */
  readonly clampedEigenvalues: number;
  /** sqrt(max(0, -minEigenvalue)): the size of the imaginary part a complex sqrtm would report. */
  readonly maxImaginary: number;
  readonly warnings: string[];
}

/** Anything with a mean and covariance: {@link GaussianStats} or {@link FeatureStatistics}. */
export type StatsLike = GaussianStats | FeatureStatistics;

function toGaussian(s: StatsLike, argument: string): GaussianStats {
  const g = s instanceof FeatureStatistics ? s.gaussian() : s;
  checkGaussian(g, argument);
  return g;
}

/**
 * Frechet distance between two Gaussians fitted to features (Heusel et al. 2017):
 * |mu1 - mu2|^2 + tr(S1) + tr(S2) - 2 tr sqrt(S1 S2), in float64, the quantity of pytorch-fid's
 * `calculate_frechet_distance`. Called FID only when the features are Inception-v3 pool3
 * features (see {@link frechetDistanceName}).
 *
 * tr sqrt(S1 S2) is the sum of square roots of the eigenvalues of L^T S2 L (S1 = L L^T): a
 * symmetric eigenproblem, solved by Householder tridiagonalisation and implicit QL, instead of
 * scipy's general `sqrtm`. When S1 is singular (n <= d, dead features) the symmetric eigen route
 * drops S1's null space explicitly, which gives the exact value where `sqrtm` adds the square roots
 * of rounding noise (pytorch-fid's eps retry is not emulated). Eigenvalues of the product within
 * rounding of zero are clamped to 0; clearly negative ones throw (inputs that are not covariances).
 */
export function frechetDistance(a: StatsLike, b: StatsLike, options: FrechetOptions = {}): FrechetResult {
  const g1 = toGaussian(a, 'a');
  const g2 = toGaussian(b, 'b');
  const d = g1.dim;
  if (g2.dim !== d) throw new ShapeError('b', `statistics of dimension ${d} (like a)`, `dimension ${g2.dim}`);
  const warnings: string[] = [];
  const warn = options.onWarning ?? ((m: string) => {
    console.warn(m);
  });
  for (const [name, g] of [
    ['a', g1],
    ['b', g2],
  ] as const) {
    if (g.count !== undefined && g.count <= d) {
      const m = `${name}: ${g.count} samples <= feature dimension ${d}: the covariance is singular and the Frechet distance is biased; use more samples than dimensions`;
      warnings.push(m);
      warn(m);
    }
  }
  const negTol = options.negativeTolerance ?? 1e-6;
  if (!(negTol >= 0)) throw new ValueError('negativeTolerance', negTol, 'a number >= 0');
  let meanTerm = 0;
  let tr1 = 0;
  let tr2 = 0;
  for (let i = 0; i < d; i++) {
    meanTerm += (g1.mu[i]! - g2.mu[i]!) ** 2;
    tr1 += g1.sigma[i * d + i]!;
    tr2 += g2.sigma[i * d + i]!;
  }
  const tr = traceSqrtProduct(g1.sigma, g2.sigma, d, options.method ?? 'auto', negTol);
  return {
    value: meanTerm + tr1 + tr2 - 2 * tr.trace,
    meanTerm,
    traceSigma1: tr1,
    traceSigma2: tr2,
    traceSqrtProduct: tr.trace,
    method: tr.method,
    factored: tr.factored,
    rank: tr.rank,
    minEigenvalue: tr.min,
    maxEigenvalue: tr.max,
    clampedEigenvalues: tr.clamped,
    maxImaginary: Math.sqrt(Math.max(0, -tr.min)),
    warnings,
  };
}

interface TraceResult {
  trace: number;
  method: 'cholesky' | 'eigen';
  factored: 'sigma1' | 'sigma2';
  rank: number;
  min: number;
  max: number;
  clamped: number;
}

/** tr sqrt(S1 S2) for symmetric positive semi-definite S1, S2 (row-major d x d). */
export function traceSqrtProduct(s1: Float64Array, s2: Float64Array, d: number, method: FrechetMethod, negTol: number): TraceResult {
  if (method === 'cholesky' || method === 'auto') {
    const tryCholesky = (sa: Float64Array, sb: Float64Array, factored: 'sigma1' | 'sigma2'): TraceResult | undefined => {
      const L = sa.slice();
      if (choleskyInPlace(L, d, d * EPS * maxDiag(sa, d)) >= 0) return undefined;
      const M = congruenceLower(L, sb, d);
      return { ...sumSqrtEigen(symmetricEigenvalues(M, d), negTol), method: 'cholesky', factored, rank: d };
    };
    const r = tryCholesky(s1, s2, 'sigma1') ?? (method === 'auto' ? tryCholesky(s2, s1, 'sigma2') : undefined);
    if (r) return r;
    if (method === 'cholesky') throw new ValueError('a.sigma', 'singular', 'a positive definite covariance for method "cholesky" (use "auto" or "eigen")');
  }
  // Thresholded symmetric eigen route: S1 = V diag(l) V^T, keep l > d eps l_max.
  let thr = 0;
  let lmin = 0;
  const { values, vectors } = symmetricEigen(s1, d, (l, all) => {
    const lmax = Math.max(all[d - 1]!, 0);
    lmin = all[0]!;
    thr = d * EPS * lmax;
    return l > thr;
  });
  const lmax = Math.max(values[d - 1]!, 0);
  if (lmin < -negTol * lmax) {
    throw new ValueError('a.sigma', lmin, `a positive semi-definite covariance (eigenvalue >= ${-negTol * lmax})`);
  }
  let r = 0;
  for (let k = 0; k < d; k++) if (values[k]! > thr) r++;
  if (r === 0) return { trace: 0, method: 'eigen', factored: 'sigma1', rank: 0, min: 0, max: 0, clamped: 0 };
  // Bt = rows sqrt(l_k) v_k for the kept eigenvalues (the largest r are the last rows).
  const Bt = new Float64Array(r * d);
  for (let k = 0; k < r; k++) {
    const src = d - r + k;
    const f = Math.sqrt(values[src]!);
    for (let j = 0; j < d; j++) Bt[k * d + j] = f * vectors[src * d + j]!;
  }
  const H = new Float64Array(r * d);
  gemmABt(Bt, s2, H, r, d, d); // H = B^T S2
  const M = new Float64Array(r * r);
  gemmABt(H, Bt, M, r, r, d, { lowerOnly: true }); // M = B^T S2 B
  symmetrizeFromLower(M, r);
  return { ...sumSqrtEigen(symmetricEigenvalues(M, r), negTol), method: 'eigen', factored: 'sigma1', rank: r };
}

function maxDiag(s: Float64Array, d: number): number {
  let m = 0;
  for (let i = 0; i < d; i++) m = Math.max(m, s[i * d + i]!);
  return m;
}

/** Sum of square roots of (ascending) eigenvalues of a PSD product: rounding noise clamped to 0. */
function sumSqrtEigen(mu: Float64Array, negTol: number): { trace: number; min: number; max: number; clamped: number } {
  const n = mu.length;
  const max = mu[n - 1]!;
  const min = mu[0]!;
  const top = Math.max(max, 0);
  if (min < -negTol * top) {
    throw new ValueError(
      'sigma',
      min,
      `covariances whose product has no eigenvalue below ${-negTol * top} (imaginary part ${Math.sqrt(-min)} is not negligible: are both matrices covariances?)`,
    );
  }
  const zero = n * EPS * top;
  let trace = 0;
  let clamped = 0;
  // Ascending order: small terms first.
  for (let k = 0; k < n; k++) {
    const m = mu[k]!;
    if (m <= zero) clamped++;
    else trace += Math.sqrt(m);
  }
  return { trace, min, max, clamped };
}

/**
 * The name under which a Frechet distance is reported: "FID" only for Inception-v3 pool3
 * features, otherwise "FD_<extractor>" (e.g. "FD_fashion-mnist-classifier"): a distance in another
 * network's feature space is not comparable with published FIDs.
 */
export function frechetDistanceName(extractor: string): string {
  const e = extractor.toLowerCase().replace(/[\s_]+/g, '-');
  return e === 'inception-v3' || e === 'inception-v3-pool3' || e === 'inception' ? 'FID' : `FD_${extractor}`;
}
