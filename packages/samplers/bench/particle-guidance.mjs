// Particle-guidance overhead per sampler step: one call of the guided denoiser minus the denoiser
// itself (kernel, bandwidths, repulsion, D' = D + sigma^2 g) for n = 64 samples of dimension 3072
// (and 784, the shipped model's 1x28x28), against one call of the shipped denoiser
// (packages/cli/models/fashion-pfgmpp-d128.onnx, batch 64) and the reference's torch block run in
// the same invocation (bench/particle-guidance.py, /usr/bin/python3).
// Build first: npx turbo run build --filter=@phys/samplers --filter=@phys/onnx
// Run: node packages/samplers/bench/particle-guidance.mjs   (BENCH_REPEATS=15 by default; PHYS_BACKEND=wasm for the WASM backend)
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PhiloxRng, getBackend, CpuBackend, createWasmBackend, setBackend } from '@phys/tensor';
import { cpuTime } from './cpu-time.mjs';
import { featureKernel, particleGuidance, rbfKernel, referenceScale, svgdGuidance, withParticleGuidance } from '@phys/samplers';

// The libraries read no environment: as before, PHYS_BACKEND=wasm benches the WebAssembly backend,
// anything else the CPU reference.
setBackend(process.env.PHYS_BACKEND === 'wasm' ? createWasmBackend() : new CpuBackend());

const REPEATS = Number(process.env.BENCH_REPEATS ?? 15);
const N = 64;
const model = fileURLToPath(new URL('../../cli/models/fashion-pfgmpp-d128.onnx', import.meta.url));
const classifier = fileURLToPath(new URL('../../cli/models/fashion-classifier.onnx', import.meta.url));

async function time(name, run, repeats = REPEATS) {
  return { name, ...(await cpuTime(run, repeats)) };
}

const rows = [];
for (const [dim, dtype] of [[3072, 'float32'], [3072, 'float64'], [784, 'float32']]) {
  const x = new PhiloxRng(1).normal([N, dim], dtype);
  const fixed = new PhiloxRng(2).normal([N, dim], dtype);
  const plain = () => Promise.resolve(fixed);
  const sigma = new Float64Array(N).fill(2.5);
  const base = await time('denoiser that returns a fixed tensor', () => plain(x, sigma));
  const cases = [
    ['pixel PG, rbf(median), referenceScale', particleGuidance({ scale: referenceScale(1) })],
    ['pixel PG, rbf(h = 1)', particleGuidance({ scale: 1, kernel: rbfKernel({ bandwidth: 1 }) })],
    ['SVGD variant', svgdGuidance({ scale: referenceScale(1, { variant: 'svgd' }) })],
    ['16 groups of 4 (groupSize 4)', particleGuidance({ scale: 1, groupSize: 4 })],
  ];
  for (const [name, g] of cases) {
    const guided = withParticleGuidance(plain, g);
    const r = await time(name, () => guided(x, sigma));
    rows.push({ case: `${name}, ${N}x${dim} ${dtype}`, ms: r.ms - base.ms, wall: r.wall - base.wall });
  }
}

let denoiserRow = null;
let featureRow = null;
if (existsSync(model)) {
  const { loadDenoiser, loadClassifier } = await import('@phys/onnx');
  const den = await loadDenoiser(model);
  const x = new PhiloxRng(3).normal([N, 1, 28, 28]);
  const sigma = new Float64Array(N).fill(2.5);
  const r = await time('shipped denoiser, one call', () => den(x, sigma));
  denoiserRow = { ...r, threads: den.info.threads ?? '-' };
  await den.dispose();
  if (existsSync(classifier)) {
    // Feature-space PG with the shipped classifier's features and no VJP: the finite-difference
    // fallback costs 2 * 784 * n feature rows per evaluation (here n = 4, a Stable Diffusion batch).
    const clf = await loadClassifier(classifier);
    const xs = new PhiloxRng(4).normal([4, 1, 28, 28]);
    const g = particleGuidance({ scale: 1, kernel: featureKernel({ features: clf.features, on: 'x', finiteDifference: { step: 1e-2, maxRows: 1024 } }) });
    const guided = withParticleGuidance(() => Promise.resolve(xs), g);
    const f = await time('feature PG (classifier features, finite differences), n = 4', () => guided(xs, new Float64Array(4).fill(2.5)), 3);
    featureRow = f;
    await clf.dispose();
  }
} else {
  console.log(`shipped model absent (${model}): no denoiser comparison`);
}

let torch = null;
try {
  const out = execFileSync('/usr/bin/python3', [fileURLToPath(new URL('./particle-guidance.py', import.meta.url)), String(REPEATS)], { encoding: 'utf8' });
  torch = JSON.parse(out.trim().split('\n').pop());
  if (torch.skipped) {
    console.log(`torch reference skipped: ${torch.skipped}`);
    torch = null;
  }
} catch (e) {
  console.log(`torch reference skipped: ${String(e.message ?? e).split('\n')[0]}`);
}

console.log(`median CPU time of ${REPEATS} calls (wall in brackets); backend ${getBackend().name}; node ${process.version}`);
if (torch) console.log(`torch ${torch.torch} (${torch.threads} thread(s)), numpy ${torch.numpy}, OPENBLAS_CORETYPE=${torch.openblas_coretype}, OMP_NUM_THREADS=${torch.omp_num_threads}`);
if (denoiserRow) console.log(`shipped denoiser (fashion-pfgmpp-d128.onnx, ${N}x1x28x28, onnxruntime-node, ${denoiserRow.threads} threads): ${denoiserRow.ms.toFixed(2)} ms CPU (${denoiserRow.wall.toFixed(2)} ms wall) per call`);
console.log('| guidance overhead per step | CPU ms | wall ms | / one shipped-denoiser call (CPU) |');
console.log('| --- | ---: | ---: | ---: |');
for (const r of rows) console.log(`| ${r.case} | ${r.ms.toFixed(2)} | ${r.wall.toFixed(2)} | ${denoiserRow ? (r.ms / denoiserRow.ms).toFixed(3) : '-'} |`);
if (torch) for (const r of torch.results) console.log(`| reference: ${r.name}, 64x3072 float32 | ${r.ms.toFixed(2)} | ${r.wall_ms.toFixed(2)} | ${denoiserRow ? (r.ms / denoiserRow.ms).toFixed(3) : '-'} |`);
if (featureRow) console.log(`| ${featureRow.name} | ${featureRow.ms.toFixed(1)} | ${featureRow.wall.toFixed(1)} | ${denoiserRow ? (featureRow.ms / denoiserRow.ms).toFixed(2) : '-'} |`);
