import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CpuBackend, PhiloxRng, Tensor, ValueError, WasmBackend, WasmTensor, setBackend, tidy, type DType, type PhiloxCall } from '../src/index.js';
import { WasmHeap, sizeClass } from '../src/wasm/heap.js';
import { createWasmMemory } from '../src/wasm/module.js';
import { poolTesting } from '../src/wasm/pool.js';

// Tensors resident in a WasmBackend's WebAssembly memory: the heap that holds them, their lifetime
// (dispose, tidy, views), `data` across memory growth, and operations on them giving the same
// bits as on plain tensors, on one thread and split with the worker.
poolTesting.waitForWorker = true;
const cpu = new CpuBackend();
const one = new WasmBackend({ minElements: 0 });
const two = new WasmBackend({ minElements: 0, threads: 2, minParallelWork: 0 });

afterAll(() => {
  two.close();
});

/** Bit-for-bit equality (NaN equals NaN, -0 differs from 0); reports the first mismatch. */
function expectSameBits(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    if (!Object.is(a[i], b[i])) throw new Error(`${what}: index ${i}: ${a[i]} vs ${b[i]}`);
  }
}

function heapOf(t: Tensor): WasmHeap {
  if (!(t instanceof WasmTensor)) throw new Error('expected a resident tensor');
  return t.heap;
}

describe('WasmHeap', () => {
  it('rounds requests to size classes at most 1/8 above them, multiples of 64 bytes', () => {
    for (const n of [0, 1, 64, 65, 1000, 4097, 786432, 786433, 3_000_001]) {
      const c = sizeClass(n);
      expect(c % 64).toBe(0);
      expect(c).toBeGreaterThanOrEqual(Math.max(n, 64));
      expect(c).toBeLessThanOrEqual(Math.max(64, n * 1.125 + 64));
    }
  });

  it('reuses a released block of the same class and lowers the top past free blocks', () => {
    const heap = new WasmHeap(createWasmMemory(1));
    const a = heap.alloc(1000);
    const b = heap.alloc(5000);
    const c = heap.alloc(1000);
    expect(new Set([a, b, c]).size).toBe(3);
    heap.release(a);
    expect(heap.alloc(990)).toBe(a); // same class, same block
    heap.release(b);
    heap.release(c); // c was at the top: the top drops past c and the free b
    expect(heap.bytesInUse).toBe(sizeClass(1000));
    expect(heap.alloc(20000)).toBe(b); // cut from the lowered top, where b began
    expect(() => {
      heap.release(b + 8);
    }).toThrow(/no block in use/);
  });

  it('grows the memory when the top passes its end', () => {
    const memory = createWasmMemory(1);
    const heap = new WasmHeap(memory);
    const p = heap.alloc(200_000);
    expect(memory.buffer.byteLength).toBeGreaterThanOrEqual(p + 200_000);
  });
});

describe.each(['float32', 'float64'] as DType[])('WasmTensor (%s)', (dtype) => {
  const rng = new PhiloxRng(31);

  it('is made by zeros and clone, holds its values in the backend memory, and returns them on dispose', () => {
    const heap = heapOf(one.zeros([1]));
    const before = heap.bytesInUse;
    const z = one.zeros([3, 5], dtype);
    expect(z).toBeInstanceOf(WasmTensor);
    expect(z.dtype).toBe(dtype);
    expect(Array.from(z.data)).toEqual(new Array(15).fill(0));
    const x = rng.normal([3, 5], dtype);
    const c = one.clone(x);
    expect(Array.from(c.data)).toEqual(Array.from(x.data));
    expect(c.clone()).toBeInstanceOf(WasmTensor);
    expect(heap.bytesInUse).toBeGreaterThan(before);
    z.dispose();
    z.dispose(); // twice is fine
    c.dispose();
    expect(() => z.data).toThrow(ValueError);
    expect(() => one.lincomb([[1, c]], x)).toThrow(ValueError);
    // CpuBackend's zeros and clone are plain tensors
    expect(Object.getPrototypeOf(cpu.zeros([2], dtype))).toBe(Tensor.prototype);
    expect(Object.getPrototypeOf(cpu.clone(x))).toBe(Tensor.prototype);
  });

  it('is released by tidy unless returned', () => {
    const body = (track: <U extends Tensor>(t: U) => U): Tensor => {
      const a = track(one.zeros([4, 100], dtype));
      const b = track(one.clone(a));
      return track(one.lincomb([[1, a], [2, b]], one.zeros([4, 100], dtype)));
    };
    const heap = heapOf(tidy(body)); // sizes the operation's staging block first
    const before = heap.bytesInUse;
    const kept = tidy(body);
    expect(heap.bytesInUse).toBe(before + sizeClass(400 * (dtype === 'float32' ? 4 : 8)));
    kept.dispose();
    expect(heap.bytesInUse).toBe(before);
  });

  it('re-creates its data view after the memory grows (an old view detaches)', () => {
    const be = new WasmBackend({ minElements: 0 });
    const t = be.clone(Tensor.from([1, 2, 3, 4], [2, 2], dtype));
    const held = t.data;
    const big = be.zeros([64, 1 << 16], dtype); // grows the memory
    expect(held.length).toBe(0); // unshared memory: the old buffer is detached
    expect(Array.from(t.data)).toEqual([1, 2, 3, 4]);
    expect(t.data).toBe(t.data); // one view until the next growth
    big.dispose();
  });

  it('shares its block with reshape and sliceRows views until all are disposed', () => {
    const t = one.clone(Tensor.from([1, 2, 3, 4, 5, 6], [3, 2], dtype));
    const heap = heapOf(t);
    const inUse = heap.bytesInUse;
    const r = t.reshape([2, 3]);
    const s = t.sliceRows(1, 3);
    expect(r).toBeInstanceOf(WasmTensor);
    expect(Array.from(s.data)).toEqual([3, 4, 5, 6]);
    one.scaleRows(s, 10, s); // in place through the view
    expect(Array.from(t.data)).toEqual([1, 2, 30, 40, 50, 60]);
    expect(() => t.sliceRows(2, 4)).toThrow(ValueError);
    t.dispose();
    expect(Array.from(r.data)).toEqual([1, 2, 30, 40, 50, 60]);
    r.dispose();
    expect(heap.bytesInUse).toBe(inUse);
    s.dispose();
    expect(heap.bytesInUse).toBe(inUse - sizeClass(6 * (dtype === 'float32' ? 4 : 8)));
  });

  it('gives the same bits as plain tensors, in place, with out aliasing an input', () => {
    const shape = [7, 301];
    const [x, y, z] = [0, 1, 2].map(() => rng.normal(shape, dtype)) as [Tensor, Tensor, Tensor];
    const per = Float64Array.from({ length: 7 }, (_, i) => 0.25 * i - 0.8);
    const [xr, yr] = [one.clone(x), one.clone(y)];
    expectSameBits(one.lincomb([[0.5, xr], [per, y], [0.3, one.clone(z)]]).data, cpu.lincomb([[0.5, x], [per, y], [0.3, z]]).data, 'lincomb mixed');
    const out = one.zeros(shape, dtype);
    expectSameBits(one.axpby(0.7, xr, -1.5, yr, out).data, cpu.axpby(0.7, x, -1.5, y).data, 'axpby into resident out');
    const alias = one.clone(x);
    one.lincomb([[0.5, alias], [0.5, alias], [2, yr]], alias);
    expectSameBits(alias.data, cpu.lincomb([[0.5, x], [0.5, x], [2, y]]).data, 'out = input');
    const plainOut = Tensor.zeros(shape, dtype);
    expectSameBits(one.lincomb([[2, xr]], plainOut).data, cpu.scaleRows(x, 2).data, 'resident input, plain out');
    expectSameBits(one.rowDot(xr, y), one.rowDot(x, y), 'rowDot');
    expectSameBits(one.rowSum(xr), one.rowSum(x), 'rowSum');
    expectSameBits(one.rowNormSq(xr), one.rowNormSq(x), 'rowNormSq');
    expectSameBits(one.mul(xr, yr).data, cpu.mul(x, y).data, 'mul');
    expect(one.firstNonFinite(xr)).toBe(-1);
    for (const i of [5, 7 * 301 - 1]) {
      const bad = one.clone(x);
      bad.data[i] = NaN;
      expect(one.firstNonFinite(bad)).toBe(i);
    }
    // a tensor resident in another backend's memory is used like a plain one
    const other = new WasmBackend({ minElements: 0 });
    expectSameBits(one.axpby(1, other.clone(x), 1, yr).data, cpu.axpby(1, x, 1, y).data, 'foreign resident');
  });

  it.each([[5, 1001], [2, 70001]])('draws the same normals into a resident tensor, %i x %i', (rows, cols) => {
    const draw: PhiloxCall = { key0: 7, key1: 9, call: 3, sampleOffset: 11, stream: 2 };
    const ref = cpu.philoxNormal(Tensor.zeros([rows, cols], dtype), draw).data;
    expectSameBits(one.philoxNormal(one.zeros([rows, cols], dtype), draw).data, ref, 'one thread');
    expectSameBits(two.philoxNormal(two.zeros([rows, cols], dtype), draw).data, ref, 'two threads');
  });

  it('takes the draws of PhiloxRng.normalInto, the same as normal()', () => {
    setBackend(one);
    try {
      const t = new PhiloxRng(8).normalInto(one.zeros([3, 4099], dtype));
      const ref = new PhiloxRng(8).normal([3, 4099], dtype).data; // a backend call: read t.data after it
      expectSameBits(t.data, ref, 'normalInto');
      t.dispose();
    } finally {
      setBackend(cpu);
    }
  });

  it('lives in the shared memory of a threaded backend, with the same bits as one thread', () => {
    const shape = [1025, 37];
    const [x, y, z] = [0, 1, 2].map(() => rng.normal(shape, dtype)) as [Tensor, Tensor, Tensor];
    const per = Float64Array.from({ length: 1025 }, (_, i) => 0.5 - i / 1025);
    const [x2, y2] = [two.clone(x), two.clone(y)];
    expect(Object.prototype.toString.call(x2.data.buffer)).toBe('[object SharedArrayBuffer]');
    const out1 = one.lincomb([[0.5, one.clone(x)], [per, y], [0.2, z]]);
    expectSameBits(two.lincomb([[0.5, x2], [per, y2], [0.2, z]], two.zeros(shape, dtype)).data, out1.data, 'lincomb');
    expectSameBits(two.rowDot(x2, y2), one.rowDot(x, y), 'rowDot');
    x2.data[1024 * 37 + 3] = Infinity;
    expect(two.firstNonFinite(x2)).toBe(1024 * 37 + 3);
  });

  it('is not overwritten by withScratch blocks or by operations on plain tensors', () => {
    const be = new WasmBackend({ minElements: 0 });
    const x = rng.normal([9, 513], dtype);
    const t = be.clone(x);
    be.withScratch((s) => {
      const p = s.alloc(50_000);
      s.heap().fill(1, p / 8, p / 8 + 50_000);
      be.axpby(2, rng.normal([40, 4000], dtype), 3, rng.normal([40, 4000], dtype));
    });
    expectSameBits(t.data, x.data, 'resident values');
  });
});

describe('WasmTensor finalization', () => {
  it('returns the blocks of tensors garbage collected without dispose, not those whose data is held', () => {
    // The built package in a fresh node with an explicit collector (finalizers run after a GC, in a later task).
    const dist = join(dirname(fileURLToPath(import.meta.url)), '../dist/index.js');
    const script = [
      `import { WasmBackend } from ${JSON.stringify(dist)};`,
      'const be = new WasmBackend();',
      'const probe = be.zeros([1]); const heap = probe.heap; probe.dispose();',
      'const base = heap.bytesInUse;',
      'let kept = be.zeros([100]).data;',
      'for (let i = 0; i < 10; i++) be.zeros([1000]);',
      'const tick = () => new Promise((r) => setTimeout(r, 10));',
      'for (let i = 0; i < 5; i++) { globalThis.gc(); await tick(); }',
      'const withKept = heap.bytesInUse - base;',
      'kept[0] = 1; kept = undefined;',
      'for (let i = 0; i < 5; i++) { globalThis.gc(); await tick(); }',
      'console.log(withKept, heap.bytesInUse - base);',
    ].join('\n');
    const stdout = execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { timeout: 20_000, encoding: 'utf8' });
    expect(stdout.trim()).toBe(`${sizeClass(400)} 0`);
  });
});
