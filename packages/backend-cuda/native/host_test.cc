// Host launcher of the device arithmetic: runs the __host__ __device__ functions of kernel_math.h
// over whole arrays in the order the kernels of kernels.cu apply them, for the bit-exactness tests
// (test/host-math.test.ts builds it with g++ and compares against the TypeScript reference).
//
// Protocol (stdin, one request per line; doubles travel as 16 hex digits of their IEEE bits,
// outputs are the same, one line per request, space-separated):
//   philox c0 c1 c2 c3 k0 k1                      -> 4 words (decimal)
//   log w | sincos w                              -> logUniform32(w) | cos, sin of 2 pi u(w)
//   normal key0 key1 call offset stream rows rowSize f64  -> rows*rowSize normals (stored dtype)
//   uniform key0 key1 call offset stream rows rowSize f64 -> rows*rowSize uniforms (stored dtype)
//   lincomb mode K rows rowSize f64 perRow... coefs... values... -> rows*rowSize outputs
//   dist nx ny dot cancel                         -> the distance, or "direct"
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "kernel_math.h"

using namespace phys;

static double fromHex(const std::string& h) {
  uint64_t bits = std::stoull(h, nullptr, 16);
  double d;
  std::memcpy(&d, &bits, sizeof d);
  return d;
}

static void putHex(double d) {
  uint64_t bits;
  std::memcpy(&bits, &d, sizeof d);
  std::printf("%016llx ", static_cast<unsigned long long>(bits));
}

/** The value as stored in a tensor of the dtype (float32 rounds to nearest), widened back. */
static double stored(double v, bool f64) { return f64 ? v : static_cast<double>(static_cast<float>(v)); }

static PhiloxCall readCall(std::istringstream& in) {
  PhiloxCall d{};
  in >> d.key0 >> d.key1 >> d.call >> d.sampleOffset >> d.stream;
  return d;
}

int main() {
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream in(line);
    std::string op;
    in >> op;
    if (op == "philox") {
      uint32_t c[4], k0, k1, out[4];
      in >> c[0] >> c[1] >> c[2] >> c[3] >> k0 >> k1;
      philox4x32(c[0], c[1], c[2], c[3], k0, k1, out);
      std::printf("%u %u %u %u ", out[0], out[1], out[2], out[3]);
    } else if (op == "log") {
      uint32_t w;
      in >> w;
      putHex(logUniform32(w));
    } else if (op == "sincos") {
      uint32_t w;
      in >> w;
      double c, s;
      sinCos2Pi32(w, &c, &s);
      putHex(c);
      putHex(s);
    } else if (op == "normal" || op == "uniform") {
      const PhiloxCall d = readCall(in);
      uint32_t rows, rs;
      int f64;
      in >> rows >> rs >> f64;
      for (uint32_t r = 0; r < rows; r++) {
        // the kernels' grid: one thread per (row, Philox block) writes the block's values < rowSize
        for (uint32_t b = 0; 4 * b < rs; b++) {
          double v[4];
          if (op == "normal") {
            normalBlock(d, r, b, v);
          } else {
            uint32_t w[4];
            rowBlock(d, r, b, w);
            for (int q = 0; q < 4; q++) v[q] = uniformOfWord(w[q], f64 != 0);
          }
          for (uint32_t q = 0; q < 4 && 4 * b + q < rs; q++) putHex(stored(v[q], f64 != 0));
        }
      }
    } else if (op == "lincomb") {
      int mode, K, f64;
      uint32_t rows, rs;
      in >> mode >> K >> rows >> rs >> f64;
      std::vector<int> perRow(K);
      for (int k = 0; k < K; k++) in >> perRow[k];
      std::vector<std::vector<double>> coefs(K), values(K);
      std::string h;
      for (int k = 0; k < K; k++) {
        coefs[k].resize(perRow[k] ? rows : 1);
        for (auto& c : coefs[k]) { in >> h; c = fromHex(h); }
      }
      for (int k = 0; k < K; k++) {
        values[k].resize(static_cast<size_t>(rows) * rs);
        for (auto& v : values[k]) { in >> h; v = fromHex(h); }
      }
      double c[16], v[16];
      for (uint32_t r = 0; r < rows; r++) {
        for (int k = 0; k < K; k++) c[k] = coefs[k][perRow[k] ? r : 0];
        for (uint32_t j = 0; j < rs; j++) {
          for (int k = 0; k < K; k++) v[k] = values[k][static_cast<size_t>(r) * rs + j];
          putHex(stored(lincombValue(mode, K, c, v), f64 != 0));
        }
      }
    } else if (op == "dist") {
      std::string a, b, c, e;
      in >> a >> b >> c >> e;
      double out;
      if (gemmSqDist(fromHex(a), fromHex(b), fromHex(c), fromHex(e), &out)) putHex(out);
      else std::printf("direct ");
    } else {
      std::fprintf(stderr, "unknown request: %s\n", op.c_str());
      return 2;
    }
    std::printf("\n");
  }
  return 0;
}
