// Row-wise softmax of a float64 matrix with a vectorised exp: float64 (`softmax`), or with the
// polynomial in float32 lanes (`softmax_f32exp`, opt in: SoftmaxOptions.exp of src/backend.ts).
import { hsum } from './common';

/** ln 2 split so that k LN2_HI is exact for |k| < 2^11 (fdlibm e_log.c; the values of src/normal-math.ts). */
const LN2_HI: f64 = 6.93147180369123816490e-1;
const LN2_LO: f64 = 1.90821492927058770002e-10;
/** Below this, e^x (subnormal, costly and < 3.3e-308) is flushed to exactly 0. */
const EXP_FLUSH: f64 = -708;

/**
 * e^x on f64x2 lanes for x <= 0: x = k ln2 + r (Cody-Waite, |r| <= ln2/2), e^r by its Taylor
 * polynomial of degree 13 (truncation < 5e-18 relative, Horner from 1/13!), times 2^k built in
 * the exponent bits. Lanes below -708 and -Infinity give exactly 0.
 */
// @ts-expect-error: decorator (AssemblyScript)
@inline function expV(x: v128): v128 {
  const k = f64x2.nearest(f64x2.mul(x, f64x2.splat(Math.LOG2E)));
  const r = f64x2.sub(f64x2.sub(x, f64x2.mul(k, f64x2.splat(LN2_HI))), f64x2.mul(k, f64x2.splat(LN2_LO)));
  let p = f64x2.splat(1.0 / 6227020800.0); // 1/13!
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 479001600.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 39916800.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 3628800.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 362880.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 40320.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 5040.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 720.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 120.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 24.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 6.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0 / 2.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0));
  p = f64x2.add(f64x2.mul(p, r), f64x2.splat(1.0));
  return v128.andnot(f64x2.mul(p, twoPow(k)), f64x2.lt(x, f64x2.splat(EXP_FLUSH)));
}

/**
 * 2^k for the integral f64x2 `k` in [-1022, 1023]: the biased exponent k + 1023 shifted into the
 * exponent field of each 64-bit lane. k + 1023 is made an integer in the low mantissa bits by
 * adding 1.5 2^52 (exact), which the shift by 52 then moves into place (two instructions instead
 * of a float-to-integer conversion and a widening).
 */
// @ts-expect-error: decorator (AssemblyScript)
@inline function twoPow(k: v128): v128 {
  return i64x2.shl(f64x2.add(k, f64x2.splat(6755399441055744.0 + 1023.0)), 52);
}

/** Taylor coefficients of e^r, 1/7! down to 1/2!, rounded to float32. */
const C7: f32 = 1.0 / 5040.0;
const C6: f32 = 1.0 / 720.0;
const C5: f32 = 1.0 / 120.0;
const C4: f32 = 1.0 / 24.0;
const C3: f32 = 1.0 / 6.0;
const C2: f32 = 0.5;

/**
 * e^x for the four float64 x of the two f64x2 `x0`, `x1` (x <= 0), with the polynomial in float32:
 * the reduction x = k ln2 + r and the scaling by 2^k stay in float64 (so the range, the flush
 * below -708 and the exact zeros are those of {@link expV}), r is rounded to float32 (|r| <= ln2/2)
 * and e^r is its Taylor polynomial of degree 7 (truncation < 6e-9) by Horner in f32x4 lanes: four
 * exponentials per polynomial instead of two, of degree 7 instead of 13. Relative error < 2^-22
 * (src/cpu.ts computes the same float32 operations; test/softmax-f32.test.ts checks both). Writes
 * the two results to `p` and `p + 16`, returns their lane-wise sum.
 */
// @ts-expect-error: decorator (AssemblyScript)
@inline function expStore4F32(p: usize, x0: v128, x1: v128): v128 {
  const k0 = f64x2.nearest(f64x2.mul(x0, f64x2.splat(Math.LOG2E)));
  const k1 = f64x2.nearest(f64x2.mul(x1, f64x2.splat(Math.LOG2E)));
  const r0 = f64x2.sub(f64x2.sub(x0, f64x2.mul(k0, f64x2.splat(LN2_HI))), f64x2.mul(k0, f64x2.splat(LN2_LO)));
  const r1 = f64x2.sub(f64x2.sub(x1, f64x2.mul(k1, f64x2.splat(LN2_HI))), f64x2.mul(k1, f64x2.splat(LN2_LO)));
  const r = i32x4.shuffle(f32x4.demote_f64x2_zero(r0), f32x4.demote_f64x2_zero(r1), 0, 1, 4, 5);
  let q = f32x4.add(f32x4.mul(f32x4.splat(C7), r), f32x4.splat(C6));
  q = f32x4.add(f32x4.mul(q, r), f32x4.splat(C5));
  q = f32x4.add(f32x4.mul(q, r), f32x4.splat(C4));
  q = f32x4.add(f32x4.mul(q, r), f32x4.splat(C3));
  q = f32x4.add(f32x4.mul(q, r), f32x4.splat(C2));
  q = f32x4.add(f32x4.mul(q, r), f32x4.splat(1.0));
  q = f32x4.add(f32x4.mul(q, r), f32x4.splat(1.0));
  const e0 = v128.andnot(f64x2.mul(f64x2.promote_low_f32x4(q), twoPow(k0)), f64x2.lt(x0, f64x2.splat(EXP_FLUSH)));
  const e1 = v128.andnot(f64x2.mul(f64x2.promote_low_f32x4(i32x4.shuffle(q, q, 2, 3, 2, 3)), twoPow(k1)), f64x2.lt(x1, f64x2.splat(EXP_FLUSH)));
  v128.store(p, e0);
  v128.store(p, e1, 16);
  return f64x2.add(e0, e1);
}

/** One exponential of {@link expStore4F32} (the same float32 and float64 operations, on scalars). */
// @ts-expect-error: decorator (AssemblyScript)
@inline function expF32(x: f64): f64 {
  if (!(x >= EXP_FLUSH)) return 0;
  const k = nearest<f64>(x * Math.LOG2E);
  const r = <f32>(x - k * LN2_HI - k * LN2_LO);
  let q: f32 = C7 * r + C6;
  q = q * r + C5;
  q = q * r + C4;
  q = q * r + C3;
  q = q * r + C2;
  q = q * r + <f32>1.0;
  q = q * r + <f32>1.0;
  return <f64>q * reinterpret<f64>((<i64>k + 1023) << 52);
}

/**
 * Per row of the float64 matrix: m = max, e = exp(x - m), s = sum e, data = e (1/s) (like the
 * reference); writes stats[2r] = m and stats[2r + 1] = s. Rows whose max is -Infinity or NaN are
 * left untouched (the caller throws or replays them). `T` (f64 or f32, resolved at compile time)
 * is the precision of the exponentials' polynomial: with f32 each run of eight values goes through
 * {@link expStore4F32}, the last (at most 7) of a row through its scalar twin {@link expF32}.
 */
// @ts-expect-error: decorator (AssemblyScript)
@inline function softmaxRows<T>(data: usize, rows: i32, cols: i32, stats: usize): void {
  const odd = (cols & 1) != 0;
  for (let r = 0; r < rows; r++) {
    const base = data + ((<usize>r * <usize>cols) << 3);
    const end = base + (<usize>(cols & ~1) << 3);
    const st = stats + (<usize>r << 4);
    let mv = f64x2.splat(-Infinity);
    for (let p = base; p < end; p += 16) mv = f64x2.max(mv, v128.load(p));
    let m = max<f64>(f64x2.extract_lane(mv, 0), f64x2.extract_lane(mv, 1));
    if (odd) m = max<f64>(m, load<f64>(end));
    store<f64>(st, m);
    if (!(m > -Infinity)) continue;
    const ms = f64x2.splat(m);
    let acc = f64x2.splat(0);
    let p = base;
    let s: f64;
    if (sizeof<T>() == 4) {
      // eight exponentials per iteration in two float32 polynomials, the rest of the row one by one
      for (; p + 48 < end; p += 64) {
        const a = expStore4F32(p, f64x2.sub(v128.load(p), ms), f64x2.sub(v128.load(p, 16), ms));
        const b = expStore4F32(p + 32, f64x2.sub(v128.load(p, 32), ms), f64x2.sub(v128.load(p, 48), ms));
        acc = f64x2.add(f64x2.add(acc, a), b);
      }
      s = hsum(acc);
      for (const rowEnd = base + (<usize>cols << 3); p < rowEnd; p += 8) {
        const e = expF32(load<f64>(p) - m);
        store<f64>(p, e);
        s = s + e;
      }
    } else {
      // four independent exp chains per iteration (the sum still adds them in element order)
      for (; p + 48 < end; p += 64) {
        const e0 = expV(f64x2.sub(v128.load(p), ms));
        const e1 = expV(f64x2.sub(v128.load(p, 16), ms));
        const e2 = expV(f64x2.sub(v128.load(p, 32), ms));
        const e3 = expV(f64x2.sub(v128.load(p, 48), ms));
        v128.store(p, e0);
        v128.store(p, e1, 16);
        v128.store(p, e2, 32);
        v128.store(p, e3, 48);
        acc = f64x2.add(f64x2.add(f64x2.add(f64x2.add(acc, e0), e1), e2), e3);
      }
      for (; p < end; p += 16) {
        const e = expV(f64x2.sub(v128.load(p), ms));
        v128.store(p, e);
        acc = f64x2.add(acc, e);
      }
      s = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
      if (odd) {
        const e = f64x2.extract_lane(expV(f64x2.splat(load<f64>(end) - m)), 0);
        store<f64>(end, e);
        s = s + e;
      }
    }
    store<f64>(st, s, 8);
    const inv = 1 / s;
    const iv = f64x2.splat(inv);
    for (let p = base; p < end; p += 16) v128.store(p, f64x2.mul(v128.load(p), iv));
    if (odd) store<f64>(end, load<f64>(end) * inv);
  }
}

/** softmax(data, rows, cols, stats): the rows of the float64 matrix at `data` with the float64 exp (see {@link softmaxRows}). */
export function softmax(data: usize, rows: i32, cols: i32, stats: usize): void {
  softmaxRows<f64>(data, rows, cols, stats);
}

/** The same with the exponentials' polynomial in float32 lanes ({@link expStore4F32}); sums and scaling in float64. */
export function softmax_f32exp(data: usize, rows: i32, cols: i32, stats: usize): void {
  softmaxRows<f32>(data, rows, cols, stats);
}
