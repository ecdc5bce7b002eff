// The kernel worker: instantiates the shared-memory kernel module on the caller's shared memory and
// serves jobs from the control block until it is terminated. Started by the platform's
// `startWorker` (../platform/node-worker.ts under worker_threads, ../platform/browser-worker.ts as
// a module Web Worker), which hands it the WorkerInit it received.
import type { WorkerInit } from '../platform/types.js';
import { serveJobs } from './jobs.js';
import { instantiateKernels } from './module.js';

/** Runs the worker side of the pool on `init` (blocks its thread for good). */
export function runKernelWorker(init: WorkerInit): never {
  return serveJobs(init.ctrl, instantiateKernels(init.module, init.memory), init.names);
}
