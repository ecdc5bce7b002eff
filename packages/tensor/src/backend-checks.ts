// Argument checks of the Backend operations that every backend shares (the reference and the
// WebAssembly backend throw the same typed errors naming the same arguments).
import type { Coef, SoftmaxOptions } from './backend.js';
import { ShapeError, ValueError } from './errors.js';
import { Tensor, assertSameShape, formatShape } from './tensor.js';

/** Throws unless `c` is a scalar or one value per row. */
export function checkCoef(c: Coef, rows: number, argument: string): void {
  if (typeof c !== 'number' && c.length !== rows) throw new ShapeError(argument, `a scalar or ${rows} per-row values`, `${c.length} values`);
}

/** Whether `options` asks for float32 exponentials (`exp: 'float32'`); throws for an `exp` other than 'float32' or 'float64'. */
export function checkSoftmaxOptions(options: SoftmaxOptions | undefined): boolean {
  const exp: string = options?.exp ?? 'float64';
  if (exp !== 'float64' && exp !== 'float32') throw new ValueError('options.exp', exp, "'float64' or 'float32'");
  return exp === 'float32';
}

/** `out`, checked against `like`, or a new zero tensor shaped like it. */
export function outFor(like: Tensor, out: Tensor | undefined, argument = 'out'): Tensor {
  if (!out) return Tensor.zeros(like.shape, like.dtype);
  assertSameShape(like, out, 'the inputs', argument);
  return out;
}

/**
 * Checks the terms of a linear combination (at least one; same shapes; per-row coefficients of the
 * right length) and returns the first tensor.
 */
export function checkLincombTerms(terms: readonly (readonly [Coef, Tensor])[]): Tensor {
  if (terms.length === 0) throw new ValueError('terms', terms, 'at least one (coefficient, tensor) term');
  const first = terms[0]![1];
  terms.forEach(([c, t], k) => {
    assertSameShape(first, t, 'terms[0]', `terms[${k}]`);
    checkCoef(c, first.rows, `terms[${k}] coefficient`);
  });
  return first;
}

/**
 * Checks the terms of a linear combination ({@link checkLincombTerms}) and returns the first
 * tensor and the output (allocated like the first when `out` is absent).
 */
export function checkLincomb(terms: readonly (readonly [Coef, Tensor])[], out: Tensor | undefined): { first: Tensor; out: Tensor } {
  const first = checkLincombTerms(terms);
  return { first, out: outFor(first, out) };
}

/**
 * Argument checks of `Backend.matmul` shared by every backend: 2-D operands whose inner
 * dimensions agree; returns the product's `[m, k] x [k, n]` sizes.
 */
export function checkMatmul(a: Tensor, b: Tensor, options: { transA?: boolean; transB?: boolean }): { m: number; k: number; n: number } {
  if (a.shape.length !== 2) throw new ShapeError('a', '[M, K] (2-D)', formatShape(a.shape));
  if (b.shape.length !== 2) throw new ShapeError('b', '[K, N] (2-D)', formatShape(b.shape));
  const [m, k] = options.transA ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
  const [kb, n] = options.transB ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!];
  if (k !== kb) throw new ShapeError('b', `inner dimension ${k} (from a ${formatShape(a.shape)})`, formatShape(b.shape));
  return { m, k, n };
}
