// The per-element arithmetic of the CUDA backend, compiled twice from this one file: into the
// device kernels (kernels.cu, nvcc) and into the host launcher of the bit-exactness tests
// (host_test.cc, g++). Every double operation is rounded on its own, never fused into a
// multiply-add, and evaluated in the order of the TypeScript reference (@phys/tensor: philox.ts,
// normal-math.ts, philox-stream.ts, cpu.ts, wasm/backend.ts), so results are bit-identical to it.
#pragma once
#include <stdint.h>

#ifdef __CUDACC__
#define PHYS_HD __host__ __device__ __forceinline__
#else
#define PHYS_HD inline
#endif

namespace phys {

// ---- exactly rounded double operations (no contraction into fma on either compiler) ----
PHYS_HD double dmul(double a, double b) {
#ifdef __CUDA_ARCH__
  return __dmul_rn(a, b);
#else
  return a * b;
#endif
}
PHYS_HD double dadd(double a, double b) {
#ifdef __CUDA_ARCH__
  return __dadd_rn(a, b);
#else
  return a + b;
#endif
}
PHYS_HD double dsub(double a, double b) { return dadd(a, -b); }
PHYS_HD double ddiv(double a, double b) {
#ifdef __CUDA_ARCH__
  return __ddiv_rn(a, b);
#else
  return a / b;
#endif
}
PHYS_HD double dsqrt(double a) {
#ifdef __CUDA_ARCH__
  return __dsqrt_rn(a);
#else
  return __builtin_sqrt(a);
#endif
}
/** Round to nearest integer (Math.round of the reference; the arguments here are never ties). */
PHYS_HD double drint(double a) {
#ifdef __CUDA_ARCH__
  return rint(a);
#else
  return __builtin_rint(a);
#endif
}
PHYS_HD int clz32(uint32_t w) {
#ifdef __CUDA_ARCH__
  return __clz(static_cast<int>(w));
#else
  return w == 0 ? 32 : __builtin_clz(w);
#endif
}
/** 2^k as a double for -1022 <= k <= 1023, built from its bits (exact). */
PHYS_HD double pow2(int k) {
  const uint64_t bits = static_cast<uint64_t>(k + 1023) << 52;
#ifdef __CUDA_ARCH__
  return __longlong_as_double(static_cast<long long>(bits));
#else
  double d;
  __builtin_memcpy(&d, &bits, sizeof d);
  return d;
#endif
}

// ---- Philox4x32-10 (Salmon et al. 2011), philox.ts ----
constexpr uint32_t PHILOX_M0 = 0xd2511f53u, PHILOX_M1 = 0xcd9e8d57u;
constexpr uint32_t PHILOX_W0 = 0x9e3779b9u, PHILOX_W1 = 0xbb67ae85u;

PHYS_HD uint32_t mulhi32(uint32_t a, uint32_t b) {
  return static_cast<uint32_t>((static_cast<uint64_t>(a) * b) >> 32);
}

/** out = Philox4x32-10(counter (c0, c1, c2, c3), key (k0, k1)). */
PHYS_HD void philox4x32(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t k0, uint32_t k1, uint32_t out[4]) {
  uint32_t x0 = c0, x1 = c1, x2 = c2, x3 = c3;
  for (int round = 0; round < 10; round++) {
    const uint32_t hi0 = mulhi32(PHILOX_M0, x0), lo0 = PHILOX_M0 * x0;
    const uint32_t hi1 = mulhi32(PHILOX_M1, x2), lo1 = PHILOX_M1 * x2;
    x0 = hi1 ^ x1 ^ k0;
    x1 = lo1;
    x2 = hi0 ^ x3 ^ k1;
    x3 = lo0;
    k0 += PHILOX_W0;
    k1 += PHILOX_W1;
  }
  out[0] = x0;
  out[1] = x1;
  out[2] = x2;
  out[3] = x3;
}

/** The counter words of one PhiloxRng draw call (philox-stream.ts PhiloxCall). */
struct PhiloxCall {
  uint32_t key0, key1, call, sampleOffset, stream;
};

/** Block `block` of row `row`'s word stream: counter (block, call, sampleOffset + row mod 2^32, stream). */
PHYS_HD void rowBlock(const PhiloxCall& d, uint32_t row, uint32_t block, uint32_t out[4]) {
  philox4x32(block, d.call, d.sampleOffset + row, d.stream, d.key0, d.key1, out);
}

// ---- deterministic log / sin / cos of normal-math.ts (fdlibm polynomials) ----
constexpr double LN2_HI = 6.93147180369123816490e-1, LN2_LO = 1.90821492927058770002e-10;
constexpr double Lg1 = 6.666666666666735130e-1, Lg2 = 3.999999999940941908e-1, Lg3 = 2.857142874366239149e-1,
                 Lg4 = 2.222219843214978396e-1, Lg5 = 1.818357216161805012e-1, Lg6 = 1.531383769920937332e-1,
                 Lg7 = 1.479819860511658591e-1;
constexpr double S1 = -1.66666666666666324348e-1, S2 = 8.33333333332248946124e-3, S3 = -1.98412698298579493134e-4,
                 S4 = 2.75573137070700676789e-6, S5 = -2.50507602534068634195e-8, S6 = 1.58969099521155010221e-10;
constexpr double C1 = 4.16666666666666019037e-2, C2 = -1.38888888888741095749e-3, C3 = 2.48015872894767294178e-5,
                 C4 = -2.75573143513906633035e-7, C5 = 2.08757232129817482790e-9, C6 = -1.13596475577881948265e-11;
constexpr double SQRT2 = 1.4142135623730951;
constexpr double TWO_PI = 6.283185307179586;
constexpr double INV_2_32 = 2.3283064365386963e-10;

/** log((w + 0.5) / 2^32), normal-math.ts logUniform32. */
PHYS_HD double logUniform32(uint32_t w) {
  const double v = dadd(static_cast<double>(w), 0.5);
  int e = w == 0 ? -1 : 31 - clz32(w);
  double m = dmul(v, pow2(-e));
  if (m > SQRT2) {
    m = dmul(m, 0.5);
    e += 1;
  }
  const double k = static_cast<double>(e - 32);
  const double f = dsub(m, 1.0);
  const double s = ddiv(f, dadd(2.0, f));
  const double z = dmul(s, s);
  const double ww = dmul(z, z);
  const double t1 = dmul(ww, dadd(Lg2, dmul(ww, dadd(Lg4, dmul(ww, Lg6)))));
  const double t2 = dmul(z, dadd(Lg1, dmul(ww, dadd(Lg3, dmul(ww, dadd(Lg5, dmul(ww, Lg7)))))));
  const double R = dadd(t2, t1);
  const double hfsq = dmul(dmul(0.5, f), f);
  return dsub(dmul(k, LN2_HI), dsub(dsub(hfsq, dadd(dmul(s, dadd(hfsq, R)), dmul(k, LN2_LO))), f));
}

/** sin x, |x| <= pi/4 (normal-math.ts sinKernel). */
PHYS_HD double sinKernel(double x) {
  const double z = dmul(x, x);
  const double w = dmul(z, z);
  const double r = dadd(dadd(S2, dmul(z, dadd(S3, dmul(z, S4)))), dmul(dmul(z, w), dadd(S5, dmul(z, S6))));
  const double v = dmul(z, x);
  return dadd(x, dmul(v, dadd(S1, dmul(z, r))));
}

/** cos x, |x| <= pi/4 (normal-math.ts cosKernel). */
PHYS_HD double cosKernel(double x) {
  const double z = dmul(x, x);
  const double w = dmul(z, z);
  const double r = dadd(dmul(z, dadd(C1, dmul(z, dadd(C2, dmul(z, C3))))), dmul(dmul(w, w), dadd(C4, dmul(z, dadd(C5, dmul(z, C6))))));
  const double hz = dmul(0.5, z);
  const double a = dsub(1.0, hz);
  return dadd(a, dadd(dsub(dsub(1.0, a), hz), dmul(z, r)));
}

/** cos and sin of 2 pi (w + 0.5) / 2^32 (normal-math.ts sinCos2Pi32). */
PHYS_HD void sinCos2Pi32(uint32_t w, double* c, double* s) {
  const double u = dmul(dadd(static_cast<double>(w), 0.5), INV_2_32);
  const double q = drint(dmul(4.0, u));
  const double x = dmul(TWO_PI, dsub(u, dmul(0.25, q)));
  const double sk = sinKernel(x);
  const double ck = cosKernel(x);
  switch (static_cast<int>(q) & 3) {
    case 0: *c = ck; *s = sk; break;
    case 1: *c = -sk; *s = ck; break;
    case 2: *c = -ck; *s = -sk; break;
    default: *c = sk; *s = -ck;
  }
}

/** Box-Muller (Box and Muller 1958) on one word pair: out[0] = r cos, out[1] = r sin (normal-math.ts boxMuller). */
PHYS_HD void boxMuller(uint32_t w1, uint32_t w2, double out[2]) {
  const double r = dsqrt(dmul(-2.0, logUniform32(w1)));
  double c, s;
  sinCos2Pi32(w2, &c, &s);
  out[0] = dmul(r, c);
  out[1] = dmul(r, s);
}

/** The 4 normals of Philox block `block` of `row`: values 4 block .. 4 block + 3 of the row (RowStream.nextNormal). */
PHYS_HD void normalBlock(const PhiloxCall& d, uint32_t row, uint32_t block, double out[4]) {
  uint32_t w[4];
  rowBlock(d, row, block, w);
  boxMuller(w[0], w[1], out);
  boxMuller(w[2], w[3], out + 2);
}

/** Uniform j of a row from its word (PhiloxRng.uniform): 24-bit for float32 storage, 32-bit for float64. */
PHYS_HD double uniformOfWord(uint32_t w, bool f64) {
  return f64 ? dmul(dadd(static_cast<double>(w), 0.5), INV_2_32) : dmul(dadd(static_cast<double>(w >> 8), 0.5), 5.9604644775390625e-8);
}

// ---- fused element-wise updates (cpu.ts CpuBackend.lincomb / scaleRows / mul) ----
/** How the terms of a linear combination are summed, as the reference does for each term count. */
enum LincombMode : int {
  /** scaleRows: c0 x0. */
  LINCOMB_SCALE = 0,
  /** 2 or 3 terms: c0 x0 + c1 x1 (+ c2 x2), left to right. */
  LINCOMB_DIRECT = 1,
  /** any other count: 0 + c0 x0 + c1 x1 + ..., left to right (the reference's generic loop). */
  LINCOMB_GENERIC = 2,
};

/** One output element of sum_k c[k] v[k] in the reference's order for `mode`. */
PHYS_HD double lincombValue(int mode, int K, const double* c, const double* v) {
  if (mode == LINCOMB_SCALE) return dmul(c[0], v[0]);
  if (mode == LINCOMB_DIRECT) {
    double s = dadd(dmul(c[0], v[0]), dmul(c[1], v[1]));
    if (K == 3) s = dadd(s, dmul(c[2], v[2]));
    return s;
  }
  double s = 0.0;
  for (int k = 0; k < K; k++) s = dadd(s, dmul(c[k], v[k]));
  return s;
}

// ---- the GEMM-form distance and its cancellation guard (wasm/backend.ts pairwiseSqDist) ----
/**
 * |x - y|^2 = |x|^2 + |y|^2 - 2 x.y from the row norms and the dot product; returns false when the
 * result is below `cancel` (|x|^2 + |y|^2) and must be recomputed directly (digits lost to
 * cancellation).
 */
PHYS_HD bool gemmSqDist(double nx, double ny, double dot, double cancel, double* out) {
  const double s = dadd(nx, ny);
  const double v = dsub(s, dmul(2.0, dot));
  if (v > dmul(cancel, s)) {
    *out = v;
    return true;
  }
  return false;
}

}  // namespace phys
