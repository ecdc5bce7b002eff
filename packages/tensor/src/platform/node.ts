// The Node host of the WebAssembly backend: kernel bytes read from the package's dist folder,
// os.availableParallelism, worker_threads. Chosen by the `node` condition of "#tensor-platform".
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Platform, WorkerHandle, WorkerInit } from './types.js';

// Paths relative to this file that hold for src/platform/*.ts (tests, run from the sources) and
// dist/platform/*.js (the package): both lead to the package's dist folder, written by `npm run build`.
const kernelUrl = (shared: boolean): URL => new URL(`../../dist/kernels${shared ? '-shared' : ''}.wasm`, import.meta.url);
const workerUrl = (): URL => new URL('../../dist/platform/node-worker.js', import.meta.url);

function missing(what: string, e: unknown): Error {
  return new Error(`@phys/tensor: ${what} is missing (build the package: npm run build -w @phys/tensor): ${(e as Error).message}`);
}

export const platform: Platform = {
  name: 'node',
  readKernels(shared) {
    try {
      return readFileSync(kernelUrl(shared));
    } catch (e) {
      throw missing('the WebAssembly kernel module', e);
    }
  },
  async fetchKernels(shared) {
    return readFile(kernelUrl(shared));
  },
  cpuCount: () => availableParallelism(),
  threadsUnavailable: () => undefined,
  startWorker(init: WorkerInit, onExit: (why: string) => void): WorkerHandle {
    let worker: Worker;
    try {
      worker = new Worker(workerUrl(), { workerData: init });
    } catch (e) {
      throw missing('the kernel worker', e);
    }
    worker.unref();
    worker.on('error', (e) => {
      onExit(`the worker thread failed (${e.message})`);
    });
    worker.on('exit', (code) => {
      onExit(`the worker thread exited (code ${code})`);
    });
    return {
      terminate() {
        void worker.terminate();
      },
    };
  },
  warn(message) {
    process.emitWarning(message);
  },
};
