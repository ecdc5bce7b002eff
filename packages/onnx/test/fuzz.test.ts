// Property-based fuzz of @phys/onnx's model parsing (test-support/fuzz.ts): random and mutated
// model bytes and metadata maps give a parsed header or a typed error, never an untyped throw.
import { parsePhysMetadata, readModelHeader } from '../src/index.js';
import { fc, fuzz } from '../../../test-support/fuzz.js';

describe('onnx fuzz: typed errors on hostile model files', () => {
  it('readModelHeader on random bytes, parsePhysMetadata on random maps', async () => {
    await fuzz(fc.uint8Array({ maxLength: 300 }), (b) => readModelHeader(b), { allowInfinity: true });
    const key = fc.constantFrom('phys.kind', 'phys.parameterization', 'phys.kernel', 'phys.kernel.D', 'phys.sigma_min', 'phys.sigma_max', 'phys.sigma_data', 'phys.image_shape', 'phys.value_range', 'other');
    const value = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('denoiser', 'edm', 'pfgmpp', '128', '-1', 'NaN', '[1,28,28]', '[-1,1]', '1e400'));
    await fuzz(fc.array(fc.tuple(key, value), { maxLength: 6 }), (entries) => parsePhysMetadata(new Map(entries)), { allowInfinity: true });
  });
});
