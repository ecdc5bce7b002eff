import { PhiloxRng, Tensor } from '@phys/tensor';
import { expectClose, loadGolden } from '../../../test-support/golden.js';
import { drawWithoutReplacement, inBatchSimilarity, inceptionScore, kernelInceptionDistance, mmd2, precisionRecall, realismScores } from '../src/index.js';
import { input } from './helpers.js';

const kid = loadGolden('metrics/kid.json');
const isc = loadGolden('metrics/is.json');
const prc = loadGolden('metrics/prc.json');
const sim = loadGolden('metrics/similarity.json');

describe('KID (golden: torch-fidelity kid_features_to_metric on the recorded subsets)', () => {
  for (const c of kid.cases) {
    test(`${c.name}: per-subset MMD^2, mean and std (atol 1e-12)`, () => {
      const r = kernelInceptionDistance(input(c.x), input(c.y), { subsetIndices: { x: c.subset_indices_x, y: c.subset_indices_y } });
      expectClose(r.perSubset, c.per_subset_mmd2, 0, 1e-12, 'per_subset_mmd2');
      expectClose([r.mean, r.std], [c.kid_mean, c.kid_std_ddof0], 0, 1e-12, 'kid mean/std');
      expect(r.subsets).toBe(c.subsets);
      expect(r.subsetSize).toBe(c.subset_size);
    });
  }

  test('MMD^2 estimators with the cubic kernel (atol 1e-12)', () => {
    const e = kid.mmd2_estimators_poly_A64_B64;
    const x = input('A_64x16');
    const y = input('B_64x16');
    const kernel = { type: 'polynomial' as const };
    expectClose([mmd2(x, y, { kernel })], [e.unbiased], 0, 1e-12, 'unbiased');
    expectClose([mmd2(x, y, { kernel, estimator: 'biased' })], [e.biased], 0, 1e-12, 'biased');
    expectClose([mmd2(x, y, { kernel, estimator: 'u-statistic' })], [e['u-statistic']], 0, 1e-12, 'u-statistic');
  });

  for (const c of kid.rbf_mmd) {
    test(`RBF MMD^2 sigma = ${c.sigma} (atol 1e-12)`, () => {
      const x = input(c.x);
      const rev = Tensor.from(Array.from({ length: 64 }, (_, i) => Array.from(x.row(63 - i))).flat(), [64, 16], 'float64');
      expectClose([mmd2(x, input(c.y), { kernel: { type: 'rbf', sigma: c.sigma } })], [c.mmd2_unbiased], 0, 1e-12, 'mmd2');
      expectClose([mmd2(x, rev, { kernel: { type: 'rbf', sigma: c.sigma } })], [c.mmd2_unbiased_x_vs_reversed_x], 0, 1e-12, 'x vs reversed x');
    });
  }

  test('seeded subsets are reproducible and distinct within a subset', () => {
    const x = input('A_200x32');
    const y = input('B_180x32');
    const a = kernelInceptionDistance(x, y, { subsets: 4, subsetSize: 50, seed: 2 });
    expect(kernelInceptionDistance(x, y, { subsets: 4, subsetSize: 50, seed: 2 }).perSubset).toEqual(a.perSubset);
    const idx = drawWithoutReplacement(new PhiloxRng(1), 10, 10);
    expect(Array.from(idx).sort((p, q) => p - q)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(() => kernelInceptionDistance(x, y, { subsetSize: 181 })).toThrow(/subsetSize/);
  });

  test('KID is unbiased: mean over 400 independent draws from one distribution is 0 within 4 standard errors', () => {
    const rng = new PhiloxRng(77);
    const vals: number[] = [];
    for (let t = 0; t < 400; t++) {
      const x = rng.normal([30, 6], 'float64');
      const y = rng.normal([30, 6], 'float64');
      vals.push(kernelInceptionDistance(x, y, { subsets: 1, subsetSize: 30, seed: t }).mean);
    }
    const mean = vals.reduce((a, b) => a + b) / vals.length;
    const sd = Math.sqrt(vals.reduce((a, b) => a + (b - mean) ** 2, 0) / (vals.length - 1));
    expect(Math.abs(mean)).toBeLessThan((4 * sd) / Math.sqrt(vals.length));
    // And the biased (V-statistic) estimator is clearly positive on the same kind of data.
    const x = rng.normal([30, 6], 'float64');
    const y = rng.normal([30, 6], 'float64');
    expect(mmd2(x, y, { kernel: { type: 'polynomial' }, estimator: 'biased' })).toBeGreaterThan(0);
  });
});

describe('Inception Score (golden: torch-fidelity isc_features_to_metric)', () => {
  for (const c of isc.cases) {
    for (const r of c.results) {
      test(`${c.logits}, ${r.splits} splits: unshuffled and replayed shuffle (mean rtol 1e-12, std atol 1e-12)`, () => {
        const logits = input(c.logits);
        const plain = inceptionScore(logits, { splits: r.splits });
        expectClose([plain.mean], [r.torch_fidelity_no_shuffle.mean], 1e-12, 0, 'mean');
        expectClose([plain.std], [r.torch_fidelity_no_shuffle.std_ddof0], 0, 1e-12, 'std');
        expectClose(plain.perSplit, r.torch_fidelity_no_shuffle.per_split, 1e-12, 0, 'per_split');
        const sh = inceptionScore(logits, { splits: r.splits, shuffle: r.torch_fidelity_shuffled.permutation });
        expectClose([sh.mean], [r.torch_fidelity_shuffled.mean], 1e-12, 0, 'shuffled mean');
        expectClose([sh.std], [r.torch_fidelity_shuffled.std_ddof0], 0, 1e-12, 'shuffled std');
      });
    }
  }

  test('uniform predictions give IS = 1; confident, balanced predictions give IS = classes', () => {
    expect(inceptionScore(Tensor.zeros([20, 5], 'float64'), { splits: 2 }).mean).toBeCloseTo(1, 14);
    const logits = Tensor.zeros([40, 4], 'float64');
    for (let i = 0; i < 40; i++) logits.data[i * 4 + (i % 4)] = 60;
    expect(inceptionScore(logits, { splits: 2 }).mean).toBeCloseTo(4, 10);
    expect(() => inceptionScore(logits, { splits: 41 })).toThrow(/splits/);
  });
});

describe('precision / recall (golden: torch-fidelity metric_prc, kynkaat)', () => {
  const real = input(prc.real);
  const fake = input(prc.fake);
  for (const c of prc.cases) {
    test(`k = ${c.k}: precision and recall (atol 1e-6; counts exact)`, () => {
      const r = precisionRecall(fake, real, { k: c.k });
      expectClose([r.precision, r.recall, r.fScore], [c.torch_fidelity.precision, c.torch_fidelity.recall, c.torch_fidelity.f_score], 0, 1e-6, 'P/R/F');
      const ki = [1, 3, 5].indexOf(c.k);
      expect(r.precision * 50).toBe(Math.round(prc.kynkaat_nhood_1_3_5.precision[ki] * 50));
      expect(r.recall * 60).toBe(Math.round(prc.kynkaat_nhood_1_3_5.recall[ki] * 60));
    });
  }

  test('k = 3: radii (rtol 1e-12), per-sample membership exact, realism scores (atol 1e-6)', () => {
    const r = precisionRecall(fake, real);
    expect(r.k).toBe(3);
    expectClose(r.radiiReal, prc.radii_k3_real, 1e-12, 0, 'radii real');
    expectClose(r.radiiGenerated, prc.radii_k3_fake, 1e-12, 0, 'radii fake');
    expect(Array.from(r.generatedInReal)).toEqual(prc.kynkaat_k3_fake_in_real_manifold);
    expectClose(realismScores(fake, real, { radiiReal: r.radiiReal }), prc.kynkaat_k3_realism_score, 0, 1e-6, 'realism');
  });
});

describe('in-batch similarity (golden: particle-guidance eval_clip_score_particle.py)', () => {
  for (const c of sim.cases) {
    test(`${c.features} (atol 1e-12)`, () => {
      expectClose([inBatchSimilarity(input(c.features))], [c.mean_pairwise_cosine], 0, 1e-12, 'similarity');
    });
  }
  test('identical directions give 1; a zero vector is rejected', () => {
    expect(inBatchSimilarity(Tensor.from([1, 2, 2, 4, 3, 6], [3, 2], 'float64'))).toBeCloseTo(1, 14);
    expect(() => inBatchSimilarity(Tensor.from([1, 2, 0, 0], [2, 2], 'float64'))).toThrow(/row 1/);
  });
});
