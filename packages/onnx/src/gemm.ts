import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import * as ort from 'onnxruntime-node';
import { ValueError, assertInteger, createWasmBackend, type GemmEngine, type TensorData, type WasmBackend } from '@phys/tensor';
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
   * 2^22: below it onnxruntime's call overhead and the float64 conversions eat the gain).
   */
  minWork?: number;
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

/** The synchronous session of onnxruntime-node's native binding (what `InferenceSession.run` calls after a `setImmediate`). */
interface NativeSession {
  loadModel(buffer: ArrayBuffer, byteOffset: number, byteLength: number, options: object): void;
  run(feeds: Record<string, ort.Tensor>, fetches: Record<string, ort.Tensor>, options: object): unknown;
  dispose(): void;
}
interface NativeBinding {
  binding: { InferenceSession: new () => NativeSession };
  initOrt(): void;
}

let native: NativeBinding | undefined;

/**
 * onnxruntime-node's native binding. Its public `InferenceSession.run` is asynchronous only in
 * name: it calls the binding's synchronous `run` after a `setImmediate`. The `Backend` interface
 * of @phys/tensor is synchronous, so the engine calls the binding directly.
 */
function loadBinding(): NativeBinding {
  if (native) return native;
  let b: NativeBinding;
  try {
    b = createRequire(import.meta.url)('onnxruntime-node/dist/binding') as NativeBinding;
  } catch (e) {
    throw new Error(`createOrtGemm: cannot load onnxruntime-node's native binding (${(e as Error).message})`, { cause: e });
  }
  if (typeof b.initOrt !== 'function' || typeof b.binding.InferenceSession !== 'function') {
    throw new Error('createOrtGemm: this onnxruntime-node version has no synchronous native session (tested with 1.30)');
  }
  b.initOrt();
  native = b;
  return b;
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

/**
 * A {@link GemmEngine} for {@link WasmBackend} that runs large matrix products in onnxruntime's
 * multithreaded GEMM (MLAS, AVX-512 where the CPU has it) through onnxruntime-node, synchronously.
 * By default float32 inputs are widened to float64 first, so every product is exact and sums are
 * float64: the WebAssembly backend's accuracy contract holds (distances keep their cancellation
 * guard). `precision: 'float32'` trades that for float32 speed (see {@link OrtGemmOptions.precision}).
 *
 * @example
 * ```ts
 * import { setBackend } from '@phys/tensor';
 * import { createFastBackend } from '@phys/onnx';
 * setBackend(createFastBackend()); // WebAssembly SIMD + onnxruntime GEMM for large fields
 * ```
 * @throws Error when onnxruntime-node's native binding cannot be loaded.
 */
export function createOrtGemm(options: OrtGemmOptions = {}): GemmEngine {
  const cores = Math.max(1, availableParallelism());
  const threads = options.threads ?? cores;
  assertInteger(threads, 'threads', 1);
  const minWork = options.minWork ?? 2 ** 22;
  if (!(Number.isFinite(minWork) && minWork >= 0)) throw new ValueError('minWork', minWork, 'a number >= 0');
  const precision: string = options.precision ?? 'float64';
  if (precision !== 'float64' && precision !== 'float32') throw new ValueError('precision', precision, "'float64' or 'float32'");
  const { binding } = loadBinding();
  const sessionOptions = {
    intraOpNumThreads: Math.min(threads, cores),
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
    // Idle pool threads sleep instead of spinning between calls (they would steal the cores
    // from the WebAssembly kernels and the caller's own work).
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  };
  const sessions = new Map<string, NativeSession>();
  const session = (ta: Elem, tb: Elem, transB: boolean, norms: boolean): NativeSession => {
    const key = `${ta}/${tb}/${String(transB)}/${String(norms)}`;
    let s = sessions.get(key);
    if (!s) {
      const bytes = gemmModel(ta, tb, transB, norms, precision);
      s = new binding.InferenceSession();
      s.loadModel(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength, sessionOptions);
      sessions.set(key, s);
    }
    return s;
  };
  return {
    name: `ort${String(sessionOptions.intraOpNumThreads)}${precision === 'float32' ? '-f32' : ''}`,
    minWork,
    exact: precision === 'float64',
    gemm(a, b, m, n, k, transB, norms) {
      const [ta, tb] = [elemOf(a), elemOf(b)];
      const c = new Float64Array(m * n);
      const feeds = {
        A: new ort.Tensor(ta, a.subarray(0, m * k), [m, k]),
        B: new ort.Tensor(tb, b.subarray(0, n * k), transB ? [n, k] : [k, n]),
      };
      const fetches: Record<string, ort.Tensor> = { C: new ort.Tensor('float64', c, [m, n]) };
      if (norms) {
        if (!transB) throw new ValueError('norms', 'given', 'only with transB (row norms of B [n, k])');
        fetches.NA = new ort.Tensor('float64', norms.a, [m, 1]);
        fetches.NB = new ort.Tensor('float64', norms.b, [n, 1]);
      }
      session(ta, tb, transB, norms !== undefined).run(feeds, fetches, {});
      return c;
    },
  };
}

/**
 * The fastest CPU backend phys has: {@link WasmBackend} (WebAssembly SIMD kernels, on `threads`
 * threads: the caller and `threads - 1` workers) with large matrix products (GEMM-shaped fields,
 * STF targets, matmul) in onnxruntime via {@link createOrtGemm} with the same thread count. Calls
 * are synchronous, so the two never run at once: at most `threads` busy threads (default: the
 * number of cores). `undefined` where WebAssembly SIMD is unavailable.
 */
export function createFastBackend(options: OrtGemmOptions & { minElements?: number } = {}): WasmBackend | undefined {
  const { minElements, ...gemm } = options;
  // Both parts cap the count at the cores themselves.
  const threads = options.threads ?? availableParallelism();
  return createWasmBackend({ minElements, threads, gemm: createOrtGemm({ ...gemm, threads }) });
}
