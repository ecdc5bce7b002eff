// CUDA kernels of @phys/backend-cuda. The per-element arithmetic comes from kernel_math.h (shared
// with the host launcher of the tests); this file holds the grids, reductions and tiled GEMM.
#include <cuda_runtime.h>

#include <climits>
#include <cstdint>

#include "kernel_math.h"
#include "kernels.h"

namespace {

constexpr int THREADS = 256;

__device__ __forceinline__ double load(PhysOperand o, long long i) {
  return o.f64 ? static_cast<const double*>(o.ptr)[i] : static_cast<double>(static_cast<const float*>(o.ptr)[i]);
}

__device__ __forceinline__ void store(void* out, int f64, long long i, double v) {
  if (f64) static_cast<double*>(out)[i] = v;
  else static_cast<float*>(out)[i] = static_cast<float>(v);
}

int gridFor(long long n) {
  long long g = (n + THREADS - 1) / THREADS;
  if (g > 65535LL * 32) g = 65535LL * 32;
  return static_cast<int>(g < 1 ? 1 : g);
}

int status() { return static_cast<int>(cudaGetLastError()); }

constexpr int MAX_TERMS = 16;
struct Terms {
  PhysOperand x[MAX_TERMS];
  int perRow[MAX_TERMS];
};

/** KC > 0: a fixed term count (coefficients and values stay in registers); KC = 0: K at run time. */
template <int KC>
__global__ void lincombKernel(void* out, int outF64, long long rows, long long rowSize, int mode, int K, Terms t, const double* coefs) {
  const int nk = KC > 0 ? KC : K;
  const long long n = rows * rowSize;
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < n; i += static_cast<long long>(gridDim.x) * blockDim.x) {
    const long long r = i / rowSize;
    double c[KC > 0 ? KC : MAX_TERMS], v[KC > 0 ? KC : MAX_TERMS];
#pragma unroll
    for (int k = 0; k < nk; k++) {
      c[k] = coefs[k * rows + (t.perRow[k] ? r : 0)];
      v[k] = load(t.x[k], i);
    }
    store(out, outF64, i, phys::lincombValue(mode, nk, c, v));
  }
}

__global__ void mulKernel(void* out, int outF64, PhysOperand x, PhysOperand y, long long n) {
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < n; i += static_cast<long long>(gridDim.x) * blockDim.x) {
    store(out, outF64, i, phys::dmul(load(x, i), load(y, i)));
  }
}

__global__ void castKernel(void* out, int outF64, PhysOperand x, long long n) {
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < n; i += static_cast<long long>(gridDim.x) * blockDim.x) {
    store(out, outF64, i, load(x, i));
  }
}

/** Sum of a block's values, valid in thread 0 (double tree reduction in shared memory). */
__device__ double blockSum(double v, double* sh) {
  sh[threadIdx.x] = v;
  __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s >>= 1) {
    if (threadIdx.x < s) sh[threadIdx.x] += sh[threadIdx.x + s];
    __syncthreads();
  }
  const double r = sh[0];
  __syncthreads();
  return r;
}

/** Max of a block's values ignoring NaN (the reference's `v > max` scan). */
__device__ double blockMax(double v, double* sh) {
  sh[threadIdx.x] = v;
  __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s >>= 1) {
    if (threadIdx.x < s) sh[threadIdx.x] = fmax(sh[threadIdx.x], sh[threadIdx.x + s]);
    __syncthreads();
  }
  const double r = sh[0];
  __syncthreads();
  return r;
}

__global__ void rowReduceKernel(double* out, PhysOperand x, PhysOperand y, long long rowSize) {
  __shared__ double sh[THREADS];
  const long long base = blockIdx.x * rowSize;
  double s = 0;
  for (long long j = threadIdx.x; j < rowSize; j += blockDim.x) {
    const double a = load(x, base + j);
    s += y.ptr ? a * load(y, base + j) : a;
  }
  s = blockSum(s, sh);
  if (threadIdx.x == 0) out[blockIdx.x] = s;
}

__global__ void nonFiniteKernel(unsigned long long* result, PhysOperand x, long long n) {
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < n; i += static_cast<long long>(gridDim.x) * blockDim.x) {
    if (!isfinite(load(x, i))) atomicMin(result, static_cast<unsigned long long>(i));
  }
}

__global__ void philoxKernel(void* out, int outF64, long long rows, long long rowSize, phys::PhiloxCall d, int normal) {
  const long long blocksPerRow = (rowSize + 3) / 4;
  const long long n = rows * blocksPerRow;
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < n; i += static_cast<long long>(gridDim.x) * blockDim.x) {
    const long long r = i / blocksPerRow;
    const long long b = i - r * blocksPerRow;
    double v[4];
    if (normal) {
      phys::normalBlock(d, static_cast<uint32_t>(r), static_cast<uint32_t>(b), v);
    } else {
      uint32_t w[4];
      phys::rowBlock(d, static_cast<uint32_t>(r), static_cast<uint32_t>(b), w);
      for (int q = 0; q < 4; q++) v[q] = phys::uniformOfWord(w[q], outF64 != 0);
    }
    for (int q = 0; q < 4 && 4 * b + q < rowSize; q++) store(out, outF64, r * rowSize + 4 * b + q, v[q]);
  }
}

__global__ void softmaxStatsKernel(const double* logits, double* stats, long long cols) {
  __shared__ double sh[THREADS];
  const double* row = logits + blockIdx.x * cols;
  double m = -INFINITY;
  for (long long j = threadIdx.x; j < cols; j += blockDim.x) m = fmax(m, row[j]);
  m = blockMax(m, sh);
  double s = 0;
  for (long long j = threadIdx.x; j < cols; j += blockDim.x) s += exp(row[j] - m);
  s = blockSum(s, sh);
  if (threadIdx.x == 0) {
    stats[2 * blockIdx.x] = m;
    stats[2 * blockIdx.x + 1] = s;
  }
}

__global__ void softmaxApplyKernel(double* logits, const double* stats, long long cols) {
  double* row = logits + blockIdx.x * cols;
  const double m = stats[2 * blockIdx.x];
  const double inv = 1.0 / stats[2 * blockIdx.x + 1];
  for (long long j = threadIdx.x; j < cols; j += blockDim.x) row[j] = exp(row[j] - m) * inv;
}

// ---- tiled GEMM: 64 x 64 tiles of C, depth 16, 256 threads with 4 x 4 outputs each ----
constexpr int TM = 64, TN = 64, TK = 16;

__device__ __forceinline__ float fmaT(float a, float b, float c) { return fmaf(a, b, c); }
__device__ __forceinline__ double fmaT(double a, double b, double c) { return fma(a, b, c); }

template <typename T>
__device__ __forceinline__ T elemA(const PhysGemm& g, long long i, long long p) {
  return static_cast<T>(load(g.a, i * g.sAi + p * g.sAp));
}
template <typename T>
__device__ __forceinline__ T elemB(const PhysGemm& g, long long p, long long j) {
  return static_cast<T>(load(g.b, p * g.sBp + j * g.sBj));
}

/** |x_i - y_j|^2 from the dot product, or (cancellation guard) the direct float64 sum of squared differences. */
__device__ double guardedDistance(const PhysGemm& g, long long i, long long j, double dot) {
  double d;
  if (phys::gemmSqDist(g.nx[i], g.ny[j], dot, g.cancel, &d)) return d;
  d = 0;
  for (long long p = 0; p < g.k; p++) {
    const double df = elemA<double>(g, i, p) - elemB<double>(g, p, j);
    d += df * df;
  }
  return d;
}

__global__ void distanceEpilogueKernel(PhysGemm g, PhysOperand dot) {
  const long long n = static_cast<long long>(g.m) * g.n;
  for (long long e = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; e < n; e += static_cast<long long>(gridDim.x) * blockDim.x) {
    const long long i = e / g.n, j = e - i * g.n;
    static_cast<double*>(g.c)[i * g.ldc + j] = guardedDistance(g, i, j, load(dot, e));
  }
}

template <typename T>
__global__ void __launch_bounds__(256) gemmKernel(PhysGemm g) {
  __shared__ T As[TK][TM + 1];
  __shared__ T Bs[TK][TN + 1];
  const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
  const long long i0 = static_cast<long long>(blockIdx.y) * TM, j0 = static_cast<long long>(blockIdx.x) * TN;
  T acc[4][4] = {};
  // Tile loads walk the unit-stride dimension fastest (coalesced for either transpose).
  const bool aAlongP = g.sAp == 1, bAlongJ = g.sBj == 1 || g.sBp != 1;
  for (int p0 = 0; p0 < g.k; p0 += TK) {
    for (int l = threadIdx.x; l < TM * TK; l += blockDim.x) {
      const int ii = aAlongP ? l / TK : l % TM, pp = aAlongP ? l % TK : l / TM;
      const long long i = i0 + ii, p = p0 + pp;
      As[pp][ii] = (i < g.m && p < g.k) ? elemA<T>(g, i, p) : T(0);
    }
    for (int l = threadIdx.x; l < TN * TK; l += blockDim.x) {
      const int jj = bAlongJ ? l % TN : l / TK, pp = bAlongJ ? l / TN : l % TK;
      const long long j = j0 + jj, p = p0 + pp;
      Bs[pp][jj] = (j < g.n && p < g.k) ? elemB<T>(g, p, j) : T(0);
    }
    __syncthreads();
#pragma unroll
    for (int pp = 0; pp < TK; pp++) {
      T a[4], b[4];
#pragma unroll
      for (int q = 0; q < 4; q++) {
        a[q] = As[pp][ty + 16 * q];
        b[q] = Bs[pp][tx + 16 * q];
      }
#pragma unroll
      for (int r = 0; r < 4; r++)
#pragma unroll
        for (int c = 0; c < 4; c++) acc[r][c] = fmaT(a[r], b[c], acc[r][c]);
    }
    __syncthreads();
  }
#pragma unroll
  for (int r = 0; r < 4; r++) {
    const long long i = i0 + ty + 16 * r;
    if (i >= g.m) continue;
#pragma unroll
    for (int c = 0; c < 4; c++) {
      const long long j = j0 + tx + 16 * c;
      if (j >= g.n) continue;
      const double dot = static_cast<double>(acc[r][c]);
      if (g.epilogue == 0) {
        store(g.c, g.cF64, i * g.ldc + j, dot);
        continue;
      }
      static_cast<double*>(g.c)[i * g.ldc + j] = guardedDistance(g, i, j, dot);
    }
  }
}

}  // namespace

extern "C" {

int physLincomb(void* stream, void* out, int outF64, int rows, long long rowSize, int mode, int K, const PhysOperand* xs,
                const double* coefs, const int* perRow) {
  if (K < 1 || K > MAX_TERMS) return static_cast<int>(cudaErrorInvalidValue);
  Terms t{};
  for (int k = 0; k < K; k++) {
    t.x[k] = xs[k];
    t.perRow[k] = perRow[k];
  }
  const long long n = static_cast<long long>(rows) * rowSize;
  if (n == 0) return 0;
  cudaStream_t s = static_cast<cudaStream_t>(stream);
  switch (K) {
    case 1: lincombKernel<1><<<gridFor(n), THREADS, 0, s>>>(out, outF64, rows, rowSize, mode, K, t, coefs); break;
    case 2: lincombKernel<2><<<gridFor(n), THREADS, 0, s>>>(out, outF64, rows, rowSize, mode, K, t, coefs); break;
    case 3: lincombKernel<3><<<gridFor(n), THREADS, 0, s>>>(out, outF64, rows, rowSize, mode, K, t, coefs); break;
    case 4: lincombKernel<4><<<gridFor(n), THREADS, 0, s>>>(out, outF64, rows, rowSize, mode, K, t, coefs); break;
    default: lincombKernel<0><<<gridFor(n), THREADS, 0, s>>>(out, outF64, rows, rowSize, mode, K, t, coefs);
  }
  return status();
}

int physMul(void* stream, void* out, int outF64, PhysOperand x, PhysOperand y, long long n) {
  if (n == 0) return 0;
  mulKernel<<<gridFor(n), THREADS, 0, static_cast<cudaStream_t>(stream)>>>(out, outF64, x, y, n);
  return status();
}

int physCast(void* stream, void* out, int outF64, PhysOperand src, long long n) {
  if (n == 0) return 0;
  castKernel<<<gridFor(n), THREADS, 0, static_cast<cudaStream_t>(stream)>>>(out, outF64, src, n);
  return status();
}

int physRowReduce(void* stream, double* out, PhysOperand x, PhysOperand y, int rows, long long rowSize) {
  if (rows == 0) return 0;
  rowReduceKernel<<<rows, THREADS, 0, static_cast<cudaStream_t>(stream)>>>(out, x, y, rowSize);
  return status();
}

int physFirstNonFinite(void* stream, unsigned long long* result, PhysOperand x, long long n) {
  cudaStream_t s = static_cast<cudaStream_t>(stream);
  cudaError_t e = cudaMemsetAsync(result, 0xff, sizeof(unsigned long long), s);
  if (e != cudaSuccess || n == 0) return static_cast<int>(e);
  nonFiniteKernel<<<gridFor(n), THREADS, 0, s>>>(result, x, n);
  return status();
}

int physPhilox(void* stream, void* out, int outF64, int rows, long long rowSize, uint32_t key0, uint32_t key1, uint32_t call,
               uint32_t sampleOffset, uint32_t streamWord, int normal) {
  const long long n = static_cast<long long>(rows) * ((rowSize + 3) / 4);
  if (n == 0) return 0;
  const phys::PhiloxCall d{key0, key1, call, sampleOffset, streamWord};
  philoxKernel<<<gridFor(n), THREADS, 0, static_cast<cudaStream_t>(stream)>>>(out, outF64, rows, rowSize, d, normal);
  return status();
}

int physSoftmaxStats(void* stream, const double* logits, double* stats, int rows, long long cols) {
  if (rows == 0) return 0;
  softmaxStatsKernel<<<rows, THREADS, 0, static_cast<cudaStream_t>(stream)>>>(logits, stats, cols);
  return status();
}

int physSoftmaxApply(void* stream, double* logits, const double* stats, int rows, long long cols) {
  if (rows == 0) return 0;
  softmaxApplyKernel<<<rows, THREADS, 0, static_cast<cudaStream_t>(stream)>>>(logits, stats, cols);
  return status();
}

int physGemm(void* stream, const PhysGemm* g) {
  if (g->m == 0 || g->n == 0) return 0;
  const dim3 grid((g->n + TN - 1) / TN, (g->m + TM - 1) / TM);
  if (grid.y > 65535) return static_cast<int>(cudaErrorInvalidConfiguration);
  cudaStream_t s = static_cast<cudaStream_t>(stream);
  if (g->exact) gemmKernel<double><<<grid, 256, 0, s>>>(*g);
  else gemmKernel<float><<<grid, 256, 0, s>>>(*g);
  return status();
}

int physDistanceEpilogue(void* stream, const void* dot, int dotF64, const PhysGemm* g) {
  const long long n = static_cast<long long>(g->m) * g->n;
  if (n == 0) return 0;
  distanceEpilogueKernel<<<gridFor(n), THREADS, 0, static_cast<cudaStream_t>(stream)>>>(*g, PhysOperand{dot, dotF64});
  return status();
}
}
