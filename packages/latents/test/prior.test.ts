import { PhiloxRng, ShapeError, Tensor, ValueError } from '@phys/tensor';
import { Latents, TabularPrior, latentSpace, priorLogLikelihood, samplePrior, type AutoregressivePrior } from '../src/index.js';
import { chiSquareTest } from '../../../test-support/chi2.js';

const ALPHA = 1e-3;

describe('LatentSpace and Latents', () => {
  it('validates m and k', () => {
    expect(latentSpace(10, 100)).toEqual({ m: 10, k: 100 });
    expect(() => latentSpace(0, 4)).toThrow(ValueError);
    expect(() => latentSpace(2, 1)).toThrow(/codebook size/);
    expect(() => latentSpace(1.5, 4)).toThrow(ValueError);
  });

  it('rejects an index out of range, naming the sample and position', () => {
    const space = latentSpace(2, 4);
    expect(() => Latents.from(space, [[0, 3], [1, 5]])).toThrow(ValueError);
    expect(() => Latents.from(space, [[0, 3], [1, 5]])).toThrow(/z\[1\]\[1\]: expected an integer in \[0, 4\)/);
    expect(() => Latents.from(space, [0, -1])).toThrow(/z\[0\]\[1\]/);
    expect(() => Latents.from(space, [[0, 1.5]])).toThrow(ValueError);
    expect(() => new Latents(space, Int32Array.from([0, 9]))).toThrow(ValueError);
  });

  it('rejects the wrong m with a ShapeError', () => {
    const space = latentSpace(2, 4);
    expect(() => Latents.from(space, [[0, 1, 2]])).toThrow(ShapeError);
    expect(() => Latents.from(space, [[0, 1, 2]])).toThrow(/z\[0\]: expected shape 2 latents \(m = 2\)/);
    expect(() => Latents.from(space, [0, 1, 2])).toThrow(ShapeError);
    expect(() => new Latents(space, new Int32Array(6), 2)).toThrow(ShapeError);
  });

  it('the null latent is index k; priors reject it', () => {
    const space = latentSpace(2, 4);
    const z = Latents.concat([Latents.from(space, [[1, 2]]), Latents.null(space, 2)]);
    expect(z.toArray()).toEqual([[1, 2], [4, 4], [4, 4]]);
    expect([z.hasNull(0), z.hasNull(1)]).toEqual([false, true]);
    expect(() => { z.assertNoNull(); }).toThrow(/z\[1\]\[0\].*null latent is not allowed/);
    expect(z.sliceRows(1, 3).rows).toBe(2);
    expect(z.get(0, 1)).toBe(2);
    expect(() => z.get(0, 2)).toThrow(ValueError);
  });
});

/** A 3-position, 3-symbol chain with known conditionals. */
function knownPrior(): TabularPrior {
  const space = latentSpace(3, 3);
  const p0 = [0.5, 0.3, 0.2];
  const p1 = [0.7, 0.2, 0.1, 0.1, 0.8, 0.1, 0.25, 0.25, 0.5];
  // Position 2 depends on both earlier latents: 9 contexts.
  const p2: number[] = [];
  for (let a = 0; a < 3; a++) {
    for (let b = 0; b < 3; b++) {
      const w = [1 + a, 1 + b, 1 + ((a + b) % 3) * 3];
      const s = w[0]! + w[1]! + w[2]!;
      p2.push(...w.map((v) => v / s));
    }
  }
  return TabularPrior.fromProbabilities(space, [p0, p1, p2]);
}

describe('TabularPrior', () => {
  it('recovers known conditional probabilities from its own samples (maximum likelihood, seed 4)', async () => {
    const truth = knownPrior();
    const n = 10000;
    const z = await samplePrior(truth, n, new PhiloxRng(4));
    const fit = TabularPrior.fit(z, { smoothing: 0 });
    // Every conditional within 4.5 binomial standard errors of the truth (any context with >= 200 visits).
    let checked = 0;
    for (let i = 0; i < 3; i++) {
      const contexts = 3 ** i;
      for (let ctx = 0; ctx < contexts; ctx++) {
        const c = fit.counts[i]!.subarray(ctx * 3, ctx * 3 + 3);
        const visits = c[0]! + c[1]! + c[2]!;
        if (visits < 200) continue;
        const prefix = [Math.floor(ctx / 3), ctx % 3].slice(2 - i);
        const p = truth.probabilities(i, prefix);
        const q = fit.probabilities(i, prefix);
        for (let j = 0; j < 3; j++) {
          const se = Math.sqrt((p[j]! * (1 - p[j]!)) / visits);
          expect(Math.abs(q[j]! - p[j]!)).toBeLessThan(4.5 * se);
        }
        checked++;
      }
    }
    expect(checked).toBe(1 + 3 + 9);
  });

  it('ancestral samples follow the joint distribution (chi-square over all 27 sequences, seed 9)', async () => {
    const truth = knownPrior();
    const z = await samplePrior(truth, 10000, new PhiloxRng(9));
    const counts = new Array<number>(27).fill(0);
    for (let r = 0; r < z.rows; r++) counts[z.get(r, 0) * 9 + z.get(r, 1) * 3 + z.get(r, 2)]!++;
    const all = Latents.from(
      truth.space,
      Array.from({ length: 27 }, (_, s) => [Math.floor(s / 9), Math.floor(s / 3) % 3, s % 3]),
    );
    const joint = Array.from(await priorLogLikelihood(truth, all), Math.exp);
    expect(joint.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(chiSquareTest(counts, joint).p).toBeGreaterThan(ALPHA);
  });

  it('temperature and top-k act on every conditional', async () => {
    const truth = knownPrior();
    const z = await samplePrior(truth, 10000, new PhiloxRng(2), { temperature: 0.5, topK: 2 });
    const first = [0, 0, 0];
    for (let r = 0; r < z.rows; r++) first[z.get(r, 0)]!++;
    // p0 = [0.5, 0.3, 0.2]: top-2 keeps {0, 1}; tau = 0.5 squares the odds: [0.25, 0.09] / 0.34.
    expect(first[2]).toBe(0);
    expect(chiSquareTest(first.slice(0, 2), [0.25 / 0.34, 0.09 / 0.34]).p).toBeGreaterThan(ALPHA);
    const greedy = await samplePrior(truth, 3, new PhiloxRng(2), { temperature: 0 });
    expect(greedy.toArray()).toEqual([[0, 0, 0], [0, 0, 0], [0, 0, 0]]);
  });

  it('log-likelihood is the sum of the conditional log-probabilities', async () => {
    const truth = knownPrior();
    const z = Latents.from(truth.space, [[0, 1, 2], [2, 2, 0]]);
    const ll = await priorLogLikelihood(truth, z);
    const w20 = [3, 3, 1 + ((2 + 2) % 3) * 3];
    expect(ll[0]).toBeCloseTo(Math.log(0.5 * 0.2 * (1 + ((0 + 1) % 3) * 3) / (1 + 2 + 4)), 12);
    expect(ll[1]).toBeCloseTo(Math.log(0.2 * 0.5 * (w20[0]! / (w20[0]! + w20[1]! + w20[2]!))), 12);
  });

  it('additive smoothing: (n + alpha) / (N + k alpha); unseen contexts are uniform at alpha = 0', () => {
    const space = latentSpace(2, 3);
    const z = Latents.from(space, [[0, 1], [0, 1], [0, 2], [1, 0]]);
    const fit = TabularPrior.fit(z, { smoothing: 0.5 });
    expect(Array.from(fit.probabilities(0, []))).toEqual([3.5 / 5.5, 1.5 / 5.5, 0.5 / 5.5].map((v): unknown => expect.closeTo(v, 14)));
    expect(Array.from(fit.probabilities(1, [0]))).toEqual([0.5 / 4.5, 2.5 / 4.5, 1.5 / 4.5].map((v): unknown => expect.closeTo(v, 14)));
    const ml = TabularPrior.fit(z, { smoothing: 0 });
    expect(Array.from(ml.probabilities(1, [2]))).toEqual([1 / 3, 1 / 3, 1 / 3].map((v): unknown => expect.closeTo(v, 14)));
    expect(ml.probabilities(1, [0])[0]).toBe(0);
  });

  it('rejects null latents, bad tables, oversized spaces and out-of-range prefixes', async () => {
    const space = latentSpace(2, 3);
    expect(() => TabularPrior.fit(Latents.null(space, 2))).toThrow(/null latent is not allowed/);
    expect(() => TabularPrior.fromProbabilities(space, [[0.5, 0.5, 0.1], new Array<number>(9).fill(1 / 3)])).toThrow(/summing to 1/);
    expect(() => TabularPrior.fromProbabilities(space, [[1, 0, 0]])).toThrow(ShapeError);
    expect(() => TabularPrior.fit(Latents.zeros(latentSpace(10, 100), 1))).toThrow(/OnnxLatentPrior/);
    const prior = TabularPrior.fit(Latents.from(space, [[0, 1]]));
    expect(() => prior.probabilities(1, [3])).toThrow(ValueError);
    expect(() => prior.probabilities(2, [0, 0])).toThrow(/latent position in \[0, 2\)/);
    await expect(priorLogLikelihood(prior, Latents.from(latentSpace(3, 3), [[0, 1, 2]]))).rejects.toThrow(ShapeError);
    await expect(priorLogLikelihood(prior, Latents.from(space, [[0, 3]]))).rejects.toThrow(/null latent/);
  });
});

describe('samplePrior with any AutoregressivePrior', () => {
  it('uses sequenceLogits-free priors, fixed prefixes, and checks the logits shape', async () => {
    const space = latentSpace(2, 2);
    // z_1 copies z_0 exactly.
    const copy: AutoregressivePrior = {
      space,
      logits(prefix, i) {
        const t = Tensor.zeros([prefix.rows, 2], 'float64');
        for (let r = 0; r < prefix.rows; r++) {
          if (i === 1) t.data[r * 2 + 1 - prefix.get(r, 0)] = -Infinity;
        }
        return Promise.resolve(t);
      },
    };
    const z = await samplePrior(copy, 500, new PhiloxRng(1));
    for (let r = 0; r < z.rows; r++) expect(z.get(r, 1)).toBe(z.get(r, 0));
    const fixed = await samplePrior(copy, 2, new PhiloxRng(1), { prefix: Latents.from(space, [[1, 0], [0, 0]]), prefixLength: 1 });
    expect(fixed.toArray()).toEqual([[1, 1], [0, 0]]);
    const ll = await priorLogLikelihood(copy, Latents.from(space, [[1, 1], [1, 0]]));
    expect(ll[0]).toBeCloseTo(Math.log(0.5), 14);
    expect(ll[1]).toBe(-Infinity);
    const wrong: AutoregressivePrior = { space, logits: (p) => Promise.resolve(Tensor.zeros([p.rows, 3])) };
    await expect(samplePrior(wrong, 2, new PhiloxRng(0))).rejects.toThrow(ShapeError);
    await expect(samplePrior(copy, 0, new PhiloxRng(0))).rejects.toThrow(ValueError);
  });
});
