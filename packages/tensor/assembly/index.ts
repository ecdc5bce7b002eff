// The WebAssembly module of @phys/tensor: every kernel family, compiled by `npm run build:wasm`
// (asc, see package.json) into dist/kernels.wasm (importing a plain memory) and
// dist/kernels-shared.wasm (importing a shared memory, for worker threads). Kernels work on byte
// addresses in the imported memory `env.memory`, allocate nothing and keep no state.
export * from './elementwise';
export * from './reduce';
export * from './gemm';
export * from './distance';
export * from './softmax';
export * from './philox';
export * from './linalg';
