import { CpuBackend, PhiloxRng, ValueError, WasmBackend, type Matrix64 } from '../src/index.js';
import { expF32 } from '../src/normal-math.js';

// The opt-in float32 exponentials of softmaxRows (SoftmaxOptions.exp): the bound the Backend
// interface states (every weight within a relative 2^-21 of the float64 path, the log-sum-exp
// within 2^-21; weights below e^-708 of the row's largest may be 0), on fixed seeds, for the
// reference and the WebAssembly kernel.
const BOUND = 2 ** -21;
const backends = [
  ['CpuBackend', new CpuBackend()],
  ['WasmBackend', new WasmBackend({ minElements: 0 })],
] as const;

/** Logits of `rows` x `cols` at the scales of empirical fields (log-weights spread over 1 to 1e3). */
function logits(seed: number, rows: number, cols: number): Float64Array {
  const z = new PhiloxRng(seed).normal([rows, cols], 'float64').data;
  return Float64Array.from(z, (v, i) => v * [1, 3, 30, 300, 1e3][Math.floor(i / cols) % 5]!);
}

describe('expF32', () => {
  it('is within 2^-22 relative of e^x on [-708, 0] and 0 below -708', () => {
    let worst = 0;
    for (let i = 0; i <= 200_000; i++) {
      const x = -708 + (708 * i) / 200_000;
      worst = Math.max(worst, Math.abs(expF32(x) / Math.exp(x) - 1));
    }
    expect(worst).toBeLessThan(2 ** -22);
    expect(expF32(0)).toBe(1);
    expect(expF32(-708.5)).toBe(0);
    expect(expF32(-Infinity)).toBe(0);
  });
});

describe.each(backends)("%s softmaxRows with exp: 'float32'", (_, backend) => {
  it.each([
    [1, 5, 4096],
    [2, 7, 513],
    [3, 5, 9],
    [4, 3, 8],
  ])('keeps every weight within 2^-21 of the float64 path (seed %i, %i x %i)', (seed, rows, cols) => {
    const z = logits(seed, rows, cols);
    const ref: Matrix64 = { data: z.slice(), rows, cols };
    const fast: Matrix64 = { data: z.slice(), rows, cols };
    const lse64 = backend.softmaxRows(ref);
    const lse32 = backend.softmaxRows(fast, { exp: 'float32' });
    let worst = 0;
    for (let i = 0; i < rows * cols; i++) {
      const [a, b] = [fast.data[i]!, ref.data[i]!];
      // a weight below e^-708 (3.3e-308) of the row's largest may flush to 0 (the WebAssembly float64 path does so too)
      if (a === 0 || b === 0) expect(Math.max(a, b)).toBeLessThan(3.4e-308);
      else worst = Math.max(worst, Math.abs(a / b - 1));
    }
    expect(worst).toBeLessThan(BOUND);
    for (let r = 0; r < rows; r++) expect(Math.abs(lse32[r]! - lse64[r]!)).toBeLessThan(BOUND);
  });

  it('leaves the default bit-identical to exp: float64, throws like it, and rejects other precisions', () => {
    const z = logits(5, 5, 600);
    const a: Matrix64 = { data: z.slice(), rows: 5, cols: 600 };
    const b: Matrix64 = { data: z.slice(), rows: 5, cols: 600 };
    expect(backend.softmaxRows(a, { exp: 'float64' })).toEqual(backend.softmaxRows(b));
    expect(a.data).toEqual(b.data);
    expect(() => backend.softmaxRows({ data: Float64Array.of(0, 1, -Infinity, -Infinity), rows: 2, cols: 2 }, { exp: 'float32' })).toThrow(/logits row 1/);
    expect(() => backend.softmaxRows(b, { exp: 'float16' as 'float32' })).toThrow(ValueError);
  });
});

describe("WasmBackend softmaxRows with exp: 'float32'", () => {
  it('computes the exponentials of the reference (expF32) and replays NaN rows on it', () => {
    const cpu = new CpuBackend();
    const wasm = new WasmBackend({ minElements: 0 });
    const [rows, cols] = [5, 1001];
    const z = logits(6, rows, cols);
    z[4 * cols + 10] = NaN;
    const a: Matrix64 = { data: z.slice(), rows, cols };
    const b: Matrix64 = { data: z.slice(), rows, cols };
    const la = wasm.softmaxRows(a, { exp: 'float32' });
    const lb = cpu.softmaxRows(b, { exp: 'float32' });
    // the same exponentials, summed in another order: 1e-15, where float64 exponentials would differ by 1e-8
    for (let i = 0; i < rows * cols; i++) {
      if (Number.isNaN(b.data[i]!)) expect(a.data[i]).toBeNaN();
      else expect(Math.abs(a.data[i]! - b.data[i]!)).toBeLessThanOrEqual(1e-15 * b.data[i]!);
    }
    for (let r = 0; r < rows; r++) expect(la[r]).toBeCloseTo(lb[r]!, 13);
  });
});
