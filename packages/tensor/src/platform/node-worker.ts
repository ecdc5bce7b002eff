// Entry of a kernel worker under node:worker_threads (started by ./node.ts with the WorkerInit as workerData).
import { workerData } from 'node:worker_threads';
import { runKernelWorker } from '../wasm/worker.js';
import type { WorkerInit } from './types.js';

runKernelWorker(workerData as WorkerInit);
