import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CpuBackend, PhiloxRng, Tensor, ValueError, WasmBackend, type DType, type Matrix64 } from '../src/index.js';
import { poolTesting } from '../src/wasm/pool.js';

// WasmBackend with a worker thread (threads: 2) against the single-threaded one: every kernel that
// is split by rows must give bit-identical results (each row is computed by the same code on
// either thread). minParallelWork 0 splits every call, so odd row counts (1, 3, 1025) reach the
// split's edges; `split` uses the default threshold on inputs large enough to pass it. The calling
// thread waits for the worker to join each job, so that the worker really runs part of each one.
poolTesting.waitForWorker = true;
const one = new WasmBackend({ minElements: 0 });
const two = new WasmBackend({ minElements: 0, threads: 2, minParallelWork: 0 });
const split = new WasmBackend({ threads: 2 });
const cpu = new CpuBackend();

afterAll(() => {
  // every split job ran partly on the worker (it joins first, then both claim chunks)
  expect(poolTesting.workerChunks).toBeGreaterThan(100);
  two.close();
  split.close();
});

/** Bit-for-bit equality (NaN equals NaN, -0 differs from 0); reports the first mismatch. */
function expectSameBits(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    if (!Object.is(a[i], b[i])) throw new Error(`${what}: index ${i}: ${a[i]} vs ${b[i]}`);
  }
}

describe('WasmBackend threads option', () => {
  it('reports its threads in the name and validates the option', () => {
    expect(one.name).toBe('wasm');
    expect(one.threads).toBe(1);
    expect(two.name).toBe('wasm x2');
    expect(two.threads).toBe(2);
    expect(() => new WasmBackend({ threads: 0 })).toThrow(ValueError);
    expect(() => new WasmBackend({ threads: 1.5 })).toThrow(ValueError);
  });
});

describe.each(['float32', 'float64'] as DType[])('WasmBackend threads 1 vs 2 (%s)', (dtype) => {
  const rng = new PhiloxRng(23);

  it.each([1, 3, 1025])('fused linear combinations and row reductions, %i rows', (rows) => {
    const shape = [rows, 37];
    const xs = [0, 1, 2, 3].map(() => rng.normal(shape, dtype));
    const per = Float64Array.from({ length: rows }, (_, i) => 0.5 - i / rows);
    for (let K = 1; K <= 4; K++) {
      const terms = xs.slice(0, K).map((x, k) => [k === 1 ? per : 0.3 + k, x] as const);
      expectSameBits(two.lincomb(terms).data, one.lincomb(terms).data, `lincomb ${K}`);
    }
    expectSameBits(two.rowSum(xs[0]!), one.rowSum(xs[0]!), 'rowSum');
    expectSameBits(two.rowDot(xs[0]!, xs[1]!), one.rowDot(xs[0]!, xs[1]!), 'rowDot');
    expectSameBits(two.rowNorm(xs[2]!), one.rowNorm(xs[2]!), 'rowNorm');
  });

  it.each([1, 3, 1025])('distances on both paths, matmul and weighted sums, %i rows', (B) => {
    for (const N of [5, 41]) {
      const x = rng.normal([B, N], dtype);
      const y = rng.normal([203, N], dtype);
      expectSameBits(two.pairwiseSqDist(x, y).data, one.pairwiseSqDist(x, y).data, `distances N=${N}`);
      expectSameBits(two.matmul(x, y, { transB: true }).data, one.matmul(x, y, { transB: true }).data, 'matmul A B^T');
      const b = rng.normal([N, 67], dtype);
      expectSameBits(two.matmul(x, b).data, one.matmul(x, b).data, 'matmul A B');
      const w: Matrix64 = { data: Float64Array.from(rng.uniform([B, 203], 'float64').data), rows: B, cols: 203 };
      expectSameBits(two.weightedSum(w, y).data, one.weightedSum(w, y).data, 'weightedSum');
    }
  });

  it.each([1, 3, 1025])('softmax and the finiteness probe, %i rows', (rows) => {
    const cols = 301;
    const logits = Float64Array.from(rng.normal([rows, cols], 'float64').data, (v) => 40 * v);
    const a = { data: logits.slice(), rows, cols };
    const b = { data: logits.slice(), rows, cols };
    expectSameBits(two.softmaxRows(a), one.softmaxRows(b), 'log-sum-exp');
    expectSameBits(a.data, b.data, 'softmax weights');
    const c = { data: logits.slice(), rows, cols };
    const d = { data: logits.slice(), rows, cols };
    expectSameBits(two.softmaxRows(c, { exp: 'float32' }), one.softmaxRows(d, { exp: 'float32' }), 'log-sum-exp, float32 exp');
    expectSameBits(c.data, d.data, 'softmax weights, float32 exp');
    const x = rng.normal([rows, cols], dtype);
    expect(two.firstNonFinite(x)).toBe(-1);
    for (const at of [0, Math.floor(x.size / 2) + 5, x.size - 17, x.size - 1]) {
      const bad = x.clone();
      bad.data[at] = at % 2 === 0 ? NaN : -Infinity;
      expect(two.firstNonFinite(bad)).toBe(at);
    }
  });

  it.each([
    [1, 37],
    [3, 3072],
    [1025, 37],
    [2, 150_001],
  ])('draws bit-identical normals (%i rows of %i)', (rows, rs) => {
    const draw = { key0: 0xffffffff, key1: 12345, call: 7, sampleOffset: 0xffffffff - 1, stream: 3 };
    const a = two.philoxNormal(Tensor.zeros([rows, rs], dtype), draw);
    const b = one.philoxNormal(Tensor.zeros([rows, rs], dtype), draw);
    expectSameBits(a.data, b.data, 'normals');
    expectSameBits(split.philoxNormal(Tensor.zeros([rows, rs], dtype), draw).data, b.data, 'normals (default threshold)');
    if (rows * rs < 5000) expectSameBits(cpu.philoxNormal(Tensor.zeros([rows, rs], dtype), draw).data, b.data, 'normals (reference)');
  });

  it('splits large calls at the default threshold with the same results', () => {
    const x = rng.normal([257, 1024], dtype);
    const y = rng.normal([513, 1024], dtype);
    expectSameBits(split.pairwiseSqDist(x, y).data, one.pairwiseSqDist(x, y).data, 'distances');
    expectSameBits(split.axpby(0.25, x, -1.5, x).data, one.axpby(0.25, x, -1.5, x).data, 'axpby');
    const small = rng.normal([1025, 3], dtype);
    const refs = rng.normal([2001, 3], dtype);
    expectSameBits(split.pairwiseSqDist(small, refs).data, one.pairwiseSqDist(small, refs).data, 'small-dimension distances');
  });
});

describe('WasmBackend worker lifetime', () => {
  it('keeps working (single-threaded, same results) after close', () => {
    const b = new WasmBackend({ threads: 2, minElements: 0, minParallelWork: 0 });
    const x = new PhiloxRng(5).normal([9, 33]);
    const before = b.rowDot(x, x);
    b.close();
    expectSameBits(b.rowDot(x, x), before, 'rowDot after close');
  });

  it('lets a process with a live threaded backend exit on its own', () => {
    // The built package (its worker runs dist/platform/node-worker.js in any case), run by a fresh node.
    const dist = join(dirname(fileURLToPath(import.meta.url)), '../dist/index.js');
    const script = [
      `import { WasmBackend, Tensor } from ${JSON.stringify(dist)};`,
      'const be = new WasmBackend({ threads: 2, minElements: 0, minParallelWork: 0 });',
      'const x = Tensor.from(Array.from({ length: 64 }, (_, i) => i), [8, 8]);',
      'console.log(be.name, be.rowSum(x)[7]);',
    ].join('\n');
    // execFileSync throws if the child has not exited after 20 s (a worker keeping it alive).
    const stdout = execFileSync(process.execPath, ['--input-type=module', '-e', script], { timeout: 20_000, encoding: 'utf8' });
    expect(stdout.trim()).toBe('wasm x2 476');
  });
});
