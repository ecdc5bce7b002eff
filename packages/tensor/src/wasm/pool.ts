// The calling thread's side of the kernel worker: every thread instantiates the same compiled
// module on the same shared WebAssembly memory, and a job (one kernel, a list of calls, a row
// range) is split into chunks of rows that the calling thread and the worker claim from a shared
// counter (./jobs.ts). The worker blocks in Atomics.wait between jobs (no spinning) and never
// keeps a Node process alive.
import { platform } from '#tensor-platform';
import type { WorkerHandle } from '../platform/types.js';
import { ERROR, IDLE, MAX_CALLS, NEXT, POSTED, SEQ, STATE, TAKEN, WORKED, claimChunks, createControlBlock, writeJob, type Job } from './jobs.js';
import type { Kernel, WasmMemory, WasmModule } from './types.js';

/**
 * For tests only (not exported by the package): `waitForWorker` makes the calling thread wait until
 * the worker has taken each job before claiming chunks itself, so that split jobs really run partly
 * on the worker; `workerChunks` counts the chunks workers ran.
 */
export const poolTesting = { waitForWorker: false, workerChunks: 0 };

/** The calling thread gives up on a worker that holds a chunk for this long (never hangs). */
const WAIT_LIMIT_MS = 60_000;

let blockingAllowed: boolean | undefined;
/** Whether this thread may block in Atomics.wait (not on a browser's main thread). */
function canBlock(): boolean {
  if (blockingAllowed === undefined) {
    try {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
      blockingAllowed = true;
    } catch {
      blockingAllowed = false;
    }
  }
  return blockingAllowed;
}

/** Waits while `c[at]` is `value`, for at most `ms` (blocking where allowed, else spinning). */
function waitWhile(c: Int32Array, at: number, value: number, ms: number): void {
  if (canBlock()) {
    Atomics.wait(c, at, value, ms);
    return;
  }
  const end = performance.now() + ms;
  while (Atomics.load(c, at) === value && performance.now() < end);
}

/**
 * One worker thread sharing a WebAssembly memory with the calling thread (WasmBackend with
 * `threads: 2` has one). The calling thread posts a job, works on it too, and waits only for a
 * chunk the worker has already claimed: a worker that is still starting or descheduled costs
 * nothing.
 */
export class WorkerPool {
  private readonly ctrl = createControlBlock();
  private readonly worker: WorkerHandle;
  private readonly index: Map<string, number>;
  private seq = 0;
  private broken: string | undefined;

  constructor(module: WasmModule, memory: WasmMemory, private readonly kernels: Record<string, Kernel>) {
    const names = Object.keys(kernels).sort();
    this.index = new Map(names.map((n, i) => [n, i]));
    this.worker = platform.startWorker({ module, memory, ctrl: this.ctrl, names }, (why) => {
      this.fail(why);
    });
  }

  /** Whether jobs are still shared with the worker. */
  get alive(): boolean {
    return this.broken === undefined;
  }

  private fail(why: string): void {
    if (this.broken !== undefined) return;
    this.broken = why;
    platform.warn(`WasmBackend: ${why}; running single-threaded from now on`);
  }

  /** Stops the worker (later jobs run on the calling thread alone). */
  close(): void {
    this.broken ??= 'closed';
    this.worker.terminate();
  }

  /** Runs `job` on the calling thread and the worker; returns false (nothing run) when the worker is gone. */
  run(job: Job, threads: number): boolean {
    if (this.broken !== undefined) return false;
    const grain = job.grain ?? Math.max(1, Math.ceil(job.units / (4 * threads)));
    for (let s0 = 0; s0 < job.calls.length; s0 += MAX_CALLS) {
      this.post(job.calls.length <= MAX_CALLS ? job : { ...job, calls: job.calls.slice(s0, s0 + MAX_CALLS) }, grain);
    }
    return true;
  }

  private post(job: Job, grain: number): void {
    const c = this.ctrl;
    writeJob(c, job, this.index.get(job.kernel)!, grain);
    Atomics.store(c, NEXT, 0);
    Atomics.store(c, STATE, POSTED);
    Atomics.store(c, SEQ, ++this.seq | 0);
    Atomics.notify(c, SEQ);
    try {
      while (poolTesting.waitForWorker && Atomics.load(c, STATE) === POSTED) waitWhile(c, STATE, POSTED, 1000);
      claimChunks(c, this.kernels[job.kernel]!, job, grain);
    } finally {
      this.finish(job.kernel);
    }
  }

  /** Waits for the worker's claimed chunks; a job it never took is withdrawn instead. */
  private finish(kernel: string): void {
    const c = this.ctrl;
    if (Atomics.compareExchange(c, STATE, POSTED, IDLE) === POSTED) return;
    const deadline = performance.now() + WAIT_LIMIT_MS;
    while (Atomics.load(c, STATE) === TAKEN) {
      const left = deadline - performance.now();
      if (left <= 0) {
        const why = `the worker thread did not finish its part of ${kernel} within ${WAIT_LIMIT_MS / 1000} s`;
        this.fail(why);
        this.worker.terminate();
        throw new Error(`WasmBackend: ${why} (results lost; later calls run single-threaded)`);
      }
      waitWhile(c, STATE, TAKEN, left);
    }
    Atomics.store(c, STATE, IDLE);
    poolTesting.workerChunks += c[WORKED]!;
    if (c[ERROR] !== 0) {
      this.fail(`kernel ${kernel} failed on the worker thread`);
      this.worker.terminate();
      throw new Error(`WasmBackend: kernel ${kernel} failed on the worker thread (later calls run single-threaded)`);
    }
  }
}
