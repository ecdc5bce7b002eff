import { PhiloxRng, Tensor, getBackend, type Denoiser } from '@phys/tensor';
import {
  countEvaluations,
  curvatureAlongTrajectory,
  edmDrift,
  expectedModesIid,
  modeCoverage,
  odeCurvature,
  paretoFrontier,
  pathCurvature,
  restartErrorDecomposition,
  type Drift,
} from '../src/index.js';

const rotation: Drift = (x) => {
  // G(x) = (-x2, x1): trajectories are circles |x| = R with curvature 1/R.
  const out = Tensor.zeros(x.shape, 'float64');
  for (let i = 0; i < x.rows; i++) {
    out.data[2 * i] = -x.data[2 * i + 1]!;
    out.data[2 * i + 1] = x.data[2 * i]!;
  }
  return Promise.resolve(out);
};

describe('ODE curvature (thesis App. B.2.2, Fig. 4.4)', () => {
  test('circles of radius R have kappa = 1/R (rtol 1e-3 at dt = 1e-3)', async () => {
    const x = Tensor.from([2, 0, 0, 0.5, -3, 4], [3, 2], 'float64');
    const c = await odeCurvature(rotation, x, 1);
    expect(c.dt).toBe(1e-3);
    const expected = [1 / 2, 1 / 0.5, 1 / 5];
    expected.forEach((k, i) => {
      expect(Math.abs(c.perSample[i]! / k - 1)).toBeLessThan(1e-3);
    });
    expect(c.mean).toBeCloseTo(expected.reduce((a, b) => a + b) / 3, 2);
  });

  test('straight trajectories (a single data point, exact EDM denoiser) have kappa = 0', async () => {
    const y = [0.3, -1.2, 2];
    const denoiser: Denoiser = (x) => {
      const out = Tensor.zeros(x.shape, 'float64');
      for (let i = 0; i < x.rows; i++) out.data.set(y, i * 3);
      return Promise.resolve(out);
    };
    const x = new PhiloxRng(1).normal([16, 3], 'float64');
    const c = await odeCurvature(edmDrift(denoiser), x, 0.7);
    for (const k of c.perSample) expect(k).toBeLessThan(1e-9);
  });

  test('a two-point mixture bends trajectories: kappa > 0 and largest at intermediate t', async () => {
    // Exact posterior-mean denoiser of two points +-1 in R^2 (first coordinate).
    const denoiser: Denoiser = (x, sigma) => {
      const out = Tensor.zeros(x.shape, 'float64');
      for (let i = 0; i < x.rows; i++) {
        const s2 = sigma[i]! ** 2;
        const w = 1 / (1 + Math.exp((-2 * x.data[2 * i]!) / s2)); // weight of +1
        out.data[2 * i] = 2 * w - 1;
      }
      return Promise.resolve(out);
    };
    const drift = edmDrift(denoiser);
    const x = new PhiloxRng(2).normal([64, 2], 'float64');
    const states = [10, 1, 0.5, 0.05].map((t) => ({ t, x: getBackend().scaleRows(x, t) }));
    const curve = await curvatureAlongTrajectory(drift, states);
    expect(curve.map((c) => c.t)).toEqual([10, 1, 0.5, 0.05]);
    for (const c of curve) expect(c.mean).toBeGreaterThan(0);
    expect(curve[1]!.mean).toBeGreaterThan(curve[0]!.mean);
  });

  test('zero velocity gives NaN for that row, excluded from the mean', async () => {
    const x = Tensor.from([0, 0, 1, 0], [2, 2], 'float64');
    const c = await odeCurvature(rotation, x, 0);
    expect(Number.isNaN(c.perSample[0])).toBe(true);
    expect(c.undefinedCount).toBe(1);
    expect(c.mean).toBeCloseTo(1, 3);
  });

  test('pathCurvature: straight lines 0, finely sampled circles 1/R', () => {
    const K = 2000;
    const R = 3;
    const states = Array.from({ length: K }, (_, k) => {
      const a = (2 * Math.PI * k) / K;
      return Tensor.from([R * Math.cos(a), R * Math.sin(a), k * 0.1, -k * 0.2], [2, 2], 'float64');
    });
    const p = pathCurvature(states);
    expect(p.points).toBe(K - 2);
    for (let k = 0; k < K - 2; k++) {
      expect(Math.abs(p.perSample[k * 2]! * R - 1)).toBeLessThan(1e-5);
      expect(p.perSample[k * 2 + 1]).toBeLessThan(1e-9);
    }
    expect(() => pathCurvature(states.slice(0, 2))).toThrow(/at least 3/);
  });
});

describe('NFE accounting', () => {
  test('countEvaluations counts calls, rows and sigmas', async () => {
    const c = countEvaluations<undefined>((x) => Promise.resolve(x));
    const x = Tensor.zeros([5, 2]);
    await c.denoiser(x, new Float64Array(5).fill(2));
    await c.denoiser(x.sliceRows(0, 3), new Float64Array(3).fill(1));
    expect(c.nfe).toBe(2);
    expect(c.rowEvaluations).toBe(8);
    expect(c.sigmas).toEqual([2, 1]);
    c.reset();
    expect(c.nfe).toBe(0);
    expect(c.sigmas).toEqual([]);
  });
});

describe('mode coverage', () => {
  test('counts nearest-center assignments within the radius', () => {
    const centers = Tensor.from([0, 0, 10, 0, 0, 10], [3, 2], 'float64');
    // (5, 4) is equidistant from centers 0 and 1: ties go to the first.
    const s = Tensor.from([0.1, 0, 9.5, 0.2, 0.3, 9.5, 0, 0.2, 5, 4], [5, 2], 'float64');
    const all = modeCoverage(s, centers);
    expect(all.covered).toBe(3);
    expect(Array.from(all.counts)).toEqual([3, 1, 1]);
    const near = modeCoverage(s, centers, { radius: 1 });
    expect(Array.from(near.counts)).toEqual([2, 1, 1]);
    expect(near.unassigned).toBe(1);
    expect(modeCoverage(s, centers, { radius: 1, minCount: 2 }).covered).toBe(1);
    const tight = modeCoverage(s, centers, { radius: 0.5 });
    expect(tight.covered).toBe(1);
    expect(tight.unassigned).toBe(3);
  });

  test('i.i.d. sampling of 10 equiprobable modes with 10 samples finds 6.5 on average (thesis App. B.4.2)', () => {
    expect(expectedModesIid(10, 10)).toBeCloseTo(6.513, 3);
    // Monte Carlo: 4000 batches of 10 uniform mode draws; the mean matches within 5 sd.
    const rng = new PhiloxRng(9);
    const u = rng.uniform([4000, 10], 'float64').data;
    const angle = (k: number): number[] => [Math.cos((2 * Math.PI * k) / 10), Math.sin((2 * Math.PI * k) / 10)];
    const centers = Tensor.from(Array.from({ length: 10 }, (_, k) => angle(k)).flat(), [10, 2], 'float64');
    const counts: number[] = [];
    for (let b = 0; b < 4000; b++) {
      const pts = Array.from({ length: 10 }, (_, i) => angle(Math.floor(u[b * 10 + i]! * 10))).flat();
      counts.push(modeCoverage(Tensor.from(pts, [10, 2], 'float64'), centers, { radius: 0.1 }).covered);
    }
    const mean = counts.reduce((a, b) => a + b) / counts.length;
    const sd = Math.sqrt(counts.reduce((a, b) => a + (b - mean) ** 2, 0) / (counts.length - 1));
    expect(Math.abs(mean - expectedModesIid(10, 10))).toBeLessThan((5 * sd) / Math.sqrt(4000));
  });
});

describe('Restart error decomposition (thesis Sec. 5.4.1)', () => {
  test('total <= contracted + additional; auxiliary = data gives additional 0 and contracted = total', () => {
    const rng = new PhiloxRng(4);
    const data = rng.normal([60, 3], 'float64');
    const gen = getBackend().axpby(1.2, rng.normal([60, 3], 'float64'), 0.3, data);
    const aux = getBackend().axpby(1, data, 0.1, rng.normal([60, 3], 'float64'));
    const e = restartErrorDecomposition({ generated: gen, auxiliary: aux, data });
    expect(e.total).toBeLessThanOrEqual(e.contracted + e.additional + 1e-12);
    expect(e.total).toBeGreaterThan(0);
    const same = restartErrorDecomposition({ generated: gen, auxiliary: data, data });
    expect(same.additional).toBe(0);
    expect(same.contracted).toBe(same.total);
    expect(() => restartErrorDecomposition({ generated: gen, auxiliary: data.sliceRows(0, 10), data })).toThrow(/auxiliary/);
  });

  test('paretoFrontier keeps prefix minimums after sorting by x', () => {
    const pts = [
      { x: 3, y: 1 },
      { x: 1, y: 5 },
      { x: 2, y: 6 },
      { x: 2, y: 2 },
      { x: 4, y: 1 },
    ];
    expect(paretoFrontier(pts)).toEqual([1, 3, 0]);
  });
});
