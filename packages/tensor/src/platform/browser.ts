// The host of the WebAssembly backend outside Node (browsers, and other engines with fetch and
// Web Workers): kernel bytes fetched next to this file, navigator.hardwareConcurrency, module Web
// Workers on a shared memory where the page is cross-origin isolated. Chosen by the default
// condition of "#tensor-platform"; it references no Node built-in and no `process`.
import type { Platform, WorkerHandle, WorkerInit } from './types.js';

interface WebWorker {
  postMessage(message: unknown): void;
  terminate(): void;
  onerror: ((event: { message?: string }) => void) | null;
}
interface WebHost {
  fetch?: (url: URL) => Promise<{ ok: boolean; status: number; arrayBuffer(): Promise<ArrayBuffer> }>;
  navigator?: { hardwareConcurrency?: number };
  Worker?: new (url: URL, options: { type: 'module' }) => WebWorker;
  SharedArrayBuffer?: unknown;
  crossOriginIsolated?: boolean;
  console?: { warn(message: string): void };
}
const host = globalThis as WebHost;

export const platform: Platform = {
  name: 'browser',
  readKernels: () => undefined,
  async fetchKernels(shared) {
    if (!host.fetch) throw new Error('@phys/tensor: no fetch() to load the WebAssembly kernels with');
    // static URLs next to dist/platform/, which bundlers that handle `new URL(..., import.meta.url)` copy as assets
    const url = shared ? new URL('../kernels-shared.wasm', import.meta.url) : new URL('../kernels.wasm', import.meta.url);
    const response = await host.fetch(url);
    if (!response.ok) throw new Error(`@phys/tensor: fetching ${url.href} gave HTTP ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  },
  cpuCount: () => host.navigator?.hardwareConcurrency ?? 1,
  threadsUnavailable() {
    if (host.Worker === undefined) return 'this JavaScript context has no Web Workers';
    if (host.SharedArrayBuffer === undefined || host.crossOriginIsolated === false) {
      return 'SharedArrayBuffer is unavailable: the page is not cross-origin isolated (serve it with the headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)';
    }
    return undefined;
  },
  startWorker(init: WorkerInit, onExit: (why: string) => void): WorkerHandle {
    const Worker = host.Worker;
    if (!Worker) throw new Error('@phys/tensor: this JavaScript context has no Web Workers');
    const worker = new Worker(new URL('./browser-worker.js', import.meta.url), { type: 'module' });
    worker.onerror = (event) => {
      onExit(`the worker failed (${event.message ?? 'error'})`);
    };
    worker.postMessage(init);
    return {
      terminate() {
        worker.terminate();
      },
    };
  },
  warn(message) {
    host.console?.warn(message);
  },
};
