// The CUDA implementation of the @phys/tensor Backend interface over the native addon: device
// memory and its host mirrors, tensors that live on the device, the scope helper, and one method
// per Backend operation. Kept in one file on purpose (the Backend interface is being reshaped).
import { ShapeError, Tensor, ValueError, assertSameShape, checkCoef, checkLincombTerms, checkMatmul, checkPhiloxCall, checkSoftmaxOptions, formatShape, type Backend, type Coef, type DType, type Matrix64, type PhiloxCall, type SoftmaxOptions, type TensorData } from '@phys/tensor';
import { BackendUnavailableError } from './errors.js';
import { loadAddon, selectDevice, type CudaAddon, type CudaDeviceInfo } from './loader.js';

/** Options of {@link createCudaBackend}. */
export interface CudaBackendOptions {
  /** CUDA device ordinal (default 0). */
  device?: number;
  /** The addon file (default: the package's `prebuilds/<platform>-<arch>/backend-cuda.napi.node`). */
  addonPath?: string;
  /**
   * Accumulation of the matrix products (matmul, pairwise distances, weighted sums). `'float64'`
   * (default): float32 products are exact in float64 and summed in float64, the contract of the CPU
   * reference (distances recomputed directly below 2^-20 (|x|^2 + |y|^2)). `'float32'`: fused
   * float32 multiply-adds like torch float32 code (recomputed below 2^-10 (|x|^2 + |y|^2)); faster on
   * GPUs with weak float64 units.
   */
  precision?: 'float64' | 'float32';
  /**
   * Whether a host tensor passed as `out` (or to `philoxNormal`) becomes device-resident instead of
   * receiving a copy of the result at once (default false). Its `data` then refreshes from the
   * device when read. Only for tensors that own their whole array: a host tensor sharing its array
   * with another (`reshape`, `sliceRows`) always gets the copy, since the other would not see it.
   */
  adoptOutputs?: boolean;
  /**
   * cuBLAS for the large matrix products (at least 2^22 multiply-adds), loaded at run time when
   * the CUDA installation has it: `true` (default) tries `libcublas.so.13`, `.so.12`, `.so` and
   * `/usr/local/cuda/lib64/`; a string is the library file to load; `false` keeps to the tiled
   * kernels. Never required: without it the tiled kernels run. Same precision either way.
   */
  cublas?: boolean | string;
}

/** The cuBLAS libraries {@link CudaBackendOptions.cublas} `true` tries, in order. */
export const CUBLAS_CANDIDATES = ['libcublas.so.13', 'libcublas.so.12', 'libcublas.so', '/usr/local/cuda/lib64/libcublas.so.13', '/usr/local/cuda/lib64/libcublas.so.12'];

const ESIZE = { float32: 4, float64: 8 } as const;
const isF64 = (d: DType): number => (d === 'float64' ? 1 : 0);
/** Modes of kernel_math.h lincombValue: scaleRows, 2-3 terms summed directly, the generic loop. */
const LINCOMB_SCALE = 0;
const LINCOMB_DIRECT = 1;
const LINCOMB_GENERIC = 2;
const MAX_TERMS = 16;
/** Cancellation guards of the GEMM-form distance (wasm/backend.ts TUNE.cancel, cancelInexact). */
const CANCEL = { float64: 2 ** -20, float32: 2 ** -10 } as const;

const allocateHost = (n: number, dtype: DType): TensorData => (dtype === 'float64' ? new Float64Array(n) : new Float32Array(n));
const dtypeOf = (a: TensorData): DType => (a instanceof Float64Array ? 'float64' : 'float32');

/** How the host uses a mirror it asks for: see {@link Storage.hostArray}. */
type HostAccess = 'shared' | 'read' | 'write';

/**
 * One device allocation and its host mirror. The mirror is allocated on the first host read.
 * `hostValid`: the mirror equals the device values. `hostShared`: the mirror has been handed out
 * (it may have been written), so it is uploaded before the device reads the storage again.
 */
class Storage {
  refs = 1;
  freed = false;
  host: TensorData | undefined;
  hostValid = false;
  hostShared = false;
  /** The mirror was filled through `writeData`: uploaded before the device next reads, then current. */
  hostWritten = false;

  constructor(
    readonly ctx: Context,
    readonly addr: number,
    readonly length: number,
    readonly dtype: DType,
  ) {}

  get bytes(): number {
    return this.length * ESIZE[this.dtype];
  }

  private live(): void {
    if (this.freed) throw new ValueError('tensor', 'disposed', 'a tensor whose device memory has not been released (dispose)');
  }

  /** Makes the device copy current before a kernel reads it. */
  forRead(): void {
    this.live();
    if ((this.hostShared || this.hostWritten) && this.host) {
      this.ctx.addon.upload(this.addr, this.host);
      this.ctx.stats.uploads++;
    }
    this.hostWritten = false;
  }

  /** Before a kernel writes it: `whole` when every element is overwritten (no upload needed). */
  forWrite(whole: boolean): void {
    if (!whole) this.forRead();
    this.live();
    this.hostValid = false;
    this.hostShared = false;
    this.hostWritten = false;
  }

  /**
   * The host mirror. `'shared'` (the `data` accessor) and `'read'` download it (after the stream's
   * pending work) when the device is newer; `'shared'` also counts it as possibly written at any
   * time (uploaded before every device read from then on), `'read'` does not. `'write'` (the caller
   * overwrites the values of `whole` storage, or of part of it, before the next operation) skips
   * the download when the whole storage is overwritten and marks the mirror as the newer copy,
   * uploaded once before the next device read.
   */
  hostArray(mode: HostAccess, whole = true): TensorData {
    this.live();
    this.host ??= allocateHost(this.length, this.dtype);
    if (mode === 'write') {
      if (whole) this.hostValid = true;
      this.hostWritten = true;
    }
    if (!this.hostValid) {
      this.ctx.addon.download(this.addr, this.host);
      this.ctx.stats.downloads++;
      this.hostValid = true;
    }
    if (mode === 'shared') this.hostShared = true;
    return this.host;
  }

  release(): void {
    if (this.freed || --this.refs > 0) return;
    this.freed = true;
    this.ctx.finalizer.unregister(this);
    this.ctx.addon.free(this.addr);
  }
}

/** Elements `[offset, offset + length)` of a storage. */
class View {
  private cache: { host: TensorData; sub: TensorData } | undefined;
  disposed = false;

  constructor(
    readonly storage: Storage,
    readonly offset: number,
    readonly length: number,
  ) {}

  get dtype(): DType {
    return this.storage.dtype;
  }
  get addr(): number {
    return this.storage.addr + this.offset * ESIZE[this.storage.dtype];
  }
  get whole(): boolean {
    return this.offset === 0 && this.length === this.storage.length;
  }

  /**
   * The host values of this view (a stable array object: the same one on every read). A `'write'`
   * of part of a storage downloads the rest first.
   */
  hostData(mode: HostAccess = 'shared'): TensorData {
    const host = this.storage.hostArray(mode, this.whole);
    if (this.whole) return host;
    if (this.cache?.host !== host) this.cache = { host, sub: host.subarray(this.offset, this.offset + this.length) };
    return this.cache.sub;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.storage.release();
  }
}

/** Copies made at the host boundary, for tests and benchmarks. */
export interface TransferStats {
  uploads: number;
  downloads: number;
}

/** Per-backend state shared by its storages. */
interface Context {
  readonly addon: CudaAddon;
  readonly finalizer: FinalizationRegistry<number>;
  readonly stats: TransferStats;
}

const views = new WeakMap<object, View>();

/** Whether `t` (a tensor or a float64 matrix) lives on a CUDA device. */
export function isDeviceResident(t: Tensor | Matrix64): boolean {
  return views.has(t);
}

/**
 * A tensor whose values live in CUDA device memory. It is a {@link Tensor}: reading `data` waits
 * for the device and copies the values to a host array (once, until the device writes again);
 * writes into that array reach the device before its next use. `reshape`, `sliceRows`, `clone` and
 * `astype` stay on the device. `dispose()` releases the memory (idempotent; views of one
 * allocation release it when the last is disposed); unreferenced tensors are also released when
 * garbage collected.
 */
export class CudaTensor extends Tensor {
  constructor(
    private readonly backend: CudaBackend,
    view: View,
    shape: readonly number[],
  ) {
    // The base class checks `data.length` against the shape; the real `data` is the accessor below.
    super({ length: view.length } as unknown as TensorData, shape);
    attach(this, view);
  }

  override get dtype(): DType {
    return views.get(this)!.dtype;
  }

  override get size(): number {
    return views.get(this)!.length;
  }

  override clone(): Tensor {
    return this.backend.clone(this);
  }

  override astype(dtype: DType): Tensor {
    return this.backend.cast(this, dtype);
  }

  override reshape(shape: readonly number[]): Tensor {
    const v = views.get(this)!;
    v.storage.refs++;
    return this.backend.track(new CudaTensor(this.backend, new View(v.storage, v.offset, v.length), shape));
  }

  override sliceRows(start: number, end: number): Tensor {
    const v = views.get(this)!;
    const rs = this.rowSize;
    if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start <= end && end <= this.rows)) {
      throw new ValueError('rows', [start, end], `0 <= start <= end <= ${this.rows}`);
    }
    v.storage.refs++;
    return this.backend.track(new CudaTensor(this.backend, new View(v.storage, v.offset + start * rs, (end - start) * rs), [end - start, ...this.shape.slice(1)]));
  }
}

/** Links a tensor (a CudaTensor, or an adopted host tensor) to its device view. */
function attach(t: Tensor, view: View): void {
  views.set(t, view);
  Object.defineProperty(t, 'data', { get: () => view.hostData(), configurable: true, enumerable: true });
  Object.defineProperty(t, 'readData', { value: () => view.hostData('read'), configurable: true });
  Object.defineProperty(t, 'writeData', { value: () => view.hostData('write'), configurable: true });
  Object.defineProperty(t, 'dtype', { value: view.dtype, configurable: true });
  Object.defineProperty(t, 'size', { value: view.length, configurable: true });
  Object.defineProperty(t, 'dispose', { value: () => { view.dispose(); }, configurable: true });
}

/** Turns an adopted host tensor back into a plain one holding its latest values, and frees the device copy. */
function release(t: Tensor, view: View): void {
  if (view.disposed) return;
  const data = view.hostData();
  views.delete(t);
  for (const k of ['dtype', 'size', 'dispose', 'readData', 'writeData']) Reflect.deleteProperty(t, k);
  Object.defineProperty(t, 'data', { value: data, writable: true, configurable: true, enumerable: true });
  view.dispose();
}

/** A float64 matrix in device memory (the output of {@link CudaBackend.pairwiseSqDist}); `data` reads it back. */
class CudaMatrix implements Matrix64 {
  constructor(
    private readonly view: View,
    readonly rows: number,
    readonly cols: number,
  ) {
    views.set(this, view);
  }
  get data(): Float64Array {
    return this.view.hostData() as Float64Array;
  }
  /** Releases the device memory (idempotent). */
  dispose(): void {
    this.view.dispose();
  }
}

/** A device operand of one operation: its view, and whether it is a temporary upload to free after. */
interface Operand {
  view: View;
  temp: boolean;
}

/**
 * The CUDA backend: every operation runs on one CUDA stream over device memory. Device tensors
 * ({@link CudaTensor}, made by operations that allocate, by {@link CudaBackend.toDevice} or
 * {@link CudaBackend.zeros}) stay on the device between operations; host tensors passed in are
 * copied to the device for the call, and host `out` tensors receive the result (see
 * {@link CudaBackendOptions.adoptOutputs}). Operations that return host values (row reductions,
 * softmax's log-sum-exp, firstNonFinite) wait for the stream; the others only enqueue work.
 */
export class CudaBackend implements Backend {
  readonly name: string;
  /** Operations compute on the device: see {@link Backend.location}. */
  readonly location = 'device';
  readonly precision: 'float64' | 'float32';
  /** The cuBLAS library the large products use, or undefined (tiled kernels only). */
  readonly cublas: string | undefined;
  /** Why cuBLAS is not used, when it was asked for and could not be loaded. */
  readonly cublasError: string | undefined;
  /** Host <-> device copies made so far (boundary copies; tests and benchmarks read them). */
  readonly transfers: TransferStats = { uploads: 0, downloads: 0 };
  private readonly ctx: Context;
  private readonly adopt: boolean;
  private readonly scopes: Set<{ dispose(): void }>[] = [];

  /** Use {@link createCudaBackend}; this constructor expects an initialised addon. */
  constructor(
    readonly addon: CudaAddon,
    readonly device: CudaDeviceInfo,
    options: Pick<CudaBackendOptions, 'precision' | 'adoptOutputs' | 'cublas'> = {},
  ) {
    const precision: unknown = options.precision ?? 'float64';
    if (precision !== 'float64' && precision !== 'float32') throw new ValueError('precision', precision, "'float64' or 'float32'");
    this.precision = precision;
    this.adopt = options.adoptOutputs ?? false;
    const want = options.cublas ?? true;
    const blas = want === false ? {} : addon.cublas(typeof want === 'string' ? [want] : CUBLAS_CANDIDATES);
    this.cublas = blas.path;
    this.cublasError = blas.error;
    this.name = `cuda:${device.name}${this.cublas ? '+cublas' : ''}${this.precision === 'float32' ? ' (float32 GEMM)' : ''}`;
    this.ctx = {
      addon,
      stats: this.transfers,
      finalizer: new FinalizationRegistry<number>((addr) => {
        addon.free(addr);
      }),
    };
  }

  // ---- memory ----

  private storage(length: number, dtype: DType): Storage {
    const s = new Storage(this.ctx, this.ctx.addon.alloc(length * ESIZE[dtype]), length, dtype);
    this.ctx.finalizer.register(s, s.addr, s);
    return s;
  }

  /** Registers `t` with the innermost open {@link CudaBackend.scope}. */
  track<T extends { dispose(): void }>(t: T): T {
    this.scopes.at(-1)?.add(t);
    return t;
  }

  private newTensor(shape: readonly number[], dtype: DType): CudaTensor {
    const n = shape.reduce((a, b) => a * b, 1);
    return this.track(new CudaTensor(this, new View(this.storage(n, dtype), 0, n), shape));
  }

  /** A device tensor of zeros. */
  zeros(shape: readonly number[], dtype: DType = 'float32'): CudaTensor {
    const t = this.newTensor(shape, dtype);
    const v = views.get(t)!;
    this.ctx.addon.zero(v.addr, v.length * ESIZE[dtype]);
    return t;
  }

  /** A device copy of `t` (one upload; a device tensor is copied on the device). */
  toDevice(t: Tensor): CudaTensor {
    const v = views.get(t);
    if (v) return this.clone(t);
    const out = this.newTensor(t.shape, t.dtype);
    this.ctx.addon.upload(views.get(out)!.addr, t.data);
    this.transfers.uploads++;
    return out;
  }

  /** A copy of `t` on the device. */
  clone(t: Tensor): CudaTensor {
    const out = this.newTensor(t.shape, t.dtype);
    const src = this.operand(t);
    const dst = views.get(out)!;
    dst.storage.forWrite(true);
    this.ctx.addon.copy(dst.addr, src.view.addr, src.view.length * ESIZE[src.view.dtype]);
    this.done([src]);
    return out;
  }

  /** `t` converted to `dtype` on the device (a copy even when the dtype is unchanged). */
  cast(t: Tensor, dtype: DType): CudaTensor {
    if (dtype === t.dtype) return this.clone(t);
    const out = this.newTensor(t.shape, dtype);
    const src = this.operand(t);
    const dst = views.get(out)!;
    dst.storage.forWrite(true);
    this.ctx.addon.cast(dst.addr, isF64(dtype), src.view.addr, isF64(src.view.dtype), t.size);
    this.done([src]);
    return out;
  }

  /**
   * Runs `fn` and disposes the device tensors and matrices made during it, except those it returns
   * (a tensor, or an array or object of them); for an async `fn`, once its promise settles. Kept
   * results move to the enclosing scope. Code written against the CPU backend can wrap a loop body
   * in it to free temporaries. While an async body is pending, tensors that concurrent code makes on
   * this backend are counted as its own.
   */
  scope<T>(fn: () => T): T {
    const made = new Set<{ dispose(): void }>();
    this.scopes.push(made);
    const finish = (result: unknown): void => {
      const keep = new Set<unknown>();
      const collect = (v: unknown): void => {
        if (v instanceof Tensor || v instanceof CudaMatrix) keep.add(v);
        else if (Array.isArray(v)) v.forEach(collect);
        else if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) Object.values(v).forEach(collect);
      };
      collect(result);
      this.scopes.splice(this.scopes.indexOf(made), 1);
      for (const t of made) {
        if (keep.has(t)) this.track(t);
        else t.dispose();
      }
    };
    let result: T;
    try {
      result = fn();
    } catch (e) {
      finish(undefined);
      throw e;
    }
    if (result instanceof Promise) {
      return result.then(
        (r: unknown) => {
          finish(r);
          return r;
        },
        (e: unknown) => {
          finish(undefined);
          throw e;
        },
      ) as T;
    }
    finish(result);
    return result;
  }

  /** Waits until every operation enqueued so far has finished. */
  sync(): void {
    this.ctx.addon.sync();
  }

  /** The device operand of `t`: its own view, or a temporary upload of a host tensor. */
  private operand(t: Tensor, uploaded?: Map<TensorData, Operand>): Operand {
    const v = views.get(t);
    if (v) {
      v.storage.forRead();
      return { view: v, temp: false };
    }
    const data = t.data;
    const seen = uploaded?.get(data);
    if (seen) return seen;
    const s = this.storage(data.length, dtypeOf(data));
    this.ctx.addon.upload(s.addr, data);
    this.transfers.uploads++;
    const op = { view: new View(s, 0, data.length), temp: true };
    uploaded?.set(data, op);
    return op;
  }

  /** The float64 device matrix of `m`, uploaded when it is a host matrix. */
  private matrixOperand(m: Matrix64): Operand {
    const v = views.get(m);
    if (v) {
      v.storage.forRead();
      return { view: v, temp: false };
    }
    const s = this.storage(m.rows * m.cols, 'float64');
    this.ctx.addon.upload(s.addr, m.data.subarray(0, m.rows * m.cols));
    this.transfers.uploads++;
    return { view: new View(s, 0, m.rows * m.cols), temp: true };
  }

  /** Frees temporary operands (stream-ordered: after the kernels already enqueued). */
  private done(ops: readonly Operand[]): void {
    for (const o of new Set(ops)) if (o.temp) o.view.dispose();
  }

  /**
   * Where an operation writing a tensor like `like` puts its result: `out` itself when it is on the
   * device (or adopted), else a new device tensor, plus what to do once the kernels are enqueued.
   */
  private output(like: { shape: readonly number[]; dtype: DType }, out: Tensor | undefined, uploaded?: Map<TensorData, Operand>): { view: View; tensor: Tensor; finish: () => void } {
    if (!out) {
      const t = this.newTensor(like.shape, like.dtype);
      return { view: views.get(t)!, tensor: t, finish: () => undefined };
    }
    const v = views.get(out);
    if (v) {
      v.storage.forWrite(v.whole);
      return { view: v, tensor: out, finish: () => undefined };
    }
    const data = out.data;
    const ownsArray = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
    if (this.adopt && ownsArray) {
      // the host array becomes the mirror of a device storage (reusing an upload of it as an input)
      const up = uploaded?.get(data);
      if (up) up.temp = false;
      const s = up ? up.view.storage : this.storage(data.length, dtypeOf(data));
      s.host = data;
      const view = new View(s, 0, data.length);
      attach(out, view);
      // disposing an adopted tensor hands it back to the host with its current values
      Object.defineProperty(out, 'dispose', { value: () => { release(out, view); }, configurable: true });
      this.track(out);
      s.forWrite(true);
      return { view, tensor: out, finish: () => undefined };
    }
    const s = this.storage(data.length, dtypeOf(data));
    const view = new View(s, 0, data.length);
    return {
      view,
      tensor: out,
      finish: () => {
        this.ctx.addon.download(s.addr, data);
        this.transfers.downloads++;
        view.dispose();
      },
    };
  }

  // ---- element-wise ----

  lincomb(terms: readonly (readonly [Coef, Tensor])[], out?: Tensor): Tensor {
    const first = checkLincombTerms(terms);
    if (out) assertSameShape(first, out, 'the inputs', 'out');
    if (terms.length === 2 || terms.length === 3) return this.runLincomb(terms, out, LINCOMB_DIRECT);
    // The reference's generic loop s = 0 + c0 x0 + c1 x1 + ... in float64: beyond MAX_TERMS terms
    // the partial sum goes through a float64 tensor (exact) as the first term of the next chunk.
    let rest = terms;
    let partial: Tensor | undefined;
    while (rest.length > MAX_TERMS) {
      const chunk: (readonly [Coef, Tensor])[] = partial ? [[1, partial], ...rest.slice(0, MAX_TERMS - 1)] : rest.slice(0, MAX_TERMS);
      rest = rest.slice(partial ? MAX_TERMS - 1 : MAX_TERMS);
      const next = this.runLincomb(chunk, this.newTensor(first.shape, 'float64'), LINCOMB_GENERIC);
      partial?.dispose();
      partial = next;
    }
    const result = this.runLincomb(partial ? [[1, partial], ...rest] : rest, out ?? (partial && this.newTensor(first.shape, first.dtype)), LINCOMB_GENERIC);
    partial?.dispose();
    return result;
  }

  private runLincomb(terms: readonly (readonly [Coef, Tensor])[], out: Tensor | undefined, mode: number): Tensor {
    const first = terms[0]![1];
    const rows = first.rows;
    const uploaded = new Map<TensorData, Operand>();
    const ops = terms.map(([, t]) => this.operand(t, uploaded));
    const o = this.output(first, out, uploaded);
    const K = terms.length;
    const coefs = new Float64Array(K * Math.max(rows, 1));
    const perRow = terms.map(([c], k) => {
      if (typeof c === 'number') coefs[k * rows] = c;
      else coefs.set(c, k * rows);
      return typeof c === 'number' ? 0 : 1;
    });
    this.ctx.addon.lincomb(o.view.addr, isF64(o.view.dtype), rows, first.rowSize, mode, ops.map((p) => p.view.addr), ops.map((p) => isF64(p.view.dtype)), perRow, coefs);
    this.done(ops);
    o.finish();
    return o.tensor;
  }

  axpby(a: Coef, x: Tensor, b: Coef, y: Tensor, out?: Tensor): Tensor {
    return this.lincomb([[a, x], [b, y]], out);
  }

  scaleRows(x: Tensor, s: Coef, out?: Tensor): Tensor {
    checkCoef(s, x.rows, 's');
    if (out) assertSameShape(x, out, 'the inputs', 'out');
    return this.runLincomb([[s, x]], out, LINCOMB_SCALE);
  }

  mul(x: Tensor, y: Tensor, out?: Tensor): Tensor {
    assertSameShape(x, y, 'x', 'y');
    if (out) assertSameShape(x, out, 'the inputs', 'out');
    const uploaded = new Map<TensorData, Operand>();
    const a = this.operand(x, uploaded);
    const b = this.operand(y, uploaded);
    const o = this.output(x, out, uploaded);
    this.ctx.addon.mul(o.view.addr, isF64(o.view.dtype), a.view.addr, isF64(a.view.dtype), b.view.addr, isF64(b.view.dtype), x.size);
    this.done([a, b]);
    o.finish();
    return o.tensor;
  }

  // ---- row reductions ----

  private rowReduce(x: Tensor, y: Tensor | undefined): Float64Array {
    if (x.shape.length < 1) throw new ShapeError('x', '[rows, ...]', formatShape(x.shape));
    const uploaded = new Map<TensorData, Operand>();
    const a = this.operand(x, uploaded);
    const b = y ? this.operand(y, uploaded) : undefined;
    const r = this.ctx.addon.rowReduce(a.view.addr, isF64(a.view.dtype), b ? b.view.addr : 0, b ? isF64(b.view.dtype) : 0, x.rows, x.rowSize, 0)!;
    this.done(b ? [a, b] : [a]);
    return r;
  }

  rowSum(x: Tensor): Float64Array {
    return this.rowReduce(x, undefined);
  }

  rowDot(x: Tensor, y: Tensor): Float64Array {
    assertSameShape(x, y, 'x', 'y');
    return this.rowReduce(x, y);
  }

  rowNormSq(x: Tensor): Float64Array {
    return this.rowReduce(x, x);
  }

  rowNorm(x: Tensor): Float64Array {
    return this.rowNormSq(x).map(Math.sqrt);
  }

  // ---- products ----

  private get exact(): number {
    return this.precision === 'float64' ? 1 : 0;
  }

  private get useCublas(): number {
    return this.cublas ? 1 : 0;
  }

  matmul(a: Tensor, b: Tensor, options: { transA?: boolean; transB?: boolean } = {}): Tensor {
    const { m, k, n } = checkMatmul(a, b, options);
    const uploaded = new Map<TensorData, Operand>();
    const A = this.operand(a, uploaded);
    const B = this.operand(b, uploaded);
    const out = this.newTensor([m, n], a.dtype);
    const C = views.get(out)!;
    const [sAi, sAp] = options.transA ? [1, m] : [k, 1];
    const [sBp, sBj] = options.transB ? [1, k] : [n, 1];
    this.ctx.addon.gemm(A.view.addr, isF64(A.view.dtype), sAi, sAp, B.view.addr, isF64(B.view.dtype), sBp, sBj, m, n, k, C.addr, isF64(C.dtype), n, this.exact, 0, 0, 0, 0, this.useCublas);
    this.done([A, B]);
    return out;
  }

  /** Squared distances as a float64 matrix that stays on the device (its `data` reads it back). */
  pairwiseSqDist(x: Tensor, y: Tensor): Matrix64 {
    if (x.rowSize !== y.rowSize) throw new ShapeError('y', `rows of ${x.rowSize} values (like x)`, formatShape(y.shape));
    const [B, n, N] = [x.rows, y.rows, x.rowSize];
    const uploaded = new Map<TensorData, Operand>();
    const X = this.operand(x, uploaded);
    const Y = this.operand(y, uploaded);
    const norms = this.storage(B + n, 'float64');
    const addon = this.ctx.addon;
    // |x_i|^2 and |y_j|^2 in float64, then |x|^2 + |y|^2 - 2 x.y with the cancellation guard
    addon.rowReduce(X.view.addr, isF64(X.view.dtype), X.view.addr, isF64(X.view.dtype), B, N, norms.addr);
    addon.rowReduce(Y.view.addr, isF64(Y.view.dtype), Y.view.addr, isF64(Y.view.dtype), n, N, norms.addr + 8 * B);
    const d = this.storage(B * n, 'float64');
    addon.gemm(X.view.addr, isF64(X.view.dtype), N, 1, Y.view.addr, isF64(Y.view.dtype), 1, N, B, n, N, d.addr, 1, n, this.exact, 1, norms.addr, norms.addr + 8 * B, CANCEL[this.precision], this.useCublas);
    norms.release();
    this.done([X, Y]);
    return this.track(new CudaMatrix(new View(d, 0, B * n), B, n));
  }

  /**
   * Row-wise softmax on the device (the Backend contract). The device kernel has no float32
   * variant: `options.exp: 'float32'` is accepted and computed in float64 like the default, which
   * meets that option's bound.
   */
  softmaxRows(logits: Matrix64, options?: SoftmaxOptions): Float64Array {
    checkSoftmaxOptions(options);
    const { rows, cols } = logits;
    const L = this.matrixOperand(logits);
    L.view.storage.forWrite(false);
    const stats = this.ctx.addon.softmax(L.view.addr, rows, cols);
    let bad = -1;
    const lse = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      const m = stats[2 * r]!;
      if (!(m > -Infinity && m < Infinity)) {
        bad = r;
        break;
      }
      lse[r] = m + Math.log(stats[2 * r + 1]!);
    }
    if (L.temp) {
      // a host matrix receives the normalised rows (those before a row without a finite logit)
      const done = bad < 0 ? rows : bad;
      if (done > 0) {
        const host = new Float64Array(rows * cols);
        this.ctx.addon.download(L.view.addr, host);
        this.transfers.downloads++;
        logits.data.set(host.subarray(0, done * cols));
      }
      this.done([L]);
    }
    if (bad >= 0) throw new ValueError(`logits row ${bad}`, stats[2 * bad]!, 'at least one finite logit and no +Infinity');
    return lse;
  }

  /**
   * `m[i, :] *= s_i` in place on the device (a host matrix is updated too), e.g. the Gaussian
   * (EDM) log-kernel -|x_i - y_j|^2 / (2 sigma_i^2) from {@link CudaBackend.pairwiseSqDist} without
   * a copy to the host. Returns `m`.
   */
  scaleMatrixRows(m: Matrix64, s: Coef): Matrix64 {
    checkCoef(s, m.rows, 's');
    const M = this.matrixOperand(m);
    M.view.storage.forWrite(M.view.whole);
    const coefs = typeof s === 'number' ? Float64Array.of(s) : Float64Array.from(s);
    this.ctx.addon.lincomb(M.view.addr, 1, m.rows, m.cols, LINCOMB_SCALE, [M.view.addr], [1], [typeof s === 'number' ? 0 : 1], coefs);
    if (M.temp) {
      this.ctx.addon.download(M.view.addr, m.data.subarray(0, m.rows * m.cols));
      this.transfers.downloads++;
      this.done([M]);
    }
    return m;
  }

  weightedSum(w: Matrix64, y: Tensor): Tensor {
    if (w.cols !== y.rows) throw new ShapeError('y', `${w.cols} rows (the columns of w)`, formatShape(y.shape));
    const N = y.rowSize;
    const W = this.matrixOperand(w);
    const Y = this.operand(y);
    const out = this.newTensor([w.rows, ...y.shape.slice(1)], y.dtype);
    const C = views.get(out)!;
    this.ctx.addon.gemm(W.view.addr, 1, w.cols, 1, Y.view.addr, isF64(Y.view.dtype), N, 1, w.rows, N, w.cols, C.addr, isF64(C.dtype), N, this.exact, 0, 0, 0, 0, this.useCublas);
    this.done([W, Y]);
    return out;
  }

  // ---- randomness and checks ----

  private philox(out: Tensor, draw: PhiloxCall, normal: boolean): Tensor {
    checkPhiloxCall(draw);
    const o = this.output(out, out);
    this.ctx.addon.philox(o.view.addr, isF64(o.view.dtype), out.rows, out.rowSize, draw.key0, draw.key1, draw.call, draw.sampleOffset, draw.stream, normal ? 1 : 0);
    o.finish();
    return out;
  }

  philoxNormal(out: Tensor, draw: PhiloxCall): Tensor {
    return this.philox(out, draw, true);
  }

  /**
   * Fills `out` with the uniforms of one Philox draw call, bit-identical to `PhiloxRng.uniform`:
   * value j of row r is word j of the row's stream, ((w >>> 8) + 0.5) / 2^24 for float32 and
   * (w + 0.5) / 2^32 for float64. Returns `out`.
   */
  philoxUniform(out: Tensor, draw: PhiloxCall): Tensor {
    return this.philox(out, draw, false);
  }

  firstNonFinite(x: Tensor): number {
    const X = this.operand(x);
    const i = this.ctx.addon.firstNonFinite(X.view.addr, isF64(X.view.dtype), x.size);
    this.done([X]);
    return i;
  }
}

/**
 * The CUDA backend on `options.device` (default 0): `setBackend(await createCudaBackend())`.
 * Loads the native addon, checks the driver, the device and its compute capability, and sets up
 * the stream.
 * @throws BackendUnavailableError (as a rejection) saying why CUDA cannot be used here: addon not
 *   built, addon load failed, no driver, no device, compute capability too old, init failed.
 */
export function createCudaBackend(options: CudaBackendOptions = {}): Promise<CudaBackend> {
  try {
    const addon = loadAddon(options.addonPath);
    const device = selectDevice(addon.probe(), options.device ?? 0);
    try {
      addon.init(device.ordinal);
    } catch (e) {
      throw new BackendUnavailableError('cuda', 'init-failed', `${device.name}: ${e instanceof Error ? e.message : String(e)}`);
    }
    return Promise.resolve(new CudaBackend(addon, device, options));
  } catch (e) {
    return Promise.reject(e instanceof Error ? e : new Error(String(e)));
  }
}
