import { ShapeError, ValueError, assertFinite, formatShape, type Tensor } from '@phys/tensor';
import { gemmABt, symmetrizeFromLower } from './linalg.js';

/** Mean and covariance of a feature distribution (what pytorch-fid stores as `mu`, `sigma`). */
export interface GaussianStats {
  /** Feature dimension d. */
  readonly dim: number;
  /** Mean, length d. */
  readonly mu: Float64Array;
  /** Covariance, row-major d x d, symmetric (ddof = 1 when estimated from samples). */
  readonly sigma: Float64Array;
  /** Number of samples behind the estimate, when known (FID warns when count <= d). */
  readonly count?: number;
}

/** The serialisable state of {@link FeatureStatistics}. */
export interface FeatureStatisticsState {
  readonly dim: number;
  readonly count: number;
  /** Reference point c the sums are taken about (x - c). */
  readonly shift: Float64Array;
  /** sum_i (x_i - c), length d. */
  readonly sum: Float64Array;
  /** sum_i (x_i - c)(x_i - c)^T, row-major d x d (full, symmetric). */
  readonly sumOuter: Float64Array;
}

// Rows per outer-product update: large enough to amortise copying the d x d sum into the SIMD kernel.
const CHUNK = 1024;

/**
 * Streaming, mergeable first and second moments of feature vectors in float64: the count, the
 * sum and the sum of outer products, taken about a fixed reference point c (the first row seen,
 * unless given) so that the covariance does not suffer from cancellation when the mean is large.
 * 50k samples never need to sit in memory: call {@link FeatureStatistics.update} per batch.
 * Shards computed on different machines combine with {@link FeatureStatistics.merge}; the merged
 * mean and covariance equal the one-shot values up to float64 rounding (different reference points
 * are reconciled exactly by the shift formula).
 */
export class FeatureStatistics {
  readonly dim: number;
  private n = 0;
  private c: Float64Array | undefined;
  private readonly s: Float64Array;
  /** Lower triangle is accumulated; the upper is filled on read. */
  private readonly ss: Float64Array;

  /** Empty statistics of dimension `dim`; `shift` fixes the reference point (default: first row). */
  constructor(dim: number, options: { shift?: ArrayLike<number> } = {}) {
    if (!(Number.isInteger(dim) && dim >= 1)) throw new ValueError('dim', dim, 'an integer >= 1');
    this.dim = dim;
    this.s = new Float64Array(dim);
    this.ss = new Float64Array(dim * dim);
    if (options.shift !== undefined) {
      if (options.shift.length !== dim) throw new ShapeError('shift', `${dim} values`, `${options.shift.length}`);
      this.c = Float64Array.from(options.shift);
      assertFinite(this.c, 'shift');
    }
  }

  /** Statistics of all rows of `features` (`[n, ...]`, row = one feature vector). */
  static fromFeatures(features: Tensor): FeatureStatistics {
    return new FeatureStatistics(features.rowSize).update(features);
  }

  /** Restores statistics saved with {@link FeatureStatistics.state}. */
  static fromState(state: FeatureStatisticsState): FeatureStatistics {
    const d = state.dim;
    if (state.shift.length !== d || state.sum.length !== d || state.sumOuter.length !== d * d) {
      throw new ShapeError('state', `shift/sum of ${d} and sumOuter of ${d * d} values`, `${state.shift.length}/${state.sum.length}/${state.sumOuter.length}`);
    }
    if (!(Number.isInteger(state.count) && state.count >= 0)) throw new ValueError('state.count', state.count, 'a non-negative integer');
    // An empty state's shift is a placeholder: the first rows or merge choose the reference point.
    const out = new FeatureStatistics(d, state.count > 0 ? { shift: state.shift } : {});
    out.n = state.count;
    out.s.set(state.sum);
    out.ss.set(state.sumOuter);
    return out;
  }

  /** Number of feature vectors seen. */
  get count(): number {
    return this.n;
  }

  /** Adds the rows of `features` (float32 or float64; accumulated in float64). Returns `this`. */
  update(features: Tensor): this {
    const d = this.dim;
    if (features.rowSize !== d) throw new ShapeError('features', `[n, ${d}]`, formatShape(features.shape));
    assertFinite(features.data, 'features');
    const n = features.rows;
    if (n === 0) return this;
    const x = features.data;
    this.c ??= Float64Array.from(x.subarray(0, d));
    const c = this.c;
    const yt = new Float64Array(d * Math.min(CHUNK, n));
    for (let r0 = 0; r0 < n; r0 += CHUNK) {
      const b = Math.min(CHUNK, n - r0);
      // yt = (X_chunk - c)^T, d x b, so that the outer-product sum is a product of rows.
      for (let r = 0; r < b; r++) {
        const o = (r0 + r) * d;
        for (let j = 0; j < d; j++) {
          const y = x[o + j]! - c[j]!;
          yt[j * b + r] = y;
          this.s[j] = this.s[j]! + y;
        }
      }
      gemmABt(yt, yt, this.ss, d, d, b, { accumulate: true, lowerOnly: true });
    }
    this.n += n;
    return this;
  }

  /**
   * Adds the samples summarised by `other` (same dimension). The result is as if every row had
   * been passed to this object's {@link FeatureStatistics.update}. Returns `this`.
   */
  merge(other: FeatureStatistics): this {
    const d = this.dim;
    if (other.dim !== d) throw new ShapeError('other', `statistics of dimension ${d}`, `dimension ${other.dim}`);
    if (other.n === 0) return this;
    const o = other.state();
    this.c ??= o.shift.slice();
    const c = this.c;
    // With y = x - c' and delta = c' - c: sum(x - c) = sum y + n delta and
    // sum (x-c)(x-c)^T = sum y y^T + delta (sum y)^T + (sum y) delta^T + n delta delta^T.
    const delta = new Float64Array(d);
    let shifted = false;
    for (let j = 0; j < d; j++) {
      delta[j] = o.shift[j]! - c[j]!;
      if (delta[j] !== 0) shifted = true;
    }
    const m = o.count;
    for (let i = 0; i < d; i++) {
      const row = i * d;
      if (shifted) {
        const di = delta[i]!;
        const si = o.sum[i]!;
        for (let j = 0; j <= i; j++) {
          this.ss[row + j] = this.ss[row + j]! + (o.sumOuter[row + j]! + di * o.sum[j]! + si * delta[j]! + m * di * delta[j]!);
        }
      } else {
        for (let j = 0; j <= i; j++) this.ss[row + j] = this.ss[row + j]! + o.sumOuter[row + j]!;
      }
      this.s[i] = this.s[i]! + o.sum[i]! + m * delta[i]!;
    }
    this.n += m;
    return this;
  }

  /** A copy of the accumulated state (for saving a shard; see {@link FeatureStatistics.fromState}). */
  state(): FeatureStatisticsState {
    const d = this.dim;
    const sumOuter = this.ss.slice();
    symmetrizeFromLower(sumOuter, d);
    return { dim: d, count: this.n, shift: this.c ? this.c.slice() : new Float64Array(d), sum: this.s.slice(), sumOuter };
  }

  /** Mean of the features seen (float64, length d). */
  mean(): Float64Array {
    if (this.n < 1) throw new ValueError('count', this.n, 'at least 1 sample for a mean');
    const d = this.dim;
    const out = new Float64Array(d);
    const c = this.c!;
    for (let j = 0; j < d; j++) out[j] = c[j]! + this.s[j]! / this.n;
    return out;
  }

  /**
   * Covariance (d x d, row-major) with `ddof` (default 1, as `np.cov(rowvar=False)` in
   * pytorch-fid): (sum y y^T - (sum y)(sum y)^T / n) / (n - ddof), y = x - c.
   */
  covariance(ddof = 1): Float64Array {
    if (this.n - ddof < 1) throw new ValueError('count', this.n, `at least ${ddof + 1} samples for a covariance with ddof ${ddof}`);
    const d = this.dim;
    const n = this.n;
    const out = new Float64Array(d * d);
    const inv = 1 / (n - ddof);
    for (let i = 0; i < d; i++) {
      const si = this.s[i]! / n;
      for (let j = 0; j <= i; j++) out[i * d + j] = (this.ss[i * d + j]! - si * this.s[j]!) * inv;
    }
    symmetrizeFromLower(out, d);
    return out;
  }

  /** Mean and covariance (ddof 1) with the sample count, ready for the Frechet distance. */
  gaussian(): GaussianStats {
    return { dim: this.dim, mu: this.mean(), sigma: this.covariance(), count: this.n };
  }
}

/** Checks a {@link GaussianStats} (sizes, finiteness, symmetry to 1e-10 relative). */
export function checkGaussian(g: GaussianStats, argument: string): void {
  const d = g.dim;
  if (!(Number.isInteger(d) && d >= 1)) throw new ValueError(`${argument}.dim`, d, 'an integer >= 1');
  if (g.mu.length !== d) throw new ShapeError(`${argument}.mu`, `${d} values`, `${g.mu.length}`);
  if (g.sigma.length !== d * d) throw new ShapeError(`${argument}.sigma`, `[${d}, ${d}]`, `${g.sigma.length} values`);
  assertFinite(g.mu, `${argument}.mu`);
  assertFinite(g.sigma, `${argument}.sigma`);
  let scale = 0;
  for (let i = 0; i < d; i++) scale = Math.max(scale, Math.abs(g.sigma[i * d + i]!));
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < i; j++) {
      if (Math.abs(g.sigma[i * d + j]! - g.sigma[j * d + i]!) > 1e-10 * scale) {
        throw new ValueError(`${argument}.sigma[${i}, ${j}]`, g.sigma[i * d + j], `a symmetric matrix (sigma[${j}, ${i}] = ${g.sigma[j * d + i]})`);
      }
    }
  }
}
