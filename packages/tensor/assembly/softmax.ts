// Row-wise softmax of a float64 matrix with a vectorised exp.

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
// @ts-ignore: decorator
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
  // 2^k: the biased exponent k + 1023 shifted into the exponent field of each 64-bit lane
  const twoK = i64x2.shl(i64x2.add(i64x2.extend_low_i32x4_s(i32x4.trunc_sat_f64x2_s_zero(k)), i64x2.splat(1023)), 52);
  return v128.andnot(f64x2.mul(p, twoK), f64x2.lt(x, f64x2.splat(EXP_FLUSH)));
}

/**
 * softmax(data, rows, cols, stats): per row of the float64 matrix, m = max, e = exp(x - m), s =
 * sum e, data = e (1/s) (like the reference); writes stats[2r] = m and stats[2r + 1] = s. Rows
 * whose max is -Infinity or NaN are left untouched (the caller throws or replays them).
 */
export function softmax(data: usize, rows: i32, cols: i32, stats: usize): void {
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
    let s = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
    if (odd) {
      const e = f64x2.extract_lane(expV(f64x2.splat(load<f64>(end) - m)), 0);
      store<f64>(end, e);
      s = s + e;
    }
    store<f64>(st, s, 8);
    const inv = 1 / s;
    const iv = f64x2.splat(inv);
    for (let p = base; p < end; p += 16) v128.store(p, f64x2.mul(v128.load(p), iv));
    if (odd) store<f64>(end, load<f64>(end) * inv);
  }
}
