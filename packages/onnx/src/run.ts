import type { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-common';
import { platform } from '#onnx-platform';
import { PhysError, ValueError, assertInteger, type TensorData } from '@phys/tensor';
import type { FloatType } from './session.js';

/** Per-call options of every loaded model. */
export interface RunOptions {
  /** Cancels the call between chunks; the call rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Rows per onnxruntime call (overrides the load-time `chunkSize`). */
  chunkSize?: number;
  /** Called after each chunk: rows done so far and the total. */
  onChunk?: (progress: ChunkProgress) => void;
}

/** What {@link RunOptions.onChunk} receives. */
export interface ChunkProgress {
  /** Chunks finished. */
  readonly chunk: number;
  /** Chunks in this call. */
  readonly chunks: number;
  /** Rows finished. */
  readonly rows: number;
  /** Rows in this call. */
  readonly totalRows: number;
}

/** onnxruntime failed while running the model; names the model, the chunk and the fed shapes. */
export class ModelRunError extends PhysError {
  override name = 'ModelRunError';
  constructor(
    readonly source: string,
    readonly detail: string,
    override readonly cause: unknown,
  ) {
    super(`${source}: onnxruntime failed (${detail}): ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/** The default rows per onnxruntime call. */
export const DEFAULT_CHUNK_SIZE = 128;

/** Checks a chunk size option. */
export function checkChunkSize(chunkSize: number | undefined, argument = 'chunkSize'): number {
  if (chunkSize === undefined) return DEFAULT_CHUNK_SIZE;
  if (chunkSize === Infinity) return Infinity;
  assertInteger(chunkSize, argument, 1);
  return chunkSize;
}

/**
 * The rows of each onnxruntime call: `rowsPerCall` rows at most, fed as `padTo` rows (the last
 * chunk padded) when the model has a fixed batch or `fixedShape` asks for one shape per call.
 * onnxruntime's CPU kernels pick their code paths by batch size, so a row's output can change in
 * the last bits with the batch it rides in (the shipped Fashion-MNIST denoiser: up to 8e-7 at 6
 * of 60 noise levels between batches of 64 and 2-63 rows); at one fixed shape it depends on the
 * row alone (checked in the tests: not on its position, the other rows or the thread count).
 */
export function callRows(
  fixedBatch: number | undefined,
  chunkSize: number,
  fixedShape: boolean,
  argument = 'chunkSize',
): { rowsPerCall: number; padTo: number | undefined } {
  if (fixedBatch !== undefined) return { rowsPerCall: fixedBatch, padTo: fixedBatch };
  if (!fixedShape) return { rowsPerCall: chunkSize, padTo: undefined };
  if (chunkSize === Infinity) throw new ValueError(argument, chunkSize, 'a finite number of rows with fixedShape (every call is padded to it)');
  return { rowsPerCall: chunkSize, padTo: chunkSize };
}

/** A half-open row range `[start, end)` of one onnxruntime call. */
export interface Chunk {
  readonly start: number;
  readonly end: number;
}

/**
 * Splits `rows` into chunks of at most `chunkRows`. With `breakAt` (per-row values) a chunk also
 * ends where the value changes: models with a scalar noise input take one sigma per call.
 */
export function planChunks(rows: number, chunkRows: number, breakAt?: Float64Array): Chunk[] {
  const chunks: Chunk[] = [];
  let start = 0;
  while (start < rows) {
    let end = Math.min(rows, start + chunkRows);
    if (breakAt !== undefined) {
      const v = breakAt[start]!;
      for (let i = start + 1; i < end; i++) {
        if (breakAt[i] !== v) {
          end = i;
          break;
        }
      }
    }
    chunks.push({ start, end });
    start = end;
  }
  return chunks;
}

/**
 * Runs `fn` on each chunk in order, checking `signal` before every chunk. onnxruntime-node runs a
 * session on the JS thread after a `setImmediate`, and in a browser each chunk waits for a turn of
 * the event loop first (`yieldTurn` of the platform), so timers, signals, clicks and I/O get a
 * turn between chunks; that is where an abort takes effect.
 */
export async function forEachChunk(chunks: readonly Chunk[], options: RunOptions, fn: (chunk: Chunk) => Promise<void>): Promise<void> {
  const total = chunks.length === 0 ? 0 : chunks[chunks.length - 1]!.end;
  let k = 0;
  for (const chunk of chunks) {
    await platform.yieldTurn();
    options.signal?.throwIfAborted();
    await fn(chunk);
    k++;
    options.onChunk?.({ chunk: k, chunks: chunks.length, rows: chunk.end, totalRows: total });
  }
  options.signal?.throwIfAborted();
}


/**
 * Copies `src` into `dst` starting at `offset`, converting between float32 and float64.
 * `TypedArray.prototype.set` converts natively: measured 2.5x (f64 -> f32) to 7x (f32 -> f64)
 * faster than a JS loop on 0.8M elements.
 */
export function copyInto(dst: TensorData, src: TensorData, offset = 0): void {
  dst.set(src, offset);
}

/** A typed array of `type` and `length`. */
export function allocateTyped(type: FloatType, length: number): TensorData {
  return type === 'float64' ? new Float64Array(length) : new Float32Array(length);
}

/**
 * An onnxruntime tensor over `data` without copying when `data` already has the model's element
 * type (the hot path); otherwise converted once into a new array.
 */
export function wrapTyped(type: FloatType, data: TensorData, dims: readonly number[]): OrtTensor {
  if (isType(data, type)) return ortTensor(type, data, dims);
  const converted = allocateTyped(type, data.length);
  copyInto(converted, data);
  return ortTensor(type, converted, dims);
}

/** The typed arrays {@link ortTensor} wraps, by element type. */
export interface OrtTensorData {
  float32: Float32Array;
  float64: Float64Array;
  int32: Int32Array;
  int64: BigInt64Array;
}

/**
 * An onnxruntime tensor of the host's runtime (onnxruntime-node or onnxruntime-web) over `data`,
 * without a copy: for feeds and preallocated outputs of a session opened by {@link openSession}.
 */
export function ortTensor<T extends keyof OrtTensorData>(type: T, data: OrtTensorData[T], dims: readonly number[]): OrtTensor {
  return new platform.ort.Tensor(type, data, dims);
}

/**
 * `true` when `data` can be handed to onnxruntime as is: element type `type`, over an unshared
 * buffer (onnxruntime-node rejects arrays over a SharedArrayBuffer, such as the `data` of tensors
 * resident in a threaded WasmBackend's memory, with "Invalid argument").
 */
export function isType(data: TensorData, type: FloatType): boolean {
  if (Object.prototype.toString.call(data.buffer) === '[object SharedArrayBuffer]') return false;
  return type === 'float64' ? data instanceof Float64Array : data instanceof Float32Array;
}

/**
 * Runs a session, wrapping failures in {@link ModelRunError} (`expected`, when given, is added to
 * its message). `fetches` may hold preallocated outputs: onnxruntime-node writes into them;
 * onnxruntime-web is asked for new tensors instead, which are copied into them here, so a
 * preallocated output holds the result on every host.
 */
export async function runSession(
  session: InferenceSession,
  source: string,
  feeds: Record<string, OrtTensor>,
  fetches: Record<string, OrtTensor | null>,
  expected?: string,
): Promise<Record<string, OrtTensor>> {
  let results: Record<string, OrtTensor>;
  try {
    const asked = platform.writesPreallocatedOutputs ? fetches : Object.fromEntries(Object.keys(fetches).map((name) => [name, null]));
    results = await session.run(feeds, asked);
  } catch (e) {
    const fed = Object.entries(feeds)
      .map(([k, t]) => `${k}: ${t.type} [${t.dims.join(', ')}]`)
      .join('; ');
    throw new ModelRunError(source, `fed ${fed}${expected ? `; ${expected}` : ''}`, e);
  }
  for (const [name, pre] of Object.entries(fetches)) {
    const got = results[name];
    if (pre !== null && got !== undefined && got.data !== pre.data) {
      (pre.data as TensorData).set(got.data as TensorData);
      results[name] = pre;
    }
  }
  return results;
}

/** Throws a {@link ValueError} unless `sigma` holds `rows` finite values > 0. */
export function checkNoiseLevels(sigma: Float64Array, rows: number, argument: string): void {
  if (!(sigma instanceof Float64Array)) throw new ValueError(argument, sigma, 'a Float64Array with one value per row');
  if (sigma.length !== rows) throw new ValueError(`${argument}.length`, sigma.length, `${rows} (one per row of x)`);
  for (let i = 0; i < rows; i++) {
    const s = sigma[i]!;
    if (!(s > 0 && Number.isFinite(s))) throw new ValueError(`${argument}[${i}]`, s, 'a finite noise level > 0');
  }
}
