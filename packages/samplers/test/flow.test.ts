import { PhiloxRng, Tensor, ValueError } from '@phys/tensor';
import { edmSchedule, gaussianPrior, radialPrior, segmentedPath, straightPath, trigPath, velocityDenoiser, type TrajectoryPath } from '@phys/kernels';
import { empiricalVelocityField } from '@phys/fields';
import { flowRk45Sample, flowSample, flowTimes, heunSample } from '../src/index.js';

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

/** Largest distance of the recorded states of row `i` from the chord between its first and last state. */
function offChord(traj: readonly Tensor[], i: number): number {
  const n = traj[0]!.rowSize;
  const p0 = traj[0]!.data.subarray(i * n, i * n + n);
  const p1 = traj[traj.length - 1]!.data.subarray(i * n, i * n + n);
  const d = Array.from(p1, (v, j) => v - p0[j]!);
  const dd = d.reduce((s, v) => s + v * v, 0);
  let m = 0;
  for (const x of traj) {
    const w = Array.from(x.data.subarray(i * n, i * n + n), (v, j) => v - p0[j]!);
    const proj = w.reduce((s, v, j) => s + v * d[j]!, 0) / dd;
    m = Math.max(m, Math.sqrt(w.reduce((s, v, j) => s + (v - proj * d[j]!) ** 2, 0)));
  }
  return m;
}

describe('flowSample on exact empirical fields', () => {
  const prior = gaussianPrior();

  it('one reference point: the straight-line flow is straight and one Euler step lands on the data (1e-12)', async () => {
    const y = Tensor.from([0.7, -1.2, 2], [1, 3], 'float64');
    const v = empiricalVelocityField(y, straightPath(), prior);
    const x1 = prior.sample([4, 3], new PhiloxRng(1), 'float64');
    const one = await flowSample(v, x1, [1, 0]);
    for (let i = 0; i < 4; i++) expect(maxAbsDiff(one.x.data.subarray(i * 3, i * 3 + 3), y.data)).toBeLessThan(1e-12);
    expect(one.nfe).toBe(1);
    const many = await flowSample(v, x1, flowTimes(10), { trajectory: true });
    for (let i = 0; i < 4; i++) expect(offChord(many.trajectory!, i)).toBeLessThan(1e-12);
  });

  it('superposed straight lines bend: two reference points give curved trajectories', async () => {
    const ref = Tensor.from([-2, 0, 2, 0], [2, 2], 'float64');
    const v = empiricalVelocityField(ref, straightPath(), prior);
    const x1 = Tensor.from([0.3, 1, -0.2, -1.5], [2, 2], 'float64');
    const r = await flowSample(v, x1, flowTimes(200), { solver: 'heun', trajectory: true });
    for (let i = 0; i < 2; i++) expect(offChord(r.trajectory!, i)).toBeGreaterThan(0.05);
    // Each sample lands on a reference point (within the step error).
    for (let i = 0; i < 2; i++) {
      const xi = r.x.data.subarray(i * 2, i * 2 + 2);
      expect(Math.min(Math.hypot(xi[0]! + 2, xi[1]!), Math.hypot(xi[0]! - 2, xi[1]!))).toBeLessThan(1e-2);
    }
  });

  it('paths sharing a prior share the transport map: straight, trig and ON = 4 segments reach the same samples (RK45, 1e-4)', async () => {
    const ref = new PhiloxRng(2).normal([6, 2], 'float64');
    const pr = radialPrior({ radius: { kind: 'uniform', min: 0.5, max: 2.5 } });
    const x1 = pr.sample([5, 2], new PhiloxRng(3), 'float64');
    const ends: Tensor[] = [];
    for (const path of [straightPath(), trigPath(), segmentedPath({ segments: 4 })] as TrajectoryPath[]) {
      // End every path at the same sigma = b/a = 1e-3 and compare x~ = x/a (the EDM frame).
      const tEnd = path.tOfSigma(1e-3);
      const edges = [1, ...[...path.knots].reverse(), tEnd];
      let x = x1;
      for (let s = 0; s + 1 < edges.length; s++) {
        x = (await flowRk45Sample(empiricalVelocityField(ref, path, pr), x, { tStart: edges[s]!, tEnd: edges[s + 1]!, rtol: 1e-8, atol: 1e-8 })).x;
      }
      const a = path.coefficients(tEnd).a;
      ends.push(Tensor.from(x.data.map((q) => q / a), x.shape, 'float64'));
    }
    expect(maxAbsDiff(ends[0]!.data, ends[1]!.data)).toBeLessThan(1e-4);
    expect(maxAbsDiff(ends[0]!.data, ends[2]!.data)).toBeLessThan(1e-4);
  });

  it('natural time and the sigma conversion integrate the same ODE (Heun, 400 vs 200 steps, 2e-3)', async () => {
    const ref = new PhiloxRng(4).normal([5, 2], 'float64');
    const path = trigPath();
    const v = empiricalVelocityField(ref, path, prior);
    const sigmaMax = 200;
    const x1 = prior.sample([4, 2], new PhiloxRng(5), 'float64');
    const tMax = path.tOfSigma(sigmaMax);
    const a = path.coefficients(tMax).a;
    const ts = Float64Array.from({ length: 401 }, (_, k) => tMax * (1 - k / 400));
    // The same starting point in both frames: x_t = a x~ with x~ = sigmaMax x1.
    const xt = Tensor.from(x1.data.map((q) => a * sigmaMax * q), x1.shape, 'float64');
    const natural = await flowSample(v, xt, ts, { solver: 'heun' });
    const sigmas = edmSchedule({ steps: 200, sigmaMin: 0.002, sigmaMax });
    const edm = await heunSample(velocityDenoiser(path, v), Tensor.from(x1.data.map((q) => sigmaMax * q), x1.shape, 'float64'), sigmas);
    expect(maxAbsDiff(natural.x.data, edm.x.data)).toBeLessThan(2e-3);
  });
});

describe('flowTimes and solver bookkeeping', () => {
  it('puts stepsPerSegment uniform steps on each segment of a multi-segment path', () => {
    const ts = flowTimes(2, segmentedPath({ segments: 3 }));
    const want = [1, 5 / 6, 2 / 3, 1 / 2, 1 / 3, 1 / 6, 0];
    expect(maxAbsDiff(ts, want)).toBeLessThan(1e-15);
    expect(ts[2]).toBe(2 / 3);
    expect(flowTimes(4).length).toBe(5);
    expect(() => flowTimes(0)).toThrow(ValueError);
  });

  it('counts NFE: Euler N, midpoint 2N, Heun 2N - 1 (last step to t = 0 is Euler)', async () => {
    const v = empiricalVelocityField(Tensor.from([1, 2], [1, 2], 'float64'), straightPath(), gaussianPrior());
    const x = Tensor.from([0, 0], [1, 2], 'float64');
    expect((await flowSample(v, x, flowTimes(5))).nfe).toBe(5);
    expect((await flowSample(v, x, flowTimes(5), { solver: 'midpoint' })).nfe).toBe(10);
    expect((await flowSample(v, x, flowTimes(5), { solver: 'heun' })).nfe).toBe(9);
    await expect(flowSample(v, x, [1.5, 0])).rejects.toThrow(ValueError);
  });
});
