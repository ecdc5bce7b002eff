// One sampling run of the page, with the choices `phys sample` makes for the same options
// (packages/cli/src/sample.ts): the model's kernel and EDM schedule, batches of at most 64 rows,
// sample i drawn from PhiloxRng(seed) at sample index i, particle guidance as a denoiser wrapper.
import { edmSchedule } from '@phys/kernels';
import { noiseKernel, type OnnxDenoiser } from '@phys/onnx';
import {
  findSampler,
  isRestartPresetName,
  particleGuidance,
  referenceScale,
  restartNfe,
  restartPresets,
  restartSample,
  samplerRegistry,
  withParticleGuidance,
  type SampleResult,
  type StepInfo,
} from '@phys/samplers';
import { PhiloxRng, Tensor, ValueError } from '@phys/tensor';

/** `phys sample`'s largest batch (its `--batch-size` default). */
export const BATCH_SIZE = 64;

/** What the page asks for; `sampler` is `restart:<preset>` or a registry sampler's name. */
export interface GridSettings {
  readonly sampler: string;
  readonly seed: number;
  /** Main steps; undefined: the preset's, else 18 (as `phys sample`). */
  readonly steps: number | undefined;
  readonly count: number;
  /** Particle guidance strength (`phys sample --pg`), or undefined for none. */
  readonly pg: number | undefined;
}

/** The sampler choices: every Restart preset, then every registry sampler. */
export function samplerChoices(): { value: string; label: string }[] {
  return [
    ...Object.entries(restartPresets).map(([name, p]) => ({ value: `restart:${name}`, label: `Restart ${name} (${p.steps} steps)` })),
    ...samplerRegistry.map((e) => ({ value: e.name, label: `${e.name}: ${e.reference}` })),
  ];
}

/** The `phys sample` arguments that make the same images (for the page and the e2e test). */
export function cliArguments(s: GridSettings, microBatch: number): string[] {
  const [name, preset] = s.sampler.split(':') as [string, string | undefined];
  return [
    '--sampler', name, ...(preset ? ['--preset', preset] : []),
    '--seed', String(s.seed), '-n', String(s.count), '--micro-batch', String(microBatch),
    ...(s.steps !== undefined ? ['--steps', String(s.steps)] : []),
    ...(s.pg !== undefined ? ['--pg', String(s.pg)] : []),
  ];
}

/** Progress of a run: NFE done of the estimate, and the step's sigma. */
export interface GridProgress {
  readonly fraction: number;
  readonly batch: number;
  readonly batches: number;
  readonly sigma: number;
}

/** Samples `settings.count` images `[count, 1, 28, 28]` in the model's value range. */
export async function sampleGrid(
  model: OnnxDenoiser,
  settings: GridSettings,
  options: { signal?: AbortSignal; onProgress?: (p: GridProgress) => void } = {},
): Promise<{ x: Tensor; nfePerBatch: number }> {
  const { info } = model;
  const [name, presetName] = settings.sampler.split(':') as [string, string | undefined];
  const preset = name === 'restart' && presetName !== undefined && isRestartPresetName(presetName) ? restartPresets[presetName] : undefined;
  const entry = name === 'restart' ? undefined : findSampler(name);
  if (!preset && !entry) throw new ValueError('sampler', settings.sampler, 'restart:<preset> or a registry sampler');
  const steps = settings.steps ?? preset?.steps ?? 18;
  const kernel = noiseKernel(info.kernel);
  const sigmas = edmSchedule({ steps, sigmaMin: info.sigmaMin, sigmaMax: info.sigmaMax });
  const estimate = preset ? restartNfe(sigmas, preset.levels) : entry!.nfe(steps);
  const denoiser = settings.pg === undefined ? model : withParticleGuidance(model, particleGuidance({ scale: referenceScale(settings.pg) }));
  const out = Tensor.zeros([settings.count, ...info.imageShape]);
  const batches = Math.ceil(settings.count / BATCH_SIZE);
  let nfePerBatch = 0;
  for (let b = 0; b < batches; b++) {
    const start = b * BATCH_SIZE;
    const rows = Math.min(BATCH_SIZE, settings.count - start);
    const rng = new PhiloxRng(settings.seed, { sampleOffset: start });
    const x = kernel.prior([rows, ...info.imageShape], info.sigmaMax, rng);
    const onStep = (s: StepInfo): void => options.onProgress?.({ fraction: (b + Math.min(1, s.nfe / estimate)) / batches, batch: b, batches, sigma: s.sigma });
    const common = { signal: options.signal, onStep };
    const result: SampleResult = preset
      ? await restartSample(denoiser, x, sigmas, { ...common, rng, kernel, levels: preset.levels, maxNfe: Infinity })
      : await entry!.sample(denoiser, x, sigmas, { ...common, rng });
    out.data.set(result.x.data, start * result.x.size / rows);
    nfePerBatch = result.nfe;
  }
  return { x: out, nfePerBatch };
}
