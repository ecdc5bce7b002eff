import { setBackend } from '@phys/tensor';
import { createFastBackend } from '@phys/onnx';
import { main } from './main.js';

// The WebAssembly SIMD backend with onnxruntime GEMM for large products by default
// (PHYS_BACKEND=cpu keeps the reference backend).
const fast = process.env.PHYS_BACKEND === 'cpu' ? undefined : createFastBackend();
if (fast) setBackend(fast);

const controller = new AbortController();
let interrupts = 0;
const onSignal = (): void => {
  // First Ctrl-C: stop cleanly at the next denoiser call; a second one exits at once.
  if (++interrupts > 1) process.exit(130);
  controller.abort(new Error('interrupted'));
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

process.exitCode = await main(process.argv.slice(2), controller.signal);
