// Thesis App. B.4.2 (Fig. B.20): 10 Gaussians (variance 0.005) on the unit circle, exact denoiser.
// Batches of n = 4..16 sampled jointly with particle guidance cover more distinct modes on average
// than i.i.d. batches at the same NFE (and have a lower in-batch similarity), while the fraction of
// samples near a mode stays about the same.
// Fixed seeds; the mode-count gain is checked at more than 3 standard errors (100 batches per n),
// the near-mode fractions within 0.03 of each other.
import { PhiloxRng, Tensor } from '@phys/tensor';
import { edmSchedule } from '@phys/kernels';
import { ringMixture } from '@phys/fields';
import { modeCoverage, expectedModesIid, inBatchSimilarity } from '@phys/metrics';
import { eulerMaruyamaSample, particleGuidance, thesisScale, withParticleGuidance } from '../src/index.js';

const mixture = ringMixture(); // thesis App. B.4.2: 10 modes, unit circle, variance 0.005
const centers = new Tensor(mixture.means, [mixture.components, 2]);
const groups = 100;
const steps = 25;
const sigmas = edmSchedule({ steps, sigmaMax: 10 });
const near = 0.25; // 3.5 standard deviations of a mode

interface Stats {
  modes: number[];
  /** Mean in-batch similarity (thesis App. B.4.2; the 2-D positions as features): lower is more diverse. */
  similarity: number;
  nearFraction: number;
  nfe: number;
}

async function run(n: number, guided: boolean): Promise<Stats> {
  const x0 = new PhiloxRng(100 + n).normal([groups * n, 2], 'float64');
  for (let k = 0; k < x0.size; k++) x0.data[k]! *= sigmas[0]!;
  const denoiser = guided ? withParticleGuidance(mixture.denoiser(), particleGuidance({ scale: thesisScale(5), groupSize: n })) : mixture.denoiser();
  const { x, nfe } = await eulerMaruyamaSample(denoiser, x0, sigmas, { rng: new PhiloxRng(200 + n) });
  const modes: number[] = [];
  let close = 0;
  let similarity = 0;
  for (let g = 0; g < groups; g++) {
    const batch = x.sliceRows(g * n, (g + 1) * n);
    modes.push(modeCoverage(batch, centers).covered);
    similarity += inBatchSimilarity(batch) / groups;
    close += n - modeCoverage(batch, centers, { radius: near }).unassigned;
  }
  return { modes, similarity, nearFraction: close / (groups * n), nfe };
}

const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
const variance = (v: number[]): number => {
  const m = mean(v);
  return v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1);
};

describe('particle guidance on the 2-D mixture of thesis App. B.4.2', () => {
  test.each([4, 8, 12, 16])('n = %i: more distinct modes per batch than i.i.d. at equal NFE, same near-mode fraction', async (n) => {
    const iid = await run(n, false);
    const pg = await run(n, true);
    expect(pg.nfe).toBe(iid.nfe);
    expect(pg.nfe).toBe(steps);
    const gain = mean(pg.modes) - mean(iid.modes);
    const se = Math.sqrt((variance(pg.modes) + variance(iid.modes)) / groups);
    // i.i.d. batches match the combinatorics of App. A.3.6 (N (1 - (1 - 1/N)^n)) within 4 standard errors
    expect(Math.abs(mean(iid.modes) - expectedModesIid(10, n))).toBeLessThan(4 * Math.sqrt(variance(iid.modes) / groups));
    expect(gain).toBeGreaterThan(3 * se);
    expect(mean(pg.modes)).toBeLessThanOrEqual(Math.min(n, 10));
    expect(Math.abs(pg.nearFraction - iid.nearFraction)).toBeLessThan(0.03);
    expect(pg.nearFraction).toBeGreaterThan(0.95);
    // the diversity score PG is judged by: lower mean pairwise cosine similarity within a batch
    expect(pg.similarity).toBeLessThan(iid.similarity);
  });
});
