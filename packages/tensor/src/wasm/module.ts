// The compiled kernel module (assembly/*.ts, built by asc into dist/kernels.wasm and
// dist/kernels-shared.wasm) and the few WebAssembly JS API members the backend uses. Compiled
// once per process and variant; synchronously where the host can read the bytes synchronously
// (Node), else after `loadWasmKernels()`.
import { platform } from '#tensor-platform';
import type { Kernel, WasmMemory, WasmModule } from './types.js';

export type { Kernel, WasmMemory, WasmModule } from './types.js';

// The ES2022 lib used for type checking declares no WebAssembly; these are the members used.
interface WasmApi {
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { exports: Record<string, unknown> };
  compile(bytes: Uint8Array): Promise<WasmModule>;
}

/** Maximum size of a shared memory (the whole 32-bit address space; reserved, not allocated); dist/kernels-shared.wasm declares the same. */
export const SHARED_MAX_PAGES = 65536;

function api(): WasmApi {
  const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (!wasm) throw new Error('WebAssembly is not available in this JavaScript engine');
  return wasm;
}

const modules: { plain?: WasmModule; shared?: WasmModule } = {};
const failed: { plain?: unknown; shared?: unknown } = {};

/**
 * The compiled kernel module (`shared`: importing a shared memory), or `undefined` when it cannot
 * be had synchronously (not loaded yet in a browser) or does not compile here (no WebAssembly
 * SIMD). The error of a failed attempt is kept in {@link kernelError}.
 */
export function kernelModule(shared: boolean): WasmModule | undefined {
  const key = shared ? 'shared' : 'plain';
  if (modules[key] !== undefined || failed[key] !== undefined) return modules[key];
  try {
    const bytes = platform.readKernels(shared);
    if (bytes === undefined) return undefined;
    modules[key] = new (api().Module)(bytes);
  } catch (e) {
    failed[key] = e;
  }
  return modules[key];
}

/** Why {@link kernelModule} gave `undefined`, if it tried and failed. */
export function kernelError(shared: boolean): unknown {
  return failed[shared ? 'shared' : 'plain'];
}

/**
 * Loads and compiles the kernel modules asynchronously (a browser's main thread must: fetch, then
 * `WebAssembly.compile`); resolves to whether the plain module is usable. In Node it is optional
 * (the modules load synchronously on first use). The shared-memory variant is loaded only where
 * worker threads can run.
 */
export async function loadWasmKernels(): Promise<boolean> {
  const load = async (shared: boolean): Promise<void> => {
    const key = shared ? 'shared' : 'plain';
    if (modules[key] !== undefined) return;
    try {
      modules[key] = await api().compile(await platform.fetchKernels(shared));
      failed[key] = undefined;
    } catch (e) {
      failed[key] = e;
    }
  };
  await Promise.all([load(false), ...(platform.threadsUnavailable() === undefined ? [load(true)] : [])]);
  return modules.plain !== undefined;
}

/**
 * A linear memory of `pages` 64 KiB pages (it grows on demand); `shared`: a shared memory (its
 * buffer a SharedArrayBuffer) of at most {@link SHARED_MAX_PAGES}.
 */
export function createWasmMemory(pages: number, shared = false): WasmMemory {
  const Memory = api().Memory;
  return shared ? new Memory({ initial: pages, maximum: SHARED_MAX_PAGES, shared: true }) : new Memory({ initial: pages });
}

/** Instantiates the kernel module on `memory` (its single import, `env.memory`); returns the kernels by name. */
export function instantiateKernels(module: WasmModule, memory: WasmMemory): Record<string, Kernel> {
  const exports = new (api().Instance)(module, { env: { memory } }).exports;
  const kernels: Record<string, Kernel> = {};
  for (const [name, value] of Object.entries(exports)) if (typeof value === 'function') kernels[name] = value as Kernel;
  return kernels;
}
