import { edmSchedule } from '@phys/kernels';
import { CpuBackend, PhiloxRng, Tensor, WasmBackend, getBackend, setBackend, type Backend } from '@phys/tensor';
import { edmStochasticSample, eulerMaruyamaSample, eulerSample, heunSample, restartSample, type SampleResult } from '../src/index.js';

// On WasmBackend the samplers keep their working state in resident tensors (Backend.clone/zeros)
// and release them: the results and trajectories are plain tensors with the same bits as on the
// CPU reference (fused updates of up to 3 terms and Philox normals are bit-identical), and a run
// leaves no block of the backend's heap in use.
const wasm = new WasmBackend({ minElements: 0 });
const cpu = new CpuBackend();
const previous = getBackend();
afterAll(() => {
  setBackend(previous);
});

const x0 = new PhiloxRng(1).normal([6, 50]);
const sigmas = edmSchedule({ steps: 6 });
// a denoiser whose output depends on the state and the level
const denoiser = (x: Tensor, sigma: Float64Array): Promise<Tensor> => Promise.resolve(getBackend().scaleRows(x, Float64Array.from(sigma, (s) => 1 / (1 + s * s))));

const runs: [string, () => Promise<SampleResult>][] = [
  ['euler', () => eulerSample(denoiser, x0, sigmas, { trajectory: true })],
  ['heun', () => heunSample(denoiser, x0, sigmas)],
  ['edm churn', () => edmStochasticSample(denoiser, x0, sigmas, { rng: new PhiloxRng(3), sChurn: 40, sMin: 0, sMax: Infinity })],
  ['euler-maruyama', () => eulerMaruyamaSample(denoiser, x0, sigmas, { rng: new PhiloxRng(4) })],
  ['restart', () => restartSample(denoiser, x0, sigmas, { levels: '{"1": [2, 1, 0.14, 0.30]}', rng: new PhiloxRng(5) })],
];

async function on(be: Backend, run: () => Promise<SampleResult>): Promise<SampleResult> {
  setBackend(be);
  return run();
}

it.each(runs)('%s: plain results with the CPU bits, no heap block left in use', async (_name, run) => {
  const probe = wasm.zeros([1]);
  const heap = probe.heap;
  probe.dispose();
  await on(wasm, run); // sizes the staging blocks
  const inUse = heap.bytesInUse;
  const got = await on(wasm, run);
  expect(heap.bytesInUse).toBe(inUse);
  const ref = await on(cpu, run);
  for (const t of [got.x, ...(got.trajectory ?? [])]) expect(Object.getPrototypeOf(t)).toBe(Tensor.prototype);
  expect(Array.from(got.x.data)).toEqual(Array.from(ref.x.data));
  expect(got.trajectory?.map((t) => Array.from(t.data))).toEqual(ref.trajectory?.map((t) => Array.from(t.data)));
});
