import { parseArgs } from 'node:util';
import { edmSchedule, pfgmKernel } from '@phys/kernels';
import { loadDenoiser, loadNormalizedField, noiseKernel } from '@phys/onnx';
import {
  dpmSolverSample,
  edmStochasticSample,
  eulerSample,
  heunSample,
  parseRestartConfig,
  particleGuidance,
  pfgmSample,
  referenceScale,
  restartNfe,
  restartPresets,
  isRestartPresetName,
  restartSample,
  rk45Sample,
  withParticleGuidance,
  type RestartConfig,
  type SampleResult,
  type SamplerDescription,
  type StepInfo,
} from '@phys/samplers';
import { PhiloxRng, Tensor, shapeSize } from '@phys/tensor';
import { checkMemory, checkWritable, joinNegativeValues, type MemoryTerm } from './limits.js';
import { UsageError, finiteNumber, positiveInt } from './errors.js';
import { tileGrid } from '@phys/metrics';
import { defaultDenoiserPath, requireFile } from './models.js';
import { writeFileAtomic } from './output.js';
import { encodePng } from './png.js';
import { ProgressBar } from './progress.js';
import { listSamplers, registrySampler } from './samplers-list.js';
import { planSeedRun, type SeedRun } from './seed-run.js';
import { SeedSet } from './seeds.js';

export const SAMPLERS = ['restart', 'heun', 'euler', 'rk45', 'dpm', 'edm-sde', 'pfgm'] as const;
export type SamplerName = (typeof SAMPLERS)[number];

/** The `--list-samplers` lines of the CLI's own samplers (the registry's follow them). */
const OWN_SAMPLERS: readonly SamplerDescription[] = [
  { name: 'restart', order: 2, stochastic: true, nfePerStep: '2+', reference: 'Restart (Heun inner solver, forward jumps of the kernel); --preset, --restart' },
  { name: 'heun', order: 2, stochastic: false, nfePerStep: 2, reference: 'EDM Alg. 1 (Euler last step)' },
  { name: 'euler', order: 1, stochastic: false, nfePerStep: 1, reference: 'EDM ODE, Euler' },
  { name: 'rk45', order: 5, stochastic: false, nfePerStep: 'adaptive', reference: 'Dormand-Prince RK45 (the PFGM/PFGM++ papers\' scipy solve_ivp)' },
  { name: 'dpm', order: 3, stochastic: false, nfePerStep: 1, reference: 'DPM-Solver++(3M), dpm_solver_pytorch defaults' },
  { name: 'edm-sde', order: 2, stochastic: true, nfePerStep: 2, reference: 'EDM Alg. 2 (churn, --churn)' },
  { name: 'pfgm', order: 1, stochastic: false, nfePerStep: 1, reference: 'PFGM z-anchored ODE (needs a PFGM field model)' },
];

export const SAMPLE_USAGE = `Usage: phys sample [options]

Samples images from an ONNX denoiser (default: the shipped Fashion-MNIST PFGM++ D=128 model)
and writes a PNG grid, or with --seeds one PNG per seed into --outdir (sharded and resumable).

Options:
  --model <file.onnx>     denoiser (or PFGM field for --sampler pfgm); default: shipped model
  --sampler <name>        ${SAMPLERS.join(' | ')} (default restart), or any of
                          --list-samplers (euler-ancestral, dpmpp-2m-sde, unipc-bh2, ...)
  --preset <name>         Restart preset (see --list-presets); default: one level [3, 2, 0.14, 0.30]
  --restart <json>        Restart levels, e.g. '{"0": [3, 2, 0.14, 0.3]}'
  --steps <n>             main steps of the EDM schedule (default 18; pfgm: 100)
  --D <n>                 PFGM++ augmented dimensions (default: the model's metadata)
  --sigma-max <s>         largest noise level (default: the model's metadata)
  --churn <s>             S_churn for edm-sde (default 40)
  --pg <coeff>            particle guidance within each batch: RBF kernel with the per-particle
                          median bandwidth, strength coeff (reference scaling, off below sigma 1)
  -n, --count <n>         number of samples (default 64)
  --batch-size <n>        samples per batch (default 64)
  --ignore-memory-check   run even when the estimated memory exceeds the free memory
  --seed <n>              seed of the Philox RNG (default 0); sample i is the same for any batch size
  --out <file.png>        output grid (default samples.png)
  --seeds <list>          one PNG per seed instead of a grid, e.g. 0-49999 or 0-9,100; seed s is
                          sample index s of the --seed stream, whatever the batch or the shard
  --outdir <dir>          folder of the --seeds images: {seed:06d}.png (NVlabs/edm's layout);
                          a rerun skips seeds already written; files appear by atomic rename
  --subdirs               --outdir sub-folders of 1000 seeds ({seed - seed % 1000:06d}/)
  --npz                   also write each batch's raw float32 samples (x, seeds) as an .npz
  --shard <i/n>           do part i of n of the seeds (0-based); default: from the environment
                          (SLURM_ARRAY_TASK_ID/COUNT, SLURM_PROCID/NTASKS under srun,
                          JOB_COMPLETION_INDEX with --num-shards, RANK/WORLD_SIZE)
  --num-shards <n>        shard count of a Kubernetes Indexed Job (or PHYS_NUM_SHARDS)
  --micro-batch <n|off>   rows per onnxruntime call, every call padded to n rows so that sample i
                          does not depend on the batch (default 64, the default batch size: no
                          padding but the last batch's); off: one call per batch
  --json                  print a JSON report (NFE, wall time, per-step timings) on stdout
  --quiet                 no progress bar
  --list-presets          print the Restart presets and exit
  --list-samplers         print every sampler (order, deterministic or stochastic, NFE per step) and exit
  -h, --help              this help`;

/** The JSON report of `phys sample --json`. */
export interface SampleReport {
  model: string;
  sampler: string;
  kernel: string;
  particleGuidance: number | null;
  steps: number;
  count: number;
  batchSize: number;
  seed: number;
  nfePerBatch: number;
  wallSeconds: number;
  output: string;
  range: [number, number];
  /** Rows per (padded) onnxruntime call, or null with --micro-batch off. */
  microBatch: number | null;
  /** Per-seed runs: the shard and how many seeds it wrote or found already written. */
  seeds?: { shard: string; shardSource: string; inShard: number; written: number; skipped: number };
  /** Per-step timings (grid runs only; per-seed runs keep memory bounded by the batch). */
  stepTimings: { batch: number; step: number; sigma: number; nfe: number; ms: number }[];
}

function restartLevels(preset: string | undefined, json: string | undefined): { levels: RestartConfig; steps?: number } {
  if (preset !== undefined && json !== undefined) throw new UsageError('give either --preset or --restart, not both');
  if (preset !== undefined) {
    const p = isRestartPresetName(preset) ? restartPresets[preset] : undefined;
    if (!p) throw new UsageError(`unknown Restart preset '${preset}' (phys sample --list-presets lists them)`);
    return { levels: p.levels, steps: p.steps };
  }
  if (json !== undefined) {
    try {
      const levels = JSON.parse(json) as RestartConfig;
      parseRestartConfig(levels);
      return { levels };
    } catch (e) {
      throw new UsageError(`--restart ${e instanceof SyntaxError ? 'is not valid JSON' : `is not a Restart configuration (${(e as Error).message})`}: ${json}`);
    }
  }
  return { levels: { '0': [3, 2, 0.14, 0.3] } };
}

const VALUE_OPTIONS = new Set(['steps', 'D', 'sigma-max', 'churn', 'pg', 'count', 'n', 'batch-size', 'micro-batch', 'num-shards', 'seed']);

/**
 * Memory of a run, estimated before it starts: the samples kept for the grid (float32 batches, the
 * joined tensor, the 8-bit grid and its PNG rows), the sampler's working tensors (about 8 copies of
 * a float32 batch for Heun/Restart), the model's activations per onnxruntime call (about 260x its
 * float32 input, measured on the shipped model: --batch-size 16384 as one call took 13.3 GB), and
 * the per-step timing records of the report (about 150 bytes each).
 */
export function runMemory(r: { grid: number; batchSize: number; modelBatch: number; sampleSize: number; nfe: number; batches: number }): MemoryTerm[] {
  return [
    { what: `${r.grid} samples for the grid`, bytes: r.grid * r.sampleSize * (4 + 4 + 1 + 1) },
    { what: `sampler state of a batch of ${r.batchSize}`, bytes: 8 * r.batchSize * r.sampleSize * 4 },
    { what: `model activations for ${r.modelBatch} rows per call`, bytes: 260 * r.modelBatch * r.sampleSize * 4 },
    { what: `timing records of ${r.nfe} steps x ${r.batches} batches`, bytes: 150 * r.nfe * r.batches },
  ];
}

/** `phys sample`: returns the process exit code. */
export async function sampleCommand(argv: string[], signal: AbortSignal): Promise<number> {
  const { values } = parseArgs({
    args: joinNegativeValues(argv, VALUE_OPTIONS),
    options: {
      'ignore-memory-check': { type: 'boolean', default: false },
      model: { type: 'string' },
      sampler: { type: 'string', default: 'restart' },
      preset: { type: 'string' },
      restart: { type: 'string' },
      steps: { type: 'string' },
      D: { type: 'string' },
      'sigma-max': { type: 'string' },
      churn: { type: 'string' },
      pg: { type: 'string' },
      count: { type: 'string', short: 'n' },
      'batch-size': { type: 'string' },
      seed: { type: 'string' },
      out: { type: 'string' },
      seeds: { type: 'string' },
      outdir: { type: 'string' },
      subdirs: { type: 'boolean', default: false },
      npz: { type: 'boolean', default: false },
      shard: { type: 'string' },
      'num-shards': { type: 'string' },
      'micro-batch': { type: 'string' },
      json: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      'list-presets': { type: 'boolean', default: false },
      'list-samplers': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(`${SAMPLE_USAGE}\n`);
    return 0;
  }
  if (values['list-presets']) {
    for (const [name, p] of Object.entries(restartPresets)) process.stdout.write(`${name.padEnd(24)} ${p.description}\n`);
    return 0;
  }
  if (values['list-samplers']) {
    process.stdout.write(listSamplers(OWN_SAMPLERS));
    return 0;
  }
  const sampler = values.sampler as SamplerName;
  const entry = registrySampler(sampler, SAMPLERS);
  if (!SAMPLERS.includes(sampler) && !entry) throw new UsageError(`unknown sampler '${values.sampler}' (choose one of ${SAMPLERS.join(', ')}, or see --list-samplers)`);
  if (sampler !== 'restart' && (values.preset !== undefined || values.restart !== undefined)) {
    throw new UsageError('--preset and --restart apply to --sampler restart only');
  }
  const restart = sampler === 'restart' ? restartLevels(values.preset, values.restart) : undefined;
  const steps = positiveInt(values.steps, 'steps', restart?.steps ?? (sampler === 'pfgm' ? 100 : 18));
  if (sampler !== 'pfgm' && sampler !== 'rk45' && steps < 2) throw new UsageError('--steps must be at least 2');
  const seedMode = values.seeds !== undefined;
  if (seedMode && (values.count !== undefined || values.out !== undefined)) throw new UsageError('--seeds writes one PNG per seed into --outdir: not with -n/--count or --out');
  if (!seedMode && (values.outdir !== undefined || values.shard !== undefined || values['num-shards'] !== undefined || values.subdirs || values.npz)) {
    throw new UsageError('--outdir, --subdirs, --npz, --shard and --num-shards go with --seeds');
  }
  if (seedMode && values.outdir === undefined) throw new UsageError('--seeds needs --outdir (the folder of the images)');
  if (seedMode && values.pg !== undefined) throw new UsageError('--pg couples the samples of a batch, so a seed would depend on its batch: not with --seeds');
  // Adaptive solvers (rk45, dpm-adaptive) take one step size for the whole batch: per seed, each
  // seed is its own batch.
  const coupled = seedMode && (sampler === 'rk45' || entry?.nfePerStep === 'adaptive');
  const microText = values['micro-batch'];
  const microBatch = microText === 'off' ? undefined : coupled ? 1 : positiveInt(microText, 'micro-batch', 64);
  const out = values.out ?? 'samples.png';
  const seed = finiteNumber(values.seed, 'seed', 0);
  if (!(Number.isSafeInteger(seed) && seed >= 0)) throw new UsageError(`--seed must be a non-negative integer, got '${values.seed}'`);
  const D = values.D === undefined ? undefined : finiteNumber(values.D, 'D', 0, true);
  if (!out.toLowerCase().endsWith('.png')) throw new UsageError(`--out must name a .png file, got '${out}'`);
  const pg = values.pg === undefined ? undefined : finiteNumber(values.pg, 'pg', 0, true);
  if (pg !== undefined && sampler === 'pfgm') throw new UsageError('--pg applies to denoiser samplers, not pfgm');
  const modelPath = requireFile(values.model ?? defaultDenoiserPath, 'model file');
  const run: SeedRun | undefined = seedMode
    ? planSeedRun({ seeds: values.seeds!, outdir: values.outdir!, subdirs: values.subdirs, npz: values.npz, shard: values.shard, numShards: values['num-shards'] })
    : undefined;
  const count = run ? run.pending.count : positiveInt(values.count, 'count', 64);
  const batchSize = coupled ? 1 : Math.max(1, Math.min(count, positiveInt(values['batch-size'], 'batch-size', 64)));
  const todo = run ? run.pending : new SeedSet([{ start: 0, end: count }]);
  if (!run) await checkWritable(out, '--out');

  const started = performance.now();
  const stepTimings: SampleReport['stepTimings'] = [];
  const batches: Tensor[] = [];
  let nfePerBatch = 0;
  let kernelName = 'pfgm';
  let range: [number, number] = [-1, 1];
  const nBatches = todo.batchCount(batchSize);
  let written = 0;

  const runBatches = async (
    estimateNfe: number,
    sampleBatch: (rng: PhiloxRng, rows: number, onStep: (s: StepInfo) => void) => Promise<SampleResult>,
  ): Promise<void> => {
    const bar = new ProgressBar(process.stderr, nBatches * estimateNfe, `sampling ${count} (${sampler})`, values.quiet || values.json);
    let b = 0;
    for (const { start, end } of todo.batches(batchSize)) {
      const rows = end - start;
      const rng = new PhiloxRng(seed, { sampleOffset: start });
      let last = performance.now();
      const onStep = (s: StepInfo): void => {
        const now = performance.now();
        // Per-seed runs keep no per-step log: memory stays bounded by the batch.
        if (!run) stepTimings.push({ batch: b, step: s.step, sigma: s.sigma, nfe: s.nfe, ms: now - last });
        last = now;
        bar.update(b * estimateNfe + Math.min(s.nfe, estimateNfe), `batch ${b + 1}/${nBatches} sigma ${s.sigma.toPrecision(3)}`);
      };
      const result = await sampleBatch(rng, rows, onStep);
      nfePerBatch = result.nfe;
      if (run) await run.write(result.x, start, range);
      else batches.push(result.x);
      written += rows;
      b++;
    }
    bar.done();
  };

  if (sampler === 'pfgm') {
    const field = await loadNormalizedField(modelPath, { threads: 'auto', chunkSize: microBatch ?? batchSize, fixedShape: microBatch !== undefined });
    try {
      range = [field.info.valueRange[0], field.info.valueRange[1]];
      const kernel = pfgmKernel();
      await runBatches(steps, async (rng, rows, onStep) => {
        const prior = kernel.prior([rows, ...field.info.imageShape], rng);
        return pfgmSample(field, prior.x, { steps, solver: 'euler', signal, onStep, zMax: prior.z[0] });
      });
    } finally {
      await field.dispose();
    }
  } else {
    const model = await loadDenoiser(modelPath, { threads: 'auto', chunkSize: microBatch ?? batchSize, fixedShape: microBatch !== undefined });
    try {
      const { info } = model;
      range = [info.valueRange[0], info.valueRange[1]];
      const kernel = noiseKernel(model.info.kernel, D);
      kernelName = kernel.name;
      const sigmaMax = finiteNumber(values['sigma-max'], 'sigma-max', info.sigmaMax, true);
      const sigmas = edmSchedule({ steps, sigmaMin: info.sigmaMin, sigmaMax });
      const estimate =
        entry ? entry.nfe(steps) : sampler === 'restart' ? restartNfe(sigmas, restart!.levels) : sampler === 'heun' || sampler === 'edm-sde' ? 2 * steps - 1 : sampler === 'rk45' ? 200 : steps;
      if (!values['ignore-memory-check']) {
        const terms = runMemory({ grid: run ? 0 : count, batchSize, modelBatch: microBatch ?? batchSize, sampleSize: shapeSize(info.imageShape), nfe: estimate, batches: run ? 0 : nBatches });
        checkMemory(terms, '--ignore-memory-check');
      }
      // Particle guidance composes into the drift of every sampler as a denoiser wrapper.
      const denoiser = pg === undefined ? model : withParticleGuidance(model, particleGuidance({ scale: referenceScale(pg) }));
      await runBatches(estimate, (rng, rows, onStep) => {
        const x = kernel.prior([rows, ...info.imageShape], sigmaMax, rng);
        const common = { signal, onStep };
        if (entry) return entry.sample(denoiser, x, sigmas, { ...common, rng });
        switch (sampler) {
          case 'euler':
            return eulerSample(denoiser, x, sigmas, common);
          case 'heun':
            return heunSample(denoiser, x, sigmas, common);
          case 'dpm':
            return dpmSolverSample(denoiser, x, sigmas, common);
          case 'rk45':
            return rk45Sample(denoiser, x, { ...common, sigmaMax, sigmaMin: info.sigmaMin });
          case 'edm-sde':
            return edmStochasticSample(denoiser, x, sigmas, { ...common, rng, sChurn: finiteNumber(values.churn, 'churn', 40), sMin: 0.05, sMax: 50, sNoise: 1.003 });
          default:
            return restartSample(denoiser, x, sigmas, { ...common, rng, kernel, levels: restart!.levels, maxNfe: Infinity });
        }
      });
    } finally {
      await model.dispose();
    }
  }

  if (!run) {
    const all = Tensor.zeros([count, ...batches[0]!.shape.slice(1)]);
    let offset = 0;
    for (const t of batches) {
      all.data.set(t.data, offset);
      offset += t.size;
    }
    await writeFileAtomic(out, encodePng(tileGrid(all, range)), signal);
  }
  const wallSeconds = (performance.now() - started) / 1000;
  const report: SampleReport = {
    model: modelPath,
    sampler,
    kernel: kernelName,
    particleGuidance: pg ?? null,
    steps,
    count,
    batchSize,
    seed,
    nfePerBatch,
    wallSeconds,
    output: run ? values.outdir! : out,
    range,
    microBatch: microBatch ?? null,
    ...(run && {
      seeds: { shard: `${run.shard.index}/${run.shard.count}`, shardSource: run.shard.source, inShard: run.shardSeeds.count, written, skipped: run.shardSeeds.count - run.pending.count },
    }),
    stepTimings,
  };
  if (values.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else if (run) {
    const skipped = run.shardSeeds.count - run.pending.count;
    process.stderr.write(`wrote ${written} images to ${values.outdir} (shard ${run.shard.index}/${run.shard.count} from ${run.shard.source}: ${run.shardSeeds.count} seeds, ${skipped} already written), ${sampler}, ${wallSeconds.toFixed(1)} s\n`);
  } else process.stderr.write(`wrote ${out}: ${count} samples, ${sampler}, NFE ${nfePerBatch} per batch, ${wallSeconds.toFixed(1)} s\n`);
  return 0;
}
