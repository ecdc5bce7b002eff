// The shipped flow-matching (velocity) model of examples/models/flow2d (tools/flow2d/train.py:
// straight path, Gaussian prior, 8-Gaussian ring) sampled with every sampler: natural-time Euler,
// Heun, midpoint and RK45 on v(x, t), and, through the sigma conversion of its path
// (`model.denoiser`), EDM Euler and Heun, DPM-Solver++(3M), RK45 and Restart (the Gaussian
// prior makes x~ = x0 + sigma x1 the EDM kernel, so Restart's forward jumps apply).
// Run: npm run build -w @phys/examples && node examples/dist/flow2d-velocity.js [n=2000]
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PhiloxRng, Tensor } from '@phys/tensor';
import { edmSchedule } from '@phys/kernels';
import { dpmSolverSample, eulerSample, flowRk45Sample, flowSample, flowTimes, heunSample, restartSample, rk45Sample, type SampleResult } from '@phys/samplers';
import { slicedWasserstein } from '@phys/metrics';
import { loadVelocityModel } from '@phys/onnx';

const n = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 2000);
const file = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../models/flow2d/flow2d-straight.onnx');
const model = await loadVelocityModel(file);
console.log(`model: ${model.info.provenance ?? ''}`);
console.log(`path ${model.path.name}, prior ${model.prior.name}\n`);

/** 8 Gaussians, std 0.2, radius 3: fresh data for the sliced W1. */
function ring(count: number, seed: number): Tensor {
  const g = new PhiloxRng(seed).normal([count, 2], 'float64').data;
  return Tensor.from(
    Array.from({ length: 2 * count }, (_, k) => {
      const i = Math.floor(k / 2);
      const a = (2 * Math.PI * (i % 8)) / 8;
      return (k % 2 === 0 ? 3 * Math.cos(a) : 3 * Math.sin(a)) + 0.2 * g[k]!;
    }),
    [count, 2],
    'float64',
  );
}
const data = ring(8000, 1);
const floor = slicedWasserstein(ring(n, 2), data, { projections: 64 }).distance;
const x1 = model.prior.sample([n, 2], new PhiloxRng(3));
const sigmaMax = 80;
const xs = Tensor.from(x1.data.map((q) => sigmaMax * q), x1.shape, 'float32');
const sigmas = (steps: number) => edmSchedule({ steps, sigmaMin: 0.002, sigmaMax });

const runs: [string, () => Promise<SampleResult>][] = [
  ['natural t: Euler, 8 steps', () => flowSample(model.velocity, x1, flowTimes(8))],
  ['natural t: Heun, 8 steps', () => flowSample(model.velocity, x1, flowTimes(8), { solver: 'heun' })],
  ['natural t: midpoint, 8 steps', () => flowSample(model.velocity, x1, flowTimes(8), { solver: 'midpoint' })],
  ['natural t: RK45 (1e-4), t 1 -> 1e-3', () => flowRk45Sample(model.velocity, x1, { rtol: 1e-4, atol: 1e-4, tEnd: 1e-3 })],
  ['sigma: Euler, 16 steps', () => eulerSample(model.denoiser, xs, sigmas(16))],
  ['sigma: Heun, 9 steps', () => heunSample(model.denoiser, xs, sigmas(9))],
  ['sigma: DPM-Solver++(3M), 16 steps', () => dpmSolverSample(model.denoiser, xs, sigmas(16))],
  ['sigma: RK45 (1e-4)', () => rk45Sample(model.denoiser, xs, { sigmaMax, sigmaMin: 0.002, rtol: 1e-4, atol: 1e-4 })],
  ['sigma: Restart, 9 steps + [3, 2, 0.14, 0.30]', () => restartSample(model.denoiser, xs, sigmas(9), { levels: { '0': [3, 2, 0.14, 0.3] }, rng: new PhiloxRng(4) })],
];
console.log(`| sampler | NFE | sliced W1 to data (floor ${floor.toFixed(3)} for ${n} fresh points) |`);
console.log('| --- | --- | --- |');
for (const [name, run] of runs) {
  const r = await run();
  console.log(`| ${name} | ${r.nfe} | ${slicedWasserstein(r.x.astype('float64'), data, { projections: 64 }).distance.toFixed(3)} |`);
}
await model.dispose();
