// PhiloxRng normals: Philox4x32-10 (Salmon et al., SC 2011) on i32x4 lanes and Box-Muller (Box and
// Muller 1958) on f64x2 lanes with the deterministic float64 log / sin / cos of src/normal-math.ts:
// the same operations in the same order, so the normals are bit-identical to the TypeScript
// reference (`RowStream.nextNormal` of src/philox-stream.ts). Constants are those of
// src/philox.ts and src/normal-math.ts (fdlibm e_log.c, k_sin.c, k_cos.c).

const M0: i32 = 0xd2511f53;
const M1: i32 = 0xcd9e8d57;
const W0: i32 = 0x9e3779b9;
const W1: i32 = 0xbb67ae85;

const LN2_HI: f64 = 6.93147180369123816490e-1;
const LN2_LO: f64 = 1.90821492927058770002e-10;
const Lg1: f64 = 6.666666666666735130e-1;
const Lg2: f64 = 3.999999999940941908e-1;
const Lg3: f64 = 2.857142874366239149e-1;
const Lg4: f64 = 2.222219843214978396e-1;
const Lg5: f64 = 1.818357216161805012e-1;
const Lg6: f64 = 1.531383769920937332e-1;
const Lg7: f64 = 1.479819860511658591e-1;
const S1: f64 = -1.66666666666666324348e-1;
const S2: f64 = 8.33333333332248946124e-3;
const S3: f64 = -1.98412698298579493134e-4;
const S4: f64 = 2.75573137070700676789e-6;
const S5: f64 = -2.50507602534068634195e-8;
const S6: f64 = 1.58969099521155010221e-10;
const C1: f64 = 4.16666666666666019037e-2;
const C2: f64 = -1.38888888888741095749e-3;
const C3: f64 = 2.48015872894767294178e-5;
const C4: f64 = -2.75573143513906633035e-7;
const C5: f64 = 2.08757232129817482790e-9;
const C6: f64 = -1.13596475577881948265e-11;
/** 2 pi 2^-33: the angle of a reduced word t2 (an exact scaling of 2 pi). */
const ANGLE: f64 = 2 * Math.PI * 1.16415321826934814453125e-10;

// @ts-ignore: decorator
@inline function sp(v: f64): v128 {
  return f64x2.splat(v);
}
// @ts-ignore: decorator
@inline function add(a: v128, b: v128): v128 {
  return f64x2.add(a, b);
}
// @ts-ignore: decorator
@inline function sub(a: v128, b: v128): v128 {
  return f64x2.sub(a, b);
}
// @ts-ignore: decorator
@inline function mul(a: v128, b: v128): v128 {
  return f64x2.mul(a, b);
}

/**
 * Box-Muller on two f64x2 lanes (two word pairs): `w1` the first words as f64, `t2` the second
 * words' exactly reduced angles 2 w + 1 - q 2^31 (f64), where q = round(4 u2) mod 4, `odd` all
 * ones where q is odd, `cosSign` / `sinSign` the sign bits to flip. Stores (r cos, r sin) of
 * lane 0 at `dst` and of lane 1 four elements of T further (rounded once to float32 for f32).
 */
// @ts-ignore: decorator
@inline function boxMuller<T>(w1: v128, t2: v128, odd: v128, cosSign: v128, sinSign: v128, dst: usize): void {
  // log u1 = e ln2 + log m with v = w1 + 0.5 = m 2^(e + 32), m in [sqrt(2)/2, sqrt(2)) (fdlibm e_log.c)
  const v = add(w1, sp(0.5));
  // e from the exponent bits: (2^52 + biased exponent) - (2^52 + 1023 + 32), exact
  let e = sub(v128.or(i64x2.shr_u(v, 52), sp(4503599627370496.0)), sp(4503599627370496.0 + 1023 + 32));
  let m = v128.or(v128.and(v, i64x2.splat(0x000fffffffffffff)), sp(1.0));
  const big = f64x2.gt(m, sp(Math.SQRT2));
  m = sub(m, v128.and(mul(m, sp(0.5)), big)); // m > sqrt(2): m / 2 (exact), e + 1
  e = add(e, v128.and(big, sp(1.0)));
  const f = sub(m, sp(1.0));
  const s = f64x2.div(f, add(sp(2.0), f));
  let z = mul(s, s);
  let w = mul(z, z);
  const hfsq = mul(mul(sp(0.5), f), f);
  const R = add(mul(z, add(sp(Lg1), mul(w, add(sp(Lg3), mul(w, add(sp(Lg5), mul(w, sp(Lg7)))))))), mul(w, add(sp(Lg2), mul(w, add(sp(Lg4), mul(w, sp(Lg6)))))));
  const logU = sub(mul(e, sp(LN2_HI)), sub(sub(hfsq, add(mul(s, add(hfsq, R)), mul(e, sp(LN2_LO)))), f));
  const rad = f64x2.sqrt(mul(logU, sp(-2.0)));
  // angle x = 2 pi (u2 - q/4) = (2 pi 2^-33) t2, |x| <= pi/4
  const x = mul(t2, sp(ANGLE));
  z = mul(x, x);
  w = mul(z, z);
  // sin x = x + z x (S1 + z ((S2 + z (S3 + z S4)) + z w (S5 + z S6))) (fdlibm k_sin.c)
  const sn = mul(add(x, mul(mul(z, x), add(sp(S1), mul(z, add(add(sp(S2), mul(z, add(sp(S3), mul(z, sp(S4))))), mul(mul(z, w), add(sp(S5), mul(z, sp(S6))))))))), rad);
  // cos x = a + ((1 - a) - z/2 + z r), a = 1 - z/2 (fdlibm k_cos.c)
  const rc = add(mul(z, add(sp(C1), mul(z, add(sp(C2), mul(z, sp(C3)))))), mul(mul(w, w), add(sp(C4), mul(z, add(sp(C5), mul(z, sp(C6)))))));
  const hz = mul(sp(0.5), z);
  const a = sub(sp(1.0), hz);
  const cs = mul(add(a, add(sub(sub(sp(1.0), a), hz), mul(z, rc))), rad);
  // turn by q quarter turns: q = 1: (-s, c), 2: (-c, -s), 3: (s, -c), 0: (c, s); swap where q is odd, then flip signs
  const swap = v128.and(v128.xor(sn, cs), odd);
  const c = v128.xor(v128.xor(cs, swap), cosSign);
  const si = v128.xor(v128.xor(sn, swap), sinSign);
  const lane0 = f64x2.shuffle(c, si, 0, 2);
  const lane1 = f64x2.shuffle(c, si, 1, 3);
  if (sizeof<T>() == 4) {
    v128.store64_lane(dst, f32x4.demote_f64x2_zero(lane0), 0);
    v128.store64_lane(dst, f32x4.demote_f64x2_zero(lane1), 0, 16);
  } else {
    v128.store(dst, lane0);
    v128.store(dst, lane1, 32);
  }
}

/**
 * The angle words of one i32x4 of second words (one per block): d = w + 2^29 (mod 2^32), q = d >> 30
 * = round(4 u2) mod 4, t2 = 2 (d & (2^30 - 1)) - (2^30 - 1) = 2 w + 1 - q 2^31, and then, for the
 * two blocks of half `h`, the Box-Muller of the pairs (first words `w`, second words).
 */
// @ts-ignore: decorator
@inline function boxMullerHalf<T>(first: v128, second: v128, h: i32, dst: usize): void {
  const d = i32x4.add(second, i32x4.splat(1 << 29));
  const q = i32x4.shr_u(d, 30);
  const low30 = i32x4.splat((1 << 30) - 1);
  const t2 = i32x4.sub(i32x4.shl(v128.and(d, low30), 1), low30);
  const one = i32x4.splat(1);
  const two = i32x4.splat(2);
  const odd = i32x4.sub(i32x4.splat(0), v128.and(q, one));
  const cosSign = i32x4.shl(v128.and(i32x4.add(q, one), two), 30);
  const sinSign = i32x4.shl(v128.and(q, two), 30);
  const zero = i32x4.splat(0);
  if (h == 0) {
    // blocks 0 and 1: dwords 0, 1; a mask widened to 64-bit lanes, a sign moved to the high dword
    boxMuller<T>(
      f64x2.convert_low_i32x4_u(first), f64x2.convert_low_i32x4_s(t2),
      i32x4.shuffle(odd, odd, 0, 0, 1, 1), i32x4.shuffle(zero, cosSign, 0, 4, 0, 5), i32x4.shuffle(zero, sinSign, 0, 4, 0, 5), dst,
    );
  } else {
    // blocks 2 and 3: dwords 2, 3
    boxMuller<T>(
      f64x2.convert_low_i32x4_u(i32x4.shuffle(first, first, 2, 3, 2, 3)), f64x2.convert_low_i32x4_s(i32x4.shuffle(t2, t2, 2, 3, 2, 3)),
      i32x4.shuffle(odd, odd, 2, 2, 3, 3), i32x4.shuffle(zero, cosSign, 0, 6, 0, 7), i32x4.shuffle(zero, sinSign, 0, 6, 0, 7), dst,
    );
  }
}

/**
 * The 16 normals of one step (blocks 0..3, four each, in order) from the Philox words, stored as
 * T from `dst`: Box-Muller of the pairs (x0, x1) and (x2, x3) of blocks 0, 1 (half 0) and 2, 3.
 */
// @ts-ignore: decorator
@inline function storeStep<T>(x0: v128, x1: v128, x2: v128, x3: v128, dst: usize): void {
  const es = <usize>sizeof<T>();
  boxMullerHalf<T>(x0, x1, 0, dst);
  boxMullerHalf<T>(x2, x3, 0, dst + 2 * es);
  boxMullerHalf<T>(x0, x1, 1, dst + 8 * es);
  boxMullerHalf<T>(x2, x3, 1, dst + 10 * es);
}

/**
 * philoxnormal_{f32,f64}(out, rows, len, block0, call, sample0, stream, key0, key1, scratch): for
 * each row r < rows, writes `len` standard normals to out + r len: elements 4 block0, ... of the
 * row's stream, i.e. Box-Muller on the words of the Philox4x32-10 blocks block0, block0 + 1, ...
 * with counter (block, call, sample0 + r, stream) and key (key0, key1). One i32x4 lane per block,
 * four consecutive blocks (16 normals) per step; the 32 x 32 -> 64-bit products come from
 * i64x2.extmul_{low,high}_i32x4_u. A row's last partial step goes through `scratch` (16 float64).
 */
// @ts-ignore: decorator
@inline function philoxNormal<T>(out: usize, rows: i32, len: i32, block0: i32, call: i32, sample0: i32, stream: i32, key0: i32, key1: i32, scratch: usize): void {
  const es = <usize>sizeof<T>();
  const m0 = i32x4.splat(M0);
  const m1 = i32x4.splat(M1);
  const w0 = i32x4.splat(W0);
  const w1 = i32x4.splat(W1);
  const c1 = i32x4.splat(call);
  const c3 = i32x4.splat(stream);
  const k0 = i32x4.splat(key0);
  const k1 = i32x4.splat(key1);
  for (let r = 0; r < rows; r++) {
    let p = out + <usize>r * <usize>len * es;
    let n = len;
    let ctr = i32x4.add(i32x4.splat(block0), i32x4(0, 1, 2, 3));
    const c2 = i32x4.splat(sample0 + r);
    while (n != 0) {
      // Philox4x32-10 on four blocks: (x0, x1, x2, x3) <- (hi(M1 x2) ^ x1 ^ ka, lo(M1 x2), hi(M0 x0) ^ x3 ^ kb, lo(M0 x0))
      let x0 = ctr, x1 = c1, x2 = c2, x3 = c3, ka = k0, kb = k1;
      for (let round = 0; round < 10; round++) {
        let lo = i64x2.extmul_low_i32x4_u(x0, m0);
        let hi = i64x2.extmul_high_i32x4_u(x0, m0);
        const hi0 = i32x4.shuffle(lo, hi, 1, 3, 5, 7);
        const lo0 = i32x4.shuffle(lo, hi, 0, 2, 4, 6);
        lo = i64x2.extmul_low_i32x4_u(x2, m1);
        hi = i64x2.extmul_high_i32x4_u(x2, m1);
        x0 = v128.xor(v128.xor(i32x4.shuffle(lo, hi, 1, 3, 5, 7), x1), ka);
        x1 = i32x4.shuffle(lo, hi, 0, 2, 4, 6);
        x2 = v128.xor(v128.xor(hi0, x3), kb);
        x3 = lo0;
        if (round < 9) {
          ka = i32x4.add(ka, w0);
          kb = i32x4.add(kb, w1);
        }
      }
      if (n >= 16) {
        storeStep<T>(x0, x1, x2, x3, p);
        p += 16 * es;
        n -= 16;
      } else {
        storeStep<f64>(x0, x1, x2, x3, scratch);
        for (let i = 0; i < n; i++) {
          const v = load<f64>(scratch + (<usize>i << 3));
          if (sizeof<T>() == 4) store<f32>(p + (<usize>i << 2), <f32>v);
          else store<f64>(p + (<usize>i << 3), v);
        }
        n = 0;
      }
      ctr = i32x4.add(ctr, i32x4.splat(4));
    }
  }
}

export function philoxnormal_f32(out: usize, rows: i32, len: i32, block0: i32, call: i32, sample0: i32, stream: i32, key0: i32, key1: i32, scratch: usize): void {
  philoxNormal<f32>(out, rows, len, block0, call, sample0, stream, key0, key1, scratch);
}
export function philoxnormal_f64(out: usize, rows: i32, len: i32, block0: i32, call: i32, sample0: i32, stream: i32, key0: i32, key1: i32, scratch: usize): void {
  philoxNormal<f64>(out, rows, len, block0, call, sample0, stream, key0, key1, scratch);
}
