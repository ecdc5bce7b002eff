import { CpuBackend, PhiloxRng, Tensor, WasmBackend, createWasmBackend, getBackend, type DType, type GemmEngine, type Matrix64 } from '../src/index.js';

// The WebAssembly backend against the reference on random inputs with odd sizes (padding and
// scalar tails), both dtypes, every kernel path. Tolerances: float32 outputs within 2 float32 ulps
// relative to the magnitude of the terms; float64 reductions within 1e-12 relative.
const cpu = new CpuBackend();
const wasm = new WasmBackend({ minElements: 0 });

function maxRelErr(a: ArrayLike<number>, b: ArrayLike<number>, scale: ArrayLike<number> | number): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const s = typeof scale === 'number' ? scale : scale[i]!;
    m = Math.max(m, Math.abs(a[i]! - b[i]!) / Math.max(s, 1e-300));
  }
  return m;
}

describe.each(['float32', 'float64'] as DType[])('WasmBackend vs CpuBackend (%s)', (dtype) => {
  const rng = new PhiloxRng(11);
  const tol = dtype === 'float32' ? 2.5e-7 : 1e-13;

  it('gives bit-identical fused linear combinations (1 to 3 terms) and close 4-term ones', () => {
    const [x, y, z, w] = [0, 1, 2, 3].map(() => rng.normal([7, 37], dtype)) as [Tensor, Tensor, Tensor, Tensor];
    const per = Float64Array.from({ length: 7 }, (_, i) => 0.3 * i - 1);
    expect(wasm.axpby(0.7, x, per, y).data).toEqual(cpu.axpby(0.7, x, per, y).data);
    expect(wasm.lincomb([[0.5, x], [1 / 3, y], [per, z]]).data).toEqual(cpu.lincomb([[0.5, x], [1 / 3, y], [per, z]]).data);
    expect(wasm.scaleRows(x, per).data).toEqual(cpu.scaleRows(x, per).data);
    const four = wasm.lincomb([[1, x], [2, y], [3, z], [4, w]]);
    expect(maxRelErr(four.data, cpu.lincomb([[1, x], [2, y], [3, z], [4, w]]).data, 10)).toBeLessThan(tol);
    const alias = x.clone();
    wasm.lincomb([[0.5, alias], [0.5, alias], [2, y]], alias);
    expect(alias.data).toEqual(cpu.lincomb([[0.5, x], [0.5, x], [2, y]]).data);
  });

  it('reduces rows in float64', () => {
    const x = rng.normal([5, 101], dtype);
    const y = rng.normal([5, 101], dtype);
    expect(maxRelErr(wasm.rowDot(x, y), cpu.rowDot(x, y), 101)).toBeLessThan(1e-14);
    expect(maxRelErr(wasm.rowSum(x), cpu.rowSum(x), 101)).toBeLessThan(1e-14);
    expect(maxRelErr(wasm.rowNorm(x), cpu.rowNorm(x), 10)).toBeLessThan(1e-14);
  });

  it('multiplies matrices in all transpose combinations, odd sizes', () => {
    const [m, k, n] = [13, 71, 29];
    const a = rng.normal([m, k], dtype);
    const b = rng.normal([k, n], dtype);
    const at = cpu.matmul(a, Tensor.from(identity(m), [m, m], dtype), { transA: true });
    const bt = cpu.matmul(b, Tensor.from(identity(k), [k, k], dtype), { transA: true });
    const ref = cpu.matmul(a, b);
    for (const [lhs, rhs, opts] of [[a, b, {}], [a, bt, { transB: true }], [at, b, { transA: true }], [at, bt, { transA: true, transB: true }]] as const) {
      const got = wasm.matmul(lhs, rhs, opts);
      expect(got.shape).toEqual([m, n]);
      expect(got.dtype).toBe(dtype);
      expect(maxRelErr(got.data, ref.data, Math.sqrt(k) * 4)).toBeLessThan(tol);
    }
  });

  it('computes pairwise distances on both paths, with exact results for coincident points', () => {
    for (const N of [3, 33, 200]) {
      const x = rng.normal([9, N], dtype);
      const y = rng.normal([23, N], dtype);
      y.data.set(x.data.subarray(0, N), 5 * N); // y_5 = x_0: distance exactly 0
      y.data.set(x.data.subarray(N, 2 * N), 7 * N);
      for (let q = 0; q < N; q++) y.data[7 * N + q] = y.data[7 * N + q]! + (q === 0 ? 1e-3 : 0); // |x_1 - y_7|^2 ~ 1e-6
      const got = wasm.pairwiseSqDist(x, y);
      const ref = cpu.pairwiseSqDist(x, y);
      expect([got.rows, got.cols]).toEqual([9, 23]);
      expect(got.data[5]).toBe(0);
      expect(Math.abs(got.data[23 + 7]! - ref.data[23 + 7]!) / ref.data[23 + 7]!).toBeLessThan(1e-9);
      expect(maxRelErr(got.data, ref.data, ref.data)).toBeLessThan(N <= 32 ? 1e-15 : 1e-9);
    }
  });

  it('computes weighted sums', () => {
    const w: Matrix64 = { data: Float64Array.from({ length: 7 * 19 }, (_, i) => ((i * 37) % 11) / 11), rows: 7, cols: 19 };
    const y = rng.normal([19, 3, 5], dtype);
    const got = wasm.weightedSum(w, y);
    expect(got.shape).toEqual([7, 3, 5]);
    expect(maxRelErr(got.data, cpu.weightedSum(w, y).data, 19)).toBeLessThan(tol);
  });
});

describe('WasmBackend with a GEMM engine', () => {
  it("hands a product to the engine exactly when the engine's runs() accepts its shape", () => {
    const asked: string[] = [];
    const ran: string[] = [];
    // An engine that takes products with k >= 8 and computes them with the reference backend.
    const engine: GemmEngine = {
      name: 'fake',
      runs: (m, n, k, transB) => {
        asked.push(`${m}x${n}x${k}${transB ? 'T' : ''}`);
        return k >= 8;
      },
      gemm: (a, b, m, n, k, transB, norms) => {
        ran.push(`${m}x${n}x${k}${transB ? 'T' : ''}`);
        const A = new Tensor(a.slice(0, m * k), [m, k]);
        const B = new Tensor(b.slice(0, n * k), transB ? [n, k] : [k, n]);
        if (norms) {
          norms.a.set(cpu.rowNormSq(A));
          norms.b.set(cpu.rowNormSq(B));
        }
        return Float64Array.from(cpu.matmul(A, B, { transB }).data);
      },
    };
    const be = new WasmBackend({ minElements: 0, gemm: engine });
    expect(be.name).toBe('wasm+fake');
    const rng = new PhiloxRng(5);
    const x = rng.normal([3, 40], 'float64');
    const y = rng.normal([5, 40], 'float64');
    expect(maxRelErr(be.pairwiseSqDist(x, y).data, cpu.pairwiseSqDist(x, y).data, 100)).toBeLessThan(1e-13);
    const w: Matrix64 = { data: rng.uniform([3, 5], 'float64').data as Float64Array, rows: 3, cols: 5 };
    expect(maxRelErr(be.weightedSum(w, y).data, cpu.weightedSum(w, y).data, 10)).toBeLessThan(1e-13);
    expect(maxRelErr(be.matmul(x, y, { transB: true }).data, cpu.matmul(x, y, { transB: true }).data, 100)).toBeLessThan(1e-13);
    expect(new Set(asked)).toEqual(new Set(['3x5x40T', '3x40x5']));
    expect(ran).toEqual(['3x5x40T', '3x5x40T']);
  });
});

describe('WasmBackend softmax', () => {
  it('matches the reference weights and log-sum-exp, flushes far tails to 0, handles -Infinity and NaN like it', () => {
    const rows = 6;
    const cols = 513;
    const rng = new PhiloxRng(4);
    const z = rng.normal([rows, cols], 'float64').data;
    const logits = Float64Array.from(z, (v, i) => v * [1, 30, 300, 1e3, 1, 5][Math.floor(i / cols)]!);
    logits[4 * cols + 3] = -Infinity;
    logits[5 * cols + 10] = NaN;
    const a: Matrix64 = { data: logits.slice(), rows, cols };
    const b: Matrix64 = { data: logits.slice(), rows, cols };
    const la = wasm.softmaxRows(a);
    const lb = cpu.softmaxRows(b);
    expect(lb[5]).toBeNaN();
    expect(la[5]).toBeNaN();
    for (let r = 0; r < 5; r++) expect(Math.abs(la[r]! - lb[r]!)).toBeLessThanOrEqual(1e-13 * Math.max(1, Math.abs(lb[r]!)));
    let worst = 0;
    for (let i = 0; i < rows * cols; i++) {
      if (Number.isNaN(b.data[i]!)) expect(a.data[i]).toBeNaN();
      else worst = Math.max(worst, Math.abs(a.data[i]! - b.data[i]!) - 4e-16 * b.data[i]! * 8);
    }
    expect(worst).toBeLessThanOrEqual(1e-300);
    expect(a.data[4 * cols + 3]).toBe(0);
    // exp on the whole float64 range: e^x for x in [-708, 0] within 2 ulps of Math.exp
    const xs = Float64Array.from({ length: 4001 }, (_, i) => -708 + (708 * i) / 4000);
    const m: Matrix64 = { data: Float64Array.from(xs, (v, i) => (i === 4000 ? 0 : v)), rows: 1, cols: 4001 };
    const lse = wasm.softmaxRows(m);
    const s = Math.exp(lse[0]!);
    for (let i = 0; i < 4001; i++) expect(Math.abs(m.data[i]! * s - Math.exp(xs[i]!))).toBeLessThanOrEqual(5e-16 * Math.exp(xs[i]!) + 1e-320);
    expect(() => wasm.softmaxRows({ data: Float64Array.of(0, 1, -Infinity, -Infinity), rows: 2, cols: 2 })).toThrow(/logits row 1/);
  });
});

describe('backend selection', () => {
  it('creates the WebAssembly backend where SIMD is available and getBackend honours PHYS_BACKEND', () => {
    expect(createWasmBackend()?.name).toBe('wasm');
    expect(getBackend().name).toBe(process.env.PHYS_BACKEND === 'wasm' ? 'wasm' : 'cpu');
  });
});

function identity(n: number): number[] {
  return Array.from({ length: n * n }, (_, i) => (i % (n + 1) === 0 ? 1 : 0));
}
