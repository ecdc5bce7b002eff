import { setBackend } from '@phys/tensor';
import { createFastBackend } from '@phys/onnx';
import { main } from './main.js';
import { INTERRUPTED_EXIT_CODE, installInterruptHandlers } from './signals.js';

// The WebAssembly SIMD backend with onnxruntime GEMM for large products by default
// (PHYS_BACKEND=cpu keeps the reference backend).
const fast = process.env.PHYS_BACKEND === 'cpu' ? undefined : createFastBackend();
if (fast) setBackend(fast);

const controller = installInterruptHandlers();
const code = await main(process.argv.slice(2), controller.signal);
// An interrupted run exits now, even with a model call still running on another thread.
if (code === INTERRUPTED_EXIT_CODE) process.exit(code);
process.exitCode = code;
