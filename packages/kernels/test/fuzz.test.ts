// Property-based fuzz of @phys/kernels' public API (test-support/fuzz.ts): hostile tensors, noise
// levels and D give a finite result or a typed error, never NaN or an untyped throw.
import { PhiloxRng, Tensor, ValueError } from '@phys/tensor';
import {
  betaInc,
  edmKernel,
  edmPrecond,
  edmSchedule,
  logBeta,
  logGamma,
  logNormalSigma,
  pfgmKernel,
  pfgmppKernel,
  radiusCdf,
  radiusLogPdf,
  radiusMoments,
  radiusQuantile,
  rToSigma,
  sampleRadius,
  sigmaToR,
  trainingBatch,
  veKernel,
  vpKernel,
  vpSchedule,
  vpSigma,
  vpSigmaInv,
} from '../src/index.js';
import { fc, fuzz, hostileNumber, hostileScalar, tensorArb } from '../../../test-support/fuzz.js';

const D = fc.oneof(fc.constantFrom(1, 2, 128, 1e7, Infinity), hostileNumber);
const kernel = D.map((d) => () => pfgmppKernel({ D: d }));

describe('kernels fuzz: finite results or typed errors', () => {
  it('the helpers of issue 19 throw typed errors instead of returning non-finite values', () => {
    expect(() => sigmaToR(1, -4)).toThrow(ValueError);
    expect(() => rToSigma(1, 0)).toThrow(/^D: expected a finite number > 0, got 0/);
    expect(() => pfgmppKernel({ D: 8 }).logKernel(1, 0, 8)).toThrow(/^sigma: /);
    expect(() => edmKernel().logKernel(0, 5e-324)).toThrow(ValueError);
    expect(() => Tensor.zeros([-1, 3])).toThrow(/^shape: expected non-negative integer dimensions/);
    expect(pfgmppKernel({ D: 8 }).logKernel(Infinity, 1, 8)).toBe(-Infinity);
  });

  it('sigmaToR, rToSigma, logKernel', async () => {
    await fuzz(fc.tuple(hostileScalar, hostileScalar), ([a, b]) => sigmaToR(a as number, b as number));
    await fuzz(fc.tuple(hostileScalar, hostileScalar), ([a, b]) => rToSigma(a as number, b as number));
    await fuzz(fc.tuple(hostileNumber, hostileNumber, fc.integer({ min: 0, max: 10 }), D), ([s, sig, n, d]) => pfgmppKernel({ D: d }).logKernel(s, sig, n), { allowInfinity: true });
    await fuzz(fc.tuple(hostileNumber, hostileNumber), ([s, sig]) => edmKernel().logKernel(s, sig), { allowInfinity: true });
  });

  it('prior, perturb, forward, logDensity, score', async () => {
    const shape = fc.array(fc.integer({ min: -1, max: 3 }), { minLength: 0, maxLength: 3 });
    await fuzz(fc.tuple(kernel, shape, hostileScalar), ([k, s, sm]) => k().prior(s, sm as number, new PhiloxRng(1)));
    await fuzz(fc.tuple(kernel, tensorArb({ maxRows: 3 }), hostileNumber), ([k, x, s]) => k().perturb(x, new Float64Array(x.rows).fill(s), new PhiloxRng(2)));
    await fuzz(fc.tuple(kernel, tensorArb({ maxRows: 3 }), hostileNumber, hostileNumber), ([k, x, a, b]) => k().forward(x, a, b, new PhiloxRng(3)));
    await fuzz(fc.tuple(kernel, tensorArb({ maxRows: 3, rowShape: [2] }), tensorArb({ maxRows: 3, rowShape: [2] }), hostileNumber), ([k, x, y, s]) => k().logDensity(x, y, s), { allowInfinity: true });
    await fuzz(fc.tuple(kernel, tensorArb({ maxRows: 3, rowShape: [2] }), tensorArb({ maxRows: 3, rowShape: [2] }), hostileNumber), ([k, x, y, s]) => k().score(x, y, s));
  });

  it('schedules, radius distribution, special functions, preconditioning, training batches', async () => {
    await fuzz(fc.record({ steps: hostileScalar, sigmaMin: hostileScalar, sigmaMax: hostileScalar, rho: hostileScalar }), (o) => edmSchedule(o as never));
    await fuzz(fc.record({ steps: hostileScalar, epsS: hostileScalar }), (o) => vpSchedule(o as never));
    await fuzz(hostileNumber, (t) => vpSigma(t));
    await fuzz(hostileNumber, (s) => vpSigmaInv(s));
    const params = fc.record({ N: hostileScalar, D: hostileScalar, r: hostileScalar });
    await fuzz(fc.tuple(params, fc.integer({ min: 0, max: 4 })), ([p, n]) => sampleRadius(p as never, n, new PhiloxRng(4)));
    await fuzz(fc.tuple(params, hostileNumber), ([p, q]) => radiusCdf(q, p as never));
    await fuzz(fc.tuple(params, hostileNumber), ([p, q]) => radiusQuantile(q, p as never));
    await fuzz(fc.tuple(params, hostileNumber), ([p, q]) => radiusLogPdf(q, p as never), { allowInfinity: true });
    await fuzz(params, (p) => radiusMoments(p as never));
    await fuzz(hostileNumber, (x) => logGamma(x), { allowInfinity: true });
    await fuzz(fc.tuple(hostileNumber, hostileNumber), ([a, b]) => logBeta(a, b), { allowInfinity: true });
    await fuzz(fc.tuple(hostileNumber, hostileNumber, hostileNumber), ([x, a, b]) => betaInc(x, a, b));
    await fuzz(fc.tuple(hostileNumber, hostileNumber), ([s, d]) => edmPrecond(s, d));
    await fuzz(fc.tuple(kernel, tensorArb({ maxRows: 3 })), ([k, x]) => trainingBatch(k(), x, new PhiloxRng(5), { distribution: logNormalSigma() }));
    await fuzz(fc.tuple(tensorArb({ maxRows: 3 }), hostileNumber), ([x, t]) => vpKernel().perturb(x, new Float64Array(x.rows).fill(t), new PhiloxRng(6)));
    await fuzz(fc.tuple(tensorArb({ maxRows: 3 }), hostileNumber), ([x, t]) => veKernel().perturb(x, new Float64Array(x.rows).fill(t), new PhiloxRng(6)));
    await fuzz(fc.tuple(tensorArb({ maxRows: 3, minDim: 1 })), ([x]) => pfgmKernel().perturb(x, new PhiloxRng(7)));
  });
});
