// Fused linear combinations: out[r, :] = sum_k coefs[r K + k] x_k[r, :] for K = 1..4 terms,
// summed left to right like the reference backend (bit-identical to it for K <= 3). `coefs` is
// float64, row-major [rows, K]; `len` is the row length in elements. Exported as lincomb{K}_{f32,f64}.
import { loadS, loadV, storeS, storeV } from './common';

// @ts-expect-error: decorator (AssemblyScript)
@inline function lincomb1<T>(out: usize, x0: usize, coefs: usize, rows: i32, len: i32): void {
  const es = <usize>sizeof<T>();
  const rowBytes = <usize>len * es;
  for (let r = 0; r < rows; r++) {
    const c0 = load<f64>(coefs + <usize>r * 8);
    const v0 = f64x2.splat(c0);
    const base = <usize>r * rowBytes;
    const end = base + <usize>(len & ~1) * es;
    for (let p = base; p < end; p += 2 * es) {
      storeV<T>(out + p, f64x2.mul(v0, loadV<T>(x0 + p)));
    }
    if (len & 1) storeS<T>(out + end, c0 * loadS<T>(x0 + end));
  }
}

// @ts-expect-error: decorator (AssemblyScript)
@inline function lincomb2<T>(out: usize, x0: usize, x1: usize, coefs: usize, rows: i32, len: i32): void {
  const es = <usize>sizeof<T>();
  const rowBytes = <usize>len * es;
  for (let r = 0; r < rows; r++) {
    const cp = coefs + <usize>r * 16;
    const c0 = load<f64>(cp);
    const c1 = load<f64>(cp, 8);
    const v0 = f64x2.splat(c0);
    const v1 = f64x2.splat(c1);
    const base = <usize>r * rowBytes;
    const end = base + <usize>(len & ~1) * es;
    for (let p = base; p < end; p += 2 * es) {
      storeV<T>(out + p, f64x2.add(f64x2.mul(v0, loadV<T>(x0 + p)), f64x2.mul(v1, loadV<T>(x1 + p))));
    }
    if (len & 1) storeS<T>(out + end, c0 * loadS<T>(x0 + end) + c1 * loadS<T>(x1 + end));
  }
}

// @ts-expect-error: decorator (AssemblyScript)
@inline function lincomb3<T>(out: usize, x0: usize, x1: usize, x2: usize, coefs: usize, rows: i32, len: i32): void {
  const es = <usize>sizeof<T>();
  const rowBytes = <usize>len * es;
  for (let r = 0; r < rows; r++) {
    const cp = coefs + <usize>r * 24;
    const c0 = load<f64>(cp);
    const c1 = load<f64>(cp, 8);
    const c2 = load<f64>(cp, 16);
    const v0 = f64x2.splat(c0);
    const v1 = f64x2.splat(c1);
    const v2 = f64x2.splat(c2);
    const base = <usize>r * rowBytes;
    const end = base + <usize>(len & ~1) * es;
    for (let p = base; p < end; p += 2 * es) {
      let s = f64x2.add(f64x2.mul(v0, loadV<T>(x0 + p)), f64x2.mul(v1, loadV<T>(x1 + p)));
      s = f64x2.add(s, f64x2.mul(v2, loadV<T>(x2 + p)));
      storeV<T>(out + p, s);
    }
    if (len & 1) storeS<T>(out + end, c0 * loadS<T>(x0 + end) + c1 * loadS<T>(x1 + end) + c2 * loadS<T>(x2 + end));
  }
}

// @ts-expect-error: decorator (AssemblyScript)
@inline function lincomb4<T>(out: usize, x0: usize, x1: usize, x2: usize, x3: usize, coefs: usize, rows: i32, len: i32): void {
  const es = <usize>sizeof<T>();
  const rowBytes = <usize>len * es;
  for (let r = 0; r < rows; r++) {
    const cp = coefs + <usize>r * 32;
    const c0 = load<f64>(cp);
    const c1 = load<f64>(cp, 8);
    const c2 = load<f64>(cp, 16);
    const c3 = load<f64>(cp, 24);
    const v0 = f64x2.splat(c0);
    const v1 = f64x2.splat(c1);
    const v2 = f64x2.splat(c2);
    const v3 = f64x2.splat(c3);
    const base = <usize>r * rowBytes;
    const end = base + <usize>(len & ~1) * es;
    for (let p = base; p < end; p += 2 * es) {
      let s = f64x2.add(f64x2.mul(v0, loadV<T>(x0 + p)), f64x2.mul(v1, loadV<T>(x1 + p)));
      s = f64x2.add(s, f64x2.mul(v2, loadV<T>(x2 + p)));
      s = f64x2.add(s, f64x2.mul(v3, loadV<T>(x3 + p)));
      storeV<T>(out + p, s);
    }
    if (len & 1) {
      storeS<T>(out + end, c0 * loadS<T>(x0 + end) + c1 * loadS<T>(x1 + end) + c2 * loadS<T>(x2 + end) + c3 * loadS<T>(x3 + end));
    }
  }
}

export function lincomb1_f32(out: usize, x0: usize, coefs: usize, rows: i32, len: i32): void {
  lincomb1<f32>(out, x0, coefs, rows, len);
}
export function lincomb1_f64(out: usize, x0: usize, coefs: usize, rows: i32, len: i32): void {
  lincomb1<f64>(out, x0, coefs, rows, len);
}
export function lincomb2_f32(out: usize, x0: usize, x1: usize, coefs: usize, rows: i32, len: i32): void {
  lincomb2<f32>(out, x0, x1, coefs, rows, len);
}
export function lincomb2_f64(out: usize, x0: usize, x1: usize, coefs: usize, rows: i32, len: i32): void {
  lincomb2<f64>(out, x0, x1, coefs, rows, len);
}
export function lincomb3_f32(out: usize, x0: usize, x1: usize, x2: usize, coefs: usize, rows: i32, len: i32): void {
  lincomb3<f32>(out, x0, x1, x2, coefs, rows, len);
}
export function lincomb3_f64(out: usize, x0: usize, x1: usize, x2: usize, coefs: usize, rows: i32, len: i32): void {
  lincomb3<f64>(out, x0, x1, x2, coefs, rows, len);
}
export function lincomb4_f32(out: usize, x0: usize, x1: usize, x2: usize, x3: usize, coefs: usize, rows: i32, len: i32): void {
  lincomb4<f32>(out, x0, x1, x2, x3, coefs, rows, len);
}
export function lincomb4_f64(out: usize, x0: usize, x1: usize, x2: usize, x3: usize, coefs: usize, rows: i32, len: i32): void {
  lincomb4<f64>(out, x0, x1, x2, x3, coefs, rows, len);
}
