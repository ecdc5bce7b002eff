import { selectBackend } from './backend.js';
import { main } from './main.js';
import { INTERRUPTED_EXIT_CODE, installInterruptHandlers } from './signals.js';

const controller = installInterruptHandlers();
// The backend (PHYS_BACKEND: fast by default, wasm, cpu) is chosen once a command is about to run:
// `phys --help` loads neither onnxruntime nor the WebAssembly kernels.
const code = await main(process.argv.slice(2), controller.signal, async () => {
  const { fallback } = await selectBackend(process.env.PHYS_BACKEND);
  if (fallback !== undefined && process.env.PHYS_DEBUG) process.stderr.write(`phys: ${fallback}\n`);
});
// An interrupted run exits now, even with a model call still running on another thread.
if (code === INTERRUPTED_EXIT_CODE) process.exit(code);
process.exitCode = code;
