// The Node entry of @phys/onnx: the adapter on onnxruntime-node (./browser.ts is the same adapter;
// "#onnx-platform" picks the runtime) plus what needs Node.
export * from './browser.js';
export { readModelHeaderFromFile } from './model-file.js';
export { createOrtGemm, createFastBackend } from './gemm.js';
export type { OrtGemmOptions } from './gemm.js';
