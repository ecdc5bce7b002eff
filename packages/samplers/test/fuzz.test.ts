// Property-based fuzz of @phys/samplers' public API (test-support/fuzz.ts): initial states with
// NaN/Infinity/denormals/huge values or no rows, hostile schedules, options of the wrong type and
// denoisers that misbehave give a finite result or a typed error, never NaN or a hang.
import { edmKernel, pfgmppKernel } from '@phys/kernels';
import { PhiloxRng, Tensor, type Denoiser } from '@phys/tensor';
import {
  ddimSample,
  dpmSolverSample,
  edmStochasticSample,
  eulerMaruyamaSample,
  eulerSample,
  heunSample,
  parseRestartConfig,
  particleGuidance,
  rbfRepulsion,
  restartNfe,
  restartSample,
  rk45Sample,
  validateSigmas,
  withParticleGuidance,
} from '../src/index.js';
import { fc, finiteNumber, fuzz, hostileNumber, hostileScalar, tensorArb } from '../../../test-support/fuzz.js';
import { gaussianDenoiser } from './gaussian.js';

const x = tensorArb({ minRows: 0, maxRows: 3, rowShape: [2] });
const sigmas = fc.oneof(
  fc.array(hostileNumber, { maxLength: 5 }),
  fc.constantFrom([10, 5, 1, 0], [80, 2, 0.002, 0], [1, 0]),
);
// Denoisers as a careless user writes them: exact, returning garbage, or throwing.
const denoiser = fc.constantFrom<Denoiser>(
  gaussianDenoiser,
  (xx) => Promise.resolve(xx.clone()),
  (xx) => Promise.resolve(Tensor.from(new Array(xx.size).fill(NaN), xx.shape)),
  () => Promise.resolve(Tensor.zeros([1, 7])),
  () => Promise.reject(new Error('model crashed')),
  () => Promise.resolve(null as unknown as Tensor),
);
const options = fc.record({ signal: fc.constantFrom(undefined, {}, new AbortController().signal), onStep: fc.constantFrom(undefined, 3) }, { requiredKeys: [] });

describe('samplers fuzz: finite results or typed errors', () => {
  it('ODE samplers', async () => {
    await fuzz(fc.tuple(denoiser, x, sigmas, options), ([d, a, s, o]) => eulerSample(d, a, s, o as never));
    await fuzz(fc.tuple(denoiser, x, sigmas, options), ([d, a, s, o]) => heunSample(d, a, s, o as never));
    await fuzz(fc.tuple(denoiser, x, sigmas, options), ([d, a, s, o]) => dpmSolverSample(d, a, s, o as never));
    await fuzz(fc.tuple(denoiser, x, hostileScalar, hostileScalar), ([d, a, hi, lo]) => rk45Sample(d, a, { sigmaMax: hi, sigmaMin: lo, maxNfe: 200 } as never));
  });

  it('SDE samplers, DDIM and Restart', async () => {
    await fuzz(fc.tuple(denoiser, x, sigmas, hostileScalar), ([d, a, s, c]) => edmStochasticSample(d, a, s, { rng: new PhiloxRng(1), sChurn: c } as never));
    await fuzz(fc.tuple(denoiser, x, sigmas), ([d, a, s]) => eulerMaruyamaSample(d, a, s, { rng: new PhiloxRng(2) }));
    await fuzz(fc.tuple(denoiser, x, fc.array(hostileNumber, { maxLength: 4 })), ([d, a, s]) => ddimSample(d, a, s));
    const level = fc.tuple(hostileScalar, hostileScalar, hostileScalar, hostileScalar);
    const levels = fc.oneof(fc.array(level, { maxLength: 2 }), fc.constantFrom('', '{', '{"0": [3, 2, 0.14, 0.3]}', { '0': [1e9, 1, 0.14, 0.3] }));
    await fuzz(fc.tuple(denoiser, x, sigmas, levels, fc.constantFrom(() => edmKernel(), () => pfgmppKernel({ D: 3 }))), ([d, a, s, l, k]) =>
      restartSample(d, a, s, { rng: new PhiloxRng(3), kernel: k(), levels: l as never }),
    );
    await fuzz(fc.tuple(sigmas, levels), ([s, l]) => restartNfe(s, l as never));
    await fuzz(levels, (l) => parseRestartConfig(l as never));
    await fuzz(sigmas, (s) => validateSigmas(s));
  });

  it('particle guidance and its RBF kernel', async () => {
    const particles = tensorArb({ minRows: 0, maxRows: 4, rowShape: [2], values: finiteNumber });
    await fuzz(fc.tuple(particles, fc.oneof(hostileNumber, fc.constant(1))), ([p, s]) => rbfRepulsion(p, s));
    await fuzz(fc.tuple(x, hostileNumber), ([a, scale]) => withParticleGuidance(gaussianDenoiser, particleGuidance({ scale }))(a, new Float64Array(a.rows).fill(1)));
  });
});
