// Bench models, written with the package's own ONNX writer (`encodeOnnxModel`).
import { encodeOnnxModel } from '@phys/onnx';

/**
 * `kind: 'affine'`: denoised = a*x + b*sigma + c (Reshape, Mul, Mul, Add, Add), the per-call
 * overhead model. `kind: 'identity'`: denoised = Identity(x) (sigma declared, unused), the copy
 * cost model. `metadata` becomes metadata_props.
 */
export function benchModel({ kind, sample, a = 1, b = 0, c = 0, metadata = {} }) {
  const scalar = (name, v) => ({ name, type: 'float32', dims: [], values: [v] });
  return encodeOnnxModel({
    name: 'bench',
    inputs: [
      { name: 'x', type: 'float32', shape: ['B', ...sample] },
      { name: 'sigma', type: 'float32', shape: ['B'] },
    ],
    outputs: [{ name: 'denoised', type: 'float32', shape: ['B', ...sample] }],
    nodes:
      kind === 'identity'
        ? [{ op: 'Identity', inputs: ['x'], outputs: ['denoised'] }]
        : [
            { op: 'Reshape', inputs: ['sigma', 'bshape'], outputs: ['s_b'] },
            { op: 'Mul', inputs: ['x', 'a'], outputs: ['ax'] },
            { op: 'Mul', inputs: ['s_b', 'b'], outputs: ['bs'] },
            { op: 'Add', inputs: ['ax', 'bs'], outputs: ['axbs'] },
            { op: 'Add', inputs: ['axbs', 'c'], outputs: ['denoised'] },
          ],
    initializers:
      kind === 'identity'
        ? []
        : [scalar('a', a), scalar('b', b), scalar('c', c), { name: 'bshape', type: 'int64', dims: [1 + sample.length], values: [-1, ...sample.map(() => 1)] }],
    metadata,
  });
}
