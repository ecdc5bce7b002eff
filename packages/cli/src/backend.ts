import { availableParallelism } from 'node:os';
import { CpuBackend, createWasmBackend, setBackend, type Backend } from '@phys/tensor';
import { UsageError } from './errors.js';

/** What the CLI runs on: `fast` (default), `wasm` or `cpu` (the values of `PHYS_BACKEND`). */
export const BACKEND_NAMES = ['fast', 'wasm', 'cpu'] as const;

/** The backend chosen by {@link selectBackend}, and why it is not the one asked for, if so. */
export interface BackendChoice {
  readonly backend: Backend;
  readonly fallback?: string;
}

/**
 * Maps `PHYS_BACKEND` to `setBackend` (the libraries read no environment variable):
 * - unset, empty or `fast`: `createFastBackend()` of @phys/onnx (WebAssembly SIMD on all cores, large
 *   products in onnxruntime), imported only now so that `phys --help` never loads onnxruntime; where
 *   the engine does not load, the same WebAssembly backend without it, then the CPU reference;
 * - `wasm`: the WebAssembly SIMD backend on all cores, without onnxruntime;
 * - `cpu`: the CPU reference backend.
 * `loadOnnx` is the import of @phys/onnx (a test replaces it).
 * @throws UsageError for any other value.
 */
export async function selectBackend(value: string | undefined, loadOnnx: () => Promise<typeof import('@phys/onnx')> = () => import('@phys/onnx')): Promise<BackendChoice> {
  const name = value === undefined || value === '' ? 'fast' : value;
  const threads = availableParallelism();
  const wasmOrCpu = (): Backend => createWasmBackend({ threads }) ?? new CpuBackend();
  let choice: BackendChoice;
  if (name === 'cpu') choice = { backend: new CpuBackend() };
  else if (name === 'wasm') choice = { backend: wasmOrCpu() };
  else if (name === 'fast') {
    try {
      const fast = (await loadOnnx()).createFastBackend({ threads });
      choice = fast ? { backend: fast } : { backend: new CpuBackend(), fallback: 'WebAssembly SIMD is not available' };
    } catch (e) {
      choice = { backend: wasmOrCpu(), fallback: `the onnxruntime GEMM engine did not load: ${e instanceof Error ? e.message : String(e)}` };
    }
  } else {
    throw new UsageError(`PHYS_BACKEND must be one of ${BACKEND_NAMES.join(', ')}, got '${name}'`);
  }
  setBackend(choice.backend);
  return choice;
}
