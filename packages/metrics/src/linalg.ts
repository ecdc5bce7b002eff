// Dense float64 linear algebra for the Frechet distance: Cholesky, congruence L^T S L, Householder
// tridiagonalisation and the implicit QL eigen solver. Matrices are row-major n x n Float64Arrays.
import { ValueError } from '@phys/tensor';

/** Machine epsilon of float64 (2^-52). */
export const EPS = 2 ** -52;

/**
 * In-place lower Cholesky factor S = L L^T (Cholesky-Crout, row dot products). Returns -1 on
 * success, else the index of the first pivot <= `tol` (the matrix is then left partly factored).
 * The strict upper triangle is zeroed.
 */
export function choleskyInPlace(a: Float64Array, n: number, tol: number): number {
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    let s = a[rj + j]!;
    for (let k = 0; k < j; k++) s -= a[rj + k]! * a[rj + k]!;
    if (!(s > tol)) return j;
    const ljj = Math.sqrt(s);
    a[rj + j] = ljj;
    const inv = 1 / ljj;
    let i = j + 1;
    // Two rows at a time: row j is read once per pair.
    for (; i + 1 < n; i += 2) {
      const r0 = i * n;
      const r1 = r0 + n;
      let s0 = a[r0 + j]!;
      let s1 = a[r1 + j]!;
      for (let k = 0; k < j; k++) {
        const l = a[rj + k]!;
        s0 -= a[r0 + k]! * l;
        s1 -= a[r1 + k]! * l;
      }
      a[r0 + j] = s0 * inv;
      a[r1 + j] = s1 * inv;
    }
    if (i < n) {
      const r0 = i * n;
      let s0 = a[r0 + j]!;
      for (let k = 0; k < j; k++) s0 -= a[r0 + k]! * a[rj + k]!;
      a[r0 + j] = s0 * inv;
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

/**
 * C[i, j] (+)= sum_{k = lo}^{K-1} A[i, k] B[j, k] for the rows i of A and j of B, where
 * `lo = start(i, j)` lets triangular operands skip known zeros (start must be <= the first
 * non-zero index of both rows). A is `m x K`, B is `p x K`, C is `m x p`, all row-major.
 * With `lowerOnly`, only j <= i is computed (m = p, symmetric result).
 */
export function gemmABt(
  A: Float64Array,
  B: Float64Array,
  C: Float64Array,
  m: number,
  p: number,
  K: number,
  options: { accumulate?: boolean; lowerOnly?: boolean; start?: (i: number, j: number) => number } = {},
): void {
  const acc = options.accumulate ?? false;
  const lowerOnly = options.lowerOnly ?? false;
  const start = options.start;
  const BI = 64;
  for (let ib = 0; ib < m; ib += BI) {
    const ie = Math.min(m, ib + BI);
    for (let jb = 0; jb < (lowerOnly ? ie : p); jb += BI) {
      const je = Math.min(p, jb + BI);
      for (let i = ib; i < ie; i += 2) {
        const two = i + 1 < ie;
        const a0 = i * K;
        const a1 = two ? a0 + K : a0;
        const jEnd = lowerOnly ? Math.min(je, i + 2) : je;
        for (let j = jb; j < jEnd; j += 2) {
          const twoJ = j + 1 < jEnd;
          const b0 = j * K;
          const b1 = twoJ ? b0 + K : b0;
          let lo = 0;
          if (start) lo = Math.min(start(i, j), start(i, twoJ ? j + 1 : j), start(two ? i + 1 : i, j), start(two ? i + 1 : i, twoJ ? j + 1 : j));
          let s00 = 0;
          let s01 = 0;
          let s10 = 0;
          let s11 = 0;
          for (let k = lo; k < K; k++) {
            const x0 = A[a0 + k]!;
            const x1 = A[a1 + k]!;
            const y0 = B[b0 + k]!;
            const y1 = B[b1 + k]!;
            s00 += x0 * y0;
            s01 += x0 * y1;
            s10 += x1 * y0;
            s11 += x1 * y1;
          }
          const c0 = i * p + j;
          if (acc) {
            C[c0] = C[c0]! + s00;
            if (twoJ) C[c0 + 1] = C[c0 + 1]! + s01;
            if (two) {
              C[c0 + p] = C[c0 + p]! + s10;
              if (twoJ) C[c0 + p + 1] = C[c0 + p + 1]! + s11;
            }
          } else {
            C[c0] = s00;
            if (twoJ) C[c0 + 1] = s01;
            if (two) {
              C[c0 + p] = s10;
              if (twoJ) C[c0 + p + 1] = s11;
            }
          }
        }
      }
    }
  }
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

/**
 * B^T S B for a row-major `n x r` matrix B and symmetric `n x n` S; returns the full `r x r` result.
 */
export function congruenceRect(Bm: Float64Array, S: Float64Array, n: number, r: number): Float64Array {
  const Bt = transpose(Bm, n, r); // r x n
  const H = new Float64Array(r * n);
  gemmABt(Bt, S, H, r, n, n); // H = B^T S (r x n)
  const M = new Float64Array(r * r);
  gemmABt(H, Bt, M, r, r, n, { lowerOnly: true }); // M = H B
  symmetrizeFromLower(M, r);
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
  const diag = new Float64Array(n);
  const off = new Float64Array(n);
  const vectors = keepVectors ? new Float64Array(n * n) : undefined;
  const taus = keepVectors ? new Float64Array(n) : undefined;
  const v = new Float64Array(n);
  const p = new Float64Array(n);
  for (let k = 0; k < n - 2; k++) {
    const m = n - k - 1; // size of the trailing block
    const o = k + 1; // its first row/column
    // Householder vector for x = A[o:, k] (LAPACK dlarfg).
    const alpha = a[o * n + k]!;
    let xnorm2 = 0;
    for (let i = 1; i < m; i++) xnorm2 += a[(o + i) * n + k]! ** 2;
    diag[k] = a[k * n + k]!;
    if (xnorm2 === 0) {
      off[k] = alpha;
      if (taus) taus[k] = 0;
      continue;
    }
    const beta = -Math.sign(alpha || 1) * Math.sqrt(alpha * alpha + xnorm2);
    const tau = (beta - alpha) / beta;
    const scale = 1 / (alpha - beta);
    v[0] = 1;
    for (let i = 1; i < m; i++) v[i] = a[(o + i) * n + k]! * scale;
    off[k] = beta;
    if (vectors && taus) {
      taus[k] = tau;
      vectors.set(v.subarray(0, m), k * n + o);
    }
    // p = tau * A22 v (lower triangle of A22: rows o.., columns o..row).
    p.fill(0, 0, m);
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
    let pv = 0;
    for (let i = 0; i < m; i++) {
      p[i] = p[i]! * tau;
      pv += p[i]! * v[i]!;
    }
    const half = 0.5 * tau * pv;
    for (let i = 0; i < m; i++) p[i] = p[i]! - half * v[i]!; // p is now w
    // A22 -= v w^T + w v^T (lower triangle).
    for (let i = 0; i < m; i++) {
      const row = (o + i) * n + o;
      const vi = v[i]!;
      const wi = p[i]!;
      for (let j = 0; j <= i; j++) a[row + j] = a[row + j]! - vi * p[j]! - wi * v[j]!;
    }
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
 * method with Wilkinson-type shifts (EISPACK tql1/tql2). `diag` and `off` (off[k] couples k, k+1)
 * are overwritten; on return `diag` holds the eigenvalues in ascending order. With `zt` (row-major
 * n x n, rows are vectors, initially e.g. the identity), the plane rotations are applied to its
 * rows, so row k ends up as the eigenvector of eigenvalue k (rows are sorted together with diag).
 */
export function tridiagonalQL(diag: Float64Array, off: Float64Array, n: number, zt?: Float64Array): void {
  const d = diag;
  const e = off;
  if (n === 0) return;
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]!) + Math.abs(e[l]!));
    let m = l;
    while (m < n - 1) {
      if (Math.abs(e[m]!) <= EPS * tst1) break;
      m++;
    }
    if (m > l) {
      let iter = 0;
      do {
        if (++iter > 60) throw new ValueError('matrix', 'no convergence', 'QL iteration to converge within 60 sweeps per eigenvalue');
        let g = d[l]!;
        let p = (d[l + 1]! - g) / (2 * e[l]!);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l]! / (p + r);
        d[l + 1] = e[l]! * (p + r);
        const dl1 = d[l + 1]!;
        let h = g - d[l]!;
        for (let i = l + 2; i < n; i++) d[i] = d[i]! - h;
        f += h;
        p = d[m]!;
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1]!;
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i]!;
          h = c * p;
          r = Math.hypot(p, e[i]!);
          e[i + 1] = s * r;
          s = e[i]! / r;
          c = p / r;
          p = c * d[i]! - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]!);
          if (zt) {
            const r0 = i * n;
            const r1 = r0 + n;
            for (let k = 0; k < n; k++) {
              const z1 = zt[r1 + k]!;
              const z0 = zt[r0 + k]!;
              zt[r1 + k] = s * z0 + c * z1;
              zt[r0 + k] = c * z0 - s * z1;
            }
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]!) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]!) > EPS * tst1);
    }
    d[l] = d[l]! + f;
    e[l] = 0;
  }
  // Sort ascending (selection sort keeps the row swaps of zt cheap to express).
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
  // x <- x H_{n-3}, ..., then x H_0 (each H symmetric).
  const V = t.vectors!;
  const tau = t.tau!;
  for (let row = 0; row < n; row++) {
    const x = zt.subarray(row * n, (row + 1) * n);
    if (!keep(t.diag[row]!, t.diag)) {
      x.fill(0);
      continue;
    }
    for (let k = n - 3; k >= 0; k--) {
      const tk = tau[k]!;
      if (tk === 0) continue;
      const vo = k * n;
      let dot = 0;
      for (let j = k + 1; j < n; j++) dot += x[j]! * V[vo + j]!;
      const f = tk * dot;
      for (let j = k + 1; j < n; j++) x[j] = x[j]! - f * V[vo + j]!;
    }
  }
  return { values: t.diag, vectors: zt };
}
