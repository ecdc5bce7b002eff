// The consumer program of .ci/pack-check.sh: compiled as ESM (main.mts) and as CommonJS
// (main.cts) against the installed tarballs, with the oldest and the newest supported TypeScript.
import { createRequire } from 'node:module';
import path from 'node:path';
import { PhiloxRng, Tensor } from '@phys/tensor';
import { edmKernel, edmSchedule } from '@phys/kernels';
import { ringMixture } from '@phys/fields';
import { heunSample, restartSample, restartPresets, type RestartPresetName } from '@phys/samplers';
import { sampleCategorical } from '@phys/latents';
import { slicedWasserstein } from '@phys/metrics';
import { loadDenoiser } from '@phys/onnx';

async function main(): Promise<void> {
  // Heun on the exact denoiser of an 8-Gaussian ring: NFE 2N - 1, samples near the data.
  const mix = ringMixture({ count: 8, radius: 3, std: 0.2 });
  const sigmas = edmSchedule({ steps: 18 });
  const xT = edmKernel().prior([256, 2], sigmas[0]!, new PhiloxRng(1));
  const heun = await heunSample(mix.denoiser(), xT, sigmas);
  const sw = slicedWasserstein(heun.x, mix.sample(256, new PhiloxRng(2)), { projections: 32, seed: 1 }).distance;
  if (heun.nfe !== 35 || !(sw < 0.5)) throw new Error(`heun: nfe ${heun.nfe}, sliced W1 ${sw}`);

  // A typed Restart preset that carries its own kernel.
  const name: RestartPresetName = 'cifar10-edm';
  const preset = restartPresets[name];
  const restart = await restartSample(mix.denoiser(), xT, edmSchedule({ steps: preset.steps }), { ...preset, rng: new PhiloxRng(3) });

  // Categorical draws of @phys/latents.
  const z = sampleCategorical(Tensor.from([0, 0, 10, 10, 0, 0], [2, 3], 'float64'), new PhiloxRng(4));
  if (z[0] !== 1 && z[0] !== 2) throw new Error(`latents: ${Array.from(z)}`);

  // The PFGM++ model shipped in @phys/cli (models/ inside the installed package), through @phys/onnx.
  const cliDir = path.dirname(createRequire(path.join(process.cwd(), 'index.js')).resolve('@phys/cli/package.json'));
  const model = await loadDenoiser(path.join(cliDir, 'models', 'fashion-pfgmpp-d128.onnx'));
  const denoised = await model(new PhiloxRng(5).normal([2, ...model.info.imageShape]), new Float64Array(2).fill(2.5));
  await model.dispose();
  if (denoised.shape.join() !== '2,1,28,28') throw new Error(`onnx: shape ${denoised.shape}`);

  console.log(JSON.stringify({ heunNfe: heun.nfe, slicedW1: Number(sw.toFixed(3)), restartNfe: restart.nfe, kernel: model.info.kernel }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
