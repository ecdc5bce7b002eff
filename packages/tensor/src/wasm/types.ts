// WebAssembly JS API types shared by the backend and the platform modules (a leaf module: no imports).

/** A compiled WebAssembly module (opaque). */
export type WasmModule = object;

/** A WebAssembly linear memory. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

/** A kernel function: byte addresses and sizes in, results in memory. */
export type Kernel = (...args: number[]) => void;
