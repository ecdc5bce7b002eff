// The fast paths (WasmBackend, and WasmBackend with onnxruntime's GEMM engine from @phys/onnx) next
// to the reference backend (CpuBackend), the WebAssembly backend of an older build of this package
// (BENCH_OLD_REF, default 1320d99: the run-time assembled kernels; built by ./old-build.mjs with
// `git archive`; BENCH_OLD_REF=none skips it) and numpy/torch doing the same work in the same run
// (bench/fast_path.py via /usr/bin/python3). Medians of wall times: the 2 cores are shared with
// other work, so run it a few times. Build first:
//   npx turbo run build --filter=@phys/fields --filter=@phys/samplers --filter=@phys/onnx
//   npm run bench -w @phys/tensor
// @phys/fields, @phys/kernels, @phys/samplers and @phys/onnx are loaded from their built dist
// folders (they depend on @phys/tensor, so they cannot be dependencies of it).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { CpuBackend, PhiloxRng, WasmBackend, createWasmBackend, setBackend } from '@phys/tensor';
import { oldTensorBuild } from './old-build.mjs';

const dist = (pkg) => new URL(`../../${pkg}/dist/index.js`, import.meta.url).href;
let fields, kernels, samplers, onnx;
try {
  [fields, kernels, samplers] = await Promise.all([import(dist('fields')), import(dist('kernels')), import(dist('samplers'))]);
} catch (e) {
  console.error(`build @phys/fields, @phys/kernels and @phys/samplers first (${e.message})`);
  process.exit(1);
}
try {
  onnx = await import(dist('onnx'));
} catch (e) {
  console.log(`@phys/onnx not built: no WasmBackend + onnxruntime GEMM column (${e.message.split('\n')[0]})`);
}
const REPS = Number(process.env.REPS_JS ?? 7);
const median = (a) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];
async function time(run, reps = REPS) {
  await run();
  const ms = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    await run();
    ms.push(performance.now() - t0);
  }
  return median(ms);
}

const wasm = createWasmBackend();
if (!wasm) {
  console.log('WebAssembly SIMD unavailable: nothing to compare');
  process.exit(0);
}
// 'x2': WasmBackend with threads: 2 (the calling thread and one worker on a shared memory).
// 'ort': @phys/onnx createFastBackend: WasmBackend x2 with onnxruntime's GEMM engine (2 intra-op threads,
// the calling one included; never at the same time as the WebAssembly threads).
// 'ort32': the same with the engine in float32 (`precision: 'float32'`, numpy/torch float32 precision).
const backends = {
  cpu: new CpuBackend(),
  wasm,
  x2: new WasmBackend({ threads: 2 }),
  ...(onnx ? { ort: onnx.createFastBackend({ threads: 2 }), ort32: onnx.createFastBackend({ threads: 2, precision: 'float32' }) } : {}),
};
const oldRef = process.env.BENCH_OLD_REF ?? '1320d99';
let oldSha;
if (oldRef !== 'none') {
  // 'old', 'old2': the old build's WasmBackend with 1 and 2 threads (same Backend interface).
  const built = oldTensorBuild(oldRef);
  oldSha = built.sha;
  const old = await import(built.url);
  Object.assign(backends, { old: new old.WasmBackend(), old2: new old.WasmBackend({ threads: 2 }) });
  // Builds before Backend.zeros/clone allocated the samplers' state as plain tensors: give them that.
  const plain = new CpuBackend();
  for (const be of [backends.old, backends.old2]) {
    be.zeros ??= (shape, dtype) => plain.zeros(shape, dtype);
    be.clone ??= (t) => plain.clone(t);
  }
}
const rows = {};
const add = (name, be, ms) => ((rows[name] ??= {})[be] = ms);
const rng = new PhiloxRng(7);
const quick = process.env.BENCH_QUICK === '1';

for (const [B, n, N] of [[128, 4096, 3072], [256, 2000, 20], [1024, 1024, 2]]) {
  const x = rng.normal([B, N]);
  const y = rng.normal([n, N]);
  const sigma = new Float64Array(B).fill(Math.sqrt(N) / 4);
  const denoise = fields.empiricalDenoiser(y, kernels.edmKernel());
  // The small-N fields also with the opt-in float32 exponentials (the old build has no such option).
  const denoise32 = N <= 32 ? fields.empiricalDenoiser(y, kernels.edmKernel(), { exp: 'float32' }) : undefined;
  for (const [be, backend] of Object.entries(backends)) {
    setBackend(backend);
    const big = B * n * N > 1e8;
    if (be === 'cpu' && big && quick) continue;
    add(`field ${B}x${n}x${N}`, be, await time(() => denoise(x, sigma), be === 'cpu' && big ? 1 : REPS));
    if (denoise32 && !be.startsWith('old')) add(`field ${B}x${n}x${N} exp float32`, be, await time(() => denoise32(x, sigma)));
    add(`pairwiseSqDist ${B}x${n}x${N}`, be, await time(() => backend.pairwiseSqDist(x, y), be === 'cpu' && big ? 1 : REPS));
  }
}

// Heun loop: 18 steps on 64 x 3072 with a denoiser that returns a fixed tensor.
{
  const fixed = rng.normal([64, 3072]);
  const x0 = rng.normal([64, 3072]);
  const sigmas = kernels.edmSchedule({ steps: 18 });
  for (const [be, backend] of Object.entries(backends)) {
    setBackend(backend);
    add('heun 64x3072 18 steps', be, await time(() => samplers.heunSample(() => Promise.resolve(fixed), x0, sigmas), 15));
    const a = rng.normal([64, 3072]);
    const b = rng.normal([64, 3072]);
    const out = a.clone();
    add('axpby 64x3072', be, await time(() => backend.axpby(0.7, a, 0.3, b, out), 51));
    // The same on tensors made by the backend's own clone (resident in WebAssembly memory on
    // WasmBackend; plain on CpuBackend and on old builds).
    const [ra, rb, rout] = [a, b, out].map((t) => backend.clone(t));
    add('axpby 64x3072 (Backend.clone operands)', be, await time(() => backend.axpby(0.7, ra, 0.3, rb, rout), 51));
    for (const t of [ra, rb, rout]) t.dispose();
  }
}
// 20M float32 normals from PhiloxRng: Backend.philoxNormal, bit-identical on both backends.
for (const [be, backend] of Object.entries(backends)) {
  setBackend(backend);
  add('normals 20M', be, await time(() => new PhiloxRng(1).normal([20, 1_000_000]), be === 'cpu' ? 3 : REPS));
}

let ref = { numpy: {}, torch: {}, config: {} };
if (process.env.SKIP_PY !== '1') {
  try {
    const script = fileURLToPath(new URL('./fast_path.py', import.meta.url));
    ref = JSON.parse(execFileSync('/usr/bin/python3', [script], { encoding: 'utf8', maxBuffer: 1 << 24 }).trim().split('\n').pop());
  } catch (e) {
    console.log(`python reference skipped: ${e.message.split('\n')[0]}`);
  }
}
const f = (v) => (v === undefined ? '-' : v < 10 ? v.toFixed(2) : v.toFixed(1));
console.log(`node ${process.version}, ${os.cpus().length} cores, ${os.cpus()[0]?.model}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}; reference: ${JSON.stringify(ref.config ?? ref)}`);
const old = oldSha ?? 'old';
console.log(`| work | CpuBackend ms | WasmBackend ms | WasmBackend x2 ms | x2 + ORT GEMM ms | x2 + ORT float32 GEMM ms | numpy ms | numpy float64 ms | torch ms | fastest phys / numpy | ${old} WasmBackend ms | ${old} x2 ms | WasmBackend / ${old} | x2 / ${old} x2 |`);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
const ratio = (a, b) => (a === undefined || b === undefined ? '-' : (a / b).toFixed(2));
for (const [name, r] of Object.entries(rows)) {
  // rows that differ only in where our operands live compare with the same numpy/torch work
  const work = name.replace(' (Backend.clone operands)', '');
  const np = ref.numpy?.[work];
  const best = Math.min(...[r.wasm, r.x2, r.ort, r.ort32, r.cpu].filter((v) => v !== undefined));
  console.log(`| ${name} | ${f(r.cpu)} | ${f(r.wasm)} | ${f(r.x2)} | ${f(r.ort)} | ${f(r.ort32)} | ${f(np)} | ${f(ref.numpy64?.[work])} | ${f(ref.torch?.[work])} | ${np ? (best / np).toFixed(2) : '-'} | ${f(r.old)} | ${f(r.old2)} | ${ratio(r.wasm, r.old)} | ${ratio(r.x2, r.old2)} |`);
}
