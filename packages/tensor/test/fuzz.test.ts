// Property-based fuzz of @phys/tensor's checked API (test-support/fuzz.ts): hostile shapes, seeds
// and scalars give a result or a typed error, never a bare RangeError/TypeError. (Backend kernels
// are the unchecked inner layer: they propagate NaN by contract and are fuzzed through the packages
// that call them.)
import { PhiloxRng, Tensor, checkScalar, checkSignal, checkTensor, raceAbort } from '../src/index.js';
import { fc, fuzz, hostileNumber, hostileScalar, tensorArb } from '../../../test-support/fuzz.js';

const shape = fc.array(fc.oneof(fc.integer({ min: -2, max: 4 }), fc.constantFrom(0.5, NaN, Infinity, 2 ** 40)), { maxLength: 3 });

describe('tensor fuzz: results or typed errors', () => {
  it('constructors, views and RNG draws with hostile shapes and seeds', async () => {
    await fuzz(fc.tuple(shape, fc.constantFrom<'float32' | 'float64'>('float32', 'float64')), ([s, t]) => Tensor.zeros(s, t));
    await fuzz(fc.tuple(fc.array(hostileNumber, { maxLength: 8 }), shape), ([v, s]) => Tensor.from(v, s), { allowInfinity: true });
    await fuzz(fc.tuple(tensorArb({ values: fc.constant(1) }), shape), ([x, s]) => x.reshape(s));
    await fuzz(fc.tuple(tensorArb({ values: fc.constant(1) }), shape), ([x, s]) => new PhiloxRng(7).normal([x.rows, ...s.slice(1)]));
    await fuzz(hostileScalar, (seed) => new PhiloxRng(seed as number).normal([2, 2]));
  });

  it('argument checks', async () => {
    await fuzz(fc.tuple(hostileScalar, hostileScalar, hostileScalar), ([v, min, max]) => checkScalar(v, 'v', { min: min as number, max: max as number }));
    await fuzz(fc.oneof(tensorArb(), fc.constantFrom(null, 1, {}, [1])), (x) => checkTensor(x, 'x', { minRows: 1 }));
    await fuzz(fc.constantFrom(undefined, null, {}, { aborted: 'no' }, 1, new AbortController().signal), (s) => checkSignal(s));
    await fuzz(fc.constantFrom(1, Promise.resolve(2)), (v) => raceAbort(v, new AbortController().signal));
  });
});
