import { NonFiniteError, PhiloxRng, ShapeError, Tensor, ValueError } from '@phys/tensor';
import { argmaxLastAxis, categoricalProbabilities, gumbelSoftmax, logSoftmax, sampleCategorical } from '../src/index.js';
import { chiSquareTest, gammaQ } from '../../../test-support/chi2.js';

// Statistical tests use fixed seeds; each asserts p > 0.001 for a correct sampler (and the
// companion checks below show the same test rejects a wrong distribution).
const ALPHA = 1e-3;

function counts(idx: Int32Array, k: number): number[] {
  const c = new Array<number>(k).fill(0);
  for (const v of idx) c[v]!++;
  return c;
}

function softmax(l: number[], tau = 1): number[] {
  const m = Math.max(...l);
  const e = l.map((v) => Math.exp((v - m) / tau));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

describe('chi-square helper', () => {
  it('matches tabulated critical values', () => {
    expect(gammaQ(0.5, 3.841459 / 2)).toBeCloseTo(0.05, 6);
    expect(gammaQ(5, 18.307038 / 2)).toBeCloseTo(0.05, 6);
    expect(gammaQ(2, 13.276704 / 2)).toBeCloseTo(0.01, 6);
  });
});

describe('categoricalProbabilities / logSoftmax', () => {
  it('is softmax(logits / tau) with top-k truncation, in float64', () => {
    const logits = Tensor.from([1, 2, 0.5, -1, 3, 3, 0, 1], [2, 4]);
    const p = categoricalProbabilities(logits, { temperature: 0.5 });
    const ref = [...softmax([1, 2, 0.5, -1], 0.5), ...softmax([3, 3, 0, 1], 0.5)];
    ref.forEach((v, i) => { expect(p.data[i]).toBeCloseTo(v, 6); });
    const top2 = categoricalProbabilities(logits, { topK: 2 });
    const a = softmax([1, 2]);
    expect(Array.from(top2.data.subarray(0, 4))).toEqual([expect.closeTo(a[0]!, 6), expect.closeTo(a[1]!, 6), 0, 0]);
    // Ties at the boundary: keep exactly topK entries, lowest index first.
    const tie = categoricalProbabilities(Tensor.from([1, 1, 1, 0], [1, 4]), { topK: 2 });
    expect(Array.from(tie.data)).toEqual([0.5, 0.5, 0, 0]);
    const argmax = categoricalProbabilities(logits, { temperature: 0 });
    expect(Array.from(argmax.data)).toEqual([0, 1, 0, 0, 1, 0, 0, 0]);
  });

  it('log-softmax is stable for large logits and exact for -Infinity entries', () => {
    const lp = logSoftmax(Tensor.from([1000, 1000, -Infinity], [1, 3], 'float64'));
    expect(lp.data[0]).toBeCloseTo(-Math.LN2, 12);
    expect(lp.data[2]).toBe(-Infinity);
  });
});

describe('sampleCategorical', () => {
  const logits = [0.3, -1.2, 1.5, 0.0, 2.1, -0.4];
  const k = logits.length;
  const n = 10000;
  const batch = (): Tensor => {
    const t = Tensor.zeros([n, k], 'float64');
    for (let r = 0; r < n; r++) t.data.set(logits, r * k);
    return t;
  };

  it.each([
    [1, undefined],
    [0.5, undefined],
    [2, undefined],
    [1, 3],
  ])('frequencies match softmax(logits/%p) with topK %p (chi-square, seed 11)', (temperature, topK) => {
    const idx = sampleCategorical(batch(), new PhiloxRng(11), { temperature, topK });
    const p = Array.from(categoricalProbabilities(Tensor.from(logits, [1, k]), { temperature, topK }).data);
    const test = chiSquareTest(counts(idx, k), p);
    expect(test.p).toBeGreaterThan(ALPHA);
    // The same counts are rejected against the untempered distribution when tau != 1.
    if (temperature !== 1 || topK !== undefined) expect(chiSquareTest(counts(idx, k), softmax(logits)).p).toBeLessThan(ALPHA);
  });

  it('temperature 0 is the argmax and still consumes one uniform call', () => {
    const rng = new PhiloxRng(3);
    const idx = sampleCategorical(Tensor.from([...logits, 5, 5, 1, 0, 0, 0], [2, k]), rng, { temperature: 0 });
    expect(Array.from(idx)).toEqual([4, 0]);
    expect(rng.calls).toBe(1);
  });

  it('draws the same index for sample r whatever the batch size (counter-based RNG)', () => {
    const all = sampleCategorical(batch().sliceRows(0, 64), new PhiloxRng(5));
    const tail = sampleCategorical(batch().sliceRows(0, 16), new PhiloxRng(5, { sampleOffset: 48 }));
    expect(Array.from(tail)).toEqual(Array.from(all.subarray(48)));
  });

  it('never picks a -Infinity (zero probability) category', () => {
    const t = Tensor.zeros([2000, 3], 'float64');
    for (let r = 0; r < 2000; r++) t.data.set([0, -Infinity, 0], r * 3);
    expect(counts(sampleCategorical(t, new PhiloxRng(1)), 3)[1]).toBe(0);
  });

  it('rejects bad input with typed errors', () => {
    const rng = new PhiloxRng(0);
    expect(() => sampleCategorical(Tensor.from([NaN, 1], [1, 2]), rng)).toThrow(NonFiniteError);
    expect(() => sampleCategorical(Tensor.from([-Infinity, -Infinity], [1, 2]), rng)).toThrow(NonFiniteError);
    expect(() => sampleCategorical(Tensor.from([0, 1], [1, 2]), rng, { temperature: -1 })).toThrow(ValueError);
    expect(() => sampleCategorical(Tensor.from([0, 1], [1, 2]), rng, { topK: 0 })).toThrow(ValueError);
    expect(() => sampleCategorical(Tensor.from([0, 1], [2]), rng)).toThrow(ShapeError);
  });
});

describe('gumbelSoftmax', () => {
  const logits = [1.0, -0.5, 0.2, 2.0, -2.0];
  const k = logits.length;
  const n = 10000;
  const batch = (): Tensor => {
    const t = Tensor.zeros([n, 1, k], 'float64');
    for (let r = 0; r < n; r++) t.data.set(logits, r * k);
    return t;
  };

  it('hard samples are one-hot and their argmax is distributed as softmax(logits) (Gumbel-max, chi-square, seed 21)', () => {
    const y = gumbelSoftmax(batch(), new PhiloxRng(21), { hard: true });
    let ones = 0;
    let zeros = 0;
    for (const v of y.data) {
      if (v === 1) ones++;
      else if (v === 0) zeros++;
    }
    expect([ones, zeros]).toEqual([n, n * (k - 1)]);
    const c = counts(argmaxLastAxis(y), k);
    expect(chiSquareTest(c, softmax(logits)).p).toBeGreaterThan(ALPHA);
    expect(chiSquareTest(c, softmax(logits, 2)).p).toBeLessThan(ALPHA);
  });

  it('soft samples lie on the simplex, share the argmax of the hard sample, and sharpen as tau -> 0', () => {
    const soft1 = gumbelSoftmax(batch(), new PhiloxRng(21), { tau: 1 });
    const soft001 = gumbelSoftmax(batch(), new PhiloxRng(21), { tau: 0.01 });
    const hard = gumbelSoftmax(batch(), new PhiloxRng(21), { hard: true });
    let maxMass1 = 0;
    let maxMass001 = 0;
    let worst = 0;
    for (let r = 0; r < n; r++) {
      let s = 0;
      let m1 = 0;
      let m001 = 0;
      for (let j = 0; j < k; j++) {
        s += soft1.data[r * k + j]!;
        m1 = Math.max(m1, soft1.data[r * k + j]!);
        m001 = Math.max(m001, soft001.data[r * k + j]!);
      }
      worst = Math.max(worst, Math.abs(s - 1));
      maxMass1 += m1;
      maxMass001 += m001;
    }
    expect(worst).toBeLessThan(1e-6);
    expect(Array.from(argmaxLastAxis(soft1))).toEqual(Array.from(argmaxLastAxis(hard)));
    expect(Array.from(argmaxLastAxis(soft001))).toEqual(Array.from(argmaxLastAxis(hard)));
    // tau = 1 is a genuine relaxation; tau = 0.01 is one-hot to within rounding for most rows.
    expect(maxMass1 / n).toBeLessThan(0.9);
    expect(maxMass001 / n).toBeGreaterThan(0.99);
  });

  it('the argmax distribution of soft samples is the categorical one at any tau (chi-square, seed 8)', () => {
    const c = counts(argmaxLastAxis(gumbelSoftmax(batch(), new PhiloxRng(8), { tau: 3 })), k);
    expect(chiSquareTest(c, softmax(logits)).p).toBeGreaterThan(ALPHA);
  });

  it('rejects tau <= 0', () => {
    expect(() => gumbelSoftmax(Tensor.from([0, 1], [1, 2]), new PhiloxRng(0), { tau: 0 })).toThrow(ValueError);
  });
});
