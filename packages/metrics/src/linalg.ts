// Dense float64 linear algebra for the Frechet distance: Cholesky, congruence L^T S L, Householder
// tridiagonalisation and the implicit QL eigen solver. Matrices are row-major n x n Float64Arrays.
import { ValueError, WasmBackend, getBackend } from '@phys/tensor';

/**
 * The active backend when it is the WebAssembly one: its float64 kernels (one module and memory
 * with the tensor kernels) run the hot loops below; any other backend gets the TypeScript loops.
 */
function wasmBackend(): WasmBackend | undefined {
  const backend = getBackend();
  return backend instanceof WasmBackend ? backend : undefined;
}

/** Machine epsilon of float64 (2^-52). */
export const EPS = 2 ** -52;

/**
 * In-place lower Cholesky factor S = L L^T, blocked right-looking: each block column is factored
 * with row dot products (Cholesky-Crout), then the trailing matrix is updated with one
 * A22 -= L21 L21^T product (the SIMD kernel). Returns -1 on success, else the index of the first
 * pivot <= `tol` (the matrix is then left partly factored). The strict upper triangle is zeroed.
 */
export function choleskyInPlace(a: Float64Array, n: number, tol: number): number {
  const NB = 64;
  for (let kb = 0; kb < n; kb += NB) {
    const ke = Math.min(n, kb + NB);
    // Block column kb..ke-1 (earlier columns are already subtracted from it).
    for (let j = kb; j < ke; j++) {
      const rj = j * n;
      let s = a[rj + j]!;
      for (let q = kb; q < j; q++) s -= a[rj + q]! * a[rj + q]!;
      if (!(s > tol)) return j;
      const ljj = Math.sqrt(s);
      a[rj + j] = ljj;
      const inv = 1 / ljj;
      let i = j + 1;
      for (; i + 1 < n; i += 2) {
        const r0 = i * n;
        const r1 = r0 + n;
        let s0 = a[r0 + j]!;
        let s1 = a[r1 + j]!;
        for (let q = kb; q < j; q++) {
          const l = a[rj + q]!;
          s0 -= a[r0 + q]! * l;
          s1 -= a[r1 + q]! * l;
        }
        a[r0 + j] = s0 * inv;
        a[r1 + j] = s1 * inv;
      }
      if (i < n) {
        const r0 = i * n;
        let s0 = a[r0 + j]!;
        for (let q = kb; q < j; q++) s0 -= a[r0 + q]! * a[rj + q]!;
        a[r0 + j] = s0 * inv;
      }
    }
    // Trailing update A22 -= L21 L21^T (lower triangle).
    if (ke < n) {
      const panel = a.subarray(ke * n + kb);
      gemmABt(panel, panel, a.subarray(ke * n + ke), n - ke, n - ke, ke - kb, { accumulate: true, lowerOnly: true, lda: n, ldb: n, ldc: n, alpha: -1 });
    }
  }
  for (let i = 0; i < n; i++) a.fill(0, i * n + i + 1, (i + 1) * n);
  return -1;
}

/** Transpose of a row-major `rows x cols` matrix. */
export function transpose(a: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  const B = 32;
  for (let ib = 0; ib < rows; ib += B) {
    const ie = Math.min(rows, ib + B);
    for (let jb = 0; jb < cols; jb += B) {
      const je = Math.min(cols, jb + B);
      for (let i = ib; i < ie; i++) for (let j = jb; j < je; j++) out[j * rows + i] = a[i * cols + j]!;
    }
  }
  return out;
}

/** Options of {@link gemmABt}. */
export interface GemmOptions {
  /** Add to C instead of overwriting it. */
  accumulate?: boolean;
  /** Compute only j <= i (m = p); entries above the diagonal are left unspecified. */
  lowerOnly?: boolean;
  /**
   * First k of the sum for (i, j): lets triangular operands skip known zeros. Must not exceed the
   * first non-zero index of row i of A or row j of B, and be monotone (non-decreasing) in i and j.
   */
  start?: (i: number, j: number) => number;
  /** Row strides (elements) of A, B and C (default K, K and p). */
  lda?: number;
  ldb?: number;
  ldc?: number;
  /** C (+)= alpha A B^T (default 1). */
  alpha?: number;
}

/** Below this many multiply-adds the TypeScript loop is used (copy-in overhead). */
const WASM_MIN_WORK = 32768;

/**
 * C[i, j] (+)= alpha sum_{k = lo}^{K-1} A[i, k] B[j, k] for the rows i of A and j of B, where
 * `lo = start(i, j)` (default 0). A is `m x K`, B is `p x K`, C is `m x p`, all row-major with the
 * given row strides. Uses the WebAssembly SIMD kernel (blocked for cache) when available.
 */
export function gemmABt(A: Float64Array, B: Float64Array, C: Float64Array, m: number, p: number, K: number, options: GemmOptions = {}): void {
  if (m === 0 || p === 0) return;
  const resolved: ResolvedGemmOptions = {
    accumulate: options.accumulate ?? false,
    lowerOnly: options.lowerOnly ?? false,
    start: options.start,
    lda: options.lda ?? K,
    ldb: options.ldb ?? K,
    ldc: options.ldc ?? p,
    alpha: options.alpha ?? 1,
  };
  const be = wasmBackend();
  if (be && m * p * K >= WASM_MIN_WORK) gemmWasm(be, A, B, C, m, p, K, resolved);
  else gemmJs(A, B, C, m, p, K, resolved);
}

/** {@link GemmOptions} with the defaults filled in (by {@link gemmABt}, for both implementations). */
type ResolvedGemmOptions = Required<Omit<GemmOptions, 'start'>> & Pick<GemmOptions, 'start'>;

function gemmJs(A: Float64Array, B: Float64Array, C: Float64Array, m: number, p: number, K: number, options: ResolvedGemmOptions): void {
  const { accumulate: acc, lowerOnly, start, lda, ldb, ldc, alpha } = options;
  const BI = 64;
  for (let ib = 0; ib < m; ib += BI) {
    const ie = Math.min(m, ib + BI);
    for (let jb = 0; jb < (lowerOnly ? ie : p); jb += BI) {
      const je = Math.min(p, jb + BI);
      for (let i = ib; i < ie; i += 2) {
        const two = i + 1 < ie;
        const a0 = i * lda;
        const a1 = two ? a0 + lda : a0;
        const jEnd = lowerOnly ? Math.min(je, i + 2) : je;
        for (let j = jb; j < jEnd; j += 2) {
          const twoJ = j + 1 < jEnd;
          const b0 = j * ldb;
          const b1 = twoJ ? b0 + ldb : b0;
          const lo = start ? start(i, j) : 0;
          let s00 = 0;
          let s01 = 0;
          let s10 = 0;
          let s11 = 0;
          for (let q = lo; q < K; q++) {
            const x0 = A[a0 + q]!;
            const x1 = A[a1 + q]!;
            const y0 = B[b0 + q]!;
            const y1 = B[b1 + q]!;
            s00 += x0 * y0;
            s01 += x0 * y1;
            s10 += x1 * y0;
            s11 += x1 * y1;
          }
          const c0 = i * ldc + j;
          const put = (at: number, v: number): void => {
            C[at] = acc ? C[at]! + alpha * v : alpha * v;
          };
          put(c0, s00);
          if (twoJ) put(c0 + 1, s01);
          if (two) {
            put(c0 + ldc, s10);
            if (twoJ) put(c0 + ldc + 1, s11);
          }
        }
      }
    }
  }
}

const KC = 256;
const IB = 64;
const JB = 256;

function gemmWasm(be: WasmBackend, A: Float64Array, B: Float64Array, C: Float64Array, m: number, p: number, K: number, options: ResolvedGemmOptions): void {
  const { accumulate: acc, lowerOnly, start, lda, ldb, ldc, alpha } = options;
  const same = A === B && lda === ldb && m === p && alpha === 1;
  // Padded copies: rows of A to a multiple of 2, rows of B and columns of C to a multiple of 4,
  // K to a multiple of 2; the padding is zero, so the kernel needs no edge cases.
  const mP = (m + 3) & ~3;
  const pP = (p + 3) & ~3;
  const kP = (K + 1) & ~1;
  be.withScratch(({ alloc, heap, kernels: k }) => {
    const aOff = alloc(mP * kP);
    const bOff = same ? aOff : alloc(pP * kP);
    const cOff = alloc(mP * pP);
    const H = heap();
    const a0 = aOff / 8;
    for (let i = 0; i < m; i++) {
      const row = A.subarray(i * lda, i * lda + K);
      if (alpha === 1) H.set(row, a0 + i * kP);
      else for (let q = 0; q < K; q++) H[a0 + i * kP + q] = alpha * row[q]!;
    }
    if (!same) {
      const b0 = bOff / 8;
      for (let j = 0; j < p; j++) H.set(B.subarray(j * ldb, j * ldb + K), b0 + j * kP);
    }
    const c0 = cOff / 8;
    if (acc) for (let i = 0; i < m; i++) H.set(C.subarray(i * ldc, i * ldc + (lowerOnly ? i + 1 : p)), c0 + i * pP);
    for (let jb = 0; jb < pP; jb += JB) {
      const je = Math.min(pP, jb + JB);
      for (let ib = 0; ib < mP; ib += IB) {
        const ie = Math.min(mP, ib + IB);
        if (lowerOnly && jb >= ie) continue;
        let lo = 0;
        if (start) {
          const il = Math.min(ie, m) - 1;
          const jl = Math.min(je, p) - 1;
          lo = Math.min(start(ib, jb), start(ib, jl), start(il, jb), start(il, jl)) & ~1;
        }
        for (let kb = lo; kb < kP; kb += KC) {
          const kl = Math.min(KC, kP - kb);
          k.gemmnt_f64(aOff + (ib * kP + kb) * 8, bOff + (jb * kP + kb) * 8, cOff + (ib * pP + jb) * 8, ie - ib, je - jb, kl, kP * 8, kP * 8, pP * 8);
        }
      }
    }
    const Hc = heap();
    for (let i = 0; i < m; i++) {
      C.set(Hc.subarray(c0 + i * pP, c0 + i * pP + (lowerOnly ? i + 1 : p)), i * ldc);
    }
  });
}

/** Copies the lower triangle of a row-major square matrix onto its upper triangle. */
export function symmetrizeFromLower(a: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) a[j * n + i] = a[i * n + j]!;
}

/**
 * M = L^T S L for a lower-triangular L (n x n) and a symmetric S (n x n); returns the full
 * symmetric M. Uses H = L^T S (row i of L^T starts at column i) and M = H L.
 */
export function congruenceLower(L: Float64Array, S: Float64Array, n: number): Float64Array {
  const U = transpose(L, n, n); // U = L^T, row i is zero before column i
  const H = new Float64Array(n * n);
  // H[i, j] = sum_k U[i, k] S[k, j] = sum_{k >= i} U[i, k] S[j, k]  (S symmetric)
  gemmABt(U, S, H, n, n, n, { start: (i) => i });
  const M = new Float64Array(n * n);
  // M[i, j] = sum_k H[i, k] L[k, j] = sum_{k >= j} H[i, k] U[j, k]
  gemmABt(H, U, M, n, n, n, { lowerOnly: true, start: (_i, j) => j });
  symmetrizeFromLower(M, n);
  return M;
}

/** Householder tridiagonalisation of a symmetric matrix (lower triangle used, overwritten). */
export interface Tridiagonal {
  /** Diagonal, length n. */
  readonly diag: Float64Array;
  /** Sub-diagonal, length n (entry n-1 is 0): off[k] couples k and k+1. */
  readonly off: Float64Array;
  /** Householder vectors, row k of length n (v[k+1] = 1, zero before), when requested. */
  readonly vectors?: Float64Array;
  /** Householder scalars tau_k (H_k = I - tau_k v_k v_k^T). */
  readonly tau?: Float64Array;
}

/**
 * Reduces the symmetric matrix `a` (row-major n x n, only the lower triangle is read; it is
 * destroyed) to tridiagonal form Q^T A Q = T by n-2 Householder reflections (as LAPACK dsytd2,
 * lower): each step forms p = tau A v with a symmetric lower-triangle matvec and applies the
 * rank-2 update A -= v w^T + w v^T, w = p - (tau/2)(p^T v) v. With `keepVectors` the reflectors are
 * returned for back-transformation. Cost 4/3 n^3 flops.
 */
export function tridiagonalize(a: Float64Array, n: number, keepVectors = false): Tridiagonal {
  const be = wasmBackend();
  if (be && n >= 32) return tridiagonalizeFused(be, a, n, keepVectors);
  const v = new Float64Array(n);
  const p = new Float64Array(n);
  return householderSteps(a, n, keepVectors, v, p, (o, m) => {
    symvJs(a, n, o, m, v, p);
  }, (o, m) => {
    syr2Js(a, n, o, m, v, p);
  });
}

/**
 * Householder vector of x = A[o:, k] (LAPACK dlarfg) into v[0..m) (v[0] = 1). Returns tau (0 when
 * x has no component below its first entry) and beta (the new sub-diagonal entry).
 */
function reflector(a: Float64Array, n: number, k: number, v: Float64Array): { tau: number; beta: number } {
  const o = k + 1;
  const m = n - o;
  const alpha = a[o * n + k]!;
  let xnorm2 = 0;
  for (let i = 1; i < m; i++) xnorm2 += a[(o + i) * n + k]! ** 2;
  if (xnorm2 === 0) return { tau: 0, beta: alpha };
  const beta = -Math.sign(alpha || 1) * Math.sqrt(alpha * alpha + xnorm2);
  const scale = 1 / (alpha - beta);
  v[0] = 1;
  for (let i = 1; i < m; i++) v[i] = a[(o + i) * n + k]! * scale;
  return { tau: (beta - alpha) / beta, beta };
}

/** w = tau p - (tau^2/2)(p^T v) v in place of p (p holds A22 v on entry). */
function toW(p: Float64Array, v: Float64Array, m: number, tau: number): void {
  let pv = 0;
  for (let i = 0; i < m; i++) {
    p[i] = p[i]! * tau;
    pv += p[i]! * v[i]!;
  }
  const half = 0.5 * tau * pv;
  for (let i = 0; i < m; i++) p[i] = p[i]! - half * v[i]!;
}

/**
 * The Householder reduction with the matrix in the kernel memory. Each step's rank-2 update is
 * fused with the next step's matrix-vector product, so the trailing block is swept once per step:
 * column o of the block is updated first (it holds the next reflector), then one kernel pass
 * updates the rest of the block and accumulates A v' for the next reflector v'.
 */
function tridiagonalizeFused(be: WasmBackend, a: Float64Array, n: number, keepVectors: boolean): Tridiagonal {
  return be.withScratch(({ alloc, heap, kernels: k }) => {
    const aOff = alloc(n * n);
    const bufs = [alloc(n + 2), alloc(n + 2), alloc(n + 2), alloc(n + 2)];
    const H = heap();
    const a0 = aOff / 8;
    for (let i = 0; i < n; i++) H.set(a.subarray(i * n, i * n + i + 1), a0 + i * n);
    const A = H.subarray(a0, a0 + n * n);
    const view = (off: number): Float64Array => H.subarray(off / 8, off / 8 + n + 2);
    let [vOff, pOff, vNOff, pNOff] = bufs as [number, number, number, number];
    const diag = new Float64Array(n);
    const off = new Float64Array(n);
    const vectors = keepVectors ? new Float64Array(n * n) : undefined;
    const taus = keepVectors ? new Float64Array(n) : undefined;
    const block = (o: number): number => aOff + (o * n + o) * 8;
    const start = (step: number, vAt: number): number => {
      // Reflector of step `step` from the current column, and p = A22 v when it is not trivial.
      const v = view(vAt);
      const { tau, beta } = reflector(A, n, step, v);
      diag[step] = A[step * n + step]!;
      off[step] = beta;
      const o = step + 1;
      const m = n - o;
      if (taus) taus[step] = tau;
      if (vectors && tau !== 0) vectors.set(v.subarray(0, m), step * n + o);
      return tau;
    };
    if (n < 3) throw new ValueError('n', n, 'at least 3 for the fused reduction');
    let tau = start(0, vOff);
    if (tau !== 0) {
      view(pOff).fill(0);
      k.symv(block(1), n * 8, n - 1, vOff, pOff);
    }
    for (let step = 0; step < n - 2; step++) {
      const o = step + 1;
      const m = n - o;
      const v = view(vOff);
      const w = view(pOff);
      if (tau !== 0) toW(w, v, m, tau);
      if (step === n - 3) {
        if (tau !== 0) k.syr2(block(o), n * 8, m, vOff, pOff);
        break;
      }
      if (tau === 0) {
        // Nothing to update: the next reflector and its product come from the current matrix.
        tau = start(step + 1, vOff);
        if (tau !== 0) {
          view(pOff).fill(0);
          k.symv(block(o + 1), n * 8, m - 1, vOff, pOff);
        }
        continue;
      }
      // Column o of the trailing block (the next reflector's column) first.
      const v0 = v[0]!;
      const w0 = w[0]!;
      for (let i = 0; i < m; i++) A[(o + i) * n + o] = A[(o + i) * n + o]! - v[i]! * w0 - w[i]! * v0;
      const tauN = start(step + 1, vNOff);
      if (tauN === 0) {
        k.syr2(block(o + 1), n * 8, m - 1, vOff + 8, pOff + 8);
      } else {
        view(pNOff).fill(0);
        k.fused(block(o + 1), n * 8, m - 1, vOff + 8, pOff + 8, vNOff, pNOff);
      }
      [vOff, vNOff] = [vNOff, vOff];
      [pOff, pNOff] = [pNOff, pOff];
      tau = tauN;
    }
    diag[n - 2] = A[(n - 2) * n + n - 2]!;
    off[n - 2] = A[(n - 1) * n + n - 2]!;
    diag[n - 1] = A[(n - 1) * n + n - 1]!;
    return vectors && taus ? { diag, off, vectors, tau: taus } : { diag, off };
  });
}

/** p[0..m) += A22 v for the lower triangle of the trailing block at (o, o). */
function symvJs(a: Float64Array, n: number, o: number, m: number, v: Float64Array, p: Float64Array): void {
  for (let i = 0; i < m; i++) {
    const row = (o + i) * n + o;
    const vi = v[i]!;
    let s = 0;
    for (let j = 0; j < i; j++) {
      const aij = a[row + j]!;
      s += aij * v[j]!;
      p[j] = p[j]! + aij * vi;
    }
    p[i] = p[i]! + s + a[row + i]! * vi;
  }
}

/** A22 -= v w^T + w v^T on the lower triangle of the trailing block at (o, o). */
function syr2Js(a: Float64Array, n: number, o: number, m: number, v: Float64Array, w: Float64Array): void {
  for (let i = 0; i < m; i++) {
    const row = (o + i) * n + o;
    const vi = v[i]!;
    const wi = w[i]!;
    for (let j = 0; j <= i; j++) a[row + j] = a[row + j]! - vi * w[j]! - wi * v[j]!;
  }
}

function householderSteps(
  a: Float64Array,
  n: number,
  keepVectors: boolean,
  v: Float64Array,
  p: Float64Array,
  symv: (o: number, m: number) => void,
  syr2: (o: number, m: number) => void,
): Tridiagonal {
  const diag = new Float64Array(n);
  const off = new Float64Array(n);
  const vectors = keepVectors ? new Float64Array(n * n) : undefined;
  const taus = keepVectors ? new Float64Array(n) : undefined;
  for (let k = 0; k < n - 2; k++) {
    const m = n - k - 1; // size of the trailing block
    const o = k + 1; // its first row/column
    const { tau, beta } = reflector(a, n, k, v);
    diag[k] = a[k * n + k]!;
    off[k] = beta;
    if (taus) taus[k] = tau;
    if (tau === 0) continue;
    if (vectors) vectors.set(v.subarray(0, m), k * n + o);
    // p = tau A22 v, then w = p - (tau/2)(p^T v) v (stored in p), then A22 -= v w^T + w v^T.
    p.fill(0, 0, m);
    symv(o, m);
    toW(p, v, m, tau);
    syr2(o, m);
  }
  if (n >= 2) {
    diag[n - 2] = a[(n - 2) * n + n - 2]!;
    off[n - 2] = a[(n - 1) * n + n - 2]!;
  }
  if (n >= 1) diag[n - 1] = a[(n - 1) * n + n - 1]!;
  return vectors && taus ? { diag, off, vectors, tau: taus } : { diag, off };
}

/**
 * Eigenvalues (and optionally eigenvectors) of a symmetric tridiagonal matrix by the implicit QL
 * method with Wilkinson shifts (Numerical Recipes tqli; a relative deflation test). `diag` and `off` (off[k] couples k, k+1)
 * are overwritten; on return `diag` holds the eigenvalues in ascending order. With `zt` (row-major
 * n x n, rows are vectors, initially e.g. the identity), the plane rotations are applied to its
 * rows, so row k ends up as the eigenvector of eigenvalue k (rows are sorted together with diag).
 */
export function tridiagonalQL(diag: Float64Array, off: Float64Array, n: number, zt?: Float64Array): void {
  const be = wasmBackend();
  if (zt && be && n >= 32) {
    const stride = (n + 1) & ~1;
    be.withScratch(({ alloc, heap, kernels: k }) => {
      const zOff = alloc(n * stride);
      let H = heap();
      const z0 = zOff / 8;
      for (let r = 0; r < n; r++) H.set(zt.subarray(r * n, (r + 1) * n), z0 + r * stride);
      qlIterations(diag, off, n, (i, c, s) => {
        k.rot(zOff + i * stride * 8, zOff + (i + 1) * stride * 8, stride * 8, c, s);
      });
      H = heap();
      for (let r = 0; r < n; r++) zt.set(H.subarray(z0 + r * stride, z0 + r * stride + n), r * n);
    });
  } else {
    qlIterations(
      diag,
      off,
      n,
      zt
        ? (i, c, s) => {
            rotateRows(zt, n, i, c, s);
          }
        : undefined,
    );
  }
  sortEigen(diag, n, zt);
}

/** (z_i, z_{i+1}) <- (c z_i - s z_{i+1}, s z_i + c z_{i+1}) on rows of a row-major n x n matrix. */
function rotateRows(zt: Float64Array, n: number, i: number, c: number, s: number): void {
  const r0 = i * n;
  const r1 = r0 + n;
  for (let k = 0; k < n; k++) {
    const z1 = zt[r1 + k]!;
    const z0 = zt[r0 + k]!;
    zt[r1 + k] = s * z0 + c * z1;
    zt[r0 + k] = c * z0 - s * z1;
  }
}

function qlIterations(diag: Float64Array, off: Float64Array, n: number, rotate?: (i: number, c: number, s: number) => void): void {
  // Implicit QL with Wilkinson shifts (Numerical Recipes tqli). Unlike EISPACK tql1/tql2 it does not
  // accumulate the shifts into every diagonal entry, which biased small eigenvalues by ~eps ||T||
  // per sweep (a systematic error in the sum of their square roots).
  // Deflation: |e_m| <= eps (|d_m| + |d_m+1|), or below eps ||T|| (noise: zero clusters would
  // otherwise spin on rounding-level entries).
  const d = diag;
  const e = off;
  if (n === 0) return;
  e[n - 1] = 0;
  let tnorm = 0;
  for (let i = 0; i < n; i++) tnorm = Math.max(tnorm, Math.abs(d[i]!) + Math.abs(e[i]!) + (i > 0 ? Math.abs(e[i - 1]!) : 0));
  const floor = EPS * tnorm;
  for (let l = 0; l < n; l++) {
    let iter = 0;
    let m: number;
    do {
      for (m = l; m < n - 1; m++) {
        const em = Math.abs(e[m]!);
        if (em <= floor || em <= EPS * (Math.abs(d[m]!) + Math.abs(d[m + 1]!))) break;
      }
      if (m !== l) {
        if (++iter > 60) throw new ValueError('matrix', 'no convergence', 'QL iteration to converge within 60 sweeps per eigenvalue');
        let g = (d[l + 1]! - d[l]!) / (2 * e[l]!);
        let r = Math.hypot(g, 1);
        g = d[m]! - d[l]! + e[l]! / (g + (g >= 0 ? Math.abs(r) : -Math.abs(r)));
        let s = 1;
        let c = 1;
        let p = 0;
        let i: number;
        let underflow = false;
        for (i = m - 1; i >= l; i--) {
          const f = s * e[i]!;
          const b = c * e[i]!;
          r = Math.hypot(f, g);
          e[i + 1] = r;
          if (r === 0) {
            d[i + 1] = d[i + 1]! - p;
            e[m] = 0;
            underflow = true;
            break;
          }
          s = f / r;
          c = g / r;
          g = d[i + 1]! - p;
          r = (d[i]! - g) * s + 2 * c * b;
          p = s * r;
          d[i + 1] = g + p;
          g = c * r - b;
          rotate?.(i, c, s);
        }
        if (underflow) continue;
        d[l] = d[l]! - p;
        e[l] = g;
        e[m] = 0;
      }
    } while (m !== l);
  }
}

/** Sorts eigenvalues ascending, permuting the rows of `zt` with them. */
function sortEigen(d: Float64Array, n: number, zt?: Float64Array): void {
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => d[x]! - d[y]!);
  const sorted = Float64Array.from(order, (i) => d[i]!);
  d.set(sorted);
  if (zt) {
    const copy = zt.slice();
    order.forEach((src, dst) => {
      zt.set(copy.subarray(src * n, (src + 1) * n), dst * n);
    });
  }
}

/** Eigenvalues of a symmetric matrix (row-major n x n, lower triangle read, not modified), ascending. */
export function symmetricEigenvalues(s: Float64Array, n: number): Float64Array {
  const t = tridiagonalize(s.slice(), n);
  tridiagonalQL(t.diag, t.off, n);
  return t.diag;
}

/**
 * Eigen-decomposition S = V diag(values) V^T of a symmetric matrix (lower triangle read, not
 * modified): values ascending; `vectors` row k is the unit eigenvector of values[k]. Only the rows
 * selected by `keep(value, allValues)` are back-transformed (the others are left as zeros).
 */
export function symmetricEigen(
  s: Float64Array,
  n: number,
  keep: (value: number, values: Float64Array) => boolean = () => true,
): { values: Float64Array; vectors: Float64Array } {
  const t = tridiagonalize(s.slice(), n, true);
  const zt = new Float64Array(n * n);
  for (let i = 0; i < n; i++) zt[i * n + i] = 1;
  tridiagonalQL(t.diag, t.off, n, zt);
  // Back-transform: eigenvector of A = Q z with Q = H_0 H_1 ... H_{n-3}; for a row x = z^T,
  // x <- x H_{n-3}, ..., then x H_0 (each H symmetric). Rows not kept are zeroed.
  const V = t.vectors!;
  const tau = t.tau!;
  const kept: number[] = [];
  for (let row = 0; row < n; row++) {
    if (keep(t.diag[row]!, t.diag)) kept.push(row);
    else zt.fill(0, row * n, (row + 1) * n);
  }
  const be = wasmBackend();
  if (be && kept.length > 0 && n >= 32) {
    be.withScratch(({ alloc, heap, kernels: k }) => {
      const xOff = alloc(kept.length * n);
      const vOff = alloc(n * n);
      let H = heap();
      kept.forEach((row, i) => {
        H.set(zt.subarray(row * n, (row + 1) * n), xOff / 8 + i * n);
      });
      H.set(V, vOff / 8);
      for (let q = n - 3; q >= 0; q--) {
        if (tau[q] === 0) continue;
        const o = q + 1;
        k.reflect(xOff + o * 8, n * 8, kept.length, vOff + (q * n + o) * 8, n - o, tau[q]!);
      }
      H = heap();
      kept.forEach((row, i) => {
        zt.set(H.subarray(xOff / 8 + i * n, xOff / 8 + (i + 1) * n), row * n);
      });
    });
  } else {
    for (const row of kept) {
      const x = zt.subarray(row * n, (row + 1) * n);
      for (let q = n - 3; q >= 0; q--) {
        const tq = tau[q]!;
        if (tq === 0) continue;
        const vo = q * n;
        let dot = 0;
        for (let j = q + 1; j < n; j++) dot += x[j]! * V[vo + j]!;
        const f = tq * dot;
        for (let j = q + 1; j < n; j++) x[j] = x[j]! - f * V[vo + j]!;
      }
    }
  }
  return { values: t.diag, vectors: zt };
}
