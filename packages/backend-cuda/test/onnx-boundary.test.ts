// An ONNX denoiser on the host inside a sampler loop on the CUDA backend (simulated device,
// test/fake-addon.ts; onnxruntime-node runs the model): each model call copies x to the host once
// and its output to the device once, and the sampler's state never leaves the device in between.
import { CpuBackend, PhiloxRng, Tensor, getBackend, setBackend, type Backend } from '@phys/tensor';
import { loadDenoiser, type OnnxDenoiser } from '@phys/onnx';
import { eulerSample, heunSample } from '@phys/samplers';
import { affineModel } from '../../onnx/test/onnx-builder.js';
import { CudaBackend } from '../src/index.js';
import { FakeAddon } from './fake-addon.js';

const sigmas = [80, 20, 5, 1, 0.2, 0];
let previous: Backend;
let fake: FakeAddon;
let model: OnnxDenoiser;
let preconditioned: OnnxDenoiser;

beforeAll(async () => {
  previous = getBackend();
  // D = 0.5 x + 0.01 sigma (in-graph preconditioning), and F = 0.5 x_in with phys applying EDM's c_in, c_skip, c_out
  model = await loadDenoiser(affineModel({ a: 0.5, b: 0.01, c: 0, sample: [3, 8, 8] }), { parameterization: 'edm' });
  preconditioned = await loadDenoiser(affineModel({ a: 0.5, b: 0, c: 0, sample: [3, 8, 8] }), { parameterization: 'edm-raw' });
});
afterAll(async () => {
  setBackend(previous);
  await model.dispose();
  await preconditioned.dispose();
});

/** sigma_max times standard normals, made on the host. */
const noise = (): Tensor => new CpuBackend().scaleRows(new PhiloxRng(3).normal([4, 3, 8, 8]), sigmas[0]!);

const copies = (): { up: number; down: number } => ({
  up: fake.log.filter((l) => l === 'upload').length,
  down: fake.log.filter((l) => l === 'download').length,
});

async function onDevice(sampler: typeof heunSample, denoiser: OnnxDenoiser): Promise<{ result: Float32Array; nfe: number; up: number; down: number }> {
  fake = new FakeAddon();
  setBackend(new CudaBackend(fake, fake.probe().devices![0]!));
  const x0 = noise();
  fake.log.length = 0;
  const r = await sampler(denoiser, x0, sigmas);
  const counted = copies();
  return { result: r.x.data as Float32Array, nfe: r.nfe, ...counted };
}

describe('an ONNX denoiser on the CUDA backend', () => {
  it.each([
    ['Euler', eulerSample],
    ['Heun', heunSample],
  ])('%s: one copy of x to the host and one of D to the device per model call, the same numbers as the CPU', async (_name, sampler) => {
    const { result, nfe, up, down } = await onDevice(sampler, model);
    // + 1 upload of the initial noise, + 1 download of the result
    expect({ up, down }).toEqual({ up: nfe + 1, down: nfe + 1 });
    setBackend(new CpuBackend());
    const want = await sampler(model, noise(), sigmas);
    expect(Array.from(result)).toEqual(Array.from(want.x.data));
  });

  it('with phys applying the preconditioning: c_in x crosses instead of x, and the finiteness check reads D once more', async () => {
    const { nfe, up, down } = await onDevice(heunSample, preconditioned);
    expect({ up, down }).toEqual({ up: nfe + 1, down: 2 * nfe + 1 });
  });
});
