// Cache-block GEMM micro-kernels, float64 accumulation into a float64 C (strides in bytes). The
// caller (src/wasm/backend.ts) pads the operands so that no kernel has edge cases and walks the
// cache blocks.
import { hsum, loadS, loadV } from './common';

/**
 * gemmnt: C[i, j] += sum_k A[i, k] B[j, k] for i < M (M even), j < P (P a multiple of 4), k < K
 * (K even). A 2 x 4 tile of f64x2 partial sums stays in registers while k runs; each C entry then
 * adds the two lanes of its sum.
 */
// @ts-expect-error: decorator (AssemblyScript)
@inline function gemmnt<T>(a: usize, b: usize, c: usize, M: i32, P: i32, K: i32, sa: i32, sb: i32, sc: i32): void {
  const es = <usize>sizeof<T>();
  const kEnd = <usize>K * es;
  for (let i = 0; i < M; i += 2) {
    const a0 = a + <usize>i * <usize>sa;
    const a1 = a0 + <usize>sa;
    for (let j = 0; j < P; j += 4) {
      const b0 = b + <usize>j * <usize>sb;
      const b1 = b0 + <usize>sb;
      const b2 = b1 + <usize>sb;
      const b3 = b2 + <usize>sb;
      let s00 = f64x2.splat(0), s01 = s00, s02 = s00, s03 = s00;
      let s10 = s00, s11 = s00, s12 = s00, s13 = s00;
      for (let k: usize = 0; k < kEnd; k += 2 * es) {
        const x0 = loadV<T>(a0 + k);
        const x1 = loadV<T>(a1 + k);
        let y = loadV<T>(b0 + k);
        s00 = f64x2.add(s00, f64x2.mul(x0, y));
        s10 = f64x2.add(s10, f64x2.mul(x1, y));
        y = loadV<T>(b1 + k);
        s01 = f64x2.add(s01, f64x2.mul(x0, y));
        s11 = f64x2.add(s11, f64x2.mul(x1, y));
        y = loadV<T>(b2 + k);
        s02 = f64x2.add(s02, f64x2.mul(x0, y));
        s12 = f64x2.add(s12, f64x2.mul(x1, y));
        y = loadV<T>(b3 + k);
        s03 = f64x2.add(s03, f64x2.mul(x0, y));
        s13 = f64x2.add(s13, f64x2.mul(x1, y));
      }
      const c0 = c + <usize>i * <usize>sc + (<usize>j << 3);
      const c1 = c0 + <usize>sc;
      store<f64>(c0, load<f64>(c0) + hsum(s00));
      store<f64>(c0, load<f64>(c0, 8) + hsum(s01), 8);
      store<f64>(c0, load<f64>(c0, 16) + hsum(s02), 16);
      store<f64>(c0, load<f64>(c0, 24) + hsum(s03), 24);
      store<f64>(c1, load<f64>(c1) + hsum(s10));
      store<f64>(c1, load<f64>(c1, 8) + hsum(s11), 8);
      store<f64>(c1, load<f64>(c1, 16) + hsum(s12), 16);
      store<f64>(c1, load<f64>(c1, 24) + hsum(s13), 24);
    }
  }
}

/**
 * gemmnn: C[i, j] += sum_k A[i, k] B[k, j] for i < M (M even), j < N (N a multiple of 8), any K.
 * A 2 x 8 tile of C stays in registers; each k broadcasts A[i, k] and streams four f64x2 of B
 * (at immediate load offsets: binaryen does not fold `pb + constant` into them, and V8 would add).
 */
// @ts-expect-error: decorator (AssemblyScript)
@inline function gemmnn<TA, TB>(a: usize, b: usize, c: usize, M: i32, N: i32, K: i32, sa: i32, sb: i32, sc: i32): void {
  const ea = <usize>sizeof<TA>();
  const eb = <usize>sizeof<TB>();
  for (let i = 0; i < M; i += 2) {
    for (let j = 0; j < N; j += 8) {
      const c0 = c + <usize>i * <usize>sc + (<usize>j << 3);
      const c1 = c0 + <usize>sc;
      let s00 = v128.load(c0), s01 = v128.load(c0, 16), s02 = v128.load(c0, 32), s03 = v128.load(c0, 48);
      let s10 = v128.load(c1), s11 = v128.load(c1, 16), s12 = v128.load(c1, 32), s13 = v128.load(c1, 48);
      let pa0 = a + <usize>i * <usize>sa;
      let pa1 = pa0 + <usize>sa;
      let pb = b + <usize>j * eb;
      for (let k = 0; k < K; k++) {
        const x0 = f64x2.splat(loadS<TA>(pa0));
        const x1 = f64x2.splat(loadS<TA>(pa1));
        let y = loadV<TB>(pb);
        s00 = f64x2.add(s00, f64x2.mul(x0, y));
        s10 = f64x2.add(s10, f64x2.mul(x1, y));
        y = sizeof<TB>() == 4 ? f64x2.promote_low_f32x4(v128.load64_zero(pb, 8)) : v128.load(pb, 16);
        s01 = f64x2.add(s01, f64x2.mul(x0, y));
        s11 = f64x2.add(s11, f64x2.mul(x1, y));
        y = sizeof<TB>() == 4 ? f64x2.promote_low_f32x4(v128.load64_zero(pb, 16)) : v128.load(pb, 32);
        s02 = f64x2.add(s02, f64x2.mul(x0, y));
        s12 = f64x2.add(s12, f64x2.mul(x1, y));
        y = sizeof<TB>() == 4 ? f64x2.promote_low_f32x4(v128.load64_zero(pb, 24)) : v128.load(pb, 48);
        s03 = f64x2.add(s03, f64x2.mul(x0, y));
        s13 = f64x2.add(s13, f64x2.mul(x1, y));
        pa0 += ea;
        pa1 += ea;
        pb += <usize>sb;
      }
      v128.store(c0, s00);
      v128.store(c0, s01, 16);
      v128.store(c0, s02, 32);
      v128.store(c0, s03, 48);
      v128.store(c1, s10);
      v128.store(c1, s11, 16);
      v128.store(c1, s12, 32);
      v128.store(c1, s13, 48);
    }
  }
}

export function gemmnt_f32(a: usize, b: usize, c: usize, M: i32, P: i32, K: i32, sa: i32, sb: i32, sc: i32): void {
  gemmnt<f32>(a, b, c, M, P, K, sa, sb, sc);
}
export function gemmnt_f64(a: usize, b: usize, c: usize, M: i32, P: i32, K: i32, sa: i32, sb: i32, sc: i32): void {
  gemmnt<f64>(a, b, c, M, P, K, sa, sb, sc);
}
export function gemmnn_f32f32(a: usize, b: usize, c: usize, M: i32, N: i32, K: i32, sa: i32, sb: i32, sc: i32): void {
  gemmnn<f32, f32>(a, b, c, M, N, K, sa, sb, sc);
}
export function gemmnn_f32f64(a: usize, b: usize, c: usize, M: i32, N: i32, K: i32, sa: i32, sb: i32, sc: i32): void {
  gemmnn<f32, f64>(a, b, c, M, N, K, sa, sb, sc);
}
export function gemmnn_f64f32(a: usize, b: usize, c: usize, M: i32, N: i32, K: i32, sa: i32, sb: i32, sc: i32): void {
  gemmnn<f64, f32>(a, b, c, M, N, K, sa, sb, sc);
}
export function gemmnn_f64f64(a: usize, b: usize, c: usize, M: i32, N: i32, K: i32, sa: i32, sb: i32, sc: i32): void {
  gemmnn<f64, f64>(a, b, c, M, N, K, sa, sb, sc);
}
