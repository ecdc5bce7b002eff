// Large matrix products in onnxruntime through its public API only. `InferenceSession.run` is
// asynchronous and the Backend of @phys/tensor is synchronous, so the sessions live in a worker
// thread (gemm-worker.ts) and the caller blocks in Atomics.wait until the worker has run the graph:
// operands are copied once into buffers transferred to the worker, results transferred back.
import { availableParallelism } from 'node:os';
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { ValueError, assertInteger, createWasmBackend, type GemmEngine, type TensorData, type WasmBackend } from '@phys/tensor';
import type { GemmJob, GemmReply, GemmWorkerData, Operand } from './gemm-worker.js';
import { ONNX_DTYPES, encodeOnnxModel, type OnnxNodeSpec, type OnnxValueInfo } from './onnx-writer.js';

/** Options of {@link createOrtGemm}. */
export interface OrtGemmOptions {
  /**
   * Intra-op threads of onnxruntime (default: the number of cores, `os.availableParallelism()`;
   * never more). onnxruntime counts the calling thread: 2 threads is one extra worker thread.
   */
  threads?: number;
  /**
   * Products with fewer multiply-adds (m n k) than this stay on the WebAssembly kernels (default
   * 2^22: below it the engine's call overhead, a worker-thread round trip and a copy of the
   * operands, eats the gain).
   */
  minWork?: number;
  /**
   * Products whose `n` or `k` is below this stay on the WebAssembly kernels (default 64): for a
   * distance `[m, k] x [n, k]^T` that is the row size or the number of references, for a weighted
   * sum `[m, k] x [k, n]` the same two the other way round. Narrow products (the weighted sums of
   * fields with rows of up to 32 values) gain little on onnxruntime and lost there in the fast-path
   * bench (field 256x2000x20); `packages/onnx/bench/gemm-crossover.mjs` measures the crossover
   * (docs/fast-path.md). `minWork: 0, minDim: 0` sends every product to the engine (the tests).
   */
  minDim?: number;
  /**
   * `'float64'` (default): float32 inputs are cast to float64 inside the graph, so every product
   * is exact and sums are float64 (the accuracy of the WebAssembly kernels). `'float32'`: products
   * and sums in float32 (MLAS sgemm, about twice as fast), the precision of numpy/torch float32 code
   * and of the papers' reference implementations: an entry of A B^T is off by about
   * sqrt(k) 2^-24 |a_i| |b_j|, so a squared distance by that much of |x|^2 + |y|^2 (entries below
   * 2^-10 of it are recomputed exactly by the backend's cancellation guard).
   */
  precision?: 'float64' | 'float32';
}

type Elem = 'float32' | 'float64';
const elemOf = (d: TensorData): Elem => (d instanceof Float32Array ? 'float32' : 'float64');

/**
 * `C = A B` (`transB` false) or `C = A B^T` (true) computed in `compute` precision with symbolic
 * dimensions, returned as float64 `C`. Inputs of the other type are cast inside the graph (float32
 * to float64 is exact). With `norms` the graph also returns the row sums of squares of A (`NA`,
 * `[M, 1]`) and B (`NB`, `[N, 1]`), in the same precision, as float64.
 */
function gemmModel(ta: Elem, tb: Elem, transB: boolean, norms: boolean, compute: Elem): Uint8Array {
  const nodes: OnnxNodeSpec[] = [];
  const cast = (from: string, to: string, type: Elem): void => {
    nodes.push({ op: 'Cast', inputs: [from], outputs: [to], attrs: { to: ONNX_DTYPES[type] }, intAttrs: ['to'] });
  };
  const input = (name: string, t: Elem): string => {
    if (t === compute) return name;
    cast(name, `${name}_c`, compute);
    return `${name}_c`;
  };
  /** Adds `node` producing the float64 graph output `out` (through a cast when computing in float32). */
  const output = (node: Omit<OnnxNodeSpec, 'outputs'>, out: string): void => {
    if (compute === 'float64') nodes.push({ ...node, outputs: [out] });
    else {
      nodes.push({ ...node, outputs: [`${out}_c`] });
      cast(`${out}_c`, out, 'float64');
    }
  };
  const [a, b] = [input('A', ta), input('B', tb)];
  // ONNX Gemm (opset 13): Y = alpha A' B' + beta C with alpha = 1 and no C input.
  output({ op: 'Gemm', inputs: [a, b], attrs: { transB: transB ? 1 : 0 }, intAttrs: ['transB'] }, 'C');
  const outputs: OnnxValueInfo[] = [{ name: 'C', type: 'float64', shape: ['M', 'N'] }];
  if (norms) {
    output({ op: 'ReduceSumSquare', inputs: [a], attrs: { axes: [1], keepdims: 1 }, intAttrs: ['keepdims'] }, 'NA');
    output({ op: 'ReduceSumSquare', inputs: [b], attrs: { axes: [1], keepdims: 1 }, intAttrs: ['keepdims'] }, 'NB');
    outputs.push({ name: 'NA', type: 'float64', shape: ['M', 1] }, { name: 'NB', type: 'float64', shape: ['N', 1] });
  }
  return encodeOnnxModel({
    name: 'phys_gemm',
    inputs: [
      { name: 'A', type: ta, shape: ['M', 'K'] },
      { name: 'B', type: tb, shape: transB ? ['N', 'K'] : ['K', 'N'] },
    ],
    outputs,
    nodes,
  });
}

/** How long the engine waits for its worker to load onnxruntime-node. */
const START_TIMEOUT_MS = 60_000;

/** The worker module: gemm-worker.js beside this file, or the built one when this file runs from source (the tests). */
function workerUrl(): URL {
  const here = import.meta.url;
  return new URL(here.endsWith('.ts') ? '../dist/gemm-worker.js' : './gemm-worker.js', here);
}

/**
 * A {@link GemmEngine} for {@link WasmBackend} that runs large matrix products in onnxruntime's
 * multithreaded GEMM (MLAS, AVX-512 where the CPU has it) through onnxruntime-node's public API.
 * The sessions run in a worker thread; each `gemm` call copies its operands once into buffers it
 * transfers to the worker and blocks (Atomics.wait) until the worker's `InferenceSession.run` has
 * transferred the results back, so the engine stays synchronous (the `Backend` contract) and uses no private entry point.
 * By default float32 inputs are widened to float64 first, so every product is exact and sums are
 * float64: the WebAssembly backend's accuracy contract holds (distances keep their cancellation
 * guard). `precision: 'float32'` trades that for float32 speed (see {@link OrtGemmOptions.precision}).
 * The worker is unref'd: it never keeps a process alive.
 *
 * @example
 * ```ts
 * import { setBackend } from '@phys/tensor';
 * import { createFastBackend } from '@phys/onnx';
 * setBackend(createFastBackend()); // WebAssembly SIMD + onnxruntime GEMM for large fields
 * ```
 * @throws Error when onnxruntime-node does not load (not installed, no binary for this platform).
 */
export function createOrtGemm(options: OrtGemmOptions = {}): GemmEngine {
  const cores = Math.max(1, availableParallelism());
  const threads = options.threads ?? cores;
  assertInteger(threads, 'threads', 1);
  const minWork = options.minWork ?? 2 ** 22;
  if (!(Number.isFinite(minWork) && minWork >= 0)) throw new ValueError('minWork', minWork, 'a number >= 0');
  const minDim = options.minDim ?? 64;
  if (!(Number.isFinite(minDim) && minDim >= 0)) throw new ValueError('minDim', minDim, 'a number >= 0');
  const precision: string = options.precision ?? 'float64';
  if (precision !== 'float64' && precision !== 'float32') throw new ValueError('precision', precision, "'float64' or 'float32'");
  const sessionOptions = {
    // onnxruntime counts the thread that calls run (here the worker, while the caller sleeps).
    intraOpNumThreads: Math.min(threads, cores),
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
    // Idle pool threads sleep instead of spinning between calls (they would steal the cores
    // from the WebAssembly kernels and the caller's own work).
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  } as const;
  const worker = startWorker(sessionOptions);
  const sent = new Set<string>();
  // Operand buffers handed back by the worker, reused while large enough.
  let spare: ArrayBuffer[] = [];
  const operand = (d: TensorData, rows: number, cols: number): Operand => {
    const bytes = rows * cols * d.BYTES_PER_ELEMENT;
    const i = spare.findIndex((s) => s.byteLength >= bytes);
    const buffer = i >= 0 ? spare.splice(i, 1)[0]! : new ArrayBuffer(bytes);
    const type = elemOf(d);
    (type === 'float32' ? new Float32Array(buffer, 0, rows * cols) : new Float64Array(buffer, 0, rows * cols)).set(d.subarray(0, rows * cols));
    return { type, buffer, dims: [rows, cols] };
  };
  let id = 0;
  return {
    name: `ort${String(sessionOptions.intraOpNumThreads)}${precision === 'float32' ? '-f32' : ''}`,
    runs: (m, n, k) => m * n * k >= minWork && Math.min(n, k) >= minDim,
    exact: precision === 'float64',
    gemm(a, b, m, n, k, transB, norms) {
      if (norms && !transB) throw new ValueError('norms', 'given', 'only with transB (row norms of B [n, k])');
      const [ta, tb] = [elemOf(a), elemOf(b)];
      const key = `${ta}/${tb}/${String(transB)}/${String(norms !== undefined)}`;
      const A = operand(a, m, k);
      const B = transB ? operand(b, n, k) : operand(b, k, n);
      const job: GemmJob = {
        id: ++id,
        key,
        ...(sent.has(key) ? {} : { model: gemmModel(ta, tb, transB, norms !== undefined, precision) }),
        a: A,
        b: B,
        m,
        n,
        norms: norms !== undefined,
      };
      sent.add(key);
      const r = worker.call(job, [A.buffer, B.buffer]);
      spare = [...r.buffers!];
      if (norms) {
        norms.a.set(r.na!);
        norms.b.set(r.nb!);
      }
      return r.c!;
    },
  };
}

/**
 * Starts the engine's worker and waits until it has loaded onnxruntime-node; `call` posts a job
 * and blocks until the worker has finished it.
 */
function startWorker(sessionOptions: object): { call(job: GemmJob, transfer: ArrayBuffer[]): GemmReply } {
  const signal = new Int32Array(new SharedArrayBuffer(8));
  const { port1, port2 } = new MessageChannel();
  const data: GemmWorkerData = { port: port2, signal, sessionOptions };
  // The worker is a module file: a parent's `--input-type` (for `node -e`) would make it fail to start.
  const execArgv = process.execArgv.filter((a, i, all) => !a.startsWith('--input-type') && all[i - 1] !== '--input-type');
  const worker = new Worker(workerUrl(), { workerData: data, transferList: [port2], execArgv });
  worker.unref();
  port1.unref();
  const reply = (port: MessagePort): GemmReply | undefined => receiveMessageOnPort(port)?.message as GemmReply | undefined;
  if (Atomics.wait(signal, 0, 0, START_TIMEOUT_MS) === 'timed-out') {
    void worker.terminate();
    throw new Error(`createOrtGemm: the onnxruntime worker did not start within ${START_TIMEOUT_MS / 1000} s`);
  }
  if (Atomics.load(signal, 0) !== 1) {
    void worker.terminate();
    throw new Error(`createOrtGemm: cannot load onnxruntime-node (${reply(port1)?.error ?? 'no reason given'})`);
  }
  return {
    call(job, transfer) {
      port1.postMessage(job, transfer);
      // The worker answers every job (errors included) with a reply, then its id in signal[1].
      for (let done = Atomics.load(signal, 1); done !== job.id; done = Atomics.load(signal, 1)) Atomics.wait(signal, 1, done);
      const r = reply(port1);
      if (!r || r.error !== undefined) throw new Error(`createOrtGemm: onnxruntime failed: ${r?.error ?? 'no reply'}`);
      return r;
    },
  };
}

/**
 * The fastest CPU backend phys has: {@link WasmBackend} (WebAssembly SIMD kernels, on `threads`
 * threads: the caller and `threads - 1` workers) with large matrix products (GEMM-shaped fields,
 * STF targets, matmul) in onnxruntime via {@link createOrtGemm} with the same thread count. Calls
 * are synchronous, so the two never run at once: at most `threads` busy threads (default: the
 * number of cores). `undefined` where WebAssembly SIMD is unavailable.
 * @throws Error when onnxruntime-node does not load (then `createWasmBackend({ threads })` is the
 * same backend without the engine; the `phys` CLI falls back to it).
 */
export function createFastBackend(options: OrtGemmOptions & { minElements?: number } = {}): WasmBackend | undefined {
  const { minElements, ...gemm } = options;
  // Both parts cap the count at the cores themselves.
  const threads = options.threads ?? availableParallelism();
  return createWasmBackend({ minElements, threads, gemm: createOrtGemm({ ...gemm, threads }) });
}
