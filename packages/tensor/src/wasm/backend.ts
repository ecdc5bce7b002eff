import type { Backend, Coef, Matrix64 } from '../backend.js';
import { CpuBackend, checkCoef, checkLincomb } from '../cpu.js';
import { ShapeError, ValueError } from '../errors.js';
import { checkPhiloxCall, type PhiloxCall } from '../philox-stream.js';
import { Tensor, allocate, assertSameShape, formatShape, type TensorData } from '../tensor.js';
import { compileWasm, createWasmMemory, instantiateWasm, type WasmMemory } from './assembler.js';
import { kernelModule, type Elem } from './kernels.js';

type Kernel = (...args: number[]) => void;
const PAGE = 65536;
const { log, sqrt } = Math;
const { isFinite } = Number;

/** Tuning constants, chosen by the measurements in docs/fast-path.md. */
const TUNE = {
  /** Row size up to which pairwise distances run along the references (vectorised over j) instead of as a GEMM. */
  smallDim: 32,
  /** Cache blocks of the GEMM kernels: B^T rows x K for C = A B^T, K x columns for C = A B. */
  ntRows: 64,
  ntDepth: 512,
  nnDepth: 128,
  nnCols: 512,
  /** Below this many elements an element-wise call stays in TypeScript (call and copy overhead). */
  minElementwise: 4096,
  /** Recompute a GEMM-form distance directly when d^2 < this * (|x|^2 + |y|^2) (cancellation guard). */
  cancel: 2 ** -20,
  /** Normals generated per kernel call (a multiple of 16): the chunk stays in cache while it is copied out. */
  normalChunk: 1 << 16,
};

const elemOf = (t: Tensor): Elem => (t.dtype === 'float32' ? 'f32' : 'f64');
const esize = (e: Elem): number => (e === 'f32' ? 4 : 8);
const align = (bytes: number): number => (bytes + 15) & ~15;
const roundUp = (n: number, m: number): number => Math.ceil(n / m) * m;

let cachedModule: object | undefined;

/**
 * An external matrix-multiply engine that {@link WasmBackend} hands its large products to (e.g.
 * onnxruntime's multithreaded GEMM: `createOrtGemm` of @phys/onnx). It must keep the backend's
 * contract: float32 inputs widened to float64 (their products are exact), float64 accumulation.
 */
export interface GemmEngine {
  /** Shown in {@link WasmBackend.name}. */
  readonly name: string;
  /** Products with fewer than this many multiply-adds (m n k) stay on the WebAssembly kernels. */
  readonly minWork: number;
  /**
   * `C = A op(B)` as a new row-major float64 `[m, n]` array. `a` is `[m, k]`; `b` is `[n, k]` when
   * `transB` (C = A B^T), else `[k, n]`; both row-major, float32 or float64. With `norms` (only
   * with `transB`: the distance form) it also writes the float64 row sums of squares of `a` and `b`
   * into `norms.a` (length m) and `norms.b` (length n).
   */
  gemm(a: TensorData, b: TensorData, m: number, n: number, k: number, transB: boolean, norms?: { a: Float64Array; b: Float64Array }): Float64Array;
}

/** Options of {@link WasmBackend} and {@link createWasmBackend}. */
export interface WasmBackendOptions {
  /**
   * Problems smaller than this many elements run on the reference backend (default 4096, where
   * call and copy overhead stops paying; 0 sends everything through the kernels, as the tests do).
   */
  minElements?: number;
  /** Runs matrix products of at least `gemm.minWork` multiply-adds (distances, weighted sums, matmul). */
  gemm?: GemmEngine;
}

/** Whether this JavaScript engine runs WebAssembly with 128-bit SIMD (Node >= 16.4 does). */
export function wasmSimdAvailable(): boolean {
  try {
    cachedModule ??= compileWasm(kernelModule());
    return true;
  } catch {
    return false;
  }
}

/**
 * The fast CPU backend: WebAssembly SIMD128 kernels assembled at load time (no compiler, no binary,
 * no native dependency), one call per operation with the whole loop inside WebAssembly. Tensors are
 * copied into WebAssembly memory for each call (a block copy; see docs/fast-path.md for what it
 * costs), computed in float64 lanes and copied back, so results equal the {@link CpuBackend}
 * reference within float32 rounding (bit-identical for fused linear combinations of up to 3 terms
 * and for small-dimension distances). Single-threaded: it never starts threads. Operations without a
 * kernel that pays off (`mul`, tiny inputs, mixed dtypes) run on the reference backend.
 */
export class WasmBackend implements Backend {
  readonly name: string;
  private readonly cpu = new CpuBackend();
  private readonly memory: WasmMemory;
  private readonly k: Record<string, Kernel>;

  private readonly minElements: number;
  private readonly engine: GemmEngine | undefined;

  /** @throws Error when WebAssembly SIMD is unavailable (check {@link wasmSimdAvailable} first). */
  constructor(options: WasmBackendOptions = {}) {
    this.minElements = options.minElements ?? TUNE.minElementwise;
    this.engine = options.gemm;
    this.name = this.engine ? `wasm+${this.engine.name}` : 'wasm';
    if (!wasmSimdAvailable()) throw new Error('WasmBackend: WebAssembly SIMD128 is not available in this JavaScript engine');
    this.memory = createWasmMemory(16);
    const instance = instantiateWasm(cachedModule!, this.memory);
    this.k = instance as Record<string, Kernel>;
  }

  /** Lays out blocks of `sizes` bytes (16-byte aligned) from address 0, growing memory as needed. */
  private layout(sizes: readonly number[]): number[] {
    const ptrs: number[] = [];
    let top = 0;
    for (const s of sizes) {
      ptrs.push(top);
      top += align(s);
    }
    const have = this.memory.buffer.byteLength;
    if (top > have) this.memory.grow(Math.ceil((top - have) / PAGE));
    return ptrs;
  }

  private f64(ptr: number, len: number): Float64Array {
    return new Float64Array(this.memory.buffer, ptr, len);
  }

  private view(e: Elem, ptr: number, len: number): TensorData {
    return e === 'f32' ? new Float32Array(this.memory.buffer, ptr, len) : new Float64Array(this.memory.buffer, ptr, len);
  }

  /** Copies `rows` rows of `cols` values of `src` into memory at `ptr` with row stride `stride` values. */
  private putRows(e: Elem, src: TensorData, ptr: number, rows: number, cols: number, stride: number): void {
    const dst = this.view(e, ptr, rows * stride);
    if (stride === cols) {
      dst.set(src.subarray(0, rows * cols));
      return;
    }
    for (let r = 0; r < rows; r++) dst.set(src.subarray(r * cols, (r + 1) * cols), r * stride);
  }

  lincomb(terms: readonly (readonly [Coef, Tensor])[], out?: Tensor): Tensor {
    const { first, out: o } = checkLincomb(terms, out);
    const K = terms.length;
    const e = elemOf(first);
    if (K > 4 || first.size < this.minElements || terms.some(([, t]) => t.dtype !== first.dtype) || o.dtype !== first.dtype) {
      return this.cpu.lincomb(terms, o);
    }
    const rows = first.rows;
    const bytes = first.size * esize(e);
    // Distinct inputs are copied once (x + x, or out aliasing an input, cost nothing extra).
    const distinct: TensorData[] = [];
    for (const [, t] of terms) if (!distinct.includes(t.data)) distinct.push(t.data);
    const [pc, po, ...pin] = this.layout([rows * K * 8, bytes, ...distinct.map(() => bytes)]);
    const coefs = this.f64(pc!, rows * K);
    terms.forEach(([c], k) => {
      if (typeof c === 'number') for (let r = 0; r < rows; r++) coefs[r * K + k] = c;
      else for (let r = 0; r < rows; r++) coefs[r * K + k] = c[r]!;
    });
    distinct.forEach((d, i) => {
      this.view(e, pin[i]!, d.length).set(d);
    });
    const ptrOf = (t: Tensor): number => pin[distinct.indexOf(t.data)]!;
    this.k[`lincomb${K}_${e}`]!(po!, ...terms.map(([, t]) => ptrOf(t)), pc!, rows, first.rowSize);
    o.data.set(this.view(e, po!, first.size));
    return o;
  }

  axpby(a: Coef, x: Tensor, b: Coef, y: Tensor, out?: Tensor): Tensor {
    return this.lincomb([[a, x], [b, y]], out);
  }

  scaleRows(x: Tensor, s: Coef, out?: Tensor): Tensor {
    checkCoef(s, x.rows, 's');
    return this.lincomb([[s, x]], out);
  }

  mul(x: Tensor, y: Tensor, out?: Tensor): Tensor {
    return this.cpu.mul(x, y, out);
  }

  private rowReduce(kind: 'dot' | 'sum', x: Tensor, y?: Tensor): Float64Array {
    if (x.shape.length < 1) throw new ShapeError('x', '[rows, ...]', formatShape(x.shape));
    const e = elemOf(x);
    const same = y === undefined || y.data === x.data;
    const bytes = x.size * esize(e);
    const [px, py, po] = this.layout([bytes, same ? 0 : bytes, x.rows * 8]);
    this.view(e, px!, x.size).set(x.data);
    if (!same) this.view(e, py!, x.size).set(y.data);
    this.k[`row${kind}_${e}`]!(px!, same ? px! : py!, po!, x.rows, x.rowSize);
    return this.f64(po!, x.rows).slice();
  }

  rowSum(x: Tensor): Float64Array {
    if (x.size < this.minElements) return this.cpu.rowSum(x);
    return this.rowReduce('sum', x);
  }

  rowDot(x: Tensor, y: Tensor): Float64Array {
    assertSameShape(x, y, 'x', 'y');
    if (x.size < this.minElements || x.dtype !== y.dtype) return this.cpu.rowDot(x, y);
    return this.rowReduce('dot', x, y);
  }

  rowNormSq(x: Tensor): Float64Array {
    return this.rowDot(x, x);
  }

  rowNorm(x: Tensor): Float64Array {
    return this.rowNormSq(x).map(sqrt);
  }

  matmul(a: Tensor, b: Tensor, options: { transA?: boolean; transB?: boolean } = {}): Tensor {
    if (a.shape.length !== 2) throw new ShapeError('a', '[M, K] (2-D)', formatShape(a.shape));
    if (b.shape.length !== 2) throw new ShapeError('b', '[K, N] (2-D)', formatShape(b.shape));
    const [m, k] = options.transA ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
    const [kb, n] = options.transB ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!];
    if (k !== kb) throw new ShapeError('b', `inner dimension ${k} (from a ${formatShape(a.shape)})`, formatShape(b.shape));
    if (m * n * k < this.minElements) return this.cpu.matmul(a, b, options);
    const A = options.transA ? transpose(a.data, k, m) : a.data;
    let c: Float64Array;
    if (options.transB) {
      if (a.dtype !== b.dtype) return this.cpu.matmul(a, b, options);
      c = this.gemmNt(elemOf(a), A, b.data, m, n, k);
    } else {
      c = this.gemmNn(elemOf(a), A, elemOf(b), b.data, m, n, k);
    }
    const out = allocate(m * n, a.dtype);
    out.set(c);
    return new Tensor(out, [m, n]);
  }

  /** C = A B^T (A [m, k], B [n, k], same element type) as a new float64 `[m, n]` array. */
  private gemmNt(e: Elem, A: TensorData, B: TensorData, m: number, n: number, k: number, norms?: { x: Float64Array; y: Float64Array }): Float64Array {
    if (this.engine && m * n * k >= this.engine.minWork) return this.engine.gemm(A, B, m, n, k, true, norms && { a: norms.x, b: norms.y });
    const es = esize(e);
    const [mp, np, kp] = [roundUp(m, 2), roundUp(n, 4), roundUp(k, 2)];
    const [pa, pb, pc, pnx, pny] = this.layout([mp * kp * es, np * kp * es, mp * np * 8, norms ? mp * 8 : 0, norms ? np * 8 : 0]);
    if (mp !== m || kp !== k) this.view(e, pa!, mp * kp).fill(0);
    this.putRows(e, A, pa!, m, k, kp);
    if (np !== n || kp !== k) this.view(e, pb!, np * kp).fill(0);
    this.putRows(e, B, pb!, n, k, kp);
    this.f64(pc!, mp * np).fill(0);
    const gemm = this.k[`gemmnt_${e}`]!;
    for (let k0 = 0; k0 < kp; k0 += TUNE.ntDepth) {
      const kb = Math.min(TUNE.ntDepth, kp - k0);
      for (let j0 = 0; j0 < np; j0 += TUNE.ntRows) {
        const jb = Math.min(TUNE.ntRows, np - j0);
        gemm(pa! + k0 * es, pb! + (j0 * kp + k0) * es, pc! + j0 * 8, mp, jb, kb, kp * es, kp * es, np * 8);
      }
    }
    if (norms) {
      this.k[`rowdot_${e}`]!(pa!, pa!, pnx!, m, kp);
      this.k[`rowdot_${e}`]!(pb!, pb!, pny!, n, kp);
      norms.x.set(this.f64(pnx!, m));
      norms.y.set(this.f64(pny!, n));
    }
    const full = this.f64(pc!, mp * np);
    if (np === n) return full.slice(0, m * n);
    const c = new Float64Array(m * n);
    for (let i = 0; i < m; i++) c.set(full.subarray(i * np, i * np + n), i * n);
    return c;
  }

  /** C = A B (A [m, k], B [k, n]) as a new float64 `[m, n]` array. */
  private gemmNn(ea: Elem, A: TensorData, eb: Elem, B: TensorData, m: number, n: number, k: number): Float64Array {
    if (this.engine && m * n * k >= this.engine.minWork) return this.engine.gemm(A, B, m, n, k, false);
    const [sa, sb] = [esize(ea), esize(eb)];
    const [mp, np] = [roundUp(m, 2), roundUp(n, 8)];
    const [pa, pb, pc] = this.layout([mp * k * sa, k * np * sb, mp * np * 8]);
    if (mp !== m) this.view(ea, pa! + m * k * sa, k).fill(0);
    this.view(ea, pa!, m * k).set(A.subarray(0, m * k));
    if (np !== n) this.view(eb, pb!, k * np).fill(0);
    this.putRows(eb, B, pb!, k, n, np);
    this.f64(pc!, mp * np).fill(0);
    const gemm = this.k[`gemmnn_${ea}${eb}`]!;
    for (let k0 = 0; k0 < k; k0 += TUNE.nnDepth) {
      const kb = Math.min(TUNE.nnDepth, k - k0);
      for (let j0 = 0; j0 < np; j0 += TUNE.nnCols) {
        const jb = Math.min(TUNE.nnCols, np - j0);
        gemm(pa! + k0 * sa, pb! + (k0 * np + j0) * sb, pc! + j0 * 8, mp, jb, kb, k * sa, np * sb, np * 8);
      }
    }
    const full = this.f64(pc!, mp * np);
    if (np === n) return full.slice(0, m * n);
    const c = new Float64Array(m * n);
    for (let i = 0; i < m; i++) c.set(full.subarray(i * np, i * np + n), i * n);
    return c;
  }

  pairwiseSqDist(x: Tensor, y: Tensor): Matrix64 {
    if (x.rowSize !== y.rowSize) throw new ShapeError('y', `rows of ${x.rowSize} values (like x)`, formatShape(y.shape));
    const [B, n, N] = [x.rows, y.rows, x.rowSize];
    if (B * n * N < this.minElements) return this.cpu.pairwiseSqDist(x, y);
    if (N <= TUNE.smallDim) return this.distSmall(x, y);
    if (x.dtype !== y.dtype) return this.cpu.pairwiseSqDist(x, y);
    // |x - y|^2 = |x|^2 + |y|^2 - 2 x.y with float64 products and sums (float32 products are exact
    // in float64); entries small against |x|^2 + |y|^2 lost digits to cancellation and are
    // recomputed directly.
    const nx = new Float64Array(B);
    const ny = new Float64Array(n);
    const d = this.gemmNt(elemOf(x), x.data, y.data, B, n, N, { x: nx, y: ny });
    const X = x.data;
    const Y = y.data;
    for (let i = 0; i < B; i++) {
      const a = nx[i]!;
      const o = i * n;
      for (let j = 0; j < n; j++) {
        const s = a + ny[j]!;
        const v = s - 2 * d[o + j]!;
        if (v > TUNE.cancel * s) d[o + j] = v;
        else {
          let t = 0;
          for (let q = 0, xo = i * N, yo = j * N; q < N; q++) {
            const df = X[xo + q]! - Y[yo + q]!;
            t += df * df;
          }
          d[o + j] = t;
        }
      }
    }
    return { data: d, rows: B, cols: n };
  }

  /** Distances for small row sizes, vectorised over the references (sums in the reference's order). */
  private distSmall(x: Tensor, y: Tensor): Matrix64 {
    const [B, n, N] = [x.rows, y.rows, x.rowSize];
    const np = roundUp(n, 4);
    const [px, py, po] = this.layout([B * N * 8, N * np * 8, B * np * 8]);
    this.f64(px!, B * N).set(x.data);
    const yt = this.f64(py!, N * np);
    const Y = y.data;
    for (let q = 0; q < N; q++) {
      const o = q * np;
      for (let j = 0; j < n; j++) yt[o + j] = Y[j * N + q]!;
      for (let j = n; j < np; j++) yt[o + j] = 0;
    }
    this.k.distsmall!(px!, py!, po!, B, np, N);
    const full = this.f64(po!, B * np);
    let data: Float64Array;
    if (np === n) data = full.slice();
    else {
      data = new Float64Array(B * n);
      for (let i = 0; i < B; i++) data.set(full.subarray(i * np, i * np + n), i * n);
    }
    return { data, rows: B, cols: n };
  }

  softmaxRows(logits: Matrix64): Float64Array {
    const { data, rows, cols } = logits;
    if (rows * cols < this.minElements) return this.cpu.softmaxRows(logits);
    const [pd, ps] = this.layout([rows * cols * 8, rows * 16]);
    const mem = this.f64(pd!, rows * cols);
    mem.set(data.subarray(0, rows * cols));
    this.k.softmax!(pd!, rows, cols, ps!);
    const stats = this.f64(ps!, rows * 2);
    const lse = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      const m = stats[2 * r]!;
      if (m === -Infinity) {
        data.set(mem.subarray(0, r * cols));
        throw new ValueError(`logits row ${r}`, m, 'at least one finite logit');
      }
      if (Number.isNaN(m)) {
        // A NaN logit: the reference's comparison-based max skips it; replay that row there.
        const row = data.slice(r * cols, (r + 1) * cols);
        lse[r] = this.cpu.softmaxRows({ data: row, rows: 1, cols })[0]!;
        mem.set(row, r * cols);
        continue;
      }
      lse[r] = m + log(stats[2 * r + 1]!);
    }
    data.set(mem);
    return lse;
  }

  weightedSum(w: Matrix64, y: Tensor): Tensor {
    if (w.cols !== y.rows) throw new ShapeError('y', `${w.cols} rows (the columns of w)`, formatShape(y.shape));
    const N = y.rowSize;
    if (w.rows * w.cols * N < this.minElements) return this.cpu.weightedSum(w, y);
    const c = this.gemmNn('f64', w.data, elemOf(y), y.data, w.rows, N, w.cols);
    const out = allocate(w.rows * N, y.dtype);
    out.set(c);
    return new Tensor(out, [w.rows, ...y.shape.slice(1)]);
  }

  firstNonFinite(x: Tensor): number {
    if (x.size < this.minElements) return this.cpu.firstNonFinite(x);
    const e = elemOf(x);
    const per = 64 / esize(e);
    const blocks = Math.floor(x.size / per);
    const [px, po] = this.layout([blocks * 64, 16]);
    this.view(e, px!, blocks * per).set(x.data.subarray(0, blocks * per));
    this.k[`nonfinite_${e}`]!(px!, blocks, po!);
    // A NaN lane means a non-finite value in the blocks; the tail (< one block) is checked here.
    const probe = this.view(e, po!, 16 / esize(e));
    let clean = true;
    for (const v of probe) clean &&= v === 0;
    for (let i = blocks * per; i < x.size && clean; i++) clean = isFinite(x.data[i]!);
    return clean ? -1 : this.cpu.firstNonFinite(x);
  }

  philoxNormal(out: Tensor, draw: PhiloxCall): Tensor {
    checkPhiloxCall(draw);
    if (out.size < this.minElements) return this.cpu.philoxNormal(out, draw);
    const e = elemOf(out);
    const [rows, rs] = [out.rows, out.rowSize];
    const chunk = TUNE.normalChunk;
    const [ps, po] = this.layout([16 * 8, chunk * esize(e)]);
    const kernel = this.k[`philoxnormal_${e}`]!;
    const { call, sampleOffset, stream, key0, key1 } = draw;
    if (rs <= chunk) {
      // whole rows per call
      const per = Math.floor(chunk / rs);
      for (let r0 = 0; r0 < rows; r0 += per) {
        const n = Math.min(per, rows - r0);
        kernel(po!, n, rs, 0, call, (sampleOffset + r0) >>> 0, stream, key0, key1, ps!);
        out.data.set(this.view(e, po!, n * rs), r0 * rs);
      }
    } else {
      // long rows in pieces of whole Philox blocks (4 normals)
      for (let r = 0; r < rows; r++) {
        for (let j0 = 0; j0 < rs; j0 += chunk) {
          const n = Math.min(chunk, rs - j0);
          kernel(po!, 1, n, j0 / 4, call, (sampleOffset + r) >>> 0, stream, key0, key1, ps!);
          out.data.set(this.view(e, po!, n), r * rs + j0);
        }
      }
    }
    return out;
  }
}

function transpose(d: TensorData, rows: number, cols: number): TensorData {
  const out = d instanceof Float32Array ? new Float32Array(rows * cols) : new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = d[i * cols + j]!;
  return out;
}

/**
 * The fast backend when WebAssembly SIMD is available, else `undefined`. Opt in with
 * `setBackend(createWasmBackend() ?? new CpuBackend())`, or set `PHYS_BACKEND=wasm`.
 */
export function createWasmBackend(options: WasmBackendOptions = {}): WasmBackend | undefined {
  return wasmSimdAvailable() ? new WasmBackend(options) : undefined;
}
