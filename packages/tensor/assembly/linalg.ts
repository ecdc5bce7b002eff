// Float64 kernels of dense symmetric linear algebra (@phys/metrics' Householder tridiagonalisation,
// QL rotations and back-transformation; its Gram products use gemmnt_f64 of ./gemm.ts). Matrices are
// row-major with row strides in bytes; every loop runs over f64x2 pairs, then the odd element.
import { hsum } from './common';

/**
 * symv(a, lda, m, v, p): p += A v for the symmetric m x m block at `a` of which only the lower
 * triangle is read: p[i] += sum_{j <= i} A[i, j] v[j] and p[j] += A[i, j] v[i] (j < i).
 */
export function symv(a: usize, lda: i32, m: i32, v: usize, p: usize): void {
  for (let i = 0; i < m; i++) {
    const row = a + <usize>i * <usize>lda;
    const ib = <usize>i << 3;
    const vi = load<f64>(v + ib);
    const vi2 = f64x2.splat(vi);
    const jEven = <usize>(i & ~1) << 3;
    let acc = f64x2.splat(0);
    for (let j: usize = 0; j < jEven; j += 16) {
      const a2 = v128.load(row + j);
      acc = f64x2.add(acc, f64x2.mul(a2, v128.load(v + j)));
      v128.store(p + j, f64x2.add(v128.load(p + j), f64x2.mul(a2, vi2)));
    }
    let s = hsum(acc);
    if (i & 1) {
      // the element j = i - 1 outside the pairs
      const aij = load<f64>(row + jEven);
      s = s + aij * load<f64>(v + jEven);
      store<f64>(p + jEven, load<f64>(p + jEven) + aij * vi);
    }
    s = s + load<f64>(row + ib) * vi; // diagonal
    store<f64>(p + ib, load<f64>(p + ib) + s);
  }
}

/** syr2(a, lda, m, v, w): A[i, j] -= v[i] w[j] + w[i] v[j] for j <= i (the lower triangle of the m x m block). */
export function syr2(a: usize, lda: i32, m: i32, v: usize, w: usize): void {
  for (let i = 0; i < m; i++) {
    const row = a + <usize>i * <usize>lda;
    const vi = load<f64>(v + (<usize>i << 3));
    const wi = load<f64>(w + (<usize>i << 3));
    const vi2 = f64x2.splat(vi);
    const wi2 = f64x2.splat(wi);
    const jEven = <usize>((i + 1) & ~1) << 3;
    for (let j: usize = 0; j < jEven; j += 16) {
      v128.store(row + j, f64x2.sub(f64x2.sub(v128.load(row + j), f64x2.mul(vi2, v128.load(w + j))), f64x2.mul(wi2, v128.load(v + j))));
    }
    // even i: the diagonal j = i is left over
    if ((i & 1) == 0) store<f64>(row + jEven, load<f64>(row + jEven) - vi * wi - wi * vi);
  }
}

/**
 * fused(a, lda, m, vs, ws, u, q): the rank-2 update of one Householder step followed, in the same
 * pass, by the next step's matrix-vector product: A[i, j] -= vs[i] ws[j] + ws[i] vs[j] (j <= i),
 * then q[i] += sum_{j <= i} A[i, j] u[j] and q[j] += A[i, j] u[i] (j < i) with the updated A.
 */
export function fused(a: usize, lda: i32, m: i32, vs: usize, ws: usize, u: usize, q: usize): void {
  for (let i = 0; i < m; i++) {
    const row = a + <usize>i * <usize>lda;
    const ib = <usize>i << 3;
    const vi = load<f64>(vs + ib);
    const wi = load<f64>(ws + ib);
    const ui = load<f64>(u + ib);
    const vi2 = f64x2.splat(vi);
    const wi2 = f64x2.splat(wi);
    const ui2 = f64x2.splat(ui);
    const jEven = <usize>(i & ~1) << 3;
    let acc = f64x2.splat(0);
    for (let j: usize = 0; j < jEven; j += 16) {
      const a2 = f64x2.sub(f64x2.sub(v128.load(row + j), f64x2.mul(vi2, v128.load(ws + j))), f64x2.mul(wi2, v128.load(vs + j)));
      v128.store(row + j, a2);
      acc = f64x2.add(acc, f64x2.mul(a2, v128.load(u + j)));
      v128.store(q + j, f64x2.add(v128.load(q + j), f64x2.mul(a2, ui2)));
    }
    let s = hsum(acc);
    if (i & 1) {
      // the element j = i - 1 outside the pairs
      const aij = load<f64>(row + jEven) - vi * load<f64>(ws + jEven) - wi * load<f64>(vs + jEven);
      store<f64>(row + jEven, aij);
      s = s + aij * load<f64>(u + jEven);
      store<f64>(q + jEven, load<f64>(q + jEven) + aij * ui);
    }
    // diagonal j = i
    const aii = load<f64>(row + ib) - vi * load<f64>(ws + ib) - wi * load<f64>(vs + ib);
    store<f64>(row + ib, aii);
    s = s + aii * ui;
    store<f64>(q + ib, load<f64>(q + ib) + s);
  }
}

/**
 * reflect(x, ldx, rows, v, m, tau): applies I - tau v v^T from the right to `rows` rows of length
 * m (row stride ldx bytes): x <- x - tau (x . v) v.
 */
export function reflect(x: usize, ldx: i32, rows: i32, v: usize, m: i32, tau: f64): void {
  const pairs = <usize>(m & ~1) << 3;
  const last = <usize>(m - 1) << 3;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * <usize>ldx;
    let acc = f64x2.splat(0);
    for (let j: usize = 0; j < pairs; j += 16) acc = f64x2.add(acc, f64x2.mul(v128.load(xr + j), v128.load(v + j)));
    let s = hsum(acc);
    if (m & 1) s = s + load<f64>(xr + last) * load<f64>(v + last);
    const f = tau * s;
    const f2 = f64x2.splat(f);
    for (let j: usize = 0; j < pairs; j += 16) v128.store(xr + j, f64x2.sub(v128.load(xr + j), f64x2.mul(f2, v128.load(v + j))));
    if (m & 1) store<f64>(xr + last, load<f64>(xr + last) - f * load<f64>(v + last));
  }
}

/** rot(z0, z1, nBytes, c, s): (z0, z1) <- (c z0 - s z1, s z0 + c z1) over nBytes / 8 (even) entries. */
export function rot(z0: usize, z1: usize, nBytes: i32, c: f64, s: f64): void {
  const c2 = f64x2.splat(c);
  const s2 = f64x2.splat(s);
  for (let k: usize = 0; k < <usize>nBytes; k += 16) {
    const x0 = v128.load(z0 + k);
    const x1 = v128.load(z1 + k);
    v128.store(z1 + k, f64x2.add(f64x2.mul(s2, x0), f64x2.mul(c2, x1)));
    v128.store(z0 + k, f64x2.sub(f64x2.mul(c2, x0), f64x2.mul(s2, x1)));
  }
}
