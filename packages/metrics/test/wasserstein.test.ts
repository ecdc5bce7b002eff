import { PhiloxRng, Tensor, ShapeError, ValueError } from '@phys/tensor';
import { expectClose, loadGolden } from '../../../test-support/golden.js';
import { exactWasserstein, linearSumAssignment, slicedWasserstein, wasserstein1d, wasserstein1dPower } from '../src/index.js';
import { input, inputArray } from './helpers.js';

const golden = loadGolden('metrics/wasserstein.json');

describe('1-D Wasserstein (golden: scipy.stats.wasserstein_distance)', () => {
  test('w1_1d plain and weighted, rtol 1e-12', () => {
    const g = golden.w1_1d;
    const u = inputArray(g.u);
    const v = inputArray(g.v);
    expectClose([wasserstein1d(u, v)], [g.w1], 1e-12, 0, 'w1');
    expectClose([wasserstein1d(u, v, { uWeights: inputArray(g.u_weights), vWeights: inputArray(g.v_weights) })], [g.w1_weighted], 1e-12, 0, 'w1_weighted');
  });

  test('symmetric, zero on itself, |c| for a shift, equals the sorted matching on equal sizes', () => {
    const u = inputArray('W_1D_U_30');
    const v = inputArray('W_1D_V_45');
    expect(wasserstein1d(u, v)).toBeCloseTo(wasserstein1d(v, u), 14);
    expect(wasserstein1d(u, u)).toBe(0);
    expect(wasserstein1d(u, u.map((x) => x + 0.75))).toBeCloseTo(0.75, 13);
    const w = v.slice(0, 30);
    const a = [...u].sort((p, q) => p - q);
    const b = [...w].sort((p, q) => p - q);
    const w2sq = a.reduce((s, x, i) => s + (x - b[i]!) ** 2, 0) / 30;
    expect(wasserstein1dPower(u, w, 2)).toBeCloseTo(w2sq, 13);
    const exact = exactWasserstein(Tensor.from(u, [30, 1], 'float64'), Tensor.from(w, [30, 1], 'float64'));
    expect(exact.distance).toBeCloseTo(wasserstein1d(u, w), 13);
  });

  test('bad input names the argument', () => {
    expect(() => wasserstein1d([], [1])).toThrow(ValueError);
    expect(() => wasserstein1d([1, 2], [1], { uWeights: [1] })).toThrow(/uWeights/);
    expect(() => wasserstein1d([1, 2], [1], { uWeights: [1, -1] })).toThrow(/uWeights\[1\]/);
    expect(() => wasserstein1d([1, NaN], [1])).toThrow(/u: non-finite/);
    expect(() => wasserstein1dPower([1], [1], 0.5)).toThrow(/p: expected/);
  });
});

describe('exact W1/W2 by assignment (golden: scipy linear_sum_assignment)', () => {
  for (const c of golden.cases_2d) {
    test(`${c.a} vs ${c.b}: distances rtol 1e-12, assignments exact`, () => {
      const a = input(c.a);
      const b = input(c.b);
      const w1 = exactWasserstein(a, b);
      const w2 = exactWasserstein(a, b, { p: 2 });
      expectClose([w1.distance], [c.exact_w1], 1e-12, 0, 'exact_w1');
      expectClose([w2.distance], [c.exact_w2], 1e-12, 0, 'exact_w2');
      expect(Array.from(w1.assignment)).toEqual(c.assignment_w1);
      expect(Array.from(w2.assignment)).toEqual(c.assignment_w2);
    });

    test(`${c.a} vs ${c.b}: sliced W1/W2 with the given 16 projections, rtol 1e-12`, () => {
      const proj = golden.projections_2x16 as number[][];
      const P = proj[0]!.length;
      const rowsP = new Float64Array(P * 2);
      for (let k = 0; k < P; k++) for (let j = 0; j < 2; j++) rowsP[k * 2 + j] = proj[j]![k]!;
      const projections = new Tensor(rowsP, [P, 2]);
      const s1 = slicedWasserstein(input(c.a), input(c.b), { projections });
      const s2 = slicedWasserstein(input(c.a), input(c.b), { projections, p: 2 });
      expectClose(s1.perProjection, c.sliced_per_projection_w1, 1e-12, 0, 'sliced_per_projection_w1');
      expectClose(s2.perProjection, c.sliced_per_projection_w2_squared, 1e-12, 0, 'sliced_per_projection_w2_squared');
      expectClose([s1.distance], [c.sliced_w1], 1e-12, 0, 'sliced_w1');
      expectClose([s2.distance], [c.sliced_w2], 1e-12, 0, 'sliced_w2');
    });
  }

  test('sizes must match', () => {
    expect(() => exactWasserstein(input('W_2D_A_40'), input('W_2D_B_6'))).toThrow(ShapeError);
  });
});

describe('linearSumAssignment', () => {
  function permutations(n: number): number[][] {
    if (n === 1) return [[0]];
    return permutations(n - 1).flatMap((p) => Array.from({ length: n }, (_, i) => [...p.slice(0, i), n - 1, ...p.slice(i)]));
  }

  test('matches brute force on random 6x6 costs (20 draws)', () => {
    const rng = new PhiloxRng(7);
    const perms = permutations(6);
    for (let trial = 0; trial < 20; trial++) {
      const c = rng.uniform([36], 'float64').data;
      let best = Infinity;
      for (const p of perms) best = Math.min(best, p.reduce((s, j, i) => s + c[i * 6 + j]!, 0));
      const a = linearSumAssignment(c, 6, 6);
      expect(a.cost).toBeCloseTo(best, 12);
      expect(new Set(a.columnOf).size).toBe(6);
    }
  });

  test('rectangular rows < cols picks the cheapest distinct columns', () => {
    // Both rows prefer column 2 (cost 1); row 1's next best is column 0 (1.5), row 0's is column 1 (4).
    const a = linearSumAssignment([5, 4, 1, 9, 1.5, 8, 1, 7], 2, 4);
    expect(Array.from(a.columnOf)).toEqual([2, 0]);
    expect(a.cost).toBe(2.5);
    expect(() => linearSumAssignment([1, 2], 2, 1)).toThrow(/cols/);
  });

  test('n = 400 in d = 1: the optimal matching cost equals the sorted (quantile) W1', () => {
    const rng = new PhiloxRng(11);
    const u = rng.normal([400, 1], 'float64');
    const v = rng.normal([400, 1], 'float64');
    const w = exactWasserstein(u, v);
    expect(w.distance).toBeCloseTo(wasserstein1d(u.data, v.data), 12);
  });
});

describe('sliced Wasserstein', () => {
  test('seeded: same seed same value, projections are unit vectors', () => {
    const a = input('W_2D_A_40');
    const b = input('W_2D_B_40');
    const s = slicedWasserstein(a, b, { projections: 50, seed: 3 });
    expect(slicedWasserstein(a, b, { projections: 50, seed: 3 }).distance).toBe(s.distance);
    expect(slicedWasserstein(a, b, { projections: 50, seed: 4 }).distance).not.toBe(s.distance);
    for (let k = 0; k < 50; k++) expect(Math.hypot(...s.projections.row(k))).toBeCloseTo(1, 14);
  });

  test('a shift by a in d = 8: SW2^2 = |a|^2 / d in expectation (4000 projections, 5 sd)', () => {
    const rng = new PhiloxRng(5);
    const x = rng.normal([64, 8], 'float64');
    const a = [1, -2, 0.5, 0, 3, 1, -1, 2];
    const y = x.clone();
    for (let i = 0; i < 64; i++) for (let j = 0; j < 8; j++) y.data[i * 8 + j]! += a[j]!;
    const P = 4000;
    const s = slicedWasserstein(x, y, { p: 2, projections: P, seed: 1 });
    // Per projection W2^2 = (theta.a)^2 exactly (a shift); (theta.a)^2/|a|^2 ~ Beta(1/2, 7/2): mean 1/8, var 7/(64*5.5).
    const a2 = a.reduce((q, v) => q + v * v, 0);
    for (let k = 0; k < 10; k++) {
      const t = Array.from(s.projections.row(k));
      expect(s.perProjection[k]).toBeCloseTo(t.reduce((q, v, j) => q + v * a[j]!, 0) ** 2, 10);
    }
    const sd = (a2 * Math.sqrt(7 / (64 * 5.5))) / Math.sqrt(P);
    expect(Math.abs(s.distance ** 2 - a2 / 8)).toBeLessThan(5 * sd);
  });
});
