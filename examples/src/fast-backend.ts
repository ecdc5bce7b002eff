// Choosing a backend: the same empirical EDM denoiser (posterior mean over 1024 reference points
// of 3072 values, CIFAR-sized) on the plain-TypeScript reference backend, the WebAssembly SIMD
// backend on one and on two threads, and the two-thread WebAssembly backend with large matrix
// products in onnxruntime's GEMM. All give the same numbers within float32 rounding; only the time
// differs.
// Run: npm run build -w @phys/examples && node examples/dist/fast-backend.js
import { CpuBackend, PhiloxRng, createWasmBackend, setBackend, type Backend } from '@phys/tensor';
import { edmKernel } from '@phys/kernels';
import { empiricalDenoiser } from '@phys/fields';
import { createFastBackend } from '@phys/onnx';

const rng = new PhiloxRng(1);
const reference = rng.normal([1024, 3072]);
const x = rng.normal([16, 3072]);
const sigma = new Float64Array(16).fill(10);
const denoise = empiricalDenoiser(reference, edmKernel());

const candidates: [string, Backend | undefined][] = [
  ['reference (CpuBackend)', new CpuBackend()],
  ['WebAssembly SIMD (createWasmBackend)', createWasmBackend()],
  ['WebAssembly SIMD, 2 threads (createWasmBackend({ threads: 2 }))', createWasmBackend({ threads: 2 })],
  ['WebAssembly SIMD x2 + onnxruntime GEMM (createFastBackend)', createFastBackend()],
];

let baseline: Float32Array | Float64Array | undefined;
for (const [label, backend] of candidates) {
  if (!backend) {
    console.log(`${label}: unavailable in this JavaScript engine`);
    continue;
  }
  setBackend(backend);
  await denoise(x, sigma); // warm-up (module compile, session creation)
  const t0 = performance.now();
  const out = await denoise(x, sigma);
  const ms = performance.now() - t0;
  baseline ??= out.data;
  let diff = 0;
  for (let i = 0; i < out.size; i++) diff = Math.max(diff, Math.abs(out.data[i]! - baseline[i]!));
  console.log(`${label.padEnd(66)} ${ms.toFixed(1).padStart(7)} ms   max |difference| to the reference ${diff.toExponential(1)}`);
}
