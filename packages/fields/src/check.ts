// Argument checks. Every failure is a typed @phys/tensor error naming the argument and the value.
import { NonFiniteError, ShapeError, Tensor, ValueError, assertFinite, firstNonFinite, formatShape } from '@phys/tensor';

/** A field or denoiser was given a reference set with no points. */
export class EmptyReferenceError extends ValueError {
  override name = 'EmptyReferenceError';
  constructor(argument: string, shape: readonly number[]) {
    super(argument, formatShape(shape), 'a non-empty reference set (at least one row)');
  }
}

/**
 * Throws ValueError when `reference` is not a Tensor, {@link EmptyReferenceError} for a reference
 * set without rows, ShapeError for rows of no values and NonFiniteError for a NaN/Infinity value
 * (unless `checkFinite` is false: the caller checked it already or guarantees it).
 */
export function checkReference(reference: Tensor, argument = 'reference', checkFinite = true): void {
  if (!(reference instanceof Tensor)) throw new ValueError(argument, reference, 'a Tensor');
  if (reference.rows === 0) throw new EmptyReferenceError(argument, reference.shape);
  if (reference.shape.length < 2 || reference.rowSize === 0) {
    throw new ShapeError(argument, '[n, ...dims] with positive data dimensions', formatShape(reference.shape));
  }
  if (checkFinite) assertFinite(reference.data, argument);
}

/** Option of the functions over a reference set that would scan it on every call. */
export interface CheckFiniteOption {
  /**
   * Scan the reference set for NaN/Infinity (default true; NonFiniteError naming it). `false`
   * skips that pass, for callers that checked the set once and call many times (as
   * `empiricalDenoiser` does); the query points are always checked.
   */
  checkFinite?: boolean;
}

/** Throws unless the tensor is batch-first with rows of at least one value and finite entries. */
export function checkData(t: Tensor, argument: string): void {
  if (!(t instanceof Tensor)) throw new ValueError(argument, t, 'a Tensor');
  if (t.shape.length < 2 || t.rowSize === 0) throw new ShapeError(argument, '[rows, ...dims] with positive data dimensions', formatShape(t.shape));
  assertFinite(t.data, argument);
}

/** Throws unless `x` and `reference` have rows of the same size. */
export function checkSameRowSize(x: Tensor, reference: Tensor, xName = 'x', refName = 'reference'): void {
  if (x.rowSize !== reference.rowSize) {
    throw new ShapeError(refName, `rows of ${x.rowSize} values (like ${xName} ${formatShape(x.shape)})`, formatShape(reference.shape));
  }
}

/** One noise level per row: validates (finite, > 0) and expands a scalar. */
export function sigmaRows(sigma: Float64Array | number, rows: number, argument = 'sigma'): Float64Array {
  const s = typeof sigma === 'number' ? new Float64Array(rows).fill(sigma) : sigma;
  if (!(s instanceof Float64Array)) throw new ValueError(argument, s, 'a Float64Array with one noise level per row, or a number');
  if (s.length !== rows) throw new ShapeError(argument, `${rows} values (one per row)`, `${s.length} values`);
  for (let i = 0; i < s.length; i++) {
    const v = s[i]!;
    if (Number.isNaN(v) || v === Infinity) throw new NonFiniteError(argument, i, v);
    if (!(v > 0)) throw new ValueError(`${argument}[${i}]`, v, 'a finite number > 0');
  }
  return s;
}

/** Throws unless `value` is a finite number > 0. */
export function checkPositive(value: number, argument: string): void {
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) throw new ValueError(argument, value, 'a finite number > 0');
}

/** Throws unless `value` is a finite number >= 0. */
export function checkNonNegative(value: number, argument: string): void {
  if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value)) throw new ValueError(argument, value, 'a finite number >= 0');
}

/** Throws unless `value` is an integer >= min. */
export function checkInteger(value: number, argument: string, min: number): void {
  if (!(Number.isInteger(value) && value >= min)) throw new ValueError(argument, value, `an integer >= ${min}`);
}

/**
 * Returns `result` after checking it holds no NaN/Infinity; otherwise throws NonFiniteError naming
 * `what`: finite inputs can still overflow inside (squared distances of values near 1e300), and a
 * field must say so rather than return NaN.
 */
export function checkResult<T extends { data: ArrayLike<number> } | ArrayLike<number>>(result: T, what: string): T {
  const data: ArrayLike<number> = 'data' in result ? result.data : result;
  const i = firstNonFinite(data);
  if (i >= 0) throw new NonFiniteError(what, i, data[i]!, 'an intermediate overflowed for these inputs; rescale x and the reference');
  return result;
}
