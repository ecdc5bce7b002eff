// The Backend interface and the types of its arguments: types only (no code, no imports of
// implementations), so every backend and the registry can depend on it without a cycle.
import type { PhiloxCall } from './philox-stream.js';
import type { DType, Tensor } from './tensor.js';

/** A scalar coefficient, or one coefficient per batch row (length = rows). */
export type Coef = number | Float64Array;

/** A row-major float64 matrix, used for distances, log-weights and other reductions. */
export interface Matrix64 {
  readonly data: Float64Array;
  readonly rows: number;
  readonly cols: number;
}

/** Options of {@link Backend.softmaxRows}. */
export interface SoftmaxOptions {
  /**
   * Precision of the exponentials. `'float64'` (default): float64 throughout. `'float32'` (opt in,
   * for speed: the WebAssembly backend evaluates the exponential's polynomial in float32 SIMD lanes,
   * four at a time; the reference `CpuBackend` computes the same float32 operations, slower than
   * its float64 `Math.exp`): every weight within a relative 2^-21 (4.8e-7) of the float64 result and the
   * log-sum-exp within 2^-21 absolute, except that weights below exp(-708) of the row's largest
   * (< 3.3e-308) may be 0. The max subtraction, the range reduction, the sums and the
   * normalisation stay in float64, and the errors thrown are those of the float64 path. A backend
   * may ignore it and compute in float64 (the bound holds).
   */
  readonly exp?: 'float64' | 'float32';
}

/**
 * The operations phys algorithms need from a compute backend. Algorithms are written once against
 * this interface; a backend decides how (plain TypeScript, WASM, native, GPU). Every operation
 * checks shapes and throws {@link ShapeError} naming the argument. Operations that take `out`
 * write into it (it may alias an input) and return it; without `out` they allocate.
 */
export interface Backend {
  readonly name: string;

  /**
   * Where this backend computes: `'host'` (absent means the same; CPU and WebAssembly, whose
   * memory host code reads and writes directly) or `'device'` (CUDA: a plain tensor passed to an
   * operation is copied to the device for that call). Code that makes a tensor outside the backend
   * and hands it to several operations (an ONNX denoiser's output) allocates it with
   * {@link Backend.zeros} and fills it through `writeData()` where this is `'device'`, so it
   * crosses once.
   */
  readonly location?: 'host' | 'device';

  /**
   * A zero tensor of `shape` in the memory this backend computes on: a plain tensor on the CPU
   * backend, a resident one (`WasmTensor`, `CudaTensor`) on backends with memory of their own, so
   * operations on it skip the copies in and out. Release it with `dispose()` (or `tidy`) when done
   * (plain tensors ignore that); an undisposed one is freed only when garbage collected.
   */
  zeros(shape: readonly number[], dtype?: DType): Tensor;

  /** A copy of `t` in the memory this backend computes on (see {@link Backend.zeros}). */
  clone(t: Tensor): Tensor;

  /**
   * Fused linear combination `out = sum_k coef_k * x_k` in one pass over memory. Each coefficient
   * is a scalar or a per-row vector. Solver updates (Euler, Heun, DDIM, churn) are one call.
   */
  lincomb(terms: readonly (readonly [Coef, Tensor])[], out?: Tensor): Tensor;

  /** `out = a*x + b*y` (the two-term {@link Backend.lincomb}). */
  axpby(a: Coef, x: Tensor, b: Coef, y: Tensor, out?: Tensor): Tensor;

  /** `out = x * s` with `s` scalar or per row. */
  scaleRows(x: Tensor, s: Coef, out?: Tensor): Tensor;

  /** Elementwise product `out = x * y`. */
  mul(x: Tensor, y: Tensor, out?: Tensor): Tensor;

  /** Per-row sum, accumulated in float64. */
  rowSum(x: Tensor): Float64Array;

  /** Per-row dot product `<x_i, y_i>`, float64. */
  rowDot(x: Tensor, y: Tensor): Float64Array;

  /** Per-row squared Euclidean norm, float64. */
  rowNormSq(x: Tensor): Float64Array;

  /** Per-row Euclidean norm, float64. */
  rowNorm(x: Tensor): Float64Array;

  /** Matrix product of 2-D views: `a` is `[M, K]` (or `[K, M]` with transA), `b` is `[K, N]` (or `[N, K]` with transB). */
  matmul(a: Tensor, b: Tensor, options?: { transA?: boolean; transB?: boolean }): Tensor;

  /** Squared distances `|x_i - y_j|^2` between the rows of `x` `[B, ...]` and `y` `[n, ...]`, as a `[B, n]` float64 matrix. */
  pairwiseSqDist(x: Tensor, y: Tensor): Matrix64;

  /**
   * Row-wise softmax of a float64 matrix, in place, max-subtracted; returns the row log-sum-exp.
   * Weights below exp(-745) flush to 0; a row of all -Infinity throws. `options.exp: 'float32'`
   * allows exponentials of float32 accuracy (see {@link SoftmaxOptions}).
   */
  softmaxRows(logits: Matrix64, options?: SoftmaxOptions): Float64Array;

  /** `out[i] = sum_j w[i, j] * y[j]`: `w` is `[B, n]` float64, `y` is `[n, ...]`; returns `[B, ...]`. */
  weightedSum(w: Matrix64, y: Tensor): Tensor;

  /**
   * Fills `out` (any dtype) with the standard normals of one {@link PhiloxRng} draw call: row `r`
   * gets the first `out.rowSize` values of Box-Muller on the words of its Philox stream `draw`
   * (consecutive word pairs, cosine then sine, an odd row length drops the last sine; see
   * `RowStream`). Every backend gives bit-identical results (deterministic log/sin/cos in
   * `normal-math.ts`, no fused multiply-add). Returns `out`.
   * @throws ValueError when a word of `draw` is not a uint32.
   */
  philoxNormal(out: Tensor, draw: PhiloxCall): Tensor;

  /**
   * Flat index of the first NaN or +-Infinity in `x`, or -1: the check samplers run on every
   * denoiser output (same answer as {@link firstNonFinite} of `x.data` on every backend).
   */
  firstNonFinite(x: Tensor): number;
}
