import { PhiloxRng, createWasmBackend, setBackend } from '@phys/tensor';
import { createFastBackend } from '@phys/onnx';
const fields = await import('/work/i14g/packages/fields/dist/index.js');
const kernels = await import('/work/i14g/packages/kernels/dist/index.js');
const rng = new PhiloxRng(7);
const median = (a) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];
const bs = { x2: createWasmBackend({ threads: 2 }), ort: createFastBackend({ threads: 2 }), ort32: createFastBackend({ threads: 2, precision: 'float32' }) };
for (const [B, n, N] of [[256, 2000, 20], [1024, 1024, 2]]) {
const x = rng.normal([B, N]); const y = rng.normal([n, N]);
const sigma = new Float64Array(B).fill(Math.sqrt(N) / 4);
const den = fields.empiricalDenoiser(y, kernels.edmKernel());
for (const [name, b] of Object.entries(bs)) {
  setBackend(b);
  await den(x, sigma);
  const t = [];
  for (let r = 0; r < 7; r++) { const t0 = performance.now(); await den(x, sigma); t.push(performance.now() - t0); }
  console.log(B, n, N, name, median(t).toFixed(2), t.map((q) => q.toFixed(1)).join(' '));
}}
