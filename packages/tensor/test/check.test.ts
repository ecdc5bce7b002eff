import { firstNonFinite } from '../src/index.js';

describe('firstNonFinite', () => {
  it('finds the first NaN or +-Infinity at every position and lane (lengths 0..9), else -1', () => {
    const makers: ((v: number[]) => { [i: number]: number; readonly length: number })[] = [(v) => Float32Array.from(v), (v) => Float64Array.from(v), (v) => v];
    for (const make of makers) {
      for (let n = 0; n <= 9; n++) {
        expect(firstNonFinite(make(Array.from({ length: n }, (_, i) => (i % 3) - 1.5)))).toBe(-1);
        for (let at = 0; at < n; at++) {
          for (const bad of [NaN, Infinity, -Infinity]) {
            const a = make(Array.from({ length: n }, (_, i) => i - 0.5));
            a[at] = bad;
            if (at + 2 < n) a[at + 2] = NaN;
            expect(firstNonFinite(a)).toBe(at);
          }
        }
      }
    }
  });

  it('treats -0, huge and subnormal values as finite', () => {
    expect(firstNonFinite(Float64Array.of(-0, 1e308, -1e308, 5e-324, 0))).toBe(-1);
    expect(firstNonFinite(Float32Array.of(-0, 3.4e38, 1e-45))).toBe(-1);
  });
});
