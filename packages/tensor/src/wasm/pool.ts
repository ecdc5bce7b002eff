// Worker threads for WasmBackend's kernels: every thread instantiates the same compiled module on
// the same shared WebAssembly memory, and a job (one kernel, a list of calls, a row range) is split
// into chunks of rows that the calling thread and the workers claim from a shared counter. Each row
// is computed by the same kernel code whichever thread runs it, so results do not depend on the
// thread count. Workers block in Atomics.wait between jobs (no spinning) and are unref'd.
import { Worker } from 'node:worker_threads';
import type { WasmMemory } from './assembler.js';

type Kernel = (...args: number[]) => void;

/**
 * One kernel run over `units` rows (or other independent units), split into chunks of `grain`
 * units. Each chunk makes every call of `calls` in order, with argument i moved by
 * `u0 * unitStride[i] + c * chunkStride[i]` (u0 the chunk's first unit, c its index): pointers to
 * the chunk's rows, per-chunk scratch slots. With `countArg` >= 0 a call covers the whole chunk and
 * that argument gets `units in the chunk * countScale`; with -1 each unit is its own call.
 */
export interface Job {
  readonly kernel: string;
  readonly calls: readonly (readonly number[])[];
  readonly units: number;
  readonly unitStride: readonly number[];
  readonly chunkStride?: readonly number[];
  readonly countArg: number;
  readonly countScale?: number;
  /** Units per chunk when the job is split (default: about 4 chunks per thread). */
  readonly grain?: number;
  /** Rough cost in nanoseconds of one thread; a job below the backend's threshold is not split. */
  readonly work: number;
}

/** Runs `job` as its single chunk (index 0, all units) on the calling thread: the unthreaded path. */
export function runSerial(kernel: Kernel, job: Job): void {
  runChunk(kernel, job, 0, 0, job.units);
}

function runChunk(kernel: Kernel, job: Job, c: number, u0: number, n: number): void {
  const cs = job.chunkStride;
  for (const base of job.calls) {
    const arg = (u: number): number[] => base.map((v, i) => (v + u * (job.unitStride[i] ?? 0) + c * (cs?.[i] ?? 0)) | 0);
    if (job.countArg >= 0) {
      const args = arg(u0);
      args[job.countArg] = n * (job.countScale ?? 1);
      kernel(...args);
    } else {
      for (let u = u0; u < u0 + n; u++) kernel(...arg(u));
    }
  }
}

// Control block (Int32Array over its own SharedArrayBuffer).
const SEQ = 0; // job number, bumped by the caller to wake the workers
const STATE = 1; // IDLE / POSTED / TAKEN (by a worker) / DONE
const NEXT = 2; // next chunk index to claim
const KERNEL = 3;
const UNITS = 4;
const GRAIN = 5;
const COUNT_ARG = 6;
const COUNT_SCALE = 7;
const NARGS = 8;
const NCALLS = 9;
const ERROR = 10;
const WORKED = 11; // chunks the worker ran in the current job
const HDR = 16;
const MAXA = 12; // kernel arguments at most
const STRIDES = HDR; // unit strides, then chunk strides
const CALLS = HDR + 2 * MAXA;
/** Calls per posted job; longer call lists are posted as several jobs, in order. */
const MAX_CALLS = 2048;
const [IDLE, POSTED, TAKEN, DONE] = [0, 1, 2, 3];
/**
 * For tests only (not exported by the package): `waitForWorker` makes the calling thread wait until
 * the worker has taken each job before claiming chunks itself, so that split jobs really run partly
 * on the worker; `workerChunks` counts the chunks workers ran.
 */
export const poolTesting = { waitForWorker: false, workerChunks: 0 };

/** The calling thread gives up on a worker that holds a chunk for this long (never hangs). */
const WAIT_LIMIT_MS = 60_000;

// The worker's side of the protocol, plain JavaScript (run with `eval: true`, no file to resolve).
// Its chunk loop is the same arithmetic as runChunk above, reading the job from the control block.
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, ctrl, names } = workerData;
const exp = new WebAssembly.Instance(module, { env: { memory } }).exports;
const fns = names.map((n) => exp[n]);
const [SEQ, STATE, NEXT, KERNEL, UNITS, GRAIN, COUNT_ARG, COUNT_SCALE, NARGS, NCALLS, ERROR, WORKED] = [${[SEQ, STATE, NEXT, KERNEL, UNITS, GRAIN, COUNT_ARG, COUNT_SCALE, NARGS, NCALLS, ERROR, WORKED].join(', ')}];
const [STRIDES, CALLS, MAXA, POSTED, TAKEN, DONE] = [${[STRIDES, CALLS, MAXA, POSTED, TAKEN, DONE].join(', ')}];
let last = 0;
for (;;) {
  Atomics.wait(ctrl, SEQ, last);
  const seq = Atomics.load(ctrl, SEQ);
  if (seq === last) continue;
  last = seq;
  if (Atomics.compareExchange(ctrl, STATE, POSTED, TAKEN) !== POSTED) continue;
  Atomics.notify(ctrl, STATE);
  try {
    const fn = fns[ctrl[KERNEL]];
    const units = ctrl[UNITS], grain = ctrl[GRAIN], countArg = ctrl[COUNT_ARG], scale = ctrl[COUNT_SCALE];
    const nargs = ctrl[NARGS], ncalls = ctrl[NCALLS], chunks = Math.ceil(units / grain);
    const args = new Array(nargs);
    for (;;) {
      const c = Atomics.add(ctrl, NEXT, 1);
      if (c >= chunks) break;
      const u0 = c * grain, n = Math.min(grain, units - u0);
      ctrl[WORKED]++;
      for (let s = 0; s < ncalls; s++) {
        const b = CALLS + s * MAXA;
        const at = (u) => { for (let i = 0; i < nargs; i++) args[i] = (ctrl[b + i] + u * ctrl[STRIDES + i] + c * ctrl[STRIDES + MAXA + i]) | 0; };
        if (countArg >= 0) { at(u0); args[countArg] = n * scale; fn(...args); }
        else for (let u = u0; u < u0 + n; u++) { at(u); fn(...args); }
      }
    }
  } catch (e) {
    ctrl[ERROR] = 1;
  }
  Atomics.store(ctrl, STATE, DONE);
  Atomics.notify(ctrl, STATE);
}
`;

/**
 * One worker thread sharing a WebAssembly memory with the calling thread (WasmBackend with
 * `threads: 2` has one; `threads - 1` in general would need one control block each and is not
 * built). The calling thread posts a job, works on it too, and waits only for a chunk the worker
 * has already claimed: a worker that is still starting or descheduled costs nothing.
 */
export class WorkerPool {
  private readonly ctrl = new Int32Array(new SharedArrayBuffer(4 * (CALLS + MAX_CALLS * MAXA)));
  private readonly worker: Worker;
  private readonly index: Map<string, number>;
  private seq = 0;
  private broken: string | undefined;

  constructor(module: object, memory: WasmMemory, private readonly kernels: Record<string, Kernel>) {
    const names = Object.keys(kernels).sort();
    this.index = new Map(names.map((n, i) => [n, i]));
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { module, memory, ctrl: this.ctrl, names } });
    this.worker.unref();
    this.worker.on('error', (e) => { this.fail(`the worker thread failed (${e.message})`); });
    this.worker.on('exit', (code) => { this.fail(`the worker thread exited (code ${code})`); });
  }

  /** Whether jobs are still shared with the worker. */
  get alive(): boolean {
    return this.broken === undefined;
  }

  private fail(why: string): void {
    if (this.broken !== undefined) return;
    this.broken = why;
    process.emitWarning(`WasmBackend: ${why}; running single-threaded from now on`);
  }

  /** Stops the worker (later jobs run on the calling thread alone). */
  close(): void {
    this.broken ??= 'closed';
    void this.worker.terminate();
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
    const nargs = job.calls[0]!.length;
    if (nargs > MAXA) throw new Error(`WasmBackend: ${job.kernel} has more than ${MAXA} arguments`);
    c[KERNEL] = this.index.get(job.kernel)!;
    c[UNITS] = job.units;
    c[GRAIN] = grain;
    c[COUNT_ARG] = job.countArg;
    c[COUNT_SCALE] = job.countScale ?? 1;
    c[NARGS] = nargs;
    c[NCALLS] = job.calls.length;
    c[ERROR] = 0;
    c[WORKED] = 0;
    for (let i = 0; i < MAXA; i++) {
      c[STRIDES + i] = job.unitStride[i] ?? 0;
      c[STRIDES + MAXA + i] = job.chunkStride?.[i] ?? 0;
    }
    job.calls.forEach((args, s) => { args.forEach((v, i) => { c[CALLS + s * MAXA + i] = v | 0; }); });
    Atomics.store(c, NEXT, 0);
    Atomics.store(c, STATE, POSTED);
    Atomics.store(c, SEQ, ++this.seq | 0);
    Atomics.notify(c, SEQ);
    const kernel = this.kernels[job.kernel]!;
    const chunks = Math.ceil(job.units / grain);
    try {
      while (poolTesting.waitForWorker && Atomics.load(c, STATE) === POSTED) Atomics.wait(c, STATE, POSTED, 1000);
      for (;;) {
        const ci = Atomics.add(c, NEXT, 1);
        if (ci >= chunks) break;
        runChunk(kernel, job, ci, ci * grain, Math.min(grain, job.units - ci * grain));
      }
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
        this.fail(`the worker thread did not finish its part of ${kernel} within ${WAIT_LIMIT_MS / 1000} s`);
        void this.worker.terminate();
        throw new Error(`WasmBackend: the worker thread did not finish its part of ${kernel} within ${WAIT_LIMIT_MS / 1000} s (results lost; later calls run single-threaded)`);
      }
      Atomics.wait(c, STATE, TAKEN, left);
    }
    Atomics.store(c, STATE, IDLE);
    poolTesting.workerChunks += c[WORKED]!;
    if (c[ERROR] !== 0) {
      this.fail(`kernel ${kernel} failed on the worker thread`);
      void this.worker.terminate();
      throw new Error(`WasmBackend: kernel ${kernel} failed on the worker thread (later calls run single-threaded)`);
    }
  }
}
