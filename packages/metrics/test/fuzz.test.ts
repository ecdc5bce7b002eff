// Property-based fuzz of @phys/metrics' public API (test-support/fuzz.ts): feature sets and 1-D
// samples with NaN/Infinity/denormals/huge values or no rows, and random bytes for the npy/npz
// readers, give a finite result or a typed error, never NaN or an untyped throw.
import { PhiloxRng } from '@phys/tensor';
import {
  FeatureStatistics,
  exactWasserstein,
  frechetDistance,
  inBatchSimilarity,
  inceptionScore,
  kernelInceptionDistance,
  linearSumAssignment,
  mmd2,
  parseFidStats,
  parseNpy,
  precisionRecall,
  readNpz,
  slicedWasserstein,
  wasserstein1d,
  writeNpz,
} from '../src/index.js';
import { fc, finiteNumber, fuzz, hostileNumber, tensorArb } from '../../../test-support/fuzz.js';

const feats = tensorArb({ minRows: 0, maxRows: 6, rowShape: [3] });
const finiteFeats = tensorArb({ minRows: 0, maxRows: 6, rowShape: [3], values: finiteNumber });
const quiet = { onWarning: () => undefined };

describe('metrics fuzz: finite results or typed errors', () => {
  it('Frechet distance, KID, MMD, precision/recall, similarity, IS', async () => {
    await fuzz(fc.tuple(feats, feats), ([a, b]) => frechetDistance(FeatureStatistics.fromFeatures(a), FeatureStatistics.fromFeatures(b), quiet));
    await fuzz(fc.tuple(finiteFeats, finiteFeats), ([a, b]) => frechetDistance(FeatureStatistics.fromFeatures(a), FeatureStatistics.fromFeatures(b), quiet));
    await fuzz(fc.tuple(feats, feats), ([a, b]) => kernelInceptionDistance(a, b, { subsets: 2, subsetSize: 2, rng: new PhiloxRng(1) }));
    await fuzz(fc.tuple(feats, feats), ([a, b]) => mmd2(a, b));
    await fuzz(fc.tuple(feats, feats, fc.integer({ min: -1, max: 4 })), ([a, b, k]) => precisionRecall(a, b, { k }));
    await fuzz(feats, (a) => inBatchSimilarity(a));
    await fuzz(feats, (a) => inceptionScore(a));
  });

  it('Wasserstein distances and assignment', async () => {
    const arr = fc.array(hostileNumber, { maxLength: 6 });
    await fuzz(fc.tuple(arr, arr), ([u, v]) => wasserstein1d(u, v));
    await fuzz(fc.tuple(feats, feats), ([a, b]) => exactWasserstein(a, b));
    await fuzz(fc.tuple(feats, feats), ([a, b]) => slicedWasserstein(a, b, { projections: 4, rng: new PhiloxRng(2) }));
    await fuzz(fc.tuple(arr, fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 })), ([c, r, k]) => linearSumAssignment(c, r, k));
  });

  it('npy/npz readers on random and mutated bytes', async () => {
    const valid = writeNpz({ mu: { shape: [2], data: Float64Array.from([1, 2]) }, sigma: { shape: [2, 2], data: Float64Array.from([1, 0, 0, 1]) } });
    const mutated = fc.tuple(fc.integer({ min: 0, max: valid.length - 1 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: valid.length })).map(([i, b, cut]) => {
      const m = valid.slice(0, Math.max(cut, 1));
      if (i < m.length) m[i] = b;
      return m;
    });
    const bytes = fc.oneof(fc.uint8Array({ maxLength: 200 }), mutated);
    await fuzz(bytes, (b) => readNpz(b));
    await fuzz(bytes, (b) => parseFidStats(b));
    await fuzz(fc.uint8Array({ maxLength: 200 }), (b) => parseNpy(b));
  });
});
