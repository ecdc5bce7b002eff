// Node-API layer of @phys/backend-cuda: device discovery, stream-ordered device memory, host <->
// device copies and the kernel launchers of kernels.cu. Device addresses cross into JavaScript as
// numbers (checked to be below 2^53); the JavaScript wrapper (src/backend.ts) owns their lifetime.
//
// The CUDA runtime is linked statically and loads the driver (libcuda.so.1) only when first used,
// so this addon loads on machines without a driver and `probe()` reports why CUDA is unusable.
#include <cuda_runtime_api.h>
#include <dlfcn.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <napi.h>

#include "kernels.h"

namespace {

constexpr double MAX_SAFE = 9007199254740992.0;  // 2^53

struct State {
  bool ready = false;
  int device = -1;
  cudaStream_t stream = nullptr;
};
State g;

void check(cudaError_t e, const char* what, Napi::Env env) {
  if (e != cudaSuccess) {
    throw Napi::Error::New(env, std::string("CUDA error in ") + what + ": " + cudaGetErrorName(e) + " (" + cudaGetErrorString(e) + ")");
  }
}
void check(int e, const char* what, Napi::Env env) { check(static_cast<cudaError_t>(e), what, env); }

void requireReady(Napi::Env env) {
  if (!g.ready) throw Napi::Error::New(env, "the CUDA backend is not initialised (call init first)");
}

void* ptrArg(const Napi::CallbackInfo& info, size_t i) {
  const double v = info[i].As<Napi::Number>().DoubleValue();
  return reinterpret_cast<void*>(static_cast<uintptr_t>(v));
}
long long intArg(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Number>().Int64Value(); }
double numArg(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Number>().DoubleValue(); }
PhysOperand operandArg(const Napi::CallbackInfo& info, size_t i) {
  return PhysOperand{ptrArg(info, i), static_cast<int>(intArg(info, i + 1))};
}

/**
 * Pinned host + device staging slots for small per-call data (coefficients in, reductions out).
 * A slot is reused only after the event recorded behind its last use has completed, so copies
 * stay asynchronous.
 */
struct Slot {
  void* host = nullptr;
  void* dev = nullptr;
  size_t cap = 0;
  cudaEvent_t done = nullptr;
  bool pending = false;
};
std::vector<Slot> slots(16);
size_t nextSlot = 0;

Slot& acquire(size_t bytes, Napi::Env env) {
  Slot& s = slots[nextSlot++ % slots.size()];
  if (!s.done) check(cudaEventCreateWithFlags(&s.done, cudaEventDisableTiming), "cudaEventCreate", env);
  if (s.pending) check(cudaEventSynchronize(s.done), "cudaEventSynchronize", env);
  s.pending = false;
  if (s.cap < bytes) {
    size_t cap = 1 << 16;
    while (cap < bytes) cap <<= 1;
    if (s.host) check(cudaFreeHost(s.host), "cudaFreeHost", env);
    if (s.dev) check(cudaFree(s.dev), "cudaFree", env);
    s.host = s.dev = nullptr;
    s.cap = 0;
    check(cudaMallocHost(&s.host, cap), "cudaMallocHost", env);
    check(cudaMalloc(&s.dev, cap), "cudaMalloc", env);
    s.cap = cap;
  }
  return s;
}
void release(Slot& s, Napi::Env env) {
  check(cudaEventRecord(s.done, g.stream), "cudaEventRecord", env);
  s.pending = true;
}

/** Copies `bytes` of a slot's device side back to the host and waits for the stream. */
void readBack(Slot& s, size_t bytes, Napi::Env env) {
  check(cudaMemcpyAsync(s.host, s.dev, bytes, cudaMemcpyDeviceToHost, g.stream), "cudaMemcpyAsync", env);
  check(cudaStreamSynchronize(g.stream), "cudaStreamSynchronize", env);
}

// ---- optional cuBLAS, loaded at run time (its types declared here: no cuBLAS headers needed) ----

using BlasCreate = int (*)(void**);
using BlasSetStream = int (*)(void*, cudaStream_t);
using BlasSgemm = int (*)(void*, int, int, int, int, int, const float*, const float*, int, const float*, int, const float*, float*, int);
using BlasDgemm = int (*)(void*, int, int, int, int, int, const double*, const double*, int, const double*, int, const double*, double*, int);
struct Blas {
  void* handle = nullptr;
  std::string path;
  BlasSgemm sgemm = nullptr;
  BlasDgemm dgemm = nullptr;
};
Blas blas;
/** Products below this many multiply-adds stay on the tiled kernels. */
constexpr double BLAS_MIN_WORK = 1 << 22;

/** Tries each library name in turn; keeps the first that loads and creates a handle. */
std::string loadBlas(const std::vector<std::string>& candidates) {
  std::string errors;
  for (const std::string& name : candidates) {
    void* lib = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
      const char* e = dlerror();
      errors += name + ": " + (e ? e : "not found") + "; ";
      continue;
    }
    auto create = reinterpret_cast<BlasCreate>(dlsym(lib, "cublasCreate_v2"));
    auto setStream = reinterpret_cast<BlasSetStream>(dlsym(lib, "cublasSetStream_v2"));
    auto sgemm = reinterpret_cast<BlasSgemm>(dlsym(lib, "cublasSgemm_v2"));
    auto dgemm = reinterpret_cast<BlasDgemm>(dlsym(lib, "cublasDgemm_v2"));
    void* handle = nullptr;
    if (!create || !setStream || !sgemm || !dgemm || create(&handle) != 0 || setStream(handle, g.stream) != 0) {
      errors += name + ": loaded but unusable; ";
      continue;  // the library stays loaded: unloading cuBLAS while it may hold state is unsafe
    }
    blas.handle = handle;
    blas.path = name;
    blas.sgemm = sgemm;
    blas.dgemm = dgemm;
    return "";
  }
  return errors.empty() ? "no candidates" : errors;
}

/**
 * C = A B through cuBLAS when both operands have a unit stride: float64 (Dgemm, operands widened
 * to float64 first) when exact, else float32 (Sgemm). Row-major C = A B is column-major
 * C^T = op(B) op(A). The distance epilogue and dtype conversions run as separate kernels.
 */
bool blasGemm(const PhysGemm& gm, Napi::Env env) {
  int opB, opA;
  long long ldb, lda;
  if (gm.sBj == 1) { opB = 0; ldb = gm.sBp; } else if (gm.sBp == 1) { opB = 1; ldb = gm.sBj; } else return false;
  if (gm.sAp == 1) { opA = 0; lda = gm.sAi; } else if (gm.sAi == 1) { opA = 1; lda = gm.sAp; } else return false;
  if (gm.ldc != gm.n || lda > INT32_MAX || ldb > INT32_MAX) return false;
  const int want64 = gm.exact ? 1 : 0;
  const size_t es = want64 ? 8 : 4;
  std::vector<void*> temps;
  auto temp = [&](size_t elems) {
    void* p = nullptr;
    check(cudaMallocAsync(&p, elems * es, g.stream), "cuBLAS temporary", env);
    temps.push_back(p);
    return p;
  };
  auto asType = [&](PhysOperand o, size_t extent) -> const void* {
    if (o.f64 == want64) return o.ptr;
    void* t = temp(extent);
    check(physCast(g.stream, t, want64, o, static_cast<long long>(extent)), "cuBLAS operand", env);
    return t;
  };
  const size_t m = gm.m, n = gm.n, k = gm.k;
  const void* A = asType(gm.a, (m - 1) * gm.sAi + (k - 1) * gm.sAp + 1);
  const void* B = asType(gm.b, (k - 1) * gm.sBp + (n - 1) * gm.sBj + 1);
  const bool direct = gm.epilogue == 0 && gm.cF64 == want64;
  void* C = direct ? gm.c : temp(m * n);
  int st;
  if (want64) {
    const double one = 1, zero = 0;
    st = blas.dgemm(blas.handle, opB, opA, gm.n, gm.m, gm.k, &one, static_cast<const double*>(B), static_cast<int>(ldb), static_cast<const double*>(A),
                    static_cast<int>(lda), &zero, static_cast<double*>(C), gm.n);
  } else {
    const float one = 1, zero = 0;
    st = blas.sgemm(blas.handle, opB, opA, gm.n, gm.m, gm.k, &one, static_cast<const float*>(B), static_cast<int>(ldb), static_cast<const float*>(A),
                    static_cast<int>(lda), &zero, static_cast<float*>(C), gm.n);
  }
  if (st != 0) throw Napi::Error::New(env, "cuBLAS gemm failed with status " + std::to_string(st));
  if (gm.epilogue == 1) check(physDistanceEpilogue(g.stream, C, want64, &gm), "distance epilogue", env);
  else if (!direct) check(physCast(g.stream, gm.c, gm.cF64, PhysOperand{C, want64}, static_cast<long long>(m * n)), "gemm output", env);
  for (void* t : temps) check(cudaFreeAsync(t, g.stream), "cudaFreeAsync", env);
  return true;
}

/** cublas(candidates: string[]) -> the library in use, or { error } (idempotent once loaded). */
Napi::Value Cublas(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  requireReady(env);
  Napi::Object out = Napi::Object::New(env);
  if (!blas.handle) {
    Napi::Array a = info[0].As<Napi::Array>();
    std::vector<std::string> names;
    for (uint32_t i = 0; i < a.Length(); i++) names.push_back(a.Get(i).As<Napi::String>().Utf8Value());
    const std::string why = loadBlas(names);
    if (!why.empty()) {
      out.Set("error", why);
      return out;
    }
  }
  out.Set("path", blas.path);
  return out;
}

// ---- discovery ----

Napi::Value Probe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  int runtime = 0;
  cudaRuntimeGetVersion(&runtime);
  out.Set("runtimeVersion", runtime);
  void* driver = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!driver) {
    const char* why = dlerror();
    out.Set("driver", false);
    out.Set("error", std::string("libcuda.so.1 could not be loaded: ") + (why ? why : "unknown reason"));
    return out;
  }
  out.Set("driver", true);
  int driverVersion = 0;
  cudaDriverGetVersion(&driverVersion);
  out.Set("driverVersion", driverVersion);
  int count = 0;
  const cudaError_t e = cudaGetDeviceCount(&count);
  Napi::Array devices = Napi::Array::New(env);
  if (e != cudaSuccess) {
    out.Set("error", std::string(cudaGetErrorName(e)) + ": " + cudaGetErrorString(e));
    out.Set("errorCode", static_cast<int>(e));
    count = 0;
  }
  for (int d = 0; d < count; d++) {
    cudaDeviceProp p{};
    if (cudaGetDeviceProperties(&p, d) != cudaSuccess) continue;
    Napi::Object o = Napi::Object::New(env);
    o.Set("ordinal", d);
    o.Set("name", std::string(p.name));
    o.Set("major", p.major);
    o.Set("minor", p.minor);
    o.Set("totalMemory", static_cast<double>(p.totalGlobalMem));
    o.Set("multiProcessors", p.multiProcessorCount);
    devices.Set(devices.Length(), o);
  }
  out.Set("devices", devices);
  return out;
}

Napi::Value Init(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int device = static_cast<int>(intArg(info, 0));
  if (g.ready) {
    if (device != g.device) throw Napi::Error::New(env, "the CUDA backend is already initialised on another device");
    return env.Undefined();
  }
  check(cudaSetDevice(device), "cudaSetDevice", env);
  check(cudaStreamCreateWithFlags(&g.stream, cudaStreamNonBlocking), "cudaStreamCreate", env);
  cudaMemPool_t pool;
  if (cudaDeviceGetDefaultMemPool(&pool, device) == cudaSuccess) {
    // keep freed blocks in the pool: stream-ordered reuse without returning memory to the driver
    uint64_t keep = UINT64_MAX;
    cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &keep);
  }
  g.device = device;
  g.ready = true;
  return env.Undefined();
}

// ---- memory ----

Napi::Value Alloc(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  requireReady(env);
  size_t bytes = static_cast<size_t>(intArg(info, 0));
  void* p = nullptr;
  check(cudaMallocAsync(&p, bytes < 16 ? 16 : bytes, g.stream), "cudaMallocAsync", env);
  const uintptr_t a = reinterpret_cast<uintptr_t>(p);
  if (static_cast<double>(a) >= MAX_SAFE) {
    cudaFreeAsync(p, g.stream);
    throw Napi::Error::New(env, "device address above 2^53 cannot be represented");
  }
  return Napi::Number::New(env, static_cast<double>(a));
}

Napi::Value Free(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (g.ready) check(cudaFreeAsync(ptrArg(info, 0), g.stream), "cudaFreeAsync", env);
  return env.Undefined();
}

/**
 * upload(dst, typedArray): host -> device. From pageable memory the runtime stages the data before
 * the call returns, so the host array may change at once.
 */
Napi::Value Upload(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  requireReady(env);
  Napi::TypedArray t = info[1].As<Napi::TypedArray>();
  const uint8_t* src = static_cast<const uint8_t*>(t.ArrayBuffer().Data()) + t.ByteOffset();
  check(cudaMemcpyAsync(ptrArg(info, 0), src, t.ByteLength(), cudaMemcpyHostToDevice, g.stream), "upload", env);
  return env.Undefined();
}

/** download(src, typedArray): waits for the stream, then device -> host. */
Napi::Value Download(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  requireReady(env);
  Napi::TypedArray t = info[1].As<Napi::TypedArray>();
  uint8_t* dst = static_cast<uint8_t*>(t.ArrayBuffer().Data()) + t.ByteOffset();
  check(cudaMemcpyAsync(dst, ptrArg(info, 0), t.ByteLength(), cudaMemcpyDeviceToHost, g.stream), "download", env);
  check(cudaStreamSynchronize(g.stream), "download", env);
  return env.Undefined();
}

/** copy(dst, src, bytes): device -> device, asynchronous. */
Napi::Value Copy(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  requireReady(env);
  check(cudaMemcpyAsync(ptrArg(info, 0), ptrArg(info, 1), static_cast<size_t>(intArg(info, 2)), cudaMemcpyDeviceToDevice, g.stream), "copy", env);
  return env.Undefined();
}

/** zero(addr, bytes): asynchronous memset to 0 (0.0 in float32 and float64). */
Napi::Value Zero(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  requireReady(env);
  check(cudaMemsetAsync(ptrArg(info, 0), 0, static_cast<size_t>(intArg(info, 1)), g.stream), "zero", env);
  return env.Undefined();
}

Napi::Value Sync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  requireReady(env);
  check(cudaStreamSynchronize(g.stream), "cudaStreamSynchronize", env);
  return env.Undefined();
}

// ---- operations ----

/** lincomb(out, outF64, rows, rowSize, mode, addrs[], f64s[], perRow[], coefs: Float64Array [K * rows]) */
Napi::Value Lincomb(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  requireReady(env);
  const int rows = static_cast<int>(intArg(info, 2));
  Napi::Array addrs = info[5].As<Napi::Array>(), f64s = info[6].As<Napi::Array>(), per = info[7].As<Napi::Array>();
  Napi::Float64Array coefs = info[8].As<Napi::Float64Array>();
  const int K = static_cast<int>(addrs.Length());
  std::vector<PhysOperand> xs(K);
  std::vector<int> perRow(K);
  for (int k = 0; k < K; k++) {
    xs[k] = PhysOperand{reinterpret_cast<void*>(static_cast<uintptr_t>(addrs.Get(k).As<Napi::Number>().DoubleValue())),
                        static_cast<int>(f64s.Get(k).As<Napi::Number>().Int32Value())};
    perRow[k] = per.Get(k).As<Napi::Number>().Int32Value();
  }
  const size_t bytes = coefs.ByteLength();
  Slot& s = acquire(bytes, env);
  std::memcpy(s.host, coefs.Data(), bytes);
  check(cudaMemcpyAsync(s.dev, s.host, bytes, cudaMemcpyHostToDevice, g.stream), "lincomb coefficients", env);
  check(physLincomb(g.stream, ptrArg(info, 0), static_cast<int>(intArg(info, 1)), rows, intArg(info, 3), static_cast<int>(intArg(info, 4)), K,
                    xs.data(), static_cast<const double*>(s.dev), perRow.data()),
        "lincomb", env);
  release(s, env);
  return env.Undefined();
}

/** mul(out, outF64, x, xF64, y, yF64, n) */
Napi::Value Mul(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  requireReady(env);
  check(physMul(g.stream, ptrArg(info, 0), static_cast<int>(intArg(info, 1)), operandArg(info, 2), operandArg(info, 4), intArg(info, 6)), "mul", env);
  return env.Undefined();
}

/** cast(out, outF64, src, srcF64, n) */
Napi::Value Cast(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  requireReady(env);
  check(physCast(g.stream, ptrArg(info, 0), static_cast<int>(intArg(info, 1)), operandArg(info, 2), intArg(info, 4)), "cast", env);
  return env.Undefined();
}

/**
 * rowReduce(x, xF64, y (0 for a plain sum), yF64, rows, rowSize, out): float64 row sums or row dot
 * products into the device address `out`, asynchronously; with out = 0 returned as a Float64Array
 * after waiting for the stream.
 */
Napi::Value RowReduce(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  requireReady(env);
  const int rows = static_cast<int>(intArg(info, 4));
  double* dst = static_cast<double*>(ptrArg(info, 6));
  if (dst) {
    check(physRowReduce(g.stream, dst, operandArg(info, 0), operandArg(info, 2), rows, intArg(info, 5)), "rowReduce", env);
    return env.Undefined();
  }
  Napi::Float64Array out = Napi::Float64Array::New(env, rows);
  if (rows == 0) return out;
  Slot& s = acquire(rows * sizeof(double), env);
  check(physRowReduce(g.stream, static_cast<double*>(s.dev), operandArg(info, 0), operandArg(info, 2), rows, intArg(info, 5)), "rowReduce", env);
  readBack(s, rows * sizeof(double), env);
  std::memcpy(out.Data(), s.host, rows * sizeof(double));
  return out;
}

/** firstNonFinite(x, xF64, n) -> index or -1, waits for the stream. */
Napi::Value FirstNonFinite(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  requireReady(env);
  Slot& s = acquire(sizeof(unsigned long long), env);
  check(physFirstNonFinite(g.stream, static_cast<unsigned long long*>(s.dev), operandArg(info, 0), intArg(info, 2)), "firstNonFinite", env);
  readBack(s, sizeof(unsigned long long), env);
  unsigned long long r;
  std::memcpy(&r, s.host, sizeof r);
  return Napi::Number::New(env, r == ~0ULL ? -1.0 : static_cast<double>(r));
}

/** philox(out, outF64, rows, rowSize, key0, key1, call, sampleOffset, stream, normal) */
Napi::Value Philox(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  requireReady(env);
  auto u32 = [&](size_t i) { return info[i].As<Napi::Number>().Uint32Value(); };
  check(physPhilox(g.stream, ptrArg(info, 0), static_cast<int>(intArg(info, 1)), static_cast<int>(intArg(info, 2)), intArg(info, 3), u32(4), u32(5),
                   u32(6), u32(7), u32(8), static_cast<int>(intArg(info, 9))),
        "philox", env);
  return env.Undefined();
}

/**
 * softmax(logits, rows, cols) -> Float64Array of [max, sum] per row. Rows before the first row
 * without a finite logit are normalised in place (the reference throws there after normalising
 * the rows before it); waits for the stream.
 */
Napi::Value Softmax(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  requireReady(env);
  double* logits = static_cast<double*>(ptrArg(info, 0));
  const int rows = static_cast<int>(intArg(info, 1));
  const long long cols = intArg(info, 2);
  Napi::Float64Array out = Napi::Float64Array::New(env, 2 * static_cast<size_t>(rows));
  if (rows == 0) return out;
  const size_t bytes = 2 * sizeof(double) * rows;
  Slot& s = acquire(bytes, env);
  check(physSoftmaxStats(g.stream, logits, static_cast<double*>(s.dev), rows, cols), "softmax", env);
  readBack(s, bytes, env);
  std::memcpy(out.Data(), s.host, bytes);
  int good = 0;
  while (good < rows && out[2 * good] > -INFINITY) good++;  // NaN or -Infinity: no finite logit
  check(physSoftmaxApply(g.stream, logits, static_cast<const double*>(s.dev), good, cols), "softmax", env);
  release(s, env);
  return out;
}

/** gemm(a, aF64, sAi, sAp, b, bF64, sBp, sBj, m, n, k, c, cF64, ldc, exact, epilogue, nx, ny, cancel, useCublas) */
Napi::Value Gemm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  requireReady(env);
  PhysGemm gm{};
  gm.a = operandArg(info, 0);
  gm.sAi = intArg(info, 2);
  gm.sAp = intArg(info, 3);
  gm.b = operandArg(info, 4);
  gm.sBp = intArg(info, 6);
  gm.sBj = intArg(info, 7);
  gm.m = static_cast<int>(intArg(info, 8));
  gm.n = static_cast<int>(intArg(info, 9));
  gm.k = static_cast<int>(intArg(info, 10));
  gm.c = ptrArg(info, 11);
  gm.cF64 = static_cast<int>(intArg(info, 12));
  gm.ldc = intArg(info, 13);
  gm.exact = static_cast<int>(intArg(info, 14));
  gm.epilogue = static_cast<int>(intArg(info, 15));
  gm.nx = static_cast<const double*>(ptrArg(info, 16));
  gm.ny = static_cast<const double*>(ptrArg(info, 17));
  gm.cancel = numArg(info, 18);
  const bool useBlas = intArg(info, 19) != 0 && blas.handle && static_cast<double>(gm.m) * gm.n * gm.k >= BLAS_MIN_WORK;
  if (useBlas && blasGemm(gm, env)) return env.Undefined();
  check(physGemm(g.stream, &gm), "gemm", env);
  return env.Undefined();
}

Napi::Object Module(Napi::Env env, Napi::Object exports) {
  exports.Set("probe", Napi::Function::New(env, Probe));
  exports.Set("init", Napi::Function::New(env, Init));
  exports.Set("alloc", Napi::Function::New(env, Alloc));
  exports.Set("free", Napi::Function::New(env, Free));
  exports.Set("upload", Napi::Function::New(env, Upload));
  exports.Set("download", Napi::Function::New(env, Download));
  exports.Set("copy", Napi::Function::New(env, Copy));
  exports.Set("zero", Napi::Function::New(env, Zero));
  exports.Set("sync", Napi::Function::New(env, Sync));
  exports.Set("lincomb", Napi::Function::New(env, Lincomb));
  exports.Set("mul", Napi::Function::New(env, Mul));
  exports.Set("cast", Napi::Function::New(env, Cast));
  exports.Set("rowReduce", Napi::Function::New(env, RowReduce));
  exports.Set("firstNonFinite", Napi::Function::New(env, FirstNonFinite));
  exports.Set("philox", Napi::Function::New(env, Philox));
  exports.Set("softmax", Napi::Function::New(env, Softmax));
  exports.Set("gemm", Napi::Function::New(env, Gemm));
  exports.Set("cublas", Napi::Function::New(env, Cublas));
  return exports;
}

}  // namespace

NODE_API_MODULE(phys_backend_cuda, Module)
