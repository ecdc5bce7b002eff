// Per-call overhead of a tiny ONNX model through @phys/onnx vs raw onnxruntime-node, and the copy
// cost between our tensors and ORT tensors (wrapping, float64 -> float32 conversion, ORT's own
// input/output copies). Run: npm run build (turbo) first, then `npm run bench -w @phys/onnx`.
import { spawnSync } from 'node:child_process';
import { availableParallelism, cpus, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { Tensor } from '@phys/tensor';
import { loadDenoiser } from '@phys/onnx';
import { benchModel } from './onnx-writer.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const now = () => Number(process.hrtime.bigint()) / 1e3; // microseconds

/**
 * Best of `reps` repetitions of the mean time (us) of `inner` sequential awaited calls (the cores
 * are shared with other jobs: the best repetition is the least disturbed one); the median is kept
 * in `medians` for the report.
 */
const medians = new Map();
async function time(fn, { inner = 50, reps = 21, warmup = 20 } = {}) {
  for (let i = 0; i < warmup; i++) await fn();
  const samples = [];
  for (let r = 0; r < reps; r++) {
    const t0 = now();
    for (let i = 0; i < inner; i++) await fn();
    samples.push((now() - t0) / inner);
  }
  samples.sort((a, b) => a - b);
  medians.set(samples[0], samples[samples.length >> 1]);
  return samples[0];
}

function timeSync(fn, opts) {
  return time(async () => fn(), opts);
}

const fmt = (us) => (us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(1)} us`);
const rows = [];
const report = (what, us, note = '') => {
  rows.push({ what, us, note });
  const med = medians.get(us);
  console.log(`${what.padEnd(64)} ${fmt(us).padStart(10)} ${med === undefined ? '' : `(median ${fmt(med)})`.padEnd(20)} ${note}`);
};

console.log(`node ${process.version}, onnxruntime-node ${ort.env.versions.node ?? '?'}, ${availableParallelism()} cores (${cpus()[0]?.model}), load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);

// 1. Per-call overhead of a tiny model: x [1, 1, 2, 2], 5 nodes.
const tiny = benchModel({ kind: 'affine', sample: [1, 2, 2], a: 1, b: 0.5, c: 0 });
const xTiny = new Float32Array(4).fill(0.5);
const sTiny = Float32Array.of(1);
for (const threads of [1, 2]) {
  const session = await ort.InferenceSession.create(tiny, { intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' });
  const feeds = { x: new ort.Tensor('float32', xTiny, [1, 1, 2, 2]), sigma: new ort.Tensor('float32', sTiny, [1]) };
  const raw = await time(() => session.run(feeds), { inner: 200 });
  report(`tiny model, raw session.run (${threads} thread${threads > 1 ? 's' : ''})`, raw);
  const model = await loadDenoiser(tiny, { parameterization: 'edm', threads });
  const xt = new Tensor(xTiny, [1, 1, 2, 2]);
  const sig = Float64Array.of(1);
  const ours = await time(() => model(xt, sig), { inner: 200 });
  report(`tiny model, loadDenoiser edm (${threads} thread${threads > 1 ? 's' : ''})`, ours, `+${fmt(ours - raw)} over raw`);
  const rawModel = await loadDenoiser(tiny, { parameterization: 'edm-raw', threads });
  const oursRaw = await time(() => rawModel(xt, sig), { inner: 200 });
  report(`tiny model, loadDenoiser edm-raw (${threads} thread${threads > 1 ? 's' : ''})`, oursRaw, `+${fmt(oursRaw - raw)} over raw`);
  await session.release();
  await model.dispose();
  await rawModel.dispose();
}

// 2. Copy cost: Fashion-MNIST-sized rows (784 floats), batch 64 / 256 / 1024.
const sample = [1, 28, 28];
const identity = benchModel({ kind: 'identity', sample });
const session = await ort.InferenceSession.create(identity, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
const model = await loadDenoiser(identity, { parameterization: 'edm', threads: 1, chunkSize: Infinity });
const rawModel = await loadDenoiser(identity, { parameterization: 'edm-raw', threads: 1, chunkSize: Infinity });
for (const B of [64, 256, 1024]) {
  const n = B * 784;
  const mb = (n * 4) / 1e6;
  const x32 = new Float32Array(n).map((_, i) => Math.sin(i));
  const x64 = Float64Array.from(x32);
  const sig32 = new Float32Array(B).fill(1);
  const sig64 = new Float64Array(B).fill(1);
  const dst = new Float32Array(n);
  const inner = B >= 1024 ? 5 : 20;
  console.log(`-- batch ${B} x 784 (${mb.toFixed(2)} MB float32)`);
  report(`  wrap Float32Array as ort.Tensor (no copy)`, await timeSync(() => new ort.Tensor('float32', x32, [B, ...sample]), { inner: 200 }));
  const memcpy = await timeSync(() => dst.set(x32), { inner });
  report(`  JS copy Float32Array.set (one copy, reference)`, memcpy, `${(mb / memcpy * 1e6 / 1e3).toFixed(1)} GB/s`);
  report(`  float64 -> float32 conversion (once per call for float64 x)`, await timeSync(() => dst.set(x64), { inner }));
  const feeds = { x: new ort.Tensor('float32', x32, [B, ...sample]), sigma: new ort.Tensor('float32', sig32, [B]) };
  const rawAlloc = await time(() => session.run(feeds), { inner });
  report(`  ORT Identity, raw run, ORT allocates the output`, rawAlloc, `= ${(rawAlloc / memcpy).toFixed(2)} memcpy`);
  const out = new Float32Array(n);
  const fetches = { denoised: new ort.Tensor('float32', out, [B, ...sample]) };
  const rawPre = await time(() => session.run(feeds, fetches), { inner });
  report(`  ORT Identity, raw run, preallocated output`, rawPre, `= ${(rawPre / memcpy).toFixed(2)} memcpy`);
  const t32 = new Tensor(x32, [B, ...sample]);
  const ours32 = await time(() => model(t32, sig64), { inner });
  report(`  loadDenoiser(Identity) float32 x`, ours32, `+${fmt(ours32 - rawPre)} over raw preallocated (${((ours32 - rawPre) / memcpy).toFixed(2)} memcpy)`);
  const oursRaw = await time(() => rawModel(t32, sig64), { inner });
  report(`  loadDenoiser(Identity) edm-raw, float32 x (c_in x, c_skip x + c_out F in JS)`, oursRaw, `+${fmt(oursRaw - ours32)} over edm (${((oursRaw - ours32) / memcpy).toFixed(2)} memcpy)`);
  const t64 = new Tensor(x64, [B, ...sample]);
  const ours64 = await time(() => model(t64, sig64), { inner });
  report(`  loadDenoiser(Identity) float64 x (converts in and out)`, ours64, `+${fmt(ours64 - rawPre)} over raw preallocated`);
}
await session.release();
await model.dispose();
await rawModel.dispose();

// 3. Python reference (torch eager, same tiny op graph; numpy copies).
const py = spawnSync('/usr/bin/python3', [path.join(here, 'overhead.py')], { encoding: 'utf8', env: { ...process.env } });
if (py.status === 0) process.stdout.write(py.stdout);
else console.log(`python reference skipped: ${(py.stderr || py.error?.message || '').trim().split('\n').pop()}`);
