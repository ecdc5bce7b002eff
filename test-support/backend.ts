// Jest setup file of every package (jest.config.base.js): the backend the tests run on. Library
// code reads no environment variable, so the test run maps `PHYS_BACKEND` here, as the `phys` CLI
// does: `wasm` runs every test on the WebAssembly SIMD backend; unset or `cpu`, on the CPU
// reference backend (the tests' default).
import { CpuBackend, createWasmBackend, setBackend } from '@phys/tensor';

const name = process.env.PHYS_BACKEND ?? 'cpu';
if (name === 'wasm') {
  const wasm = createWasmBackend();
  if (!wasm) throw new Error('PHYS_BACKEND=wasm: WebAssembly SIMD is not available in this Node');
  setBackend(wasm);
} else if (name === 'cpu') {
  setBackend(new CpuBackend());
} else {
  throw new Error(`PHYS_BACKEND=${name}: the tests run on 'cpu' or 'wasm'`);
}
