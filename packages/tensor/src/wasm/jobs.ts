// Kernel jobs and the control block that the calling thread and a kernel worker share. Both run
// a job's chunks with the same `runChunk`, so each row is computed by the same code whichever
// thread claims it, and results do not depend on the thread count. The worker side
// (`serveJobs`) runs in ./worker.ts; the calling side in ./pool.ts.
import type { Kernel } from './types.js';

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

/** Runs chunk `c` (units u0 .. u0 + n - 1) of `job`. */
export function runChunk(kernel: Kernel, job: Job, c: number, u0: number, n: number): void {
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

/** Runs `job` as its single chunk (index 0, all units) on the calling thread: the unthreaded path. */
export function runSerial(kernel: Kernel, job: Job): void {
  runChunk(kernel, job, 0, 0, job.units);
}

// Control block: an Int32Array over its own SharedArrayBuffer.
export const SEQ = 0; // job number, bumped by the caller to wake the worker
export const STATE = 1; // IDLE / POSTED / TAKEN (by the worker) / DONE
export const NEXT = 2; // next chunk index to claim
const KERNEL = 3;
const UNITS = 4;
const GRAIN = 5;
const COUNT_ARG = 6;
const COUNT_SCALE = 7;
const NARGS = 8;
const NCALLS = 9;
export const ERROR = 10;
export const WORKED = 11; // chunks the worker ran in the current job
const HDR = 16;
/** Kernel arguments at most. */
export const MAX_ARGS = 12;
const STRIDES = HDR; // unit strides, then chunk strides
const CALLS = HDR + 2 * MAX_ARGS;
/** Calls per posted job; longer call lists are posted as several jobs, in order. */
export const MAX_CALLS = 2048;
export const [IDLE, POSTED, TAKEN, DONE] = [0, 1, 2, 3] as const;

/** A control block for {@link writeJob} / {@link serveJobs}. */
export function createControlBlock(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4 * (CALLS + MAX_CALLS * MAX_ARGS)));
}

/** Writes `job` (at most {@link MAX_CALLS} calls; kernel number `kernel`) into the control block, split in chunks of `grain` units. */
export function writeJob(c: Int32Array, job: Job, kernel: number, grain: number): void {
  const nargs = job.calls[0]!.length;
  if (nargs > MAX_ARGS) throw new Error(`WasmBackend: ${job.kernel} has more than ${MAX_ARGS} arguments`);
  c[KERNEL] = kernel;
  c[UNITS] = job.units;
  c[GRAIN] = grain;
  c[COUNT_ARG] = job.countArg;
  c[COUNT_SCALE] = job.countScale ?? 1;
  c[NARGS] = nargs;
  c[NCALLS] = job.calls.length;
  c[ERROR] = 0;
  c[WORKED] = 0;
  for (let i = 0; i < MAX_ARGS; i++) {
    c[STRIDES + i] = job.unitStride[i] ?? 0;
    c[STRIDES + MAX_ARGS + i] = job.chunkStride?.[i] ?? 0;
  }
  job.calls.forEach((args, s) => {
    args.forEach((v, i) => {
      c[CALLS + s * MAX_ARGS + i] = v | 0;
    });
  });
}

/** The job in the control block, as written by {@link writeJob}. */
export function readJob(c: Int32Array, names: readonly string[]): { job: Job; grain: number } {
  const nargs = c[NARGS]!;
  const slice = (at: number, n: number): number[] => Array.from(c.subarray(at, at + n));
  const calls = Array.from({ length: c[NCALLS]! }, (_, s) => slice(CALLS + s * MAX_ARGS, nargs));
  const job: Job = {
    kernel: names[c[KERNEL]!]!,
    calls,
    units: c[UNITS]!,
    unitStride: slice(STRIDES, nargs),
    chunkStride: slice(STRIDES + MAX_ARGS, nargs),
    countArg: c[COUNT_ARG]!,
    countScale: c[COUNT_SCALE]!,
    work: 0,
  };
  return { job, grain: c[GRAIN]! };
}

/** Claims chunks of the posted job from the shared counter and runs them until none is left; returns how many it ran. */
export function claimChunks(c: Int32Array, kernel: Kernel, job: Job, grain: number): number {
  const chunks = Math.ceil(job.units / grain);
  let ran = 0;
  for (;;) {
    const ci = Atomics.add(c, NEXT, 1);
    if (ci >= chunks) return ran;
    runChunk(kernel, job, ci, ci * grain, Math.min(grain, job.units - ci * grain));
    ran++;
  }
}

/**
 * The worker's loop: waits (Atomics.wait, no spinning) for the caller to bump SEQ, takes the
 * posted job (POSTED -> TAKEN; a job the caller finished alone is withdrawn before), runs chunks
 * with the caller, then marks it DONE. Never returns.
 */
export function serveJobs(c: Int32Array, kernels: Record<string, Kernel>, names: readonly string[]): never {
  let last = 0;
  for (;;) {
    Atomics.wait(c, SEQ, last);
    const seq = Atomics.load(c, SEQ);
    if (seq === last) continue;
    last = seq;
    if (Atomics.compareExchange(c, STATE, POSTED, TAKEN) !== POSTED) continue;
    Atomics.notify(c, STATE);
    try {
      const { job, grain } = readJob(c, names);
      c[WORKED] = claimChunks(c, kernels[job.kernel]!, job, grain);
    } catch {
      c[ERROR] = 1;
    }
    Atomics.store(c, STATE, DONE);
    Atomics.notify(c, STATE);
  }
}
