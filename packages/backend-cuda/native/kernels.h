// Launchers of the CUDA kernels (kernels.cu) for the Node-API layer (addon.cc). Plain C types only:
// addon.cc is compiled by g++ without the CUDA compiler. Every launcher enqueues on `stream` and
// returns the cudaError_t of the launch as an int (0 = success); none synchronises.
#pragma once
#include <cstdint>

extern "C" {

/** A device operand: its address and whether it holds float64 (else float32) values. */
struct PhysOperand {
  const void* ptr;
  int f64;
};

/** out[r, j] = sum_k coef[k][r or 0] x_k[r, j] (mode: LincombMode of kernel_math.h); coefs is [K][rows] float64 on the device, perRow[k] says whether term k has one coefficient per row. */
int physLincomb(void* stream, void* out, int outF64, int rows, long long rowSize, int mode, int K, const PhysOperand* xs,
                const double* coefs, const int* perRow);

/** out = x * y elementwise. */
int physMul(void* stream, void* out, int outF64, PhysOperand x, PhysOperand y, long long n);

/** out[i] = (double or float) src[i]. */
int physCast(void* stream, void* out, int outF64, PhysOperand src, long long n);

/** out[r] = sum_j x[r, j] (y.ptr == nullptr) or sum_j x[r, j] y[r, j], float64. */
int physRowReduce(void* stream, double* out, PhysOperand x, PhysOperand y, int rows, long long rowSize);

/** Index of the first non-finite element into *result (ULLONG_MAX when none; the launcher sets it first). */
int physFirstNonFinite(void* stream, unsigned long long* result, PhysOperand x, long long n);

/** Normals (normal != 0) or uniforms of one Philox draw call into out [rows, rowSize]. */
int physPhilox(void* stream, void* out, int outF64, int rows, long long rowSize, uint32_t key0, uint32_t key1, uint32_t call,
               uint32_t sampleOffset, uint32_t streamWord, int normal);

/** Per-row max (skipping NaN) and sum of exp(v - max) of a float64 [rows, cols] matrix into stats[2r], stats[2r + 1]. */
int physSoftmaxStats(void* stream, const double* logits, double* stats, int rows, long long cols);

/** Rows [0, rows) of logits <- exp(v - max) * (1 / sum), from the stats. */
int physSoftmaxApply(void* stream, double* logits, const double* stats, int rows, long long cols);

/**
 * C[i, j] = sum_p A(i, p) B(p, j) with A(i, p) = A[i sAi + p sAp] and B(p, j) = B[p sBp + j sBj],
 * accumulated in float64 (exact != 0: float32 products are exact, sums in float64) or in float32
 * with fused multiply-adds. epilogue 0 stores C into `c` (row stride ldc, its dtype); epilogue 1 is
 * the distance: C[i, j] = |x_i|^2 + |y_j|^2 - 2 C unless below cancel (|x_i|^2 + |y_j|^2), then the
 * direct sum over the rows x_i = A(i, .), y_j = B(., j)^T (stored float64).
 */
struct PhysGemm {
  PhysOperand a;
  long long sAi, sAp;
  PhysOperand b;
  long long sBp, sBj;
  int m, n, k;
  void* c;
  int cF64;
  long long ldc;
  int exact;
  int epilogue;
  const double* nx;
  const double* ny;
  double cancel;
};
int physGemm(void* stream, const PhysGemm* g);

/**
 * The distance epilogue of physGemm over precomputed dot products: `dot` is a row-major [m, n]
 * matrix (float64 when dotF64, else float32, row stride n) of A(i, .) . B(., j); writes the guarded
 * distances to g->c as physGemm with epilogue 1 does.
 */
int physDistanceEpilogue(void* stream, const void* dot, int dotF64, const PhysGemm* g);
}
