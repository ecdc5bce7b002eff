import { PhiloxRng, Tensor, ValueError, type Denoiser } from '@phys/tensor';
import { ksPValue, ksStatistic } from '../../../test-support/stats.js';
import {
  bezierPath,
  boxPrior,
  conditionalVelocity,
  denoisedToVelocity,
  denoiserVelocity,
  gaussianPrior,
  pathPoint,
  pathTrainingBatch,
  priorLogKernel,
  radialPrior,
  radiusCdf,
  segmentedPath,
  straightPath,
  trigPath,
  velocityDenoiser,
  velocityToDenoised,
  pathFromName,
  priorFromName,
  type PathPrior,
  type TrajectoryPath,
  type VelocityModel,
} from '../src/index.js';

const PATHS: TrajectoryPath[] = [
  straightPath(),
  trigPath(),
  trigPath({ theta: 0.4 }),
  trigPath({ theta: 2.5 }),
  bezierPath({ lambda: 0.3 }),
  bezierPath({ lambda: 2 }),
  segmentedPath({ segments: 1 }),
  segmentedPath({ segments: 4 }),
  segmentedPath({ segments: 7, base: bezierPath({ lambda: 0.5 }) }),
];

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

function randomBatch(rows: number, n: number, seed: number): Tensor {
  return new PhiloxRng(seed).normal([rows, n], 'float64');
}

describe.each(PATHS.map((p) => [p.name, p] as const))('trajectory path %s', (_name, path) => {
  it('has the endpoints a(0) = b(1) = 1, a(1) = b(0) = 0 and sigma(0) = 0, sigma(1) = Infinity', () => {
    const c0 = path.coefficients(0);
    const c1 = path.coefficients(1);
    expect([c0.a, c0.b, c1.a, c1.b]).toEqual([1, 0, 0, 1]);
    expect(path.sigma(0)).toBe(0);
    expect(path.sigma(1)).toBe(Infinity);
    expect(path.tOfSigma(0)).toBe(0);
    expect(path.tOfSigma(Infinity)).toBe(1);
  });

  it("a', b' are the derivatives of a, b (central differences inside segments, 1e-6 relative)", () => {
    const edges = [0, ...path.knots, 1];
    for (let s = 0; s + 1 < edges.length; s++) {
      for (const f of [0.2, 0.5, 0.8]) {
        const t = edges[s]! + f * (edges[s + 1]! - edges[s]!);
        const h = 1e-6 * (edges[s + 1]! - edges[s]!);
        const c = path.coefficients(t);
        const da = (path.coefficients(t + h).a - path.coefficients(t - h).a) / (2 * h);
        const db = (path.coefficients(t + h).b - path.coefficients(t - h).b) / (2 * h);
        expect(Math.abs(da - c.da)).toBeLessThan(1e-6 * Math.max(1, Math.abs(c.da)));
        expect(Math.abs(db - c.db)).toBeLessThan(1e-6 * Math.max(1, Math.abs(c.db)));
      }
    }
  });

  it('sigma(t) is increasing and tOfSigma inverts it to 1e-12', () => {
    let prev = -1;
    for (let k = 0; k <= 200; k++) {
      const t = k / 200;
      const s = path.sigma(t);
      expect(s).toBeGreaterThan(prev);
      prev = s;
      if (k < 200) expect(Math.abs(path.tOfSigma(s) - t)).toBeLessThan(1e-12);
    }
  });

  it('velocity -> denoised recovers x0 exactly from the conditional velocity, and the two conversions invert each other (1e-10)', () => {
    const x0 = randomBatch(6, 5, 1);
    const x1 = randomBatch(6, 5, 2);
    const t = Float64Array.from([0, 0.1, 0.33, 0.5, 0.9, 1]);
    const x = pathPoint(path, x0, x1, t);
    const v = conditionalVelocity(path, x0, x1, t);
    expect(maxAbsDiff(velocityToDenoised(path, x, t, v).data, x0.data)).toBeLessThan(1e-10);
    const inner = t.subarray(1, 5);
    const d = randomBatch(4, 5, 3);
    const xi = x.sliceRows(1, 5);
    const back = velocityToDenoised(path, xi, inner, denoisedToVelocity(path, xi, inner, d));
    expect(maxAbsDiff(back.data, d.data)).toBeLessThan(1e-10);
  });

  it('velocityDenoiser and denoiserVelocity are inverse conversions through the EDM frame (1e-10)', async () => {
    const model: VelocityModel = (x, t) => Promise.resolve(Tensor.from(x.data.map((v, k) => Math.sin(v) + t[Math.floor(k / x.rowSize)]!), x.shape, 'float64'));
    const roundTrip = denoiserVelocity(path, velocityDenoiser(path, model));
    const x = randomBatch(5, 3, 4);
    const t = Float64Array.from([0.05, 0.2, 0.5, 0.7, 0.95]);
    const want = await model(x, t);
    expect(maxAbsDiff((await roundTrip(x, t)).data, want.data)).toBeLessThan(1e-10);
  });
});

describe('straightness and curvature of single-sample trajectories', () => {
  const x0 = randomBatch(1, 4, 10);
  const x1 = randomBatch(1, 4, 11);
  /** Largest distance of x_t from the chord x0 -> x1, over t in a grid. */
  const offChord = (path: TrajectoryPath): number => {
    const d = Array.from(x1.data, (v, j) => v - x0.data[j]!);
    const dd = d.reduce((s, v) => s + v * v, 0);
    let m = 0;
    for (let k = 1; k < 100; k++) {
      const p = pathPoint(path, x0, x1, k / 100).data;
      const w = Array.from(p, (v, j) => v - x0.data[j]!);
      const proj = w.reduce((s, v, j) => s + v * d[j]!, 0) / dd;
      m = Math.max(m, Math.sqrt(w.reduce((s, v, j) => s + (v - proj * d[j]!) ** 2, 0)));
    }
    return m;
  };

  it('the straight line stays on the chord and one Euler step from any t lands on x0 (1e-12)', () => {
    expect(offChord(straightPath())).toBeLessThan(1e-12);
    for (const t of [1, 0.7, 0.2]) {
      const x = pathPoint(straightPath(), x0, x1, t);
      const v = conditionalVelocity(straightPath(), x0, x1, t);
      const landed = x.data.map((xv, j) => xv - t * v.data[j]!);
      expect(maxAbsDiff(landed, x0.data)).toBeLessThan(1e-12);
    }
  });

  it('bezier(lambda = 1) and one segment are the straight line; the trig and other bezier curves leave the chord', () => {
    expect(offChord(bezierPath({ lambda: 1 }))).toBeLessThan(1e-12);
    expect(offChord(segmentedPath({ segments: 1 }))).toBeLessThan(1e-12);
    expect(offChord(trigPath())).toBeGreaterThan(0.1);
    expect(offChord(bezierPath({ lambda: 0.3 }))).toBeGreaterThan(0.1);
    // theta -> 0 tends to the straight line: the arc's bulge shrinks like theta^2.
    expect(offChord(trigPath({ theta: 0.01 }))).toBeLessThan(1e-4 * offChord(trigPath({ theta: 1 })));
  });

  it('ON segments: knots on the base curve, straight between knots, converging to the curve like 1/ON^2', () => {
    const base = trigPath();
    const gap = (on: number): number => {
      const p = segmentedPath({ segments: on, base });
      let m = 0;
      for (let k = 0; k <= 1000; k++) {
        const t = k / 1000;
        m = Math.max(m, Math.abs(p.coefficients(t).a - base.coefficients(t).a), Math.abs(p.coefficients(t).b - base.coefficients(t).b));
      }
      for (let k = 0; k <= on; k++) {
        expect(Math.abs(p.coefficients(k / on).a - base.coefficients(k / on).a)).toBeLessThan(1e-15);
      }
      return m;
    };
    const g4 = gap(4);
    const g8 = gap(8);
    expect(g8 / g4).toBeGreaterThan(0.2);
    expect(g8 / g4).toBeLessThan(0.3);
    const p = segmentedPath({ segments: 3 });
    expect(p.knots).toEqual([1 / 3, 2 / 3]);
    // Constant velocity inside a segment, and the knot belongs to the segment below it.
    expect(p.coefficients(0.4).da).toBe(p.coefficients(0.6).da);
    expect(p.coefficients(1 / 3).da).toBe(p.coefficients(0.1).da);
  });

  it('rejects shape parameters outside their ranges', () => {
    expect(() => trigPath({ theta: 0 })).toThrow(ValueError);
    expect(() => trigPath({ theta: Math.PI })).toThrow(ValueError);
    expect(() => bezierPath({ lambda: 0 })).toThrow(ValueError);
    expect(() => segmentedPath({ segments: 0 })).toThrow(ValueError);
    expect(() => straightPath().coefficients(1.5)).toThrow(ValueError);
  });
});

describe('path priors', () => {
  const PRIORS: [PathPrior, number][] = [
    [gaussianPrior({ scale: 1.5 }), 0],
    [radialPrior({ radius: { kind: 'uniform', min: 0.5, max: 2 } }), 0],
    [radialPrior({ radius: { kind: 'betaPrime', D: 7, r: 3 } }), 0],
    [radialPrior({ radius: { kind: 'chi', scale: 0.7 } }), 0],
    [boxPrior({ halfWidth: 2 }), 0],
  ];

  it.each(PRIORS.map(([p]) => [p.name, p] as const))('%s: mean 0 and E|x|^2 = secondMoment(n) (5 standard errors, 40000 draws)', (_n, prior) => {
    const rows = 40000;
    const n = 6;
    const x = prior.sample([rows, n], new PhiloxRng(21), 'float64');
    const sq = new Float64Array(rows);
    const mean = new Float64Array(n);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < n; j++) {
        const v = x.data[i * n + j]!;
        sq[i]! += v * v;
        mean[j]! += v / rows;
      }
    }
    const m2 = sq.reduce((s, v) => s + v, 0) / rows;
    const var2 = sq.reduce((s, v) => s + (v - m2) ** 2, 0) / rows;
    expect(Math.abs(m2 - prior.secondMoment(n))).toBeLessThan(5 * Math.sqrt(var2 / rows));
    const sdCoord = Math.sqrt(prior.secondMoment(n) / n / rows);
    for (let j = 0; j < n; j++) expect(Math.abs(mean[j]!)).toBeLessThan(5 * sdCoord);
  });

  it('densities are normalised in 2-D and 3-D: radial priors by shell quadrature, the box and Gaussian on a grid (2e-3)', () => {
    const radial = [radialPrior({ radius: { kind: 'uniform', min: 0.5, max: 2 } }), radialPrior({ radius: { kind: 'betaPrime', D: 5, r: 1 } }), radialPrior({ radius: { kind: 'chi', scale: 1.3 } })];
    for (const prior of radial) {
      for (const n of [2, 3]) {
        // integral of |S^{n-1}| R^(n-1) p(R e1) dR by the midpoint rule on [0, 200].
        const area = n === 2 ? 2 * Math.PI : 4 * Math.PI;
        const m = 40000;
        const h = 200 / m;
        const u = new Float64Array(n);
        let total = 0;
        for (let i = 0; i < m; i++) {
          u[0] = (i + 0.5) * h;
          total += area * u[0] ** (n - 1) * Math.exp(prior.logDensity(u, 0, n)) * h;
        }
        expect(Math.abs(total - 1)).toBeLessThan(2e-3);
      }
    }
    for (const prior of [gaussianPrior(), boxPrior({ halfWidth: 1.5 })]) {
      const L = 6;
      const m = 400;
      const h = (2 * L) / m;
      let total = 0;
      const u = new Float64Array(2);
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < m; j++) {
          u[0] = -L + (i + 0.5) * h;
          u[1] = -L + (j + 0.5) * h;
          total += Math.exp(prior.logDensity(u, 0, 2)) * h * h;
        }
      }
      expect(Math.abs(total - 1)).toBeLessThan(2e-3);
    }
  });

  it('radius x direction with the chi law is the Gaussian prior (equal log densities, 1e-12)', () => {
    const g = gaussianPrior({ scale: 0.7 });
    const r = radialPrior({ radius: { kind: 'chi', scale: 0.7 } });
    const x = randomBatch(20, 9, 5);
    for (let i = 0; i < 20; i++) expect(Math.abs(r.logDensity(x.data, i * 9, 9) - g.logDensity(x.data, i * 9, 9))).toBeLessThan(1e-12);
  });

  it("PFGM's hemisphere prior (betaPrime, D = 1): |x1| follows radiusCdf (KS p > 1e-3)", () => {
    const prior = radialPrior({ radius: { kind: 'betaPrime', D: 1, r: 40 } });
    const x = prior.sample([4000, 16], new PhiloxRng(8), 'float64');
    const norms = Array.from({ length: 4000 }, (_, i) => Math.hypot(...x.data.subarray(i * 16, i * 16 + 16)));
    const d = ksStatistic(norms, (q) => radiusCdf(q, { N: 16, D: 1, r: 40 }));
    expect(ksPValue(d, norms.length)).toBeGreaterThan(1e-3);
    expect(prior.secondMoment(16)).toBe(Infinity);
  });

  it('pathTrainingBatch returns x_t and the conditional velocity of its own draws', () => {
    const path = trigPath();
    const x0 = randomBatch(8, 3, 6);
    const batch = pathTrainingBatch(path, boxPrior(), x0, new PhiloxRng(9), { dtype: 'float64' });
    expect(maxAbsDiff(batch.x.data, pathPoint(path, x0, batch.x1, batch.t).data)).toBe(0);
    expect(maxAbsDiff(batch.velocity.data, conditionalVelocity(path, x0, batch.x1, batch.t).data)).toBe(0);
    expect(batch.target).toBe(x0);
    for (const t of batch.t) expect(t > 0 && t < 1).toBe(true);
  });

  it('priorLogKernel: the Gaussian is -sqDist/(2 sigma^2) up to a constant; the box has none', () => {
    const k = priorLogKernel(gaussianPrior());
    const c = k.logKernel(0, 2, 5);
    expect(Math.abs(k.logKernel(3, 2, 5) - c + 3 / 8)).toBeLessThan(1e-12);
    expect(() => priorLogKernel(boxPrior())).toThrow(ValueError);
    expect(boxPrior({ halfWidth: 1 }).supportExcess!([0.5, -1.75, 0.2], 0, 3)).toBe(0.75);
    expect(boxPrior({ halfWidth: 1 }).supportExcess!([0.5, -1, 0.2], 0, 3)).toBe(0);
    const shell = radialPrior({ radius: { kind: 'uniform', min: 1, max: 2 } });
    expect(shell.supportExcess!([3, 4], 0, 2)).toBe(3);
    expect(shell.supportExcess!([0.3, 0.4], 0, 2)).toBe(0.5);
    expect('supportExcess' in radialPrior({ radius: { kind: 'chi', scale: 1 } })).toBe(false);
  });

  it('denoiserVelocity needs t in (0, 1) unless the whole batch is at t = 0', async () => {
    const denoiser: Denoiser = (x) => Promise.resolve(x.clone());
    const v = denoiserVelocity(straightPath(), denoiser);
    const x = randomBatch(2, 3, 1);
    await expect(v(x, Float64Array.from([1, 0.5]))).rejects.toThrow(ValueError);
    expect(maxAbsDiff((await v(x, new Float64Array(2))).data, x.data.map((q) => -q))).toBe(0);
  });
});

describe('paths and priors by name', () => {
  it('every name parses back to the same family', () => {
    for (const p of [...PATHS, segmentedPath({ segments: 2, base: segmentedPath({ segments: 3 }) })]) {
      const q = pathFromName(p.name);
      expect(q.name).toBe(p.name);
      for (const t of [0.1, 0.45, 0.8]) expect(Math.abs(q.coefficients(t).a - p.coefficients(t).a)).toBeLessThan(1e-5);
    }
    expect(pathFromName('trig').name).toBe(trigPath().name);
    const priors = [gaussianPrior({ scale: 2 }), boxPrior({ halfWidth: 0.5 }), radialPrior({ radius: { kind: 'uniform', min: 0.5, max: 2 } }), radialPrior({ radius: { kind: 'betaPrime', D: 1, r: 40 } }), radialPrior({ radius: { kind: 'chi', scale: 3 } })];
    for (const p of priors) expect(priorFromName(p.name).name).toBe(p.name);
    expect(priorFromName('gaussian').name).toBe('gaussian(1)');
  });

  it('rejects unknown names', () => {
    expect(() => pathFromName('spiral')).toThrow(ValueError);
    expect(() => priorFromName('radial(cauchy(1))')).toThrow(ValueError);
  });
});
