// GPU bench of @phys/backend-cuda next to torch CUDA doing the same work in the same run
// (bench/torch_ref.py): the empirical field (posterior mean under the EDM kernel: distances,
// log-kernel, softmax, weighted sum) at (B, n, N) = (128, 4096, 3072) and (1024, 65536, 3072), and
// the 18-step Heun loop on 64 x 3072. Without a CUDA device it says so and exits 0.
// Build first (npm run build), then: node packages/backend-cuda/bench/bench.mjs
// Env: REPS (default 5), PYTHON (default python3), BENCH_JSON (write the results there too).
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setBackend } from '@phys/tensor';
import { edmSchedule } from '@phys/kernels';
import { heunSample } from '@phys/samplers';
import { createCudaBackend } from '@phys/backend-cuda';

const REPS = Number(process.env.REPS ?? 5);
const FIELD = [
  [128, 4096, 3072],
  [1024, 65536, 3072],
];
const HEUN = { B: 64, N: 3072, steps: 18 };

let exact;
let fast;
try {
  exact = await createCudaBackend();
  fast = await createCudaBackend({ precision: 'float32', adoptOutputs: true });
} catch (e) {
  console.log(`@phys/backend-cuda bench: no CUDA device here (${e.message}); GPU bench skipped`);
  process.exit(0);
}

/** Best and median wall milliseconds of `reps` runs after one warm-up (each run ends synchronised). */
async function time(run, reps = REPS) {
  await run();
  const ms = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await run();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return { best: ms[0], median: ms[Math.floor(ms.length / 2)] };
}

const draw = (call) => ({ key0: 1234, key1: 0, call, sampleOffset: 0, stream: 0 });

/** One evaluation of the EDM empirical field: w = softmax_j(-|x_i - y_j|^2 / (2 sigma_i^2)), D = w y. */
function fieldOnce(be, x, y, coef) {
  const d = be.pairwiseSqDist(x, y);
  be.scaleMatrixRows(d, coef);
  be.softmaxRows(d); // returns the log-normalisers: waits for the device
  const out = be.weightedSum(d, y);
  be.sync();
  d.dispose();
  out.dispose();
}

const results = { device: exact.device, field: [], heun: {} };
for (const [B, n, N] of FIELD) {
  const row = { B, n, N, gflop: (4 * B * n * N) / 1e9 };
  for (const [name, be] of [['float64', exact], ['float32', fast]]) {
    const x = be.philoxNormal(be.zeros([B, N]), draw(1));
    const y = be.philoxNormal(be.zeros([n, N]), draw(2));
    const sigma = Float64Array.from({ length: B }, (_, i) => 0.5 * 160 ** (i / Math.max(1, B - 1)));
    const coef = sigma.map((s) => -1 / (2 * s * s));
    row[name] = await time(() => fieldOnce(be, x, y, coef));
    x.dispose();
    y.dispose();
  }
  results.field.push(row);
}

// The Heun loop as users run it: heunSample of @phys/samplers on the CUDA backend (its updates, the
// denoiser-output check, bookkeeping) with a denoiser that costs nothing (a fixed device tensor).
{
  const { B, N, steps } = HEUN;
  const be = fast;
  setBackend(be);
  const fixed = be.philoxNormal(be.zeros([B, N]), draw(3));
  const x0 = be.philoxNormal(be.zeros([B, N]), draw(4));
  const sigmas = edmSchedule({ steps });
  const denoiser = () => Promise.resolve(fixed);
  // the scope frees the sampler's device tensors (its copy of x, the adopted Euler buffer) per run
  results.heun.sampler = await time(() =>
    be.scope(async () => {
      await heunSample(denoiser, x0, sigmas);
      be.sync();
    }));
  // the same updates as bare backend calls (no checks): the floor of the sampler's cost
  const xe = be.zeros([B, N]);
  results.heun.updates = await time(() => {
    const x = x0.clone();
    for (let i = 0; i + 1 < sigmas.length; i++) {
      const [t, tn] = [sigmas[i], sigmas[i + 1]];
      const c = (tn - t) / t;
      be.lincomb([[1 + c, x], [-c, fixed]], xe);
      if (tn > 0) {
        const c2 = (tn - t) / (2 * tn);
        be.lincomb([[0.5 + (tn - t) / (2 * t), x], [0.5 + c2, xe], [-(tn - t) / (2 * t) - c2, fixed]], x);
      } else be.lincomb([[1 + c, x], [-c, fixed]], x);
    }
    be.sync();
    x.dispose();
  });
}

let torch;
try {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'torch_ref.py');
  const config = JSON.stringify({ field: FIELD, heun: HEUN, reps: REPS });
  torch = JSON.parse(execFileSync(process.env.PYTHON ?? 'python3', [script, config], { encoding: 'utf8', maxBuffer: 1 << 24 }).trim().split('\n').at(-1));
} catch (e) {
  torch = { skip: String(e.message).split('\n')[0] };
}
results.torch = torch;

const peak = torch.peak_fp32_tflops;
const frac = (gflop, ms) => (peak ? `${((gflop / ms / 1e3 / peak) * 100).toFixed(1)}%` : '-');
console.log(`@phys/backend-cuda bench on ${exact.device.name} (sm_${exact.device.major}${exact.device.minor}), Node ${process.version}, best of ${REPS}`);
console.log(torch.skip ? `torch reference skipped: ${torch.skip}` : `torch ${torch.torch} on ${torch.device}; fp32 peak ${peak ? `${peak.toFixed(1)} TFLOP/s (${torch.peak_source})` : 'unknown'}`);
console.log('| field (B, n, N) | 4BnN GFLOP | phys float64 GEMM (ms) | phys float32 GEMM (ms) | torch float32 (ms) | phys f32 / torch | phys f32 % fp32 peak | torch % fp32 peak |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of results.field) {
  const t = torch.field?.[`${r.B},${r.n},${r.N}`];
  console.log(`| ${r.B}, ${r.n}, ${r.N} | ${r.gflop.toFixed(1)} | ${r.float64.best.toFixed(2)} | ${r.float32.best.toFixed(2)} | ${t ? t.best.toFixed(2) : '-'} | ${t ? (r.float32.best / t.best).toFixed(2) : '-'} | ${frac(r.gflop, r.float32.best)} | ${t ? frac(r.gflop, t.best) : '-'} |`);
}
const th = torch.heun;
console.log(`| Heun ${HEUN.steps} steps, ${HEUN.B} x ${HEUN.N} | phys heunSample (ms) | phys bare updates (ms) | torch loop (ms) | torch loop with a finiteness check per evaluation (ms) |`);
console.log('| --- | ---: | ---: | ---: | ---: |');
console.log(`| | ${results.heun.sampler.best.toFixed(3)} | ${results.heun.updates.best.toFixed(3)} | ${th ? th.plain.best.toFixed(3) : '-'} | ${th ? th.checked.best.toFixed(3) : '-'} |`);
if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, JSON.stringify(results, null, 2));
