import { ValueError } from '@phys/tensor';
import { compositeIndex, type IndexColumn } from '../src/index.js';

// Seed 000 Table 2: ON superposed lines, Inception score, FID, NFE and the published Index.
const IS = [10.27, 10.76, 11.12, 11.25, 11.54, 12.01, 11.79, 12.07, 12.11, 12.11];
const FID = [10.22, 9.51, 7.27, 6.14, 5.12, 4.44, 3.75, 3.42, 2.91, 2.33];
const NFE = [46, 89, 124, 189, 322, 632, 689, 744, 782, 800];
const INDEX = [0.8965, 0.8995, 0.9118, 0.9143, 0.9115, 0.8941, 0.8931, 0.8921, 0.8924, 0.8946];
const COLUMNS: IndexColumn[] = [
  { name: 'IS', values: IS, higherIsBetter: true },
  { name: 'FID', values: FID, higherIsBetter: false },
  { name: 'NFE', values: NFE, higherIsBetter: false },
];

const ranking = (v: ArrayLike<number>): number[] => Array.from(v, (_, i) => i).sort((p, q) => v[q]! - v[p]!);

/** Least-squares fit y ~ alpha + beta x. */
function affineFit(x: ArrayLike<number>, y: ArrayLike<number>): { alpha: number; beta: number; maxResidual: number } {
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i]! / n;
    my += y[i]! / n;
  }
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
  }
  const beta = sxy / sxx;
  const alpha = my - beta * mx;
  let maxResidual = 0;
  for (let i = 0; i < n; i++) maxResidual = Math.max(maxResidual, Math.abs(alpha + beta * x[i]! - y[i]!));
  return { alpha, beta, maxResidual };
}

describe('compositeIndex recomputes the Index column of seed 000 Table 2', () => {
  const { index, weights } = compositeIndex(COLUMNS);

  it('z-scores with coefficient-of-variation weights rank the ten ON rows exactly as the Index column (best ON = 4)', () => {
    expect(ranking(index)).toEqual(ranking(INDEX));
    expect(ranking(index)[0]).toBe(3);
    // NFE varies most relative to its mean, IS least.
    expect(weights[2]).toBeGreaterThan(weights[1]!);
    expect(weights[1]).toBeGreaterThan(weights[0]!);
  });

  it('the Index column is 0.9 + 0.0387 x the weighted z-score sum to within 1.4e-3 (the scaling the prose leaves open)', () => {
    const fit = affineFit(index, INDEX);
    expect(Math.abs(fit.alpha - 0.9)).toBeLessThan(1e-4);
    expect(Math.abs(fit.beta - 0.0387)).toBeLessThan(5e-4);
    expect(fit.maxResidual).toBeLessThan(1.4e-3);
    const scaled = compositeIndex(COLUMNS, { offset: 0.9, scale: 0.0387 }).index;
    for (let i = 0; i < 10; i++) expect(Math.abs(scaled[i]! - INDEX[i]!)).toBeLessThan(1.4e-3);
  });

  it('the weighting matters: equal weights reorder the rows (ON = 10 first)', () => {
    const equal = compositeIndex(COLUMNS, { weights: 'equal' }).index;
    expect(ranking(equal)[0]).toBe(9);
    expect(ranking(equal)).not.toEqual(ranking(INDEX));
  });

  it('ddof 1 rescales the sum without changing the ranking', () => {
    const sample = compositeIndex(COLUMNS, { ddof: 1 }).index;
    const ratio = Math.sqrt(9 / 10);
    for (let i = 0; i < 10; i++) expect(Math.abs(sample[i]! - ratio * index[i]!)).toBeLessThan(1e-12);
  });
});

describe('compositeIndex properties and errors', () => {
  it('signed z-scores have mean 0 and population std 1; weights sum to 1', () => {
    const r = compositeIndex(COLUMNS);
    for (const z of r.zScores) {
      const mean = z.reduce((s, v) => s + v, 0) / z.length;
      const sd = Math.sqrt(z.reduce((s, v) => s + (v - mean) ** 2, 0) / z.length);
      expect(Math.abs(mean)).toBeLessThan(1e-12);
      expect(Math.abs(sd - 1)).toBeLessThan(1e-12);
    }
    expect(Math.abs(r.weights.reduce((s, v) => s + v, 0) - 1)).toBeLessThan(1e-15);
    expect(r.zScores[1]![9]).toBeGreaterThan(0); // lowest FID scores best
  });

  it('rejects constant columns, ragged columns, one row and bad weights', () => {
    expect(() => compositeIndex([{ name: 'c', values: [1, 1, 1], higherIsBetter: true }])).toThrow(ValueError);
    expect(() => compositeIndex([COLUMNS[0]!, { name: 'x', values: [1, 2], higherIsBetter: true }])).toThrow(ValueError);
    expect(() => compositeIndex([{ name: 'c', values: [1], higherIsBetter: true }])).toThrow(ValueError);
    expect(() => compositeIndex(COLUMNS, { weights: [1, -1, 1] })).toThrow(ValueError);
    expect(() => compositeIndex([{ name: 'c', values: [1, NaN], higherIsBetter: true }])).toThrow(ValueError);
  });
});
