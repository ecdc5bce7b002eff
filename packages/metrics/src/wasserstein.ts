import { PhiloxRng, ShapeError, ValueError, assertFinite, formatShape, getBackend, normalizeRows, type Random, type Tensor } from '@phys/tensor';
import { linearSumAssignment } from './assignment.js';
import { checkSeed, rowsOf, sameRowSize, toFloat64 } from './util.js';

/** Optional sample weights of the two 1-D distributions (unnormalised, non-negative, positive sum). */
export interface Weights1d {
  uWeights?: ArrayLike<number>;
  vWeights?: ArrayLike<number>;
}

/**
 * `W_p^p` between two weighted 1-D empirical distributions: the integral over q in (0, 1) of
 * |F_u^{-1}(q) - F_v^{-1}(q)|^p, computed exactly by merging the two cumulative-weight grids
 * (the quantile form used by POT's `wasserstein_1d`). Sizes may differ. Returns the p-th power.
 */
export function wasserstein1dPower(u: ArrayLike<number>, v: ArrayLike<number>, p: number, weights: Weights1d = {}): number {
  if (!(Number.isFinite(p) && p >= 1)) throw new ValueError('p', p, 'a finite number >= 1');
  const a = sortedWithCdf(u, weights.uWeights, 'u', 'uWeights');
  const b = sortedWithCdf(v, weights.vWeights, 'v', 'vWeights');
  let i = 0;
  let j = 0;
  let prev = 0;
  let total = 0;
  const na = a.values.length;
  const nb = b.values.length;
  while (i < na && j < nb) {
    const ca = a.cdf[i]!;
    const cb = b.cdf[j]!;
    const next = ca < cb ? ca : cb;
    const diff = Math.abs(a.values[i]! - b.values[j]!);
    total += (next - prev) * (p === 1 ? diff : p === 2 ? diff * diff : diff ** p);
    prev = next;
    if (ca === next) i++;
    if (cb === next) j++;
  }
  return total;
}

/**
 * Wasserstein-1 distance between two (optionally weighted) 1-D samples, the quantity of
 * `scipy.stats.wasserstein_distance`: the integral of |F_u - F_v| over the real line.
 */
export function wasserstein1d(u: ArrayLike<number>, v: ArrayLike<number>, weights: Weights1d = {}): number {
  return wasserstein1dPower(u, v, 1, weights);
}

function sortedWithCdf(values: ArrayLike<number>, weights: ArrayLike<number> | undefined, argument: string, weightArgument: string) {
  const x = toFloat64(values, argument);
  const n = x.length;
  const order = Array.from({ length: n }, (_, k) => k).sort((p, q) => x[p]! - x[q]! || p - q);
  const sorted = new Float64Array(n);
  const cdf = new Float64Array(n);
  if (weights === undefined) {
    for (let k = 0; k < n; k++) {
      sorted[k] = x[order[k]!]!;
      cdf[k] = (k + 1) / n;
    }
  } else {
    const w = toFloat64(weights, weightArgument);
    if (w.length !== n) throw new ShapeError(weightArgument, `${n} weights (one per value of ${argument})`, `${w.length}`);
    let total = 0;
    for (let k = 0; k < n; k++) {
      if (!(w[k]! >= 0)) throw new ValueError(`${weightArgument}[${k}]`, w[k], 'a non-negative weight');
      total += w[k]!;
    }
    if (!(total > 0)) throw new ValueError(weightArgument, total, 'weights with a positive sum');
    let c = 0;
    for (let k = 0; k < n; k++) {
      sorted[k] = x[order[k]!]!;
      c += w[order[k]!]!;
      cdf[k] = c / total;
    }
  }
  cdf[n - 1] = 1;
  return { values: sorted, cdf };
}

/** Result of {@link exactWasserstein}. */
export interface ExactWassersteinResult {
  /** W_p = (min over permutations of mean_i |x_i - y_pi(i)|^p)^(1/p). */
  readonly distance: number;
  /** `assignment[i]` is the row of `y` matched to row `i` of `x`. */
  readonly assignment: Int32Array;
}

/**
 * Exact W_p between two equal-size point sets with uniform weights: the optimal matching under
 * the cost |x_i - y_j|^p (Euclidean), found by {@link linearSumAssignment}. This is the "minimum
 * weight matching" the thesis uses for the Restart error decomposition (App. B.3.2). O(n^3).
 */
export function exactWasserstein(x: Tensor, y: Tensor, options: { p?: number } = {}): ExactWassersteinResult {
  const p = options.p ?? 1;
  if (!(Number.isFinite(p) && p >= 1)) throw new ValueError('p', p, 'a finite number >= 1');
  const [n] = rowsOf(x, 'x');
  rowsOf(y, 'y');
  sameRowSize(x, y, 'x', 'y');
  if (y.rows !== n) throw new ShapeError('y', `${n} rows (equal-size sets, like x ${formatShape(x.shape)})`, formatShape(y.shape));
  const cost = getBackend().pairwiseSqDist(x, y).data;
  for (let k = 0; k < cost.length; k++) {
    const d2 = cost[k]!;
    cost[k] = p === 2 ? d2 : p === 1 ? Math.sqrt(d2) : d2 ** (p / 2);
  }
  const { columnOf, cost: total } = linearSumAssignment(cost, n, n);
  return { distance: (total / n) ** (1 / p), assignment: columnOf };
}

/** Options of {@link slicedWasserstein}. */
export interface SlicedWassersteinOptions {
  /** Order p >= 1 (default 1). */
  p?: number;
  /**
   * Directions: a count (drawn as uniform unit vectors, default 128) or a `[P, d]` tensor of
   * directions (rows; normalised here).
   */
  projections?: number | Tensor;
  /** Source of random directions; default `new PhiloxRng(seed)`. */
  rng?: Random;
  /** Seed used when `rng` is absent (default 0). */
  seed?: number;
}

/** Result of {@link slicedWasserstein}. */
export interface SlicedWassersteinResult {
  /** SW_p = (mean over directions of W_p^p of the projections)^(1/p) (POT's convention). */
  readonly distance: number;
  /** W_p^p of the projected samples, one per direction. */
  readonly perProjection: Float64Array;
  /** The unit directions used, `[P, d]` float64. */
  readonly projections: Tensor;
}

/**
 * Sliced Wasserstein distance: project both samples on P unit directions and average the exact
 * 1-D W_p^p (sizes may differ). Random directions come from a seeded {@link PhiloxRng}, so the
 * value is reproducible from (seed, count).
 */
export function slicedWasserstein(x: Tensor, y: Tensor, options: SlicedWassersteinOptions = {}): SlicedWassersteinResult {
  const p = options.p ?? 1;
  if (!(Number.isFinite(p) && p >= 1)) throw new ValueError('p', p, 'a finite number >= 1');
  const [nx, d] = rowsOf(x, 'x');
  const [ny] = rowsOf(y, 'y');
  sameRowSize(x, y, 'x', 'y');
  const spec = options.projections ?? 128;
  let dirs: Tensor;
  if (typeof spec === 'number') {
    if (!(Number.isInteger(spec) && spec >= 1)) throw new ValueError('projections', spec, 'an integer >= 1 or a [P, d] tensor');
    if (options.rng === undefined) checkSeed(options.seed ?? 0);
    const rng = options.rng ?? new PhiloxRng(options.seed ?? 0);
    dirs = rng.direction([spec, d], 'float64');
  } else {
    if (spec.rowSize !== d || spec.rows < 1) throw new ShapeError('projections', `[P, ${d}]`, formatShape(spec.shape));
    assertFinite(spec.data, 'projections');
    dirs = spec.astype('float64');
    normalizeRows(dirs);
  }
  const P = dirs.rows;
  const px = new Float64Array(nx);
  const py = new Float64Array(ny);
  const per = new Float64Array(P);
  let sum = 0;
  for (let k = 0; k < P; k++) {
    const th = dirs.row(k);
    project(x.data, nx, d, th, px);
    project(y.data, ny, d, th, py);
    per[k] = wasserstein1dPower(px, py, p);
    sum += per[k]!;
  }
  return { distance: (sum / P) ** (1 / p), perProjection: per, projections: dirs };
}

function project(data: ArrayLike<number>, n: number, d: number, theta: ArrayLike<number>, out: Float64Array): void {
  for (let i = 0; i < n; i++) {
    let s = 0;
    const o = i * d;
    for (let j = 0; j < d; j++) s += data[o + j]! * theta[j]!;
    out[i] = s;
  }
}
