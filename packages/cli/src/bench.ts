import { parseArgs } from 'node:util';
import { edmSchedule, pfgmppKernel } from '@phys/kernels';
import { loadDenoiser } from '@phys/onnx';
import { heunSample, restartSample } from '@phys/samplers';
import { PhiloxRng, type Denoiser } from '@phys/tensor';
import { positiveInt } from './errors.js';
import { defaultDenoiserPath, requireFile } from './models.js';

export const BENCH_USAGE = `Usage: phys bench [options]

Times Heun and Restart on a denoiser (default: the shipped model) and splits the wall time into
denoiser time and sampler overhead. The full benchmark suite (against numpy/torch) is 'npm run bench'.

Options:
  --model <file.onnx>   denoiser (default: shipped model)
  --steps <n>           main steps (default 18)
  --batch-size <n>      batch (default 64)
  --repeats <n>         runs per sampler, the median is reported (default 3)
  -h, --help            this help`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** `phys bench`: prints a JSON report of per-sampler timings; returns the exit code. */
export async function benchCommand(argv: string[], signal: AbortSignal): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' },
      steps: { type: 'string' },
      'batch-size': { type: 'string' },
      repeats: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${BENCH_USAGE}\n`);
    return 0;
  }
  const steps = positiveInt(values.steps, 'steps', 18);
  const batch = positiveInt(values['batch-size'], 'batch-size', 64);
  const repeats = positiveInt(values.repeats, 'repeats', 3);
  const modelPath = requireFile(values.model ?? defaultDenoiserPath, 'model file');
  const model = await loadDenoiser(modelPath, { threads: 'auto', chunkSize: batch });
  try {
    const { info } = model;
    const kernel = pfgmppKernel({ D: info.kernel.D });
    const sigmas = edmSchedule({ steps, sigmaMin: info.sigmaMin, sigmaMax: info.sigmaMax });
    let denoiserMs = 0;
    const timed: Denoiser = async (x, sigma) => {
      const t0 = performance.now();
      const out = await model(x, sigma);
      denoiserMs += performance.now() - t0;
      return out;
    };
    const runs = {
      heun: (rng: PhiloxRng) => heunSample(timed, kernel.prior([batch, ...info.imageShape], info.sigmaMax, rng), sigmas, { signal }),
      restart: (rng: PhiloxRng) =>
        restartSample(timed, kernel.prior([batch, ...info.imageShape], info.sigmaMax, rng), sigmas, { signal, rng, kernel, levels: { '0': [3, 2, 0.14, 0.3] } }),
    };
    const report: Record<string, unknown> = { model: modelPath, batch, steps, threads: info.threads };
    for (const [name, run] of Object.entries(runs)) {
      const wall: number[] = [];
      const den: number[] = [];
      let nfe = 0;
      for (let r = 0; r < repeats; r++) {
        denoiserMs = 0;
        const t0 = performance.now();
        nfe = (await run(new PhiloxRng(r))).nfe;
        wall.push(performance.now() - t0);
        den.push(denoiserMs);
      }
      const w = median(wall);
      const d = median(den);
      report[name] = { nfe, wallMs: w, denoiserMs: d, overheadMs: w - d, msPerNfe: d / nfe, overheadPerNfeMs: (w - d) / nfe };
      process.stderr.write(`${name}: NFE ${nfe}, ${w.toFixed(0)} ms wall, ${(d / nfe).toFixed(2)} ms/NFE denoiser, ${((w - d) / nfe).toFixed(3)} ms/NFE overhead\n`);
    }
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return 0;
  } finally {
    await model.dispose();
  }
}
