import { selectBackend } from './backend.js';
import { main } from './main.js';

const controller = new AbortController();
let interrupts = 0;
const onSignal = (): void => {
  // First Ctrl-C: stop cleanly at the next denoiser call; a second one exits at once.
  if (++interrupts > 1) process.exit(130);
  controller.abort(new Error('interrupted'));
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

// The backend (PHYS_BACKEND: fast by default, wasm, cpu) is chosen once a command is about to run:
// `phys --help` loads neither onnxruntime nor the WebAssembly kernels.
process.exitCode = await main(process.argv.slice(2), controller.signal, async () => {
  const { fallback } = await selectBackend(process.env.PHYS_BACKEND);
  if (fallback !== undefined && process.env.PHYS_DEBUG) process.stderr.write(`phys: ${fallback}\n`);
});
