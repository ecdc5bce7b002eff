// Tensors whose values live in a WasmBackend's WebAssembly memory (see docs/fast-path.md, "Resident
// tensors"): a block of the backend's heap holds the values, the backend's kernels read and write
// them in place, and `data` is a typed-array view of the block.
import { ValueError } from '../errors.js';
import { Tensor, checkedSize, type DType, type TensorData } from '../tensor.js';
import type { WasmHeap } from './heap.js';

const ESIZE: Record<DType, number> = { float32: 4, float64: 8 };

/** A heap block shared by a resident tensor and its views (reshape, sliceRows). */
class Block {
  /** Tensors that have not been disposed; the block returns to the heap when the last one is. */
  refs = 1;
  freed = false;

  constructor(
    readonly heap: WasmHeap,
    readonly ptr: number,
  ) {
    finalizer.register(this, { heap, ptr }, this);
  }

  release(): void {
    if (this.freed || --this.refs > 0) return;
    this.freed = true;
    finalizer.unregister(this);
    this.heap.release(this.ptr);
  }
}

/** Frees the blocks of resident tensors that were garbage collected without `dispose()`. */
const finalizer = new FinalizationRegistry<{ heap: WasmHeap; ptr: number }>(({ heap, ptr }) => {
  heap.release(ptr);
});

/** Keeps a block alive while a `data` or `row` array handed out for it is reachable (the tensor may not be). */
const holders = new WeakMap<TensorData, Block>();

/**
 * A tensor whose values live in a {@link WasmBackend}'s WebAssembly memory (made by its `zeros`
 * and `clone`, and by `clone()` of another resident tensor). Operations of that backend read and
 * write it in place, without copying it into and out of the memory. `data` is a typed-array view of the
 * block: writes to it are the tensor's values. On an unshared memory (a single-threaded backend) a
 * `data` array held across a backend call may be detached by the memory's growth (length 0): read
 * `data` again after each call. `dispose()` returns the block to the backend's heap (the tensor is
 * unusable after it; views made by `reshape`/`sliceRows` keep the block until they are disposed
 * too); blocks of tensors that are garbage collected undisposed are returned eventually.
 */
export class WasmTensor extends Tensor {
  private readonly block: Block;
  private readonly elems: number;
  private readonly kind: DType;
  private disposed = false;
  private cached: TensorData | undefined;

  /** A tensor of `shape` in a new block of `heap` (contents undefined: the caller fills it). */
  static allocate(heap: WasmHeap, shape: readonly number[], dtype: DType): WasmTensor {
    const n = checkedSize(shape);
    return new WasmTensor(new Block(heap, heap.alloc(n * ESIZE[dtype])), 0, n, shape, dtype);
  }

  /** A copy of `t` (any tensor) in a new block of `heap`. */
  static copyOf(heap: WasmHeap, t: Tensor): WasmTensor {
    const c = WasmTensor.allocate(heap, t.shape, t.dtype);
    c.data.set(t.data);
    return c;
  }

  private constructor(
    block: Block,
    /** Byte offset of the first value in the block. */
    private readonly offset: number,
    size: number,
    shape: readonly number[],
    dtype: DType,
  ) {
    // The base class checks the length against the shape; the real `data` is the accessor below.
    super({ length: size } as unknown as TensorData, shape);
    this.block = block;
    this.elems = size;
    this.kind = dtype;
    Object.defineProperty(this, 'data', { get: () => this.values(), configurable: true, enumerable: true });
  }

  /** The heap holding the values. */
  get heap(): WasmHeap {
    return this.block.heap;
  }

  /** Byte address of the first value in the heap's memory; throws once disposed. */
  get address(): number {
    this.live();
    return this.block.ptr + this.offset;
  }

  override get dtype(): DType {
    return this.kind;
  }

  override get size(): number {
    return this.elems;
  }

  private live(): void {
    if (this.disposed || this.block.freed) {
      throw new ValueError('tensor', 'disposed', 'a tensor whose WebAssembly memory has not been released (dispose)');
    }
  }

  /** The view of the block, re-created when growth detached the previous one. */
  private values(): TensorData {
    let v = this.cached;
    if (v === undefined || (v.length === 0 && this.elems > 0)) {
      const buffer = this.block.heap.memory.buffer;
      const at = this.address;
      v = this.kind === 'float64' ? new Float64Array(buffer, at, this.elems) : new Float32Array(buffer, at, this.elems);
      holders.set(v, this.block);
      this.cached = v;
    } else this.live();
    return v;
  }

  /** Row `i` as a view; like `data`, the array keeps the block alive while it is reachable. */
  override row(i: number): TensorData {
    const r = super.row(i);
    holders.set(r, this.block);
    return r;
  }

  /** A view of `size` values from byte `offset` of this tensor's block. */
  private view(offset: number, size: number, shape: readonly number[]): WasmTensor {
    this.live();
    const t = new WasmTensor(this.block, offset, size, shape, this.kind);
    this.block.refs++;
    return t;
  }

  /** A resident copy (in the same heap). */
  override clone(): Tensor {
    return WasmTensor.copyOf(this.heap, this);
  }

  override reshape(shape: readonly number[]): Tensor {
    return this.view(this.offset, this.elems, shape);
  }

  override sliceRows(start: number, end: number): Tensor {
    if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start <= end && end <= this.rows)) {
      throw new ValueError('rows', [start, end], `0 <= start <= end <= ${this.rows}`);
    }
    const rs = this.rowSize;
    return this.view(this.offset + start * rs * ESIZE[this.kind], (end - start) * rs, [end - start, ...this.shape.slice(1)]);
  }

  /** Returns the block to the heap once every view of it is disposed; safe to call twice. */
  override dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.cached = undefined;
    this.block.release();
  }
}
