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

// @ts-expect-error: decorator (AssemblyScript)
@inline function sp(v: f64): v128 {
  return f64x2.splat(v);
}
// @ts-expect-error: decorator (AssemblyScript)
@inline function add(a: v128, b: v128): v128 {
  return f64x2.add(a, b);
}
// @ts-expect-error: decorator (AssemblyScript)
@inline function sub(a: v128, b: v128): v128 {
  return f64x2.sub(a, b);
}
// @ts-expect-error: decorator (AssemblyScript)
@inline function mul(a: v128, b: v128): v128 {
  return f64x2.mul(a, b);
}

/** hi(x m) per u32 lane: the high words of the 64-bit products (i64x2.extmul). */
// @ts-expect-error: decorator (AssemblyScript)
@inline function mulHi(x: v128, m: v128): v128 {
  return i32x4.shuffle(i64x2.extmul_low_i32x4_u(x, m), i64x2.extmul_high_i32x4_u(x, m), 1, 3, 5, 7);
}
/** lo(x m) per u32 lane: the low words of the 64-bit products. */
// @ts-expect-error: decorator (AssemblyScript)
@inline function mulLo(x: v128, m: v128): v128 {
  return i32x4.shuffle(i64x2.extmul_low_i32x4_u(x, m), i64x2.extmul_high_i32x4_u(x, m), 0, 2, 4, 6);
}

/**
 * Box-Muller on two f64x2 lanes (two word pairs) for two instances A and B at once, statement by
 * statement interleaved: each instance is one long dependency chain (division, square root, Horner
 * polynomials), and interleaving gives the CPU independent work next to each other. Per instance:
 * `w1` the first words as f64, `t2` the second words' exactly reduced angles 2 w + 1 - q 2^31
 * (f64), where q = round(4 u2) mod 4, `odd` all ones where q is odd, `cosSign` / `sinSign` the
 * sign bits to flip. Stores, from `dst`, (r cos, r sin) of lane 0 of A, of lane 0 of B, of lane 1
 * of A and of lane 1 of B (8 elements of T, rounded once to float32 for f32).
 */
// @ts-expect-error: decorator (AssemblyScript)
@inline function boxMullerPair<T>(
  w1A: v128, t2A: v128, oddA: v128, cosSignA: v128, sinSignA: v128,
  w1B: v128, t2B: v128, oddB: v128, cosSignB: v128, sinSignB: v128, dst: usize,
): void {
  // log u1 = e ln2 + log m with v = w1 + 0.5 = m 2^(e + 32), m in [sqrt(2)/2, sqrt(2)) (fdlibm e_log.c)
  const vA = add(w1A, sp(0.5));
  const vB = add(w1B, sp(0.5));
  // e from the exponent bits: (2^52 + biased exponent) - (2^52 + 1023 + 32), exact
  let eA = sub(v128.or(i64x2.shr_u(vA, 52), sp(4503599627370496.0)), sp(4503599627370496.0 + 1023 + 32));
  let eB = sub(v128.or(i64x2.shr_u(vB, 52), sp(4503599627370496.0)), sp(4503599627370496.0 + 1023 + 32));
  let mA = v128.or(v128.and(vA, i64x2.splat(0x000fffffffffffff)), sp(1.0));
  let mB = v128.or(v128.and(vB, i64x2.splat(0x000fffffffffffff)), sp(1.0));
  const bigA = f64x2.gt(mA, sp(Math.SQRT2));
  const bigB = f64x2.gt(mB, sp(Math.SQRT2));
  mA = sub(mA, v128.and(mul(mA, sp(0.5)), bigA)); // m > sqrt(2): m / 2 (exact), e + 1
  mB = sub(mB, v128.and(mul(mB, sp(0.5)), bigB));
  eA = add(eA, v128.and(bigA, sp(1.0)));
  eB = add(eB, v128.and(bigB, sp(1.0)));
  const fA = sub(mA, sp(1.0));
  const fB = sub(mB, sp(1.0));
  const sA = f64x2.div(fA, add(sp(2.0), fA));
  const sB = f64x2.div(fB, add(sp(2.0), fB));
  let zA = mul(sA, sA);
  let zB = mul(sB, sB);
  let wA = mul(zA, zA);
  let wB = mul(zB, zB);
  const hfsqA = mul(mul(sp(0.5), fA), fA);
  const hfsqB = mul(mul(sp(0.5), fB), fB);
  const RA = add(mul(zA, add(sp(Lg1), mul(wA, add(sp(Lg3), mul(wA, add(sp(Lg5), mul(wA, sp(Lg7)))))))), mul(wA, add(sp(Lg2), mul(wA, add(sp(Lg4), mul(wA, sp(Lg6)))))));
  const RB = add(mul(zB, add(sp(Lg1), mul(wB, add(sp(Lg3), mul(wB, add(sp(Lg5), mul(wB, sp(Lg7)))))))), mul(wB, add(sp(Lg2), mul(wB, add(sp(Lg4), mul(wB, sp(Lg6)))))));
  const logUA = sub(mul(eA, sp(LN2_HI)), sub(sub(hfsqA, add(mul(sA, add(hfsqA, RA)), mul(eA, sp(LN2_LO)))), fA));
  const logUB = sub(mul(eB, sp(LN2_HI)), sub(sub(hfsqB, add(mul(sB, add(hfsqB, RB)), mul(eB, sp(LN2_LO)))), fB));
  const radA = f64x2.sqrt(mul(logUA, sp(-2.0)));
  const radB = f64x2.sqrt(mul(logUB, sp(-2.0)));
  // angle x = 2 pi (u2 - q/4) = (2 pi 2^-33) t2, |x| <= pi/4
  const xA = mul(t2A, sp(ANGLE));
  const xB = mul(t2B, sp(ANGLE));
  zA = mul(xA, xA);
  zB = mul(xB, xB);
  wA = mul(zA, zA);
  wB = mul(zB, zB);
  // sin x = x + z x (S1 + z ((S2 + z (S3 + z S4)) + z w (S5 + z S6))) (fdlibm k_sin.c)
  const snA = mul(add(xA, mul(mul(zA, xA), add(sp(S1), mul(zA, add(add(sp(S2), mul(zA, add(sp(S3), mul(zA, sp(S4))))), mul(mul(zA, wA), add(sp(S5), mul(zA, sp(S6))))))))), radA);
  const snB = mul(add(xB, mul(mul(zB, xB), add(sp(S1), mul(zB, add(add(sp(S2), mul(zB, add(sp(S3), mul(zB, sp(S4))))), mul(mul(zB, wB), add(sp(S5), mul(zB, sp(S6))))))))), radB);
  // cos x = a + ((1 - a) - z/2 + z r), a = 1 - z/2 (fdlibm k_cos.c)
  const rcA = add(mul(zA, add(sp(C1), mul(zA, add(sp(C2), mul(zA, sp(C3)))))), mul(mul(wA, wA), add(sp(C4), mul(zA, add(sp(C5), mul(zA, sp(C6)))))));
  const rcB = add(mul(zB, add(sp(C1), mul(zB, add(sp(C2), mul(zB, sp(C3)))))), mul(mul(wB, wB), add(sp(C4), mul(zB, add(sp(C5), mul(zB, sp(C6)))))));
  const hzA = mul(sp(0.5), zA);
  const hzB = mul(sp(0.5), zB);
  const aA = sub(sp(1.0), hzA);
  const aB = sub(sp(1.0), hzB);
  const csA = mul(add(aA, add(sub(sub(sp(1.0), aA), hzA), mul(zA, rcA))), radA);
  const csB = mul(add(aB, add(sub(sub(sp(1.0), aB), hzB), mul(zB, rcB))), radB);
  // turn by q quarter turns: q = 1: (-s, c), 2: (-c, -s), 3: (s, -c), 0: (c, s); swap where q is odd, then flip signs
  const swapA = v128.and(v128.xor(snA, csA), oddA);
  const swapB = v128.and(v128.xor(snB, csB), oddB);
  const cA = v128.xor(v128.xor(csA, swapA), cosSignA);
  const cB = v128.xor(v128.xor(csB, swapB), cosSignB);
  const siA = v128.xor(v128.xor(snA, swapA), sinSignA);
  const siB = v128.xor(v128.xor(snB, swapB), sinSignB);
  const a0 = f64x2.shuffle(cA, siA, 0, 2);
  const b0 = f64x2.shuffle(cB, siB, 0, 2);
  const a1 = f64x2.shuffle(cA, siA, 1, 3);
  const b1 = f64x2.shuffle(cB, siB, 1, 3);
  if (sizeof<T>() == 4) {
    // one store of four float32 per lane: (A lane, B lane)
    v128.store(dst, i32x4.shuffle(f32x4.demote_f64x2_zero(a0), f32x4.demote_f64x2_zero(b0), 0, 1, 4, 5));
    v128.store(dst, i32x4.shuffle(f32x4.demote_f64x2_zero(a1), f32x4.demote_f64x2_zero(b1), 0, 1, 4, 5), 16);
  } else {
    v128.store(dst, a0);
    v128.store(dst, b0, 16);
    v128.store(dst, a1, 32);
    v128.store(dst, b1, 48);
  }
}

/**
 * The 16 normals of one step (blocks 0..3, four each, in order) from the Philox words, stored as
 * T from `dst`: Box-Muller of the pairs (x0, x1) and (x2, x3) of blocks 0, 1 (half 0), then of
 * blocks 2, 3 (half 1). Angle words per block: d = w + 2^29 (mod 2^32), q = d >> 30 = round(4 u2)
 * mod 4, t2 = 2 (d & (2^30 - 1)) - (2^30 - 1) = 2 w + 1 - q 2^31, the mask `odd` (all ones where q
 * is odd) and the sign bits to flip, widened from dwords to 64-bit lanes (masks) or moved to the
 * high dword of each 64-bit lane (sign bits).
 */
// @ts-expect-error: decorator (AssemblyScript)
@inline function storeStep<T>(x0: v128, x1: v128, x2: v128, x3: v128, dst: usize): void {
  const es = <usize>sizeof<T>();
  const low30 = i32x4.splat((1 << 30) - 1);
  const one = i32x4.splat(1);
  const two = i32x4.splat(2);
  const zero = i32x4.splat(0);
  const dA = i32x4.add(x1, i32x4.splat(1 << 29));
  const dB = i32x4.add(x3, i32x4.splat(1 << 29));
  const qA = i32x4.shr_u(dA, 30);
  const qB = i32x4.shr_u(dB, 30);
  const t2A = i32x4.sub(i32x4.shl(v128.and(dA, low30), 1), low30);
  const t2B = i32x4.sub(i32x4.shl(v128.and(dB, low30), 1), low30);
  const oddA = i32x4.sub(zero, v128.and(qA, one));
  const oddB = i32x4.sub(zero, v128.and(qB, one));
  const cosA = i32x4.shl(v128.and(i32x4.add(qA, one), two), 30);
  const cosB = i32x4.shl(v128.and(i32x4.add(qB, one), two), 30);
  const sinA = i32x4.shl(v128.and(qA, two), 30);
  const sinB = i32x4.shl(v128.and(qB, two), 30);
  // blocks 0 and 1: dwords 0, 1
  boxMullerPair<T>(
    f64x2.convert_low_i32x4_u(x0), f64x2.convert_low_i32x4_s(t2A),
    i32x4.shuffle(oddA, oddA, 0, 0, 1, 1), i32x4.shuffle(zero, cosA, 0, 4, 0, 5), i32x4.shuffle(zero, sinA, 0, 4, 0, 5),
    f64x2.convert_low_i32x4_u(x2), f64x2.convert_low_i32x4_s(t2B),
    i32x4.shuffle(oddB, oddB, 0, 0, 1, 1), i32x4.shuffle(zero, cosB, 0, 4, 0, 5), i32x4.shuffle(zero, sinB, 0, 4, 0, 5),
    dst,
  );
  // blocks 2 and 3: dwords 2, 3
  boxMullerPair<T>(
    f64x2.convert_low_i32x4_u(i32x4.shuffle(x0, x0, 2, 3, 2, 3)), f64x2.convert_low_i32x4_s(i32x4.shuffle(t2A, t2A, 2, 3, 2, 3)),
    i32x4.shuffle(oddA, oddA, 2, 2, 3, 3), i32x4.shuffle(zero, cosA, 0, 6, 0, 7), i32x4.shuffle(zero, sinA, 0, 6, 0, 7),
    f64x2.convert_low_i32x4_u(i32x4.shuffle(x2, x2, 2, 3, 2, 3)), f64x2.convert_low_i32x4_s(i32x4.shuffle(t2B, t2B, 2, 3, 2, 3)),
    i32x4.shuffle(oddB, oddB, 2, 2, 3, 3), i32x4.shuffle(zero, cosB, 0, 6, 0, 7), i32x4.shuffle(zero, sinB, 0, 6, 0, 7),
    dst + 8 * es,
  );
}

/**
 * philoxnormal_{f32,f64}(out, rows, len, block0, call, sample0, stream, key0, key1, scratch): for
 * each row r < rows, writes `len` standard normals to out + r len: elements 4 block0, ... of the
 * row's stream, i.e. Box-Muller on the words of the Philox4x32-10 blocks block0, block0 + 1, ...
 * with counter (block, call, sample0 + r, stream) and key (key0, key1). One i32x4 lane per block,
 * four consecutive blocks (16 normals) per step; the 32 x 32 -> 64-bit products come from
 * i64x2.extmul_{low,high}_i32x4_u. A row's last partial step goes through `scratch` (16 float64).
 */
// @ts-expect-error: decorator (AssemblyScript)
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
      // Philox4x32-10 rounds, written out (a loop over them measured about 1% slower): (x0, x1, x2, x3)
      // <- (hi(M1 x2) ^ x1 ^ ka, lo(M1 x2), hi(M0 x0) ^ x3 ^ kb, lo(M0 x0)), then the key schedule
      let x0 = ctr, x1 = c1, x2 = c2, x3 = c3, ka = k0, kb = k1, u: v128;
      u = x0; x0 = v128.xor(v128.xor(mulHi(x2, m1), x1), ka); x1 = mulLo(x2, m1); x2 = v128.xor(v128.xor(mulHi(u, m0), x3), kb); x3 = mulLo(u, m0);
      ka = i32x4.add(ka, w0); kb = i32x4.add(kb, w1);
      u = x0; x0 = v128.xor(v128.xor(mulHi(x2, m1), x1), ka); x1 = mulLo(x2, m1); x2 = v128.xor(v128.xor(mulHi(u, m0), x3), kb); x3 = mulLo(u, m0);
      ka = i32x4.add(ka, w0); kb = i32x4.add(kb, w1);
      u = x0; x0 = v128.xor(v128.xor(mulHi(x2, m1), x1), ka); x1 = mulLo(x2, m1); x2 = v128.xor(v128.xor(mulHi(u, m0), x3), kb); x3 = mulLo(u, m0);
      ka = i32x4.add(ka, w0); kb = i32x4.add(kb, w1);
      u = x0; x0 = v128.xor(v128.xor(mulHi(x2, m1), x1), ka); x1 = mulLo(x2, m1); x2 = v128.xor(v128.xor(mulHi(u, m0), x3), kb); x3 = mulLo(u, m0);
      ka = i32x4.add(ka, w0); kb = i32x4.add(kb, w1);
      u = x0; x0 = v128.xor(v128.xor(mulHi(x2, m1), x1), ka); x1 = mulLo(x2, m1); x2 = v128.xor(v128.xor(mulHi(u, m0), x3), kb); x3 = mulLo(u, m0);
      ka = i32x4.add(ka, w0); kb = i32x4.add(kb, w1);
      u = x0; x0 = v128.xor(v128.xor(mulHi(x2, m1), x1), ka); x1 = mulLo(x2, m1); x2 = v128.xor(v128.xor(mulHi(u, m0), x3), kb); x3 = mulLo(u, m0);
      ka = i32x4.add(ka, w0); kb = i32x4.add(kb, w1);
      u = x0; x0 = v128.xor(v128.xor(mulHi(x2, m1), x1), ka); x1 = mulLo(x2, m1); x2 = v128.xor(v128.xor(mulHi(u, m0), x3), kb); x3 = mulLo(u, m0);
      ka = i32x4.add(ka, w0); kb = i32x4.add(kb, w1);
      u = x0; x0 = v128.xor(v128.xor(mulHi(x2, m1), x1), ka); x1 = mulLo(x2, m1); x2 = v128.xor(v128.xor(mulHi(u, m0), x3), kb); x3 = mulLo(u, m0);
      ka = i32x4.add(ka, w0); kb = i32x4.add(kb, w1);
      u = x0; x0 = v128.xor(v128.xor(mulHi(x2, m1), x1), ka); x1 = mulLo(x2, m1); x2 = v128.xor(v128.xor(mulHi(u, m0), x3), kb); x3 = mulLo(u, m0);
      ka = i32x4.add(ka, w0); kb = i32x4.add(kb, w1);
      u = x0; x0 = v128.xor(v128.xor(mulHi(x2, m1), x1), ka); x1 = mulLo(x2, m1); x2 = v128.xor(v128.xor(mulHi(u, m0), x3), kb); x3 = mulLo(u, m0);
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
