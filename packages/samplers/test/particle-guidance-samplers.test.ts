// Particle guidance composed into every sampler through withParticleGuidance: same NFE, the batch is
// coupled (moving one particle's start changes the others' results), scale 0 is the unguided run
// bit for bit, the drift gains +sigma^2-weighted repulsion with the right sign, and DDIM with
// referenceScale(coeff, { space: 'vp' }) reproduces the reference's eps - grad_phi loop in VP latents.
import { PhiloxRng, Tensor, type Denoiser } from '@phys/tensor';
import { edmSchedule } from '@phys/kernels';
import { ringMixture } from '@phys/fields';
import { expectClose } from '../../../test-support/golden.js';
import {
  ddimSample,
  dpmSolverSample,
  edmStochasticSample,
  eulerMaruyamaSample,
  eulerSample,
  heunSample,
  odeSample,
  particleGuidance,
  predictorCorrectorSample,
  rbfRepulsion,
  referenceScale,
  restartSample,
  rk45Sample,
  rk45Solver,
  thesisScale,
  withParticleGuidance,
  type ParticleGuidance,
  type SampleResult,
} from '../src/index.js';

const mixture = ringMixture({ count: 5 }).denoiser();
const n = 6;
const sigmas = edmSchedule({ steps: 8, sigmaMax: 5 });
const prior = (seed: number): Tensor => {
  const x = new PhiloxRng(seed).normal([n, 2], 'float64');
  for (let k = 0; k < x.size; k++) x.data[k]! *= 5;
  return x;
};
const alphas = Array.from(sigmas.slice(0, -1), (s) => 1 / (1 + s * s)).concat(1);

type Run = (d: Denoiser, x: Tensor) => Promise<SampleResult>;
// [name, run, fixed NFE, rows independent without guidance (adaptive RK45 couples rows through its error norm)]
const samplers: [string, Run, boolean, boolean][] = [
  ['euler', (d, x) => eulerSample(d, x, sigmas), true, true],
  ['heun', (d, x) => heunSample(d, x, sigmas), true, true],
  ['rk45 (adaptive)', (d, x) => rk45Sample(d, x, { sigmaMax: 5, sigmaMin: 0.01, rtol: 1e-3, atol: 1e-3 }), false, false],
  ['odeSample + rk45Solver', (d, x) => odeSample(d, x, sigmas, rk45Solver({ rtol: 1e-3, atol: 1e-3 })), false, false],
  ['dpm-solver++(3M)', (d, x) => dpmSolverSample(d, x, sigmas), true, true],
  ['dpm-solver-2 singlestep', (d, x) => dpmSolverSample(d, x, sigmas, { method: 'singlestep', order: 2 }), true, true],
  ['edm churn', (d, x) => edmStochasticSample(d, x, sigmas, { rng: new PhiloxRng(7), sChurn: 10 }), true, true],
  ['euler-maruyama', (d, x) => eulerMaruyamaSample(d, x, sigmas, { rng: new PhiloxRng(7) }), true, true],
  ['predictor-corrector', (d, x) => predictorCorrectorSample(d, x, sigmas, { rng: new PhiloxRng(7), stepNorm: 'sample' }), true, true],
  [
    'ddim',
    (d, x) => {
      const xt = x.clone();
      for (let k = 0; k < xt.size; k++) xt.data[k]! *= Math.sqrt(alphas[0]!);
      return ddimSample(d, xt, alphas);
    },
    true,
    true,
  ],
  ['restart', (d, x) => restartSample(d, x, sigmas, { levels: { '0': [3, 2, 0.1, 1] }, rng: new PhiloxRng(7) }), true, true],
];

const guidance: ParticleGuidance = particleGuidance({ scale: thesisScale(3) });

describe.each(samplers)('%s with particle guidance', (_name, run, fixedNfe, independent) => {
  test('same NFE as unguided (fixed-step samplers), a coupled batch, and scale 0 is the unguided run bit for bit', async () => {
    const plain = await run(mixture, prior(1));
    const guided = await run(withParticleGuidance(mixture, guidance), prior(1));
    if (fixedNfe) expect(guided.nfe).toBe(plain.nfe);
    expect(guided.x.data.every(Number.isFinite)).toBe(true);
    expect(Array.from(guided.x.data)).not.toEqual(Array.from(plain.x.data));
    const off = await run(withParticleGuidance(mixture, particleGuidance({ scale: 0 })), prior(1));
    expect(Array.from(off.x.data)).toEqual(Array.from(plain.x.data));
    // Coupling: move particle 5's start; particle 0's result changes only with guidance.
    const moved = prior(1);
    moved.data[10]! += 1;
    const plainMoved = await run(mixture, moved);
    const guidedMoved = await run(withParticleGuidance(mixture, guidance), moved);
    if (independent) expect(Array.from(plainMoved.x.row(0))).toEqual(Array.from(plain.x.row(0)));
    expect(Array.from(guidedMoved.x.row(0))).not.toEqual(Array.from(guided.x.row(0)));
  });
});

test('one Euler step with a zero score moves particles apart by (sigma - sigma\') sigma alpha R', async () => {
  const identity: Denoiser = (x) => Promise.resolve(x.clone());
  const x = Tensor.from([0, 0, 1, 0.5, -0.3, 1], [3, 2], 'float64');
  const res = await eulerSample(withParticleGuidance(identity, particleGuidance({ scale: 2 })), x, [2, 1.5]);
  const { repulsion } = rbfRepulsion(x, 2);
  // dx/dsigma = (x - D')/sigma = -sigma alpha R, so x' = x + (sigma - sigma') sigma alpha R
  expectClose(res.x.data, Array.from(x.data, (v, k) => v + 0.5 * 2 * 2 * repulsion.data[k]!), 1e-14, 1e-15, 'x');
  const spread = (t: Tensor): number => {
    let s = 0;
    for (let i = 0; i < 3; i++) for (let j = 0; j < i; j++) s += Math.hypot(t.data[2 * i]! - t.data[2 * j]!, t.data[2 * i + 1]! - t.data[2 * j + 1]!);
    return s;
  };
  expect(spread(res.x)).toBeGreaterThan(spread(x));
});

test("DDIM (eta = 0) with referenceScale(coeff, { space: 'vp' }) equals the reference loop: eps' = eps - sigma coeff R on VP latents", async () => {
  const coeff = 0.8;
  const steps = 10;
  // A VP schedule through sigma = 1 so the gate (no guidance below sigma = 1) switches mid-run.
  const sig = Array.from({ length: steps }, (_, i) => 6 * (0.02 / 6) ** (i / (steps - 1)));
  const abar = sig.map((s) => 1 / (1 + s * s)).concat(1);
  const start = new PhiloxRng(3).normal([5, 2], 'float64');
  const x0 = Tensor.from(Array.from(start.data, (v) => v * Math.sqrt(1 - abar[0]!)), [5, 2], 'float64');
  const ours = await ddimSample(withParticleGuidance(mixture, particleGuidance({ scale: referenceScale(coeff, { space: 'vp' }) })), x0, abar);

  // The reference (pipeline_stable_diffusion_particle.py + diffusers DDIM step), written out on VP latents.
  const lat = Float64Array.from(x0.data);
  for (let i = 0; i < steps; i++) {
    const a = abar[i]!;
    const aNext = abar[i + 1]!;
    const sigma = Math.sqrt((1 - a) / a);
    const xe = Tensor.from(Array.from(lat, (v) => v / Math.sqrt(a)), [5, 2], 'float64');
    const D = await mixture(xe, new Float64Array(5).fill(sigma));
    const eps = Float64Array.from(lat, (v, k) => (v / Math.sqrt(a) - D.data[k]!) / sigma);
    const gradPhi = new Float64Array(10);
    if (!(sigma < 1)) {
      for (let p = 0; p < 5; p++) {
        const dist: number[] = [];
        for (let q = 0; q < 5; q++) if (q !== p) dist.push(Math.hypot(lat[2 * p]! - lat[2 * q]!, lat[2 * p + 1]! - lat[2 * q + 1]!));
        dist.sort((u, v) => u - v);
        const h = dist[1]! ** 2 / Math.log(4); // lower median of 4 distances
        for (let q = 0; q < 5; q++) {
          if (q === p) continue;
          const dx = lat[2 * p]! - lat[2 * q]!;
          const dy = lat[2 * p + 1]! - lat[2 * q + 1]!;
          const w = Math.exp(-(dx * dx + dy * dy) / h);
          gradPhi[2 * p]! += ((2 * w * dx) / h) * sigma * coeff;
          gradPhi[2 * p + 1]! += ((2 * w * dy) / h) * sigma * coeff;
        }
      }
    }
    for (let k = 0; k < 10; k++) {
      const e = eps[k]! - gradPhi[k]!;
      const predX0 = (lat[k]! - Math.sqrt(1 - a) * e) / Math.sqrt(a);
      lat[k] = Math.sqrt(aNext) * predX0 + Math.sqrt(1 - aNext) * e;
    }
  }
  expectClose(ours.x.data, lat, 1e-10, 1e-12, 'DDIM + PG vs the reference loop');
  const unguided = await ddimSample(mixture, x0, abar);
  expect(Math.max(...Array.from(unguided.x.data, (v, k) => Math.abs(v - lat[k]!)))).toBeGreaterThan(1e-3);
});
