import { PhiloxRng, Tensor, ValueError } from '@phys/tensor';
import {
  bezierPath,
  boxPrior,
  edmKernel,
  gaussianPrior,
  priorLogKernel,
  radialPrior,
  segmentedPath,
  straightPath,
  trigPath,
  velocityDenoiser,
  type PathPrior,
  type TrajectoryPath,
} from '@phys/kernels';
import { empiricalDenoiser, empiricalVelocity, empiricalVelocityField, pathPosteriorWeights, trajectoryIndicator } from '../src/index.js';

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

/** The superposed velocity by its definition: softmax_j log p_prior((x - a y_j)/b), then sum_j w_j (a' y_j + b' x1_j). */
function bruteVelocity(x: Tensor, t: number, reference: Tensor, path: TrajectoryPath, prior: PathPrior): Float64Array {
  const { a, b, da, db } = path.coefficients(t);
  const n = x.rowSize;
  const m = reference.rows;
  const out = new Float64Array(x.data.length);
  for (let i = 0; i < x.rows; i++) {
    const u: Float64Array[] = [];
    const logw: number[] = [];
    for (let j = 0; j < m; j++) {
      const uj = new Float64Array(n);
      for (let k = 0; k < n; k++) uj[k] = (x.data[i * n + k]! - a * reference.data[j * n + k]!) / b;
      u.push(uj);
      logw.push(prior.logDensity(uj, 0, n) - n * Math.log(b));
    }
    const max = Math.max(...logw);
    const w = logw.map((l) => Math.exp(l - max));
    const z = w.reduce((s, v) => s + v, 0);
    for (let j = 0; j < m; j++) {
      for (let k = 0; k < n; k++) out[i * n + k]! += (w[j]! / z) * (da * reference.data[j * n + k]! + db * u[j]![k]!);
    }
  }
  return out;
}

const CASES: [TrajectoryPath, PathPrior][] = [
  [straightPath(), gaussianPrior()],
  [trigPath(), radialPrior({ radius: { kind: 'uniform', min: 0.5, max: 3 } })],
  [bezierPath({ lambda: 0.4 }), radialPrior({ radius: { kind: 'betaPrime', D: 1, r: 2 } })],
  [segmentedPath({ segments: 3 }), boxPrior({ halfWidth: 1.5 })],
];

describe.each(CASES.map(([p, q]) => [p.name, q.name, p, q] as const))('empirical superposed field, %s with %s', (_p, _q, path, prior) => {
  const n = 3;
  const reference = new PhiloxRng(1).normal([7, n], 'float64');

  it('matches the brute-force superposition of conditional velocities (1e-10 relative)', () => {
    for (const t of [0.05, 0.3, 0.62, 0.97]) {
      // Points of the marginal at t: a y_j + b x1 with x1 from the prior (inside every bounded support).
      const { a, b } = path.coefficients(t);
      const x1 = prior.sample([5, n], new PhiloxRng(Math.round(t * 100)), 'float64');
      const x = Tensor.from(
        x1.data.map((v, k) => a * reference.data[(Math.floor(k / n) % 7) * n + (k % n)]! + b * v),
        [5, n],
        'float64',
      );
      const want = bruteVelocity(x, t, reference, path, prior);
      const got = empiricalVelocity(x, t, reference, path, prior);
      const scale = Math.max(...want.map(Math.abs));
      expect(maxAbsDiff(got.data, want) / scale).toBeLessThan(1e-10);
    }
  });

  it('weights are uniform at t = 1 and sit on the nearest reference point at t = 0', () => {
    const x = new PhiloxRng(3).normal([2, n], 'float64');
    const w1 = pathPosteriorWeights(x, 1, reference, path, prior);
    for (const w of w1.data) expect(Math.abs(w - 1 / 7)).toBeLessThan(1e-15);
    const near = reference.sliceRows(4, 5).clone();
    near.data[0]! += 1e-3;
    const w0 = pathPosteriorWeights(near, 0, reference, path, prior);
    expect(Array.from(w0.data)).toEqual([0, 0, 0, 0, 1, 0, 0]);
  });
});

describe('the superposed field through the EDM frame', () => {
  const reference = new PhiloxRng(2).normal([9, 4], 'float64');
  const xs = new PhiloxRng(5).normal([6, 4], 'float64');

  it('the Gaussian straight-line field is the EDM ideal denoiser (velocityDenoiser vs empiricalDenoiser, 1e-10)', async () => {
    const denoiser = velocityDenoiser(straightPath(), empiricalVelocityField(reference, straightPath(), gaussianPrior()));
    const ideal = empiricalDenoiser(reference, edmKernel());
    for (const sigma of [0.1, 1, 30]) {
      const s = new Float64Array(6).fill(sigma);
      const x = Tensor.from(xs.data.map((v) => v * sigma), [6, 4], 'float64');
      expect(maxAbsDiff((await denoiser(x, s)).data, (await ideal(x, s)).data)).toBeLessThan(1e-10);
    }
  });

  it('every path with a radial prior gives the denoiser of priorLogKernel(prior) (1e-10)', async () => {
    const prior = radialPrior({ radius: { kind: 'uniform', min: 0.5, max: 3 } });
    const ideal = empiricalDenoiser(reference, priorLogKernel(prior));
    for (const path of [trigPath(), bezierPath({ lambda: 2 }), segmentedPath({ segments: 5 })]) {
      const denoiser = velocityDenoiser(path, empiricalVelocityField(reference, path, prior));
      for (const sigma of [0.5, 2]) {
        const s = new Float64Array(6).fill(sigma);
        const x = Tensor.from(xs.data.map((v) => v * sigma), [6, 4], 'float64');
        expect(maxAbsDiff((await denoiser(x, s)).data, (await ideal(x, s)).data)).toBeLessThan(1e-10);
      }
    }
  });

  it('chunked evaluation equals one pass (maxWeights)', async () => {
    const path = trigPath();
    const prior = gaussianPrior();
    const t = Float64Array.from([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]);
    const whole = await empiricalVelocityField(reference, path, prior)(xs, t);
    const chunked = await empiricalVelocityField(reference, path, prior, { maxWeights: 20 })(xs, t);
    expect(maxAbsDiff(whole.data, chunked.data)).toBe(0);
  });
});

describe('box prior outside every support', () => {
  it('takes the reference point with the least support excess, or throws without supportExcess', () => {
    const reference = Tensor.from([0, 0, 5, 5], [2, 2], 'float64');
    const x = Tensor.from([4.2, 4.9], [1, 2], 'float64');
    const path = straightPath();
    const w = pathPosteriorWeights(x, 0.5, reference, path, boxPrior({ halfWidth: 1 }));
    expect(Array.from(w.data)).toEqual([0, 1]);
    const box = boxPrior({ halfWidth: 1 });
    const bare: PathPrior = {
      name: box.name,
      sample: (shape, rng, dtype) => box.sample(shape, rng, dtype),
      logDensity: (u, offset, n) => box.logDensity(u, offset, n),
      secondMoment: (n) => box.secondMoment(n),
    };
    expect(() => pathPosteriorWeights(x, 0.5, reference, path, bare)).toThrow(ValueError);
  });
});

describe('trajectoryIndicator (Sec. 4.4)', () => {
  const reference = new PhiloxRng(4).normal([12, 2], 'float64');
  const x = new PhiloxRng(6).normal([50, 2], 'float64');
  const family = (path: TrajectoryPath, prior: PathPrior) => ({ path, velocity: empiricalVelocityField(reference, path, prior) });

  it('is 0 for path families that share a prior (straight vs trig vs ON segments, 1e-20)', async () => {
    const prior = gaussianPrior();
    const p = family(straightPath(), prior);
    for (const q of [family(trigPath(), prior), family(segmentedPath({ segments: 6 }), prior)]) {
      for (const sigma of [0.3, 1, 3]) {
        const xs = Tensor.from(x.data.map((v) => v * sigma * 1.2), x.shape, 'float64');
        expect(await trajectoryIndicator(p, q, xs, sigma)).toBeLessThan(1e-20);
      }
    }
  });

  it('is positive for different priors and grows with the difference of the priors', async () => {
    const p = family(straightPath(), gaussianPrior());
    const near = family(straightPath(), gaussianPrior({ scale: 1.05 }));
    const far = family(straightPath(), radialPrior({ radius: { kind: 'uniform', min: 0, max: 0.5 } }));
    const xs = Tensor.from(x.data.map((v) => v * 1.5), x.shape, 'float64');
    const iNear = await trajectoryIndicator(p, near, xs, 1);
    const iFar = await trajectoryIndicator(p, far, xs, 1);
    expect(iNear).toBeGreaterThan(1e-6);
    expect(iFar).toBeGreaterThan(10 * iNear);
  });
});
