// The reference suite of the Backend interface: every backend must pass it unchanged. It runs in
// this package against CpuBackend and WasmBackend (test/cpu.test.ts) and in @phys/onnx against the
// WebAssembly backend with onnxruntime's GEMM engine (test/gemm.test.ts).
import { type Backend, PhiloxRng, ShapeError, Tensor, philox4x32 } from '../src/index.js';
import { boxMuller } from '../src/normal-math.js';

const rng = new PhiloxRng(3);

function naiveMatmul(a: ArrayLike<number>, b: ArrayLike<number>, m: number, k: number, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let p = 0; p < k; p++) s += a[i * k + p]! * b[p * n + j]!;
    out.push(s);
  }
  return out;
}

/** Registers the reference cases for each `[name, backend]` (give fast backends `minElements: 0` so the small cases reach their kernels). */
export function referenceSuite(backends: [string, Backend][]): void {
  describe.each(backends)('%s', (_name, be) => {
    it('fuses linear combinations with scalar and per-row coefficients', () => {
      const x = Tensor.from([1, 2, 3, 4], [2, 2]);
      const y = Tensor.from([10, 20, 30, 40], [2, 2]);
      const z = Tensor.from([100, 100, 100, 100], [2, 2]);
      expect(Array.from(be.axpby(2, x, 0.5, y).data)).toEqual([7, 14, 21, 28]);
      expect(Array.from(be.lincomb([[Float64Array.of(1, -1), x], [1, y], [0.01, z]]).data)).toEqual([12, 23, 28, 37]);
      expect(Array.from(be.lincomb([[1, x], [1, x], [1, x], [1, x]]).data)).toEqual([4, 8, 12, 16]);
      const out = x.clone();
      be.axpby(1, out, 1, y, out);
      expect(Array.from(out.data)).toEqual([11, 22, 33, 44]);
      expect(() => be.axpby(1, x, 1, Tensor.zeros([4]))).toThrow(ShapeError);
      expect(() => be.scaleRows(x, Float64Array.of(1, 2, 3))).toThrow(/per-row/);
    });

    it('computes row reductions in float64', () => {
      const x = Tensor.from([3, 4, 1, 1], [2, 2]);
      expect(Array.from(be.rowNorm(x))).toEqual([5, Math.SQRT2]);
      expect(Array.from(be.rowSum(x))).toEqual([7, 2]);
      expect(Array.from(be.scaleRows(x, Float64Array.of(2, 3)).data)).toEqual([6, 8, 3, 3]);
    });

    it('multiplies matrices with and without transposes', () => {
      const a = rng.normal([5, 7]);
      const b = rng.normal([7, 3]);
      const ref = naiveMatmul(a.data, b.data, 5, 7, 3);
      const close = (t: Tensor) => t.data.every((v, i) => Math.abs(v - ref[i]!) < 1e-5);
      expect(close(be.matmul(a, b))).toBe(true);
      const bt = Tensor.from(Array.from({ length: 21 }, (_, i) => b.data[(i % 7) * 3 + Math.floor(i / 7)]!), [3, 7]);
      expect(close(be.matmul(a, bt, { transB: true }))).toBe(true);
      const at = Tensor.from(Array.from({ length: 35 }, (_, i) => a.data[(i % 5) * 7 + Math.floor(i / 5)]!), [7, 5]);
      expect(close(be.matmul(at, b, { transA: true }))).toBe(true);
      expect(() => be.matmul(a, a)).toThrow(/inner dimension 7/);
    });

    it('computes pairwise squared distances, softmax and weighted sums', () => {
      const x = Tensor.from([0, 0, 1, 1], [2, 2]);
      const y = Tensor.from([1, 0, 3, 4, 0, 0], [3, 2]);
      const d = be.pairwiseSqDist(x, y);
      expect(Array.from(d.data)).toEqual([1, 25, 0, 1, 13, 2]);
      const logits = { data: Float64Array.of(0, Math.log(3), -1000, -1000), rows: 2, cols: 2 };
      const lse = be.softmaxRows(logits);
      [0.25, 0.75, 0.5, 0.5].forEach((v, i) => { expect(logits.data[i]).toBeCloseTo(v, 15); });
      expect(lse[0]).toBeCloseTo(Math.log(4), 14);
      expect(lse[1]).toBeCloseTo(-1000 + Math.log(2), 10);
      expect(() => be.softmaxRows({ data: Float64Array.of(-Infinity), rows: 1, cols: 1 })).toThrow(/finite logit/);
      // A +Infinity logit has no softmax (inf - inf): a typed error, on small and kernel-sized rows.
      expect(() => be.softmaxRows({ data: Float64Array.of(0, Infinity), rows: 1, cols: 2 })).toThrow(/no \+Infinity/);
      const big = new Float64Array(64 * 1024);
      big[5 * 1024 + 7] = Infinity;
      expect(() => be.softmaxRows({ data: big, rows: 64, cols: 1024 })).toThrow(/logits row 5/);
      const w = { data: Float64Array.of(0.5, 0.5, 0, 0, 0, 1), rows: 2, cols: 3 };
      expect(Array.from(be.weightedSum(w, y).data)).toEqual([2, 2, 0, 0]);
    });

    it('finds the first non-finite value (in whole 64-byte blocks and in the tail)', () => {
      for (const dtype of ['float32', 'float64'] as const) {
        for (const size of [1, 7, 8, 16, 17, 64, 100, 4099]) {
          const x = rng.normal([1, size], dtype);
          expect(be.firstNonFinite(x)).toBe(-1);
          for (const bad of [NaN, Infinity, -Infinity]) {
            for (const at of new Set([0, size >> 1, size - 1])) {
              const y = x.clone();
              y.data[at] = bad;
              if (at + 3 < size) y.data[at + 3] = -bad;
              expect(be.firstNonFinite(y)).toBe(at);
            }
          }
        }
      }
      // Large finite values whose sum would overflow are not reported.
      expect(be.firstNonFinite(Tensor.from(Array.from({ length: 64 }, () => 3e38), [2, 32]))).toBe(-1);
    });

    it('fills Philox normals: Box-Muller on the words of block 0 of (0, call, sampleOffset + row, stream)', () => {
      const draw = { key0: 5, key1: 6, call: 2, sampleOffset: 10, stream: 1 };
      const out = be.philoxNormal(Tensor.zeros([2, 3], 'float64'), draw);
      const words = new Uint32Array(4);
      const pair = new Float64Array(2);
      const expected: number[] = [];
      for (const row of [0, 1]) {
        philox4x32(words, 0, 2, 10 + row, 1, 5, 6);
        boxMuller(words[0]!, words[1]!, pair, 0);
        expected.push(pair[0]!, pair[1]!);
        boxMuller(words[2]!, words[3]!, pair, 0);
        expected.push(pair[0]!); // odd row length: the last sine is dropped
      }
      expect(Array.from(out.data)).toEqual(expected);
      expect(() => be.philoxNormal(Tensor.zeros([1]), { ...draw, sampleOffset: -1 })).toThrow(/draw.sampleOffset/);
    });
  });

  describe.each(backends)('float64 tensors (%s)', (_name, be) => {
    it('keep float64 through backend operations and RNG draws', () => {
      const x = new PhiloxRng(5).normal([3, 4], 'float64');
      expect(x.dtype).toBe('float64');
      expect(be.axpby(1 / 3, x, 0, x).data[0]).toBe(x.data[0]! / 3);
      expect(be.matmul(x, x, { transB: true }).dtype).toBe('float64');
      expect(x.astype('float32').dtype).toBe('float32');
      const again = new PhiloxRng(5).normal([3, 4]);
      expect(Math.abs(again.data[5]! - x.data[5]!)).toBeLessThan(1e-6);
    });
  });
}
