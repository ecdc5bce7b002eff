// Per-call overhead of a tiny ONNX model through @phys/onnx vs raw onnxruntime-node, and the copy
// cost between our tensors and ORT tensors (wrapping, float64 <-> float32 conversion, ORT's own
// input/output copies), and the overhead on the shipped Fashion-MNIST U-Net.
// Run: npx turbo run build --filter=@phys/onnx && npm run bench -w @phys/onnx
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { Tensor } from '@phys/tensor';
import { loadDenoiser } from '@phys/onnx';
import { benchModel } from './onnx-writer.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const now = () => Number(process.hrtime.bigint()) / 1e3; // microseconds
const fmt = (us) => (us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(1)} us`);

/**
 * Times several variants interleaved (A, B, C, A, B, C, ...) so that the load of other jobs on the
 * shared cores hits all of them alike. Each repetition times `inner` sequential awaited calls;
 * returns per variant the best and the median repetition (us per call).
 */
async function compare(variants, { inner = 50, reps = 21, warmup = 30 } = {}) {
  const names = Object.keys(variants);
  for (const n of names) for (let i = 0; i < warmup; i++) await variants[n]();
  const samples = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < reps; r++) {
    for (const n of names) {
      const t0 = now();
      for (let i = 0; i < inner; i++) await variants[n]();
      samples[n].push((now() - t0) / inner);
    }
  }
  return Object.fromEntries(
    names.map((n) => {
      const s = samples[n].sort((a, b) => a - b);
      return [n, { best: s[0], median: s[s.length >> 1] }];
    }),
  );
}

const line = (what, t, note = '') => console.log(`${what.padEnd(66)} ${fmt(t.best).padStart(10)} ${`(median ${fmt(t.median)})`.padEnd(21)} ${note}`);

console.log(`node ${process.version}, onnxruntime-node ${ort.env.versions.node ?? '?'}, ${availableParallelism()} cores (${cpus()[0]?.model}), load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log('best of 21 interleaved repetitions (median in parentheses)');

// 1. Per-call overhead of a tiny model: x [1, 1, 2, 2], 5 nodes.
const tiny = benchModel({ kind: 'affine', sample: [1, 2, 2], a: 1, b: 0.5, c: 0 });
const xTiny = new Float32Array(4).fill(0.5);
for (const threads of [1, 2]) {
  const session = await ort.InferenceSession.create(tiny, { intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' });
  const feeds = { x: new ort.Tensor('float32', xTiny, [1, 1, 2, 2]), sigma: new ort.Tensor('float32', Float32Array.of(1), [1]) };
  const edm = await loadDenoiser(tiny, { parameterization: 'edm', threads });
  const raw = await loadDenoiser(tiny, { parameterization: 'edm-raw', threads });
  const xt = new Tensor(xTiny, [1, 1, 2, 2]);
  const sig = Float64Array.of(1);
  const t = await compare({ raw: () => session.run(feeds), edm: () => edm(xt, sig), edmRaw: () => raw(xt, sig) }, { inner: 200 });
  const th = `${threads} thread${threads > 1 ? 's' : ''}`;
  line(`tiny model, raw session.run (${th})`, t.raw);
  line(`tiny model, loadDenoiser edm (${th})`, t.edm, `+${fmt(t.edm.best - t.raw.best)} per call`);
  line(`tiny model, loadDenoiser edm-raw (${th})`, t.edmRaw, `+${fmt(t.edmRaw.best - t.raw.best)} per call`);
  await session.release();
  await edm.dispose();
  await raw.dispose();
}

// 2. Copy cost: Fashion-MNIST-sized rows (784 floats), batch 64 / 256 / 1024, Identity graph.
const sample = [1, 28, 28];
const identity = benchModel({ kind: 'identity', sample });
const session = await ort.InferenceSession.create(identity, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
const model = await loadDenoiser(identity, { parameterization: 'edm', threads: 1, chunkSize: Infinity });
const rawModel = await loadDenoiser(identity, { parameterization: 'edm-raw', threads: 1, chunkSize: Infinity });
for (const B of [64, 256, 1024]) {
  const n = B * 784;
  const x32 = new Float32Array(n).map((_, i) => Math.sin(i));
  const x64 = Float64Array.from(x32);
  const dst = new Float32Array(n);
  const dst64 = new Float64Array(n);
  const sig64 = new Float64Array(B).fill(1);
  const dims = [B, ...sample];
  const feeds = { x: new ort.Tensor('float32', x32, dims), sigma: new ort.Tensor('float32', new Float32Array(B).fill(1), [B]) };
  const fetches = { denoised: new ort.Tensor('float32', new Float32Array(n), dims) };
  const t32 = new Tensor(x32, dims);
  const t64 = new Tensor(x64, dims);
  const outT = Tensor.zeros(dims);
  const t = await compare(
    {
      wrap: () => new ort.Tensor('float32', x32, dims),
      memcpy: () => dst.set(x32),
      to32: () => dst.set(x64),
      to64: () => dst64.set(x32),
      rawAlloc: () => session.run(feeds),
      rawPre: () => session.run(feeds, fetches),
      ours: () => model(t32, sig64),
      oursOut: () => model.denoise(t32, sig64, { out: outT }),
      oursRaw: () => rawModel.denoise(t32, sig64, { out: outT }),
      ours64: () => model(t64, sig64),
    },
    { inner: B >= 1024 ? 4 : 16 },
  );
  const mc = t.memcpy.best;
  console.log(`-- batch ${B} x 784 (${((n * 4) / 1e6).toFixed(2)} MB float32)`);
  line('  wrap a Float32Array as ort.Tensor (no copy)', t.wrap);
  line('  JS copy Float32Array.set (one copy, the unit below)', t.memcpy, `${((n * 4) / mc / 1e3).toFixed(1)} GB/s`);
  line('  float64 -> float32 (TypedArray.set)', t.to32, `${(t.to32.best / mc).toFixed(1)} memcpy`);
  line('  float32 -> float64 (TypedArray.set)', t.to64, `${(t.to64.best / mc).toFixed(1)} memcpy`);
  line('  ORT Identity, raw run, ORT allocates the output', t.rawAlloc, `${(t.rawAlloc.best / mc).toFixed(1)} memcpy`);
  line('  ORT Identity, raw run, preallocated output', t.rawPre, `${(t.rawPre.best / mc).toFixed(1)} memcpy`);
  line('  loadDenoiser edm, float32, fresh output tensor', t.ours, `+${((t.ours.best - t.rawPre.best) / mc).toFixed(1)} memcpy over raw preallocated`);
  line('  loadDenoiser edm, float32, { out } given', t.oursOut, `+${((t.oursOut.best - t.rawPre.best) / mc).toFixed(1)} memcpy over raw preallocated`);
  line('  loadDenoiser edm-raw, float32, { out } (c_in x; c_skip x + c_out F)', t.oursRaw, `+${((t.oursRaw.best - t.oursOut.best) / mc).toFixed(1)} memcpy over edm`);
  line('  loadDenoiser edm, float64 x (converted in and out)', t.ours64, `+${((t.ours64.best - t.ours.best) / mc).toFixed(1)} memcpy over float32`);
}
await session.release();
await model.dispose();
await rawModel.dispose();

// 3. The shipped Fashion-MNIST U-Net (packages/cli/models), batch 64: overhead against real work.
const shipped = path.resolve(here, '../../cli/models/fashion-pfgmpp-d128.onnx');
if (existsSync(shipped)) {
  const B = 64;
  const x = new Float32Array(B * 784).map((_, i) => Math.sin(i));
  for (const threads of [1, 2]) {
    const s = await ort.InferenceSession.create(shipped, { intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all', logSeverityLevel: 3 });
    const feeds = { x: new ort.Tensor('float32', x, [B, 1, 28, 28]), sigma: new ort.Tensor('float32', new Float32Array(B).fill(2.5), [B]) };
    const m = await loadDenoiser(shipped, { threads });
    const tx = new Tensor(x, [B, 1, 28, 28]);
    const sig = new Float64Array(B).fill(2.5);
    const t = await compare({ raw: () => s.run(feeds), ours: () => m(tx, sig) }, { inner: 2, reps: 9, warmup: 2 });
    const th = `${threads} thread${threads > 1 ? 's' : ''}`;
    console.log(`-- shipped ${path.basename(shipped)}, batch 64, ${th}`);
    line('  raw session.run', t.raw);
    line('  loadDenoiser', t.ours, `${(((t.ours.best - t.raw.best) / t.raw.best) * 100).toFixed(1)}% over raw`);
    await s.release();
    await m.dispose();
  }
}

// 4. Python reference (torch eager, same tiny op graph; numpy copies).
const py = spawnSync('/usr/bin/python3', [path.join(here, 'overhead.py')], { encoding: 'utf8', env: { ...process.env } });
if (py.status === 0) process.stdout.write(py.stdout);
else console.log(`python reference skipped: ${(py.stderr || py.error?.message || '').trim().split('\n').pop()}`);
