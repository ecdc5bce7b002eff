import { NonFiniteError, ValueError } from './errors.js';

type NumericArray = ArrayLike<number>;

// Bound once: global lookups per element are slow inside vm contexts (jest's ESM runner).
const { isFinite } = Number;

/** Index of the first NaN/Inf in `values`, or -1. */
export function firstNonFinite(values: NumericArray): number {
  for (let i = 0; i < values.length; i++) {
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
