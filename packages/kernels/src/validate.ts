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

/**
 * Throws unless `sigma` is a finite number > 0 and `sqDist` a number >= 0 (+Infinity allowed: weight
 * 0), so a log-kernel returns a defined value (a number or -Infinity), never NaN or +Infinity.
 */
export function checkLogKernelArgs(sqDist: number, sigma: number): void {
  checkNoiseLevel(sigma, 'sigma');
  if (!(sqDist >= 0)) throw new ValueError('sqDist', sqDist, 'a squared distance >= 0');
}

/**
 * Throws unless `sigma` is a noise level whose square is a finite normal number (sigma in about
 * [1.5e-154, 1.3e154]), so sigma^2 and the kernel's scales neither underflow to 0 (0/0) nor overflow.
 */
export function checkNoiseLevel(sigma: number, argument: string): void {
  const s2 = typeof sigma === 'number' ? sigma * sigma : NaN;
  if (!(sigma > 0 && s2 >= 2.2250738585072014e-308 && s2 < Infinity)) {
    throw new ValueError(argument, sigma, 'a noise level > 0 whose square neither underflows nor overflows (1.5e-154 to 1.3e154)');
  }
}
