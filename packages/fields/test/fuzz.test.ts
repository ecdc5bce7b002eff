// Property-based fuzz of @phys/fields' public API (test-support/fuzz.ts): reference sets and query
// points with NaN/Infinity/denormals/huge values, empty sets and hostile noise levels give a finite
// result or a typed error (NonFiniteError naming the argument), never NaN.
import { edmKernel, pfgmppKernel } from '@phys/kernels';
import { NonFiniteError, Tensor } from '@phys/tensor';
import {
  coulombSource,
  empiricalDenoiser,
  exactPfgmField,
  forceField,
  logBesselK,
  logSumExp,
  pfgmFieldTarget,
  pfgmppField,
  pfgmppNormalizedField,
  posteriorMean,
  posteriorWeights,
  stfTargets,
  yukawaSource,
} from '../src/index.js';
import { fc, fuzz, hostileNumber, tensorArb } from '../../../test-support/fuzz.js';

const x = tensorArb({ minRows: 0, maxRows: 3, rowShape: [2] });
const ref = tensorArb({ minRows: 0, maxRows: 4, rowShape: [2] });
const sigma = fc.oneof(hostileNumber, fc.constantFrom(0.5, 1, 2));
const kernel = fc.constantFrom(() => edmKernel(), () => pfgmppKernel({ D: 3 }), () => pfgmppKernel({ D: 1e7 }), () => coulombSource({ D: 3 }), () => yukawaSource({ mass: 0.5, D: 3 }));
const D = fc.oneof(fc.constantFrom(1, 3, 1e7), hostileNumber);

describe('fields fuzz: finite results or typed errors', () => {
  it('posterior weights and means, empirical denoiser', async () => {
    await fuzz(fc.tuple(x, ref, kernel, sigma), ([a, b, k, s]) => posteriorWeights(a, b, k(), s), { allowInfinity: true });
    await fuzz(fc.tuple(x, ref, kernel, sigma), ([a, b, k, s]) => posteriorMean(a, b, k(), s));
    await fuzz(fc.tuple(x, ref, kernel, sigma), ([a, b, k, s]) => empiricalDenoiser(b, k())(a, new Float64Array(a.rows).fill(s)));
  });

  it('PFGM/PFGM++ fields, STF targets, force fields', async () => {
    await fuzz(fc.tuple(x, ref, sigma, D), ([a, b, r, d]) => pfgmppField(a, r, b, d));
    await fuzz(fc.tuple(x, ref, sigma), ([a, b, z]) => pfgmFieldTarget(a, z, b));
    await fuzz(fc.tuple(x, ref, sigma, D), ([a, b, r, d]) => pfgmppNormalizedField(a, r, b, d));
    await fuzz(fc.tuple(x, ref, sigma), ([a, b, z]) => exactPfgmField(b)(a, new Float64Array(a.rows).fill(z)));
    await fuzz(fc.tuple(x, ref, kernel, sigma, fc.constantFrom(0, 1e-7)), ([a, b, k, s, epsilon]) => stfTargets(a, s, b, k() as never, { epsilon }));
    await fuzz(fc.tuple(x, ref, sigma, D), ([a, b, r, d]) => forceField(a, r, b, coulombSource({ D: d })));
    await fuzz(fc.array(hostileNumber, { maxLength: 5 }), (v) => logSumExp(v), { allowInfinity: true });
  });

  it('logBesselK ends for huge arguments (tiny trapezoid steps once looped forever) and matches the asymptote', () => {
    // K_nu(x) ~ sqrt(pi/(2x)) e^{-x} for x >> nu^2: log K = -x + log(pi/(2x))/2 to relative 1e-12.
    for (const x of [1e8, 1e30, 1e300]) {
      const expected = -x + 0.5 * Math.log(Math.PI / (2 * x));
      expect(Math.abs(logBesselK(0, x) - expected)).toBeLessThanOrEqual(1e-12 * Math.abs(expected));
    }
  });

  it('names the non-finite argument (the cases of issue 19)', () => {
    const good = Tensor.from([0, 0, 1, 1], [2, 2], 'float64');
    const bad = Tensor.from([0, 0, NaN, 1], [2, 2], 'float64');
    const k = pfgmppKernel({ D: 3 });
    for (const call of [
      () => posteriorWeights(good, bad, k, 1),
      () => posteriorMean(good, bad, k, 1),
      () => pfgmppField(good, 1, bad, 3),
      () => stfTargets(good, 1, bad, k),
      () => pfgmFieldTarget(good, 1, bad),
      () => forceField(good, 1, bad, coulombSource({ D: 3 })),
    ]) {
      expect(call).toThrow(NonFiniteError);
      expect(call).toThrow(/^reference: non-finite value NaN at flat index 2/);
    }
    // The documented opt-out skips the scan (the caller vouches for the data).
    expect(() => posteriorWeights(good, good, k, 1, { checkFinite: false })).not.toThrow();
  });
});
