import { CpuBackend, PhiloxRng, Tensor, ValueError } from '@phys/tensor';
import { createFastBackend, createOrtGemm } from '../src/index.js';
import { referenceSuite } from '../../tensor/test/reference-suite.js';

const rng = new PhiloxRng(11);

/** C = A op(B) in float64 with the plain triple loop. */
function naive(a: ArrayLike<number>, b: ArrayLike<number>, m: number, n: number, k: number, transB: boolean): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let p = 0; p < k; p++) s += a[i * k + p]! * (transB ? b[j * k + p]! : b[p * n + j]!);
    c[i * n + j] = s;
  }
  return c;
}

/** max |x - y| / max |y| */
function relErr(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let d = 0;
  let s = 0;
  for (let i = 0; i < y.length; i++) {
    d = Math.max(d, Math.abs(x[i]! - y[i]!));
    s = Math.max(s, Math.abs(y[i]!));
  }
  return d / s;
}

describe('createOrtGemm', () => {
  const engine = createOrtGemm({ threads: 2 });

  it.each([
    [1, 1, 1],
    [3, 5, 7],
    [17, 9, 33],
    [64, 130, 257],
  ])('multiplies [%i x %i] by [%i]-deep matrices in float64, float32 and float64 inputs, both layouts', (m, n, k) => {
    for (const dtype of ['float32', 'float64'] as const) {
      const a = rng.normal([m, k], dtype).data;
      for (const transB of [true, false]) {
        const b = rng.normal(transB ? [n, k] : [k, n], dtype).data;
        const c = engine.gemm(a, b, m, n, k, transB);
        expect(c).toBeInstanceOf(Float64Array);
        expect(c.length).toBe(m * n);
        // Same float64 products (float32 widens exactly), another summation order: 1e-13.
        expect(relErr(c, naive(a, b, m, n, k, transB))).toBeLessThan(1e-13);
      }
    }
  });

  it('keeps float32 products exact (widened to float64 before the product)', () => {
    // 1 + 2^-20 squared needs 41 bits: exact in float64, rounded in float32 arithmetic.
    const v = 1 + 2 ** -20;
    const a = Float32Array.of(v, v);
    const c = engine.gemm(a, a, 1, 1, 2, true);
    expect(c[0]).toBe(2 * v * v);
  });

  it('reads only the leading m k and n k values of longer arrays', () => {
    const a = Float64Array.of(1, 2, 99);
    const b = Float64Array.of(3, 4, 99);
    expect(Array.from(engine.gemm(a, b, 1, 1, 2, true))).toEqual([11]);
  });

  it('takes only products with at least 2^22 multiply-adds and n, k >= 64 (the measured crossover)', () => {
    // the fields of the fast-path bench: the big one's distances and weighted sum, the small-N weighted sums
    expect(engine.runs(128, 4096, 3072, true)).toBe(true);
    expect(engine.runs(128, 3072, 4096, false)).toBe(true);
    expect(engine.runs(256, 20, 2000, false)).toBe(false);
    expect(engine.runs(1024, 2, 1024, false)).toBe(false);
    // the boundaries: m n k = 2^22 with n = k = 64, and either of n, k one below
    expect(engine.runs(1024, 64, 64, false)).toBe(true);
    expect(engine.runs(1023, 64, 64, true)).toBe(false);
    expect(engine.runs(2048, 63, 64, false)).toBe(false);
    expect(engine.runs(2048, 64, 63, true)).toBe(false);
    const all = createOrtGemm({ threads: 1, minWork: 0, minDim: 0 });
    expect(all.runs(1, 1, 1, false)).toBe(true);
  });

  it('rejects bad options', () => {
    expect(() => createOrtGemm({ threads: 0 })).toThrow(ValueError);
    expect(() => createOrtGemm({ minWork: -1 })).toThrow(ValueError);
    expect(() => createOrtGemm({ minDim: Number.NaN })).toThrow(ValueError);
    expect(() => createOrtGemm({ precision: 'float16' as 'float32' })).toThrow(ValueError);
  });
});

describe("createOrtGemm({ precision: 'float32' })", () => {
  const engine = createOrtGemm({ threads: 2, precision: 'float32' });

  it('says it is not exact', () => {
    expect(engine.exact).toBe(false);
    expect(createOrtGemm().exact).toBe(true);
  });

  it.each([
    [3, 5, 7],
    [64, 130, 257],
    [16, 40, 3072],
  ])('stays within the float32 error bound k 2^-24 sum |a||b| on [%i x %i] by [%i]-deep products', (m, n, k) => {
    for (const transB of [true, false]) {
      const a = rng.normal([m, k]).data;
      const b = rng.normal(transB ? [n, k] : [k, n]).data;
      const c = engine.gemm(a, b, m, n, k, transB);
      const exact = naive(a, b, m, n, k, transB);
      const absA = Float64Array.from(a, Math.abs);
      const absB = Float64Array.from(b, Math.abs);
      const scale = naive(absA, absB, m, n, k, transB);
      let worst = 0;
      let diff = 0;
      for (let i = 0; i < c.length; i++) {
        worst = Math.max(worst, Math.abs(c[i]! - exact[i]!) / (k * 2 ** -24 * scale[i]!));
        diff = Math.max(diff, Math.abs(c[i]! - exact[i]!));
      }
      expect(worst).toBeLessThan(1);
      if (k > 200) expect(diff).toBeGreaterThan(0); // it really is float32, not float64
    }
  });

  it('gives distances within the float32 bound and exact zeros for coincident points', () => {
    const fast32 = createFastBackend({ minElements: 0, minWork: 0, minDim: 0, threads: 1, precision: 'float32' })!;
    expect(fast32.name).toBe('wasm+ort1-f32');
    const cpu = new CpuBackend();
    const x = rng.normal([9, 700]);
    const y = Tensor.from([...rng.normal([6, 700]).data, ...x.row(4)], [7, 700]);
    const d = fast32.pairwiseSqDist(x, y);
    const ref = cpu.pairwiseSqDist(x, y);
    const nx = cpu.rowNormSq(x);
    const ny = cpu.rowNormSq(y);
    for (let i = 0; i < 9; i++) for (let j = 0; j < 7; j++) {
      expect(Math.abs(d.data[i * 7 + j]! - ref.data[i * 7 + j]!)).toBeLessThan(700 * 2 ** -23 * (nx[i]! + ny[j]!));
    }
    expect(d.data[4 * 7 + 6]).toBe(0);
  });
});

describe('createFastBackend', () => {
  const fast = createFastBackend({ minElements: 0, minWork: 0, minDim: 0, threads: 2 })!;
  const cpu = new CpuBackend();

  it('names the engine it uses', () => {
    expect(fast.name).toBe('wasm x2+ort2');
  });

  it('computes distances like the reference, exactly 0 for coincident points (cancellation guard kept)', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const x = rng.normal([9, 70], dtype);
      const y = Tensor.from([...rng.normal([6, 70], dtype).data, ...x.row(4)], [7, 70], dtype);
      const d = fast.pairwiseSqDist(x, y);
      const ref = cpu.pairwiseSqDist(x, y);
      expect(relErr(d.data, ref.data)).toBeLessThan(1e-12);
      expect(d.data[4 * 7 + 6]).toBe(0);
    }
  });

  it('computes weighted sums and matmul like the reference within float32 rounding', () => {
    const w = { data: rng.uniform([5, 40], 'float64').data as Float64Array, rows: 5, cols: 40 };
    const y = rng.normal([40, 3, 7]);
    const s = fast.weightedSum(w, y);
    expect(s.shape).toEqual([5, 3, 7]);
    expect(relErr(s.data, cpu.weightedSum(w, y).data)).toBeLessThan(2 ** -23);
    const a = rng.normal([6, 40]);
    const b = rng.normal([40, 5]);
    for (const [p, q, opt] of [
      [a, b, {}],
      [a, b.clone().reshape([5, 40]), { transB: true }],
      [a.clone().reshape([40, 6]), b, { transA: true }],
    ] as const) {
      expect(relErr(fast.matmul(p, q, opt).data, cpu.matmul(p, q, opt).data)).toBeLessThan(2 ** -23);
    }
  });
});

// The Backend reference suite of @phys/tensor, unchanged, with every product through onnxruntime.
referenceSuite([
  ['WasmBackend + onnxruntime GEMM', createFastBackend({ minElements: 0, minWork: 0, minDim: 0 })!],
  ['WasmBackend + onnxruntime float32 GEMM', createFastBackend({ minElements: 0, minWork: 0, minDim: 0, precision: 'float32' })!],
]);
