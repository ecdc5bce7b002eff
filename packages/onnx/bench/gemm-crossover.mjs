// Where onnxruntime's GEMM engine beats the WebAssembly kernels: every product shape of the sweep
// timed on WasmBackend x2 without the engine and with every product sent to it (the engine's
// routing bypassed), interleaved so that the load of other work hits both alike. The two product
// forms of the fields: `dist` (pairwiseSqDist, C = X Y^T with row norms; m queries, n references,
// k the row size) and `wsum` (weightedSum, C = W Y; m queries, k references, n the row size).
// Prints per shape the minimum and median of `REPS` calls and which side wins (by the minimum: on
// a shared machine the load only ever adds time); docs/fast-path.md records the crossover.
// Run: npx turbo run build --filter=@phys/onnx && node packages/onnx/bench/gemm-crossover.mjs
// (BENCH_QUICK=1: a third of the shapes; PRECISION=float32 for the float32 engine).
import { cpus, loadavg } from 'node:os';
import { PhiloxRng, createWasmBackend } from '@phys/tensor';
import { createOrtGemm } from '@phys/onnx';

const REPS = Number(process.env.REPS ?? 9);
const precision = process.env.PRECISION ?? 'float64';
const engine = createOrtGemm({ threads: 2, precision });
const wasm = createWasmBackend({ threads: 2 });
// The same engine, asked for every product (what the routing must decide against).
const always = createWasmBackend({ threads: 2, gemm: { ...engine, runs: () => true } });
const rng = new PhiloxRng(3);

/** [form, m, n, k]: the fields' products (B queries, n references, N dimensions) around the crossover. */
const shapes = [];
for (const m of [64, 256, 1024]) {
  for (const refs of [512, 2000, 4096]) {
    for (const dim of [2, 20, 32, 64, 128, 256, 1024, 3072]) {
      if (dim > 32) shapes.push(['dist', m, refs, dim]);
      shapes.push(['wsum', m, dim, refs]);
    }
  }
}
const quick = process.env.BENCH_QUICK === '1';
const picked = quick ? shapes.filter((_, i) => i % 3 === 0) : shapes;

const median = (a) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];
console.log(`node ${process.version}, ${cpus().length} cores, ${cpus()[0]?.model}, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}, engine ${engine.name}`);
console.log('| form | m | n | k | m n k | WebAssembly x2 ms (min / median) | engine ms (min / median) | engine / WebAssembly | faster |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const [form, m, n, k] of picked) {
  let run;
  if (form === 'dist') {
    const x = rng.normal([m, k]);
    const y = rng.normal([n, k]);
    run = (b) => b.pairwiseSqDist(x, y);
  } else {
    const w = { data: rng.normal([m, k], 'float64').data, rows: m, cols: k };
    const y = rng.normal([k, n]);
    run = (b) => b.weightedSum(w, y);
  }
  const t = { wasm: [], always: [] };
  const sides = { wasm, always };
  for (const b of Object.values(sides)) run(b);
  for (let r = 0; r < REPS; r++) {
    for (const [name, b] of Object.entries(sides)) {
      const t0 = performance.now();
      run(b);
      t[name].push(performance.now() - t0);
    }
  }
  const [wm, em] = [Math.min(...t.wasm), Math.min(...t.always)];
  const f = (a) => `${Math.min(...a).toFixed(2)} / ${median(a).toFixed(2)}`;
  console.log(`| ${form} | ${m} | ${n} | ${k} | ${(m * n * k / 2 ** 20).toFixed(1)}M | ${f(t.wasm)} | ${f(t.always)} | ${(em / wm).toFixed(2)} | ${em < wm ? 'engine' : 'WebAssembly'} |`);
}
