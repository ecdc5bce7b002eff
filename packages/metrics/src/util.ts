import { NonFiniteError, ShapeError, ValueError, assertFinite, firstNonFinite, formatShape, type Tensor } from '@phys/tensor';

/** Throws unless `x` has at least `min` rows and a non-empty row; returns `[rows, rowSize]`. */
export function rowsOf(x: Tensor, argument: string, min = 1): [number, number] {
  if (x.rows < min) throw new ShapeError(argument, `at least ${min} row${min === 1 ? '' : 's'}`, formatShape(x.shape));
  if (x.rowSize < 1) throw new ShapeError(argument, 'rows with at least one value', formatShape(x.shape));
  assertFinite(x.data, argument);
  return [x.rows, x.rowSize];
}

/** Throws unless `x` and `y` have rows of the same size; returns that size. */
export function sameRowSize(x: Tensor, y: Tensor, argumentX: string, argumentY: string): number {
  if (x.rowSize !== y.rowSize) {
    throw new ShapeError(argumentY, `rows of ${x.rowSize} values (like ${argumentX} ${formatShape(x.shape)})`, formatShape(y.shape));
  }
  return x.rowSize;
}

/** A float64 copy of `values`, checked finite and non-empty. */
export function toFloat64(values: ArrayLike<number>, argument: string, min = 1): Float64Array {
  if (values.length < min) throw new ValueError(argument, values.length, `at least ${min} value${min === 1 ? '' : 's'}`);
  const out = Float64Array.from(values);
  assertFinite(out, argument);
  return out;
}

/** Mean and population (ddof 0) standard deviation of `v`, as numpy's `mean`/`std` (two-pass). */
export function meanStd(v: ArrayLike<number>, ddof = 0): { mean: number; std: number } {
  const n = v.length;
  let s = 0;
  for (let i = 0; i < n; i++) s += v[i]!;
  const mean = s / n;
  if (n - ddof <= 0) return { mean, std: Number.NaN };
  let q = 0;
  for (let i = 0; i < n; i++) q += (v[i]! - mean) ** 2;
  return { mean, std: Math.sqrt(q / (n - ddof)) };
}

/** Resolves a seeded stream: `rng` if given, else `new PhiloxRng(seed)` (done by callers to avoid a cycle). */
export function checkSeed(seed: number, argument = 'seed'): void {
  if (!(Number.isSafeInteger(seed) && seed >= 0)) throw new ValueError(argument, seed, 'a non-negative safe integer');
}

/**
 * Returns `value` (a number or typed array) after checking it is finite; otherwise throws
 * NonFiniteError naming `what`: finite features can still overflow inside a metric (polynomial
 * kernels of values near 1e300), and a metric must say so rather than return NaN.
 */
export function finiteResult<T extends number | ArrayLike<number>>(value: T, what: string): T {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new NonFiniteError(what, 0, value, 'an intermediate overflowed for these inputs; rescale the features');
    return value;
  }
  const i = firstNonFinite(value);
  if (i >= 0) throw new NonFiniteError(what, i, value[i]!, 'an intermediate overflowed for these inputs; rescale the features');
  return value;
}
