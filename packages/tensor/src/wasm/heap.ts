// The block allocator of a WebAssembly memory: every byte a WasmBackend uses (resident tensors,
// the staging block of an operation, withScratch blocks) is a block of it, so none overwrites
// another. Blocks come in size classes (at most 1/8 above the request, multiples of 64 bytes, so
// every block is 64-byte aligned); a released block goes to its class's free list and the next
// request of that class takes it back (a sampler's per-step tensors reuse the same few blocks).
// Blocks that are not on a free list are cut from the top; a released block at the top lowers it.
// The memory grows when the top passes its end and never shrinks.
import type { WasmMemory } from './types.js';

const PAGE = 65536;

/** The size class of a request of `bytes`: rounded up to a step of 1/8 of its power of two, at least 64 bytes. */
export function sizeClass(bytes: number): number {
  const n = Math.max(bytes, 64);
  const step = Math.max(64, 2 ** (Math.floor(Math.log2(n)) - 3));
  return Math.ceil(n / step) * step;
}

export class WasmHeap {
  /** End of the highest block cut so far. */
  private top = 0;
  /** Size class (bytes) -> addresses of free blocks of that class. */
  private readonly free = new Map<number, number[]>();
  /** End address -> start address of each free block (to lower the top past free blocks). */
  private readonly freeByEnd = new Map<number, number>();
  /** Start address -> size class of each block in use. */
  private readonly used = new Map<number, number>();

  constructor(readonly memory: WasmMemory) {}

  /** Bytes in blocks in use (for tests and diagnostics). */
  get bytesInUse(): number {
    let n = 0;
    for (const c of this.used.values()) n += c;
    return n;
  }

  /** The address of a block of at least `bytes` bytes (contents undefined), growing the memory as needed. */
  alloc(bytes: number): number {
    const c = sizeClass(bytes);
    const reuse = this.free.get(c)?.pop();
    let ptr: number;
    if (reuse !== undefined) {
      ptr = reuse;
      this.freeByEnd.delete(ptr + c);
    } else {
      ptr = this.top;
      this.top += c;
      const need = this.top - this.memory.buffer.byteLength;
      if (need > 0) this.memory.grow(Math.ceil(need / PAGE));
    }
    this.used.set(ptr, c);
    return ptr;
  }

  /** Returns the block at `ptr` (from {@link WasmHeap.alloc}) to the heap. */
  release(ptr: number): void {
    const c = this.used.get(ptr);
    if (c === undefined) throw new Error(`WasmHeap: no block in use at ${ptr}`);
    this.used.delete(ptr);
    if (ptr + c !== this.top) {
      const list = this.free.get(c);
      if (list) list.push(ptr);
      else this.free.set(c, [ptr]);
      this.freeByEnd.set(ptr + c, ptr);
      return;
    }
    this.top = ptr;
    // Free blocks now at the top leave their lists and lower it further.
    for (let start = this.freeByEnd.get(this.top); start !== undefined; start = this.freeByEnd.get(this.top)) {
      const list = this.free.get(this.top - start)!;
      list.splice(list.lastIndexOf(start), 1);
      this.freeByEnd.delete(this.top);
      this.top = start;
    }
  }
}
