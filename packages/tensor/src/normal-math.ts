// Deterministic float64 log and sin/cos for the Box-Muller transform of PhiloxRng normals.
//
// Math.log/sin/cos are implementation-defined (V8 may change them, WebAssembly has none), so the
// normal draws use these routines instead: plain float64 additions, multiplications, one division
// and exact scalings, no fused multiply-add. The WebAssembly kernel (assembly/philox.ts,
// `philoxnormal_*`) evaluates the same operations in the same order on f64x2 lanes, so both
// backends give bit-identical draws. Polynomials and splitting constants are fdlibm's
// (e_log.c, k_sin.c, k_cos.c, Sun Microsystems 1993, freely redistributable). Also here: the
// float32-polynomial exp of the opt-in softmax (`expF32`, assembly/softmax.ts's `softmax_f32exp`).

/** ln 2 split so that k * LN2_HI is exact for |k| < 2^11 (fdlibm e_log.c). */
export const LN2_HI = 6.93147180369123816490e-1;
export const LN2_LO = 1.90821492927058770002e-10;
/** log1p(f) = f - f^2/2 + s (f^2/2 + R(s^2)), s = f / (2 + f) (fdlibm e_log.c). */
export const LG = [
  6.666666666666735130e-1, 3.999999999940941908e-1, 2.857142874366239149e-1, 2.222219843214978396e-1,
  1.818357216161805012e-1, 1.531383769920937332e-1, 1.479819860511658591e-1,
] as const;
/** sin x = x + x^3 (S1 + x^2 r(x^2)) on |x| <= pi/4 (fdlibm k_sin.c). */
export const SIN = [
  -1.66666666666666324348e-1, 8.33333333332248946124e-3, -1.98412698298579493134e-4, 2.75573137070700676789e-6,
  -2.50507602534068634195e-8, 1.58969099521155010221e-10,
] as const;
/** cos x = 1 - x^2/2 + x^4 r(x^2) on |x| <= pi/4 (fdlibm k_cos.c). */
export const COS = [
  4.16666666666666019037e-2, -1.38888888888741095749e-3, 2.48015872894767294178e-5, -2.75573143513906633035e-7,
  2.08757232129817482790e-9, -1.13596475577881948265e-11,
] as const;
export const TWO_PI = 2 * Math.PI;

const [Lg1, Lg2, Lg3, Lg4, Lg5, Lg6, Lg7] = LG;
const [S1, S2, S3, S4, S5, S6] = SIN;
const [C1, C2, C3, C4, C5, C6] = COS;
const { clz32, round, sqrt } = Math;
const INV_2_32 = 2 ** -32;
/** 2^-e for e = -1..31 (index e + 1), exact. */
const INV_POW2 = Float64Array.from({ length: 33 }, (_, i) => 2 ** (1 - i));

/**
 * log((w + 0.5) / 2^32) for a uint32 word `w`, the log of the open-interval uniform of
 * PhiloxRng. With v = w + 0.5 = m 2^e (exact, m in [sqrt(2)/2, sqrt(2))), the result is
 * (e - 32) ln 2 + log(m) by fdlibm's __ieee754_log: within 1 ulp of the exact value.
 */
export function logUniform32(w: number): number {
  const v = w + 0.5;
  let e = w === 0 ? -1 : 31 - clz32(w);
  let m = v * INV_POW2[e + 1]!;
  if (m > Math.SQRT2) {
    m *= 0.5;
    e += 1;
  }
  const k = e - 32;
  const f = m - 1;
  const s = f / (2 + f);
  const z = s * s;
  const ww = z * z;
  const t1 = ww * (Lg2 + ww * (Lg4 + ww * Lg6));
  const t2 = z * (Lg1 + ww * (Lg3 + ww * (Lg5 + ww * Lg7)));
  const R = t2 + t1;
  const hfsq = 0.5 * f * f;
  return k * LN2_HI - (hfsq - (s * (hfsq + R) + k * LN2_LO) - f);
}

/** sin x for |x| <= pi/4 (fdlibm __kernel_sin with y = 0). */
export function sinKernel(x: number): number {
  const z = x * x;
  const w = z * z;
  const r = S2 + z * (S3 + z * S4) + z * w * (S5 + z * S6);
  const v = z * x;
  return x + v * (S1 + z * r);
}

/** cos x for |x| <= pi/4 (fdlibm __kernel_cos with y = 0). */
export function cosKernel(x: number): number {
  const z = x * x;
  const w = z * z;
  const r = z * (C1 + z * (C2 + z * C3)) + w * w * (C4 + z * (C5 + z * C6));
  const hz = 0.5 * z;
  const a = 1 - hz;
  return a + (1 - a - hz + z * r);
}

/**
 * cos and sin of 2 pi u for u = (w + 0.5) / 2^32 (a uint32 word `w`), written to `out[at]` and
 * `out[at + 1]`. The angle is reduced without error: q = round(4 u) (never a tie), t = u - q/4 in
 * [-1/8, 1/8] (exact), x = 2 pi t (one rounding), then the kernels' sin/cos of x turned by q
 * quarter turns (exact sign changes and swaps).
 */
export function sinCos2Pi32(w: number, out: Float64Array, at: number): void {
  const u = (w + 0.5) * INV_2_32;
  const q = round(4 * u);
  const x = TWO_PI * (u - 0.25 * q);
  const s = sinKernel(x);
  const c = cosKernel(x);
  switch (q & 3) {
    case 0:
      out[at] = c;
      out[at + 1] = s;
      break;
    case 1:
      out[at] = -s;
      out[at + 1] = c;
      break;
    case 2:
      out[at] = -c;
      out[at + 1] = -s;
      break;
    default:
      out[at] = s;
      out[at + 1] = -c;
  }
}

/**
 * Box-Muller on one pair of uint32 words (Box and Muller 1958): with u1 = (w1 + 0.5) / 2^32,
 * u2 = (w2 + 0.5) / 2^32 and r = sqrt(-2 log u1), writes r cos(2 pi u2) to `out[at]` and
 * r sin(2 pi u2) to `out[at + 1]`.
 */
export function boxMuller(w1: number, w2: number, out: Float64Array, at: number): void {
  const r = sqrt(-2 * logUniform32(w1));
  sinCos2Pi32(w2, out, at);
  out[at] = r * out[at]!;
  out[at + 1] = r * out[at + 1]!;
}

const { fround } = Math;
/** Taylor coefficients of e^r, 1/7! down to 1/2!, rounded to float32 (those of assembly/softmax.ts). */
const EXP32 = [1 / 5040, 1 / 720, 1 / 120, 1 / 24, 1 / 6, 0.5, 1, 1].map(fround);

/**
 * e^x (x <= 0) by the operations of `expStore4F32` in assembly/softmax.ts, lane for lane: x = k ln2
 * + r in float64 (k rounded half to even), r rounded to float32, e^r by its Taylor polynomial of
 * degree 7 in float32 (Horner), times 2^k in float64; 0 below -708 (and for -Infinity). Relative
 * error < 2^-22 against e^x.
 */
export function expF32(x: number): number {
  if (!(x >= -708)) return 0;
  const t = x * Math.LOG2E;
  let k = Math.round(t);
  if (k - t === 0.5 && k % 2 !== 0) k -= 1; // Math.round takes ties up; WebAssembly's nearest to even
  const r = fround(x - k * LN2_HI - k * LN2_LO);
  let q = EXP32[0]!;
  for (let i = 1; i < EXP32.length; i++) q = fround(fround(q * r) + EXP32[i]!);
  return q * 2 ** k;
}
