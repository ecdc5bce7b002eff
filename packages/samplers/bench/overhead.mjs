// Sampler overhead per step (everything except the denoiser) for a 64 x 3072 float32 batch, next to
// an equivalent torch loop run in the same invocation (bench/overhead.py, /usr/bin/python3).
// Build first: npx turbo run build --filter=@phys/samplers; run: npm run bench -w @phys/samplers
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PhiloxRng, Tensor, getBackend, CpuBackend, createWasmBackend, setBackend } from '@phys/tensor';
import { edmSchedule } from '@phys/kernels';
import { cpuTime } from './cpu-time.mjs';
import { edmStochasticSample, eulerMaruyamaSample, eulerSample, heunSample, restartSample } from '@phys/samplers';

// The libraries read no environment: as before, PHYS_BACKEND=wasm benches the WebAssembly backend,
// anything else the CPU reference.
setBackend(process.env.PHYS_BACKEND === 'wasm' ? createWasmBackend() : new CpuBackend());

const B = 64;
const N = 3072;
const STEPS = 18;
const REPEATS = Number(process.env.BENCH_REPEATS ?? 15);

// A denoiser that costs nothing: it hands back one precomputed tensor, so the measured time is the
// sampler's own work (updates, noise, checks, bookkeeping).
const fixed = new PhiloxRng(1).normal([B, N]);
const denoiser = () => Promise.resolve(fixed);
const x = new PhiloxRng(2).normal([B, N]);
const sigmas = edmSchedule({ steps: STEPS });

async function time(name, steps, run) {
  const { ms, wall } = await cpuTime(run, REPEATS);
  return { name, total_ms: ms, per_step_ms: ms / steps, wall_per_step_ms: wall / steps, steps };
}

const ours = [
  await time('euler', STEPS, () => eulerSample(denoiser, x, sigmas)),
  await time('heun', STEPS, () => heunSample(denoiser, x, sigmas)),
  await time('edm churn (S_churn 40, all steps churned)', STEPS, () =>
    edmStochasticSample(denoiser, x, sigmas, { rng: new PhiloxRng(3), sChurn: 40, sMin: 0, sMax: Infinity })),
  await time('euler-maruyama', STEPS, () => eulerMaruyamaSample(denoiser, x, sigmas, { rng: new PhiloxRng(4) })),
  await time('restart [3,2,0.14,0.30], gamma 0 (24 steps incl. 2 jumps)', STEPS + 6, () =>
    restartSample(denoiser, x, sigmas, { levels: '{"0": [3, 2, 0.14, 0.30]}', rng: new PhiloxRng(5), restartGamma: 0 })),
];

// Breakdown: the passes a step is made of (CPU ms per call).
const be = getBackend();
const y = new PhiloxRng(6).normal([B, N]);
const out = Tensor.zeros([B, N]);
const rng = new PhiloxRng(7);
// The samplers' state made by backend.clone / backend.zeros (resident in WebAssembly memory on WasmBackend).
const [xr, outr] = [be.clone(x), be.zeros([B, N])];
const parts = [
  await time('backend.lincomb, 2 terms (Euler update)', 1, () => be.lincomb([[0.9, x], [0.1, fixed]], out)),
  await time('backend.lincomb, 2 terms, x and out from backend.clone/zeros', 1, () => be.lincomb([[0.9, xr], [0.1, fixed]], outr)),
  await time('backend.lincomb, 3 terms (Heun correction)', 1, () => be.lincomb([[0.5, x], [0.4, y], [0.1, fixed]], out)),
  await time('denoiser output check (backend.firstNonFinite)', 1, () => be.firstNonFinite(fixed)),
  await time('PhiloxRng.normal([64, 3072])', 1, () => rng.normal([B, N])),
];
xr.dispose();
outr.dispose();

let torch = null;
try {
  const out = execFileSync('/usr/bin/python3', [fileURLToPath(new URL('./overhead.py', import.meta.url)), String(REPEATS)], { encoding: 'utf8' });
  torch = JSON.parse(out.trim().split('\n').pop());
} catch (e) {
  console.log(`torch reference skipped: ${String(e.message ?? e).split('\n')[0]}`);
}

console.log(`batch ${B}x${N} float32, ${STEPS} EDM steps, median CPU time of ${REPEATS} runs; node ${process.version}`);
if (torch) console.log(`torch ${torch.torch}, threads ${torch.threads}, OPENBLAS_CORETYPE=${torch.openblas_coretype}, OMP_WAIT_POLICY=${torch.omp_wait_policy}`);
console.log('| sampler | ours CPU ms/step | torch CPU ms/step | ours/torch | (wall ms/step: ours, torch) |');
console.log('| --- | --- | --- | --- | --- |');
for (const r of ours) {
  const t = torch?.results.find((q) => q.name === r.name);
  const ratio = t ? (r.per_step_ms / t.per_step_ms).toFixed(2) : '-';
  const wall = `${r.wall_per_step_ms.toFixed(2)}, ${t ? t.wall_per_step_ms.toFixed(2) : '-'}`;
  console.log(`| ${r.name} | ${r.per_step_ms.toFixed(3)} | ${t ? t.per_step_ms.toFixed(3) : '-'} | ${ratio} | ${wall} |`);
}
console.log('\n| pass (ours, 64x3072 float32) | CPU ms per call |');
console.log('| --- | --- |');
for (const p of parts) console.log(`| ${p.name} | ${p.per_step_ms.toFixed(3)} |`);
if (torch?.parts) for (const p of torch.parts) console.log(`| torch: ${p.name} | ${p.ms.toFixed(3)} |`);
