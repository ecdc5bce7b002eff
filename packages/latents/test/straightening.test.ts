// Thesis Fig. 4.3/4.4 on the shipped 2-D models (examples/models/disco): DisCo-Diff's ODE
// trajectories are straighter than those of the same-size model without latents, and its samples
// are at least as close to the data in W1 at the same NFE.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PhiloxRng, type Tensor } from '@phys/tensor';
import { edmKernel, edmSchedule } from '@phys/kernels';
import { heunSample } from '@phys/samplers';
import { curvatureAlongTrajectory, edmDrift, slicedWasserstein } from '@phys/metrics';
import { loadDenoiser, type OnnxDenoiser } from '@phys/onnx';
import { discoSample } from '../src/index.js';
import { OnnxLatentPrior, loadLatentDenoiser, type OnnxLatentDenoiser } from '../src/onnx.js';
import { ringMixture } from './ring.js';

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../examples/models/disco');

let disco: OnnxLatentDenoiser;
let base: OnnxDenoiser;
let prior: OnnxLatentPrior;

beforeAll(async () => {
  disco = await loadLatentDenoiser(path.join(dir, 'disco-denoiser.onnx'));
  base = await loadDenoiser(path.join(dir, 'baseline-denoiser.onnx'));
  prior = await OnnxLatentPrior.load(path.join(dir, 'disco-prior.onnx'));
});

afterAll(async () => {
  await disco.dispose();
  await base.dispose();
  await prior.dispose();
});

async function sampleBoth(n: number, steps: number, seed: number, trajectory = false) {
  const sigmas = edmSchedule({ steps, sigmaMin: disco.info.sigmaMin, sigmaMax: disco.info.sigmaMax });
  const x0 = edmKernel().prior([n, 2], sigmas[0]!, new PhiloxRng(seed));
  const withLatents = await discoSample(disco, (d, o) => heunSample(d, x0, sigmas, { ...o, trajectory }), {
    prior,
    rows: n,
    rng: new PhiloxRng(seed + 1),
  });
  const without = await heunSample(base, x0, sigmas, { trajectory });
  return { sigmas, withLatents, without };
}

/** Mean over rows of the summed angle (radians) between successive steps of each path. */
function meanTurning(states: readonly Tensor[]): number {
  const n = states[0]!.rows;
  let total = 0;
  for (let r = 0; r < n; r++) {
    for (let k = 1; k + 1 < states.length; k++) {
      const ax = states[k]!.data[2 * r]! - states[k - 1]!.data[2 * r]!;
      const ay = states[k]!.data[2 * r + 1]! - states[k - 1]!.data[2 * r + 1]!;
      const bx = states[k + 1]!.data[2 * r]! - states[k]!.data[2 * r]!;
      const by = states[k + 1]!.data[2 * r + 1]! - states[k]!.data[2 * r + 1]!;
      const na = Math.hypot(ax, ay);
      const nb = Math.hypot(bx, by);
      if (na > 0 && nb > 0) total += Math.acos(Math.max(-1, Math.min(1, (ax * bx + ay * by) / (na * nb))));
    }
  }
  return total / n;
}

describe('DisCo-Diff on the 2-D mixture of thesis Fig. 4.3', () => {
  it('lowers the mean curvature of the ODE where it transports samples between modes (Fig. 4.4a)', async () => {
    const { withLatents, without } = await sampleBoth(400, 35, 100, true);
    const states = (r: { trajectory?: readonly Tensor[]; trajectorySigmas?: readonly number[] }) =>
      r.trajectory!.slice(0, -1).map((x, i) => ({ t: r.trajectorySigmas![i]!, x }));
    // Thesis App. B.2.2: kappa = |T(t) - T(t - dt)| / |x(t) - x(t - dt)|, one Euler step, dt = 0.001.
    const kd = await curvatureAlongTrajectory(edmDrift(disco, withLatents.z), states(withLatents), { dt: 1e-3 });
    const kb = await curvatureAlongTrajectory(edmDrift(base), states(without), { dt: 1e-3 });
    // Between t = 0.2 (the modes' std) and t = 3 (the ring's radius) the trajectories pick their
    // mode: there the latents remove the bends, at every recorded time, and by > 5x in the
    // geometric mean (the values span decades, so an arithmetic mean is the smallest t's). Above,
    // both are straight (kappa < 0.03); below, both follow the within-mode noise (docs/disco.md).
    const phase = kd.map((c, i) => ({ t: c.t, d: c.mean, b: kb[i]!.mean })).filter((c) => c.t >= 0.2 && c.t <= 3);
    expect(phase.length).toBeGreaterThanOrEqual(8);
    for (const c of phase) expect(c.d).toBeLessThan(c.b);
    const logMean = (v: number[]) => v.reduce((a, b) => a + Math.log(b), 0) / v.length;
    expect(logMean(phase.map((c) => c.d))).toBeLessThan(logMean(phase.map((c) => c.b)) - Math.log(5));
    // Whole path: the total turning (sum of the angles between successive Heun steps) is lower.
    expect(meanTurning(withLatents.trajectory!)).toBeLessThan(0.5 * meanTurning(without.trajectory!));
  });

  // Sliced W1 (metrics, 64 directions) to a stratified reference of 8000 data points (1000 per
  // mode, like the training set), so the comparison is not swamped by the reference's own mode
  // counts; n = 2000 generated points. Fresh data scores 0.03-0.07 against the same reference.
  const reference = ringMixture(8000, new PhiloxRng(7), { stratified: true }).x;
  const sw1 = (x: Tensor) => slicedWasserstein(x.astype('float64'), reference, { projections: 64 }).distance;

  it.each([
    [6, 0.25],
    [12, 0.8],
    [18, 1],
    [35, 1],
  ])('with Heun %i steps the samples are at least as close in sliced W1 to the data (ratio <= %p)', async (steps, ratio) => {
    const { withLatents, without } = await sampleBoth(2000, steps, 1000 + steps);
    expect(withLatents.nfe).toBe(without.nfe);
    expect(sw1(withLatents.x)).toBeLessThanOrEqual(ratio * sw1(without.x));
  });
});
