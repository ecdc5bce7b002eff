// Property-based fuzz of @phys/latents' categorical layer (test-support/fuzz.ts): logits with
// NaN/Infinity/denormals/huge values or no rows give finite results or typed errors.
import { PhiloxRng } from '@phys/tensor';
import { categoricalProbabilities, gumbelSoftmax, logSoftmax, sampleCategorical } from '../src/index.js';
import { fc, fuzz, hostileScalar, tensorArb } from '../../../test-support/fuzz.js';

const logits = tensorArb({ minRows: 0, maxRows: 3, minDim: 0, maxDim: 4, maxDims: 1 });

describe('latents fuzz: finite results or typed errors', () => {
  it('categorical probabilities, sampling and Gumbel-softmax', async () => {
    await fuzz(fc.tuple(logits, hostileScalar), ([l, t]) => categoricalProbabilities(l, { temperature: t as number }));
    await fuzz(logits, (l) => logSoftmax(l), { allowInfinity: true });
    await fuzz(fc.tuple(logits, hostileScalar), ([l, t]) => sampleCategorical(l, new PhiloxRng(1), { temperature: t as number }));
    await fuzz(fc.tuple(logits, hostileScalar), ([l, t]) => gumbelSoftmax(l, new PhiloxRng(2), { tau: t as number }));
  });
});
