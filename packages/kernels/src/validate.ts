// Argument checks shared by the kernels. Every failure is a typed @phys/tensor error that names
// the argument and the value.
import { NonFiniteError, ShapeError, ValueError, assertFinite, type Tensor } from '@phys/tensor';

/** Throws unless `sigma` holds `rows` finite values > 0 (one noise level per batch row). */
export function checkSigmaRows(sigma: Float64Array, rows: number, argument = 'sigma'): void {
  if (!(sigma instanceof Float64Array)) throw new ValueError(argument, sigma, 'a Float64Array with one noise level per row');
  if (sigma.length !== rows) throw new ShapeError(argument, `${rows} values (one per batch row)`, `${sigma.length} values`);
  for (let i = 0; i < sigma.length; i++) {
    const s = sigma[i]!;
    if (Number.isNaN(s) || s === Infinity) throw new NonFiniteError(argument, i, s);
    if (!(s > 0)) throw new ValueError(`${argument}[${i}]`, s, 'a finite number > 0');
  }
}

/** Throws unless `value` is a finite number > 0. */
export function checkPositive(value: number, argument: string): void {
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) throw new ValueError(argument, value, 'a finite number > 0');
}

/** Throws unless `value` is a finite number >= 0. */
export function checkNonNegative(value: number, argument: string): void {
  if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value)) throw new ValueError(argument, value, 'a finite number >= 0');
}

/** Throws unless `shape` is a batch-first shape with at least one data dimension of positive size. */
export function checkShape(shape: readonly number[], argument = 'shape'): void {
  if (!Array.isArray(shape) || shape.length < 2 || shape.some((d) => !(Number.isInteger(d) && d >= 0)) || shape.slice(1).some((d) => d === 0)) {
    throw new ValueError(argument, shape, 'a batch-first shape [rows, ...dims] with positive data dimensions');
  }
}

/** Throws unless the tensor has rows of at least one value and only finite entries. */
export function checkData(t: Tensor, argument: string): void {
  if (t.shape.length < 2 || t.rowSize === 0) throw new ShapeError(argument, '[rows, ...dims] with positive data dimensions', `[${t.shape.join(', ')}]`);
  assertFinite(t.data, argument);
}

/** Throws unless 0 <= sigmaFrom <= sigmaTo, both finite (Restart's forward step). */
export function checkForwardLevels(sigmaFrom: number, sigmaTo: number, sNoise: number): void {
  checkNonNegative(sigmaFrom, 'sigmaFrom');
  checkPositive(sigmaTo, 'sigmaTo');
  if (sigmaTo < sigmaFrom) throw new ValueError('sigmaTo', sigmaTo, `a noise level >= sigmaFrom = ${sigmaFrom}`);
  checkNonNegative(sNoise, 'sNoise');
}
