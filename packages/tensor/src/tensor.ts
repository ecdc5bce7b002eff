import { ShapeError, ValueError } from './errors.js';

/** Number of elements of a shape. */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** `[2,3,4]` -> `"[2, 3, 4]"`, for messages. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * Element count of a tensor shape, checked before anything is allocated: ValueError for a shape
 * that is not an array of non-negative integers (at least one dimension) or whose size exceeds
 * 2^32 - 1 elements (more than a typed array holds).
 */
export function checkedSize(shape: readonly number[]): number {
  if (!Array.isArray(shape) || shape.length === 0) throw new ValueError('shape', shape, 'at least one dimension (batch-first)');
  for (const d of shape) {
    if (!(Number.isInteger(d) && d >= 0)) throw new ValueError('shape', shape, 'non-negative integer dimensions');
  }
  const size = shapeSize(shape);
  if (size > 0xffffffff) throw new ValueError('shape', shape, 'at most 4294967295 elements in all');
  return size;
}

/** Storage type of a tensor. float32 is the default; float64 serves reference checks and exact work. */
export type DType = 'float32' | 'float64';

/** The typed array behind a tensor. */
export type TensorData = Float32Array | Float64Array;

/** A zero-filled typed array of `dtype`. */
export function allocate(size: number, dtype: DType = 'float32'): TensorData {
  return dtype === 'float64' ? new Float64Array(size) : new Float32Array(size);
}

/**
 * A row-major, batch-first tensor, float32 by default (float64 on request). `shape[0]` is the batch (row) count; each row holds
 * `rowSize = product(shape.slice(1))` contiguous values. Tensors are plain views over a
 * `Float32Array` (or `Float64Array`); `dispose()` releases device memory on backends that hold any (no-op on CPU) so
 * code written against the CPU backend also runs on device backends.
 */
export class Tensor {
  readonly shape: readonly number[];
  readonly data: TensorData;
  /** Values per batch row: `product(shape.slice(1))`. */
  readonly rowSize: number;

  constructor(data: TensorData, shape: readonly number[]) {
    const size = checkedSize(shape);
    if (data.length !== size) {
      throw new ShapeError('data', `${size} elements for shape ${formatShape(shape)}`, `${data.length} elements`);
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
    this.rowSize = shapeSize(shape.slice(1));
  }

  /** A zero tensor of `shape`. */
  static zeros(shape: readonly number[], dtype: DType = 'float32'): Tensor {
    return new Tensor(allocate(checkedSize(shape), dtype), shape);
  }

  /** A tensor copying `values` (any numeric array) with `shape`. */
  static from(values: ArrayLike<number>, shape: readonly number[], dtype: DType = 'float32'): Tensor {
    checkedSize(shape);
    return new Tensor(dtype === 'float64' ? Float64Array.from(values) : Float32Array.from(values), shape);
  }

  /** `'float32'` or `'float64'`. */
  get dtype(): DType {
    return this.data instanceof Float64Array ? 'float64' : 'float32';
  }

  /** A copy converted to `dtype` (a copy even when the dtype is unchanged). */
  astype(dtype: DType): Tensor {
    return Tensor.from(this.data, this.shape, dtype);
  }

  /** Batch size (`shape[0]`). */
  get rows(): number {
    return this.shape[0]!;
  }

  /** Total number of elements. */
  get size(): number {
    return this.data.length;
  }

  /** A deep copy. */
  clone(): Tensor {
    return new Tensor(this.data.slice(), this.shape);
  }

  /** Same data, new shape with the same number of elements (no copy). */
  reshape(shape: readonly number[]): Tensor {
    return new Tensor(this.data, shape);
  }

  /** Rows `[start, end)` as a view sharing memory with this tensor. */
  sliceRows(start: number, end: number): Tensor {
    const rs = this.rowSize;
    return new Tensor(this.data.subarray(start * rs, end * rs), [end - start, ...this.shape.slice(1)]);
  }

  /** Row `i` as a view. */
  row(i: number): TensorData {
    const rs = this.rowSize;
    return this.data.subarray(i * rs, (i + 1) * rs);
  }

  /**
   * The values, for reading only: `data` itself on host backends. A device backend may hand out
   * its host copy without counting it as written, so the device copy stays valid and is not
   * uploaded again before the next operation (reading `data` must assume the caller writes into
   * it). Do not write into the returned array. Consumers that only read a tensor (an ONNX session's
   * input, a PNG encoder) use this.
   */
  readData(): TensorData {
    return this.data;
  }

  /**
   * An array for overwriting every value: `data` itself on host backends. A device backend hands
   * out its host copy without first downloading the device values, and uploads it once, before the
   * device next reads the tensor: write every value before the next operation on it. What the
   * array holds before the caller writes is unspecified.
   * Producers that fill a whole tensor (an ONNX session's output) use this.
   */
  writeData(): TensorData {
    return this.data;
  }

  /** Release backend memory. A no-op for CPU tensors; safe to call twice. */
  dispose(): void {
    /* CPU tensors are garbage collected. */
  }
}

/** Throws {@link ShapeError} unless `t.shape` equals `expected`. */
export function assertShape(t: Tensor, expected: readonly number[], argument: string): void {
  if (t.shape.length !== expected.length || t.shape.some((d, i) => d !== expected[i])) {
    throw new ShapeError(argument, formatShape(expected), formatShape(t.shape));
  }
}

/** Throws {@link ShapeError} unless both tensors have the same shape. */
export function assertSameShape(a: Tensor, b: Tensor, argumentA: string, argumentB: string): void {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new ShapeError(argumentB, `${formatShape(a.shape)} (the shape of ${argumentA})`, formatShape(b.shape));
  }
}

/**
 * Runs `fn` and disposes every tensor registered with the `track` callback it receives, except
 * the returned one. Use it in loops so device backends free temporaries.
 */
export function tidy<T>(fn: (track: <U extends Tensor>(t: U) => U) => T): T {
  const tracked: Tensor[] = [];
  const result = fn((t) => {
    tracked.push(t);
    return t;
  });
  for (const t of tracked) if (t !== (result as unknown)) t.dispose();
  return result;
}
