// Row reductions in float64 and the finiteness probe.
import { hsum, loadS, loadV } from './common';

/** out[r] = <x_r, y_r> (float64 out) for rows of `len` elements; f64x2 partial sums, then the odd tail. */
// @ts-expect-error: decorator (AssemblyScript)
@inline function rowdot<T>(x: usize, y: usize, out: usize, rows: i32, len: i32): void {
  const es = <usize>sizeof<T>();
  for (let r = 0; r < rows; r++) {
    const base = <usize>r * <usize>len * es;
    const end = base + <usize>(len & ~1) * es;
    let acc = f64x2.splat(0);
    for (let p = base; p < end; p += 2 * es) acc = f64x2.add(acc, f64x2.mul(loadV<T>(x + p), loadV<T>(y + p)));
    let s = hsum(acc);
    if (len & 1) s = s + loadS<T>(x + end) * loadS<T>(y + end);
    store<f64>(out + <usize>r * 8, s);
  }
}

/** out[r] = sum of row r of x (float64 out); `y` is unused (the argument list of rowdot). */
// @ts-expect-error: decorator (AssemblyScript)
@inline function rowsum<T>(x: usize, out: usize, rows: i32, len: i32): void {
  const es = <usize>sizeof<T>();
  for (let r = 0; r < rows; r++) {
    const base = <usize>r * <usize>len * es;
    const end = base + <usize>(len & ~1) * es;
    let acc = f64x2.splat(0);
    for (let p = base; p < end; p += 2 * es) acc = f64x2.add(acc, loadV<T>(x + p));
    let s = hsum(acc);
    if (len & 1) s = s + loadS<T>(x + end);
    store<f64>(out + <usize>r * 8, s);
  }
}

export function rowdot_f32(x: usize, y: usize, out: usize, rows: i32, len: i32): void {
  rowdot<f32>(x, y, out, rows, len);
}
export function rowdot_f64(x: usize, y: usize, out: usize, rows: i32, len: i32): void {
  rowdot<f64>(x, y, out, rows, len);
}
export function rowsum_f32(x: usize, y: usize, out: usize, rows: i32, len: i32): void {
  rowsum<f32>(x, out, rows, len);
}
export function rowsum_f64(x: usize, y: usize, out: usize, rows: i32, len: i32): void {
  rowsum<f64>(x, out, rows, len);
}

/**
 * nonfinite_{f32,f64}(x, blocks, out): sums v * 0 over `blocks` blocks of 64 bytes (16 float32 or
 * 8 float64) in four vector accumulators, in the input's own precision, and stores their 16-byte
 * sum at `out`: a lane is NaN exactly when some value was NaN or +-Infinity (v * 0 is +-0 for
 * every finite v).
 */
export function nonfinite_f32(x: usize, blocks: i32, out: usize): void {
  const zero = f32x4.splat(0);
  let a0 = zero, a1 = zero, a2 = zero, a3 = zero;
  const end = x + (<usize>blocks << 6);
  for (let p = x; p < end; p += 64) {
    a0 = f32x4.add(a0, f32x4.mul(v128.load(p), zero));
    a1 = f32x4.add(a1, f32x4.mul(v128.load(p, 16), zero));
    a2 = f32x4.add(a2, f32x4.mul(v128.load(p, 32), zero));
    a3 = f32x4.add(a3, f32x4.mul(v128.load(p, 48), zero));
  }
  v128.store(out, f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)));
}

export function nonfinite_f64(x: usize, blocks: i32, out: usize): void {
  const zero = f64x2.splat(0);
  let a0 = zero, a1 = zero, a2 = zero, a3 = zero;
  const end = x + (<usize>blocks << 6);
  for (let p = x; p < end; p += 64) {
    a0 = f64x2.add(a0, f64x2.mul(v128.load(p), zero));
    a1 = f64x2.add(a1, f64x2.mul(v128.load(p, 16), zero));
    a2 = f64x2.add(a2, f64x2.mul(v128.load(p, 32), zero));
    a3 = f64x2.add(a3, f64x2.mul(v128.load(p, 48), zero));
  }
  v128.store(out, f64x2.add(f64x2.add(a0, a1), f64x2.add(a2, a3)));
}
