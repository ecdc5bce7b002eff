import { NonFiniteError, ValueError } from './errors.js';

type NumericArray = ArrayLike<number>;

// Bound once: global lookups per element are slow inside vm contexts (jest's ESM runner).
const { isFinite } = Number;

/**
 * Index of the first NaN/Inf in `values`, or -1. One branch-free pass (v * 0 is NaN exactly for
 * non-finite v) over four accumulators; the index search runs only when something was found.
 */
export function firstNonFinite(values: NumericArray): number {
  const n = values.length;
  const m = n - (n % 4);
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  for (let i = 0; i < m; i += 4) {
    s0 += values[i]! * 0;
    s1 += values[i + 1]! * 0;
    s2 += values[i + 2]! * 0;
    s3 += values[i + 3]! * 0;
  }
  for (let i = m; i < n; i++) s0 += values[i]! * 0;
  if (s0 + s1 + s2 + s3 === 0) return -1;
  for (let i = 0; i < n; i++) {
    if (!isFinite(values[i])) return i;
  }
  return -1;
}

/** Throws {@link NonFiniteError} naming `argument` when `values` holds NaN or +-Infinity. */
export function assertFinite(values: NumericArray, argument: string, context = ''): void {
  const i = firstNonFinite(values);
  if (i >= 0) throw new NonFiniteError(argument, i, values[i]!, context);
}

/** Throws {@link ValueError} unless `value` is a finite number > 0. */
export function assertPositive(value: number, argument: string): void {
  if (!(Number.isFinite(value) && value > 0)) throw new ValueError(argument, value, 'a finite number > 0');
}

/** Throws {@link ValueError} unless `value` is an integer >= `min`. */
export function assertInteger(value: number, argument: string, min = 0): void {
  if (!(Number.isInteger(value) && value >= min)) throw new ValueError(argument, value, `an integer >= ${min}`);
}
