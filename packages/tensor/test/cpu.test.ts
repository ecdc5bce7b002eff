import ndarray from 'ndarray';
import { CpuBackend, WasmBackend, ShapeError, Tensor, assertFinite, NonFiniteError, fromNdarray, toNdarray, tidy } from '../src/index.js';
import { poolTesting } from '../src/wasm/pool.js';
import { referenceSuite } from './reference-suite.js';

// The threaded backend splits every call (minParallelWork 0) and waits for its worker to join
// each one, so that the reference cases run partly on the worker thread.
poolTesting.waitForWorker = true;

// The reference suite runs unchanged against every backend; the WebAssembly backend with
// minElements 0 so that even these small cases go through its kernels.
referenceSuite([
  ['CpuBackend', new CpuBackend()],
  ['WasmBackend', new WasmBackend({ minElements: 0 })],
  ['WasmBackend x2', new WasmBackend({ minElements: 0, threads: 2, minParallelWork: 0 })],
]);

describe('tensor utilities', () => {
  it('round-trips ndarray, including strided views', () => {
    const arr = ndarray(new Float64Array([1, 2, 3, 4, 5, 6]), [2, 3]);
    const t = fromNdarray(arr.transpose(1, 0));
    expect(t.shape).toEqual([3, 2]);
    expect(Array.from(t.data)).toEqual([1, 4, 2, 5, 3, 6]);
    const back = toNdarray(t);
    expect(back.get(2, 1)).toBe(6);
  });

  it('detects non-finite values and names them', () => {
    expect(() => { assertFinite(Float32Array.of(1, NaN), 'x', 'step 3'); }).toThrow(NonFiniteError);
    expect(() => { assertFinite(Float32Array.of(1, Infinity), 'x'); }).toThrow(/x: non-finite value Infinity at flat index 1/);
  });

  it('validates shapes and slices rows as views', () => {
    expect(() => new Tensor(new Float32Array(3), [2, 2])).toThrow(ShapeError);
    const t = Tensor.from([1, 2, 3, 4, 5, 6], [3, 2]);
    const s = t.sliceRows(1, 3);
    s.data[0] = 9;
    expect(t.data[2]).toBe(9);
    expect(t.rowSize).toBe(2);
    const kept = tidy((track) => {
      track(Tensor.zeros([1]));
      return track(Tensor.zeros([2]));
    });
    expect(kept.size).toBe(2);
  });
});
