// Float64 feature-matrix helpers shared by the sample-based metrics.
import type { Tensor } from '@phys/tensor';
import { gemmABt } from './linalg.js';
import { rowsOf } from './util.js';

/** A row-major float64 feature matrix. */
export interface Rows64 {
  readonly data: Float64Array;
  readonly rows: number;
  readonly dim: number;
}

/** Checks `x` (`[n, ...]`, finite, at least `min` rows) and returns its rows as float64. */
export function rows64(x: Tensor, argument: string, min = 1): Rows64 {
  const [n, d] = rowsOf(x, argument, min);
  return { data: x.data instanceof Float64Array ? x.data : Float64Array.from(x.data), rows: n, dim: d };
}

/** Rows `idx` of `x` as a new matrix. */
export function gatherRows(x: Rows64, idx: ArrayLike<number>): Rows64 {
  const out = new Float64Array(idx.length * x.dim);
  for (let k = 0; k < idx.length; k++) out.set(x.data.subarray(idx[k]! * x.dim, (idx[k]! + 1) * x.dim), k * x.dim);
  return { data: out, rows: idx.length, dim: x.dim };
}

/** Gram matrix G[i, j] = <x_i, y_j> (`x.rows x y.rows`), float64. */
export function gram(x: Rows64, y: Rows64): Float64Array {
  const out = new Float64Array(x.rows * y.rows);
  gemmABt(x.data, y.data, out, x.rows, y.rows, x.dim);
  return out;
}

/** Squared norms of the rows. */
export function rowSqNorms(x: Rows64): Float64Array {
  const out = new Float64Array(x.rows);
  for (let i = 0; i < x.rows; i++) {
    let s = 0;
    for (let j = i * x.dim; j < (i + 1) * x.dim; j++) s += x.data[j]! ** 2;
    out[i] = s;
  }
  return out;
}

/**
 * Squared Euclidean distances |x_i - y_j|^2 = |x_i|^2 + |y_j|^2 - 2 <x_i, y_j>, clamped at 0
 * (`x.rows x y.rows`, float64; the Gram form keeps the work in matrix products).
 */
export function sqDistances(x: Rows64, y: Rows64, xNorms = rowSqNorms(x), yNorms = rowSqNorms(y)): Float64Array {
  const g = gram(x, y);
  const m = y.rows;
  for (let i = 0; i < x.rows; i++) {
    const xi = xNorms[i]!;
    for (let j = 0; j < m; j++) {
      const v = xi + yNorms[j]! - 2 * g[i * m + j]!;
      g[i * m + j] = v > 0 ? v : 0;
    }
  }
  return g;
}
