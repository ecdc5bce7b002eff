// Test models built with the package's ONNX writer (src/onnx-writer.ts), so the tests need no Python.
import { encodeOnnxModel as buildModel, type OnnxDim as Dim, type OnnxInitializer as Initializer } from '../src/onnx-writer.js';

export { buildModel };
export { ONNX_DTYPES as DT } from '../src/onnx-writer.js';
export type { OnnxDim as Dim, OnnxElemType as ElemType, OnnxValueInfo as ValueInfo, OnnxInitializer as Initializer, OnnxNodeSpec as NodeSpec, OnnxModelSpec as ModelSpec } from '../src/onnx-writer.js';

/**
 * An affine test "network" out = a*x + b*sigma + c (sigma broadcast per row) on inputs
 * `x` `[B, ...sample]` and `sigma` `[B]`: with (a, b, c) chosen per test, every coefficient of a
 * preconditioning (c_skip, c_out, c_in, c_noise) can be read off exactly.
 */
export function affineModel(options: {
  a: number;
  b: number;
  c: number;
  sample?: number[];
  type?: 'float32' | 'float64';
  names?: { x?: string; sigma?: string; out?: string };
  batch?: Dim;
  sigmaShape?: Dim[];
  metadata?: Record<string, string>;
  padBytes?: number;
}): Uint8Array {
  const sample = options.sample ?? [1, 2, 2];
  const type = options.type ?? 'float32';
  const batch = options.batch === undefined ? 'B' : options.batch;
  const xName = options.names?.x ?? 'x';
  const sName = options.names?.sigma ?? 'sigma';
  const oName = options.names?.out ?? 'denoised';
  const ones = sample.map(() => 1);
  const scalar = (name: string, v: number): Initializer => ({ name, type, dims: [], values: [v] });
  return buildModel({
    inputs: [
      { name: xName, type, shape: [batch, ...sample] },
      { name: sName, type, shape: options.sigmaShape ?? [batch] },
    ],
    outputs: [{ name: oName, type, shape: [batch, ...sample] }],
    initializers: [scalar('a', options.a), scalar('b', options.b), scalar('c', options.c), { name: 'bshape', type: 'int64', dims: [1 + sample.length], values: [-1, ...ones] }],
    nodes: [
      { op: 'Reshape', inputs: [sName, 'bshape'], outputs: ['s_b'] },
      { op: 'Mul', inputs: [xName, 'a'], outputs: ['ax'] },
      { op: 'Mul', inputs: ['s_b', 'b'], outputs: ['bs'] },
      { op: 'Add', inputs: ['ax', 'bs'], outputs: ['axbs'] },
      { op: 'Add', inputs: ['axbs', 'c'], outputs: [oName] },
    ],
    metadata: options.metadata,
    padBytes: options.padBytes,
  });
}
