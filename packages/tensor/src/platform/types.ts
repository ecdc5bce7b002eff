// What the WebAssembly backend needs from its host (Node or a browser): the kernel module's bytes,
// the core count and worker threads. `#tensor-platform` (package.json "imports") resolves to
// ./node.js under the `node` condition and to ./browser.js elsewhere, so the platform-neutral
// modules never import a Node built-in.
import type { WasmMemory, WasmModule } from '../wasm/types.js';

/** What a kernel worker receives when it starts (see ../wasm/jobs.ts for the control block). */
export interface WorkerInit {
  /** The compiled shared-memory kernel module. */
  readonly module: WasmModule;
  /** The shared memory the kernels of every thread work on. */
  readonly memory: WasmMemory;
  /** The control block (over a SharedArrayBuffer). */
  readonly ctrl: Int32Array;
  /** Kernel names, indexed by the control block's kernel number. */
  readonly names: readonly string[];
}

/** A started kernel worker. */
export interface WorkerHandle {
  /** Stops the worker. */
  terminate(): void;
}

/** The host services of the WebAssembly backend. */
export interface Platform {
  /** `node` or `browser` (any other host with Web Workers). */
  readonly name: 'node' | 'browser';
  /**
   * The kernel module's bytes (`shared`: the variant importing a shared memory) when they can be
   * read synchronously (Node), else `undefined`.
   */
  readKernels(shared: boolean): Uint8Array | undefined;
  /** The kernel module's bytes, asynchronously (a file read in Node, `fetch` in a browser). */
  fetchKernels(shared: boolean): Promise<Uint8Array>;
  /** Logical cores available to this process. */
  cpuCount(): number;
  /** Why worker threads with a shared memory cannot run here, or `undefined` when they can. */
  threadsUnavailable(): string | undefined;
  /**
   * Starts a kernel worker running ../wasm/worker.ts with `init`; `onExit` is called with a reason
   * if it fails or exits. The worker never keeps a Node process alive.
   */
  startWorker(init: WorkerInit, onExit: (why: string) => void): WorkerHandle;
  /** Reports a warning (process.emitWarning in Node, console.warn elsewhere). */
  warn(message: string): void;
}
