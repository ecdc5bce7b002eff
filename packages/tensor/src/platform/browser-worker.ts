// Entry of a kernel worker as a module Web Worker (started by ./browser.ts, which posts the
// WorkerInit as the first message).
import { runKernelWorker } from '../wasm/worker.js';
import type { WorkerInit } from './types.js';

interface WorkerScope {
  onmessage: ((event: { data: WorkerInit }) => void) | null;
}

const scope = globalThis as unknown as WorkerScope;
scope.onmessage = (event) => {
  scope.onmessage = null;
  runKernelWorker(event.data);
};
