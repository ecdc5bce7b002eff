// Seed 000's composite index of sample quality and speed (Sec. 5.2, Table 2): each metric column
// is z-score normalised with its sign (higher-is-better kept, lower-is-better negated), weighted
// by its dispersion ("greater weight assigned to the metric that exhibits greater difference"),
// and summed. The prose leaves open the dispersion measure and the final scaling; the defaults
// here (coefficient of variation, population standard deviation, offset 0, scale 1) are the
// choices that reproduce the ranking of Table 2 exactly (see test/composite-index.test.ts).
import { ValueError } from '@phys/tensor';

/** One metric column of {@link compositeIndex}. */
export interface IndexColumn {
  /** Name for error messages, e.g. `'FID'`. */
  readonly name: string;
  /** One value per row (method, configuration). */
  readonly values: ArrayLike<number>;
  /** `true` for IS-like metrics, `false` for FID and NFE. */
  readonly higherIsBetter: boolean;
}

/** Options of {@link compositeIndex}. */
export interface CompositeIndexOptions {
  /**
   * Column weights before normalisation to sum 1: `'cv'` (default) the coefficient of variation
   * std/|mean| of each raw column, `'equal'`, or explicit non-negative numbers.
   */
  weights?: 'cv' | 'equal' | readonly number[];
  /** Degrees of freedom of the standard deviations: 0 (default, population) or 1 (sample). */
  ddof?: 0 | 1;
  /** Index = offset + scale x (weighted z-score sum). Default 0. Table 2 fits 0.9. */
  offset?: number;
  /** Default 1. Table 2 fits about 0.0387 (ddof 0). */
  scale?: number;
}

/** What {@link compositeIndex} returns. */
export interface CompositeIndexResult {
  /** One index per row; higher is better. */
  readonly index: Float64Array;
  /** The normalised weights (sum 1), one per column. */
  readonly weights: Float64Array;
  /** Signed z-scores per column (`zScores[k][i]`: column k, row i). */
  readonly zScores: Float64Array[];
}

function meanStd(v: ArrayLike<number>, ddof: number): [number, number] {
  let mean = 0;
  for (let i = 0; i < v.length; i++) mean += v[i]!;
  mean /= v.length;
  let ss = 0;
  for (let i = 0; i < v.length; i++) ss += (v[i]! - mean) ** 2;
  return [mean, Math.sqrt(ss / (v.length - ddof))];
}

/**
 * Seed 000's composite index (Table 2): z-score each column (sign-corrected), weight the columns
 * by their dispersion, sum, and map affinely. Rows with the same values get the same index.
 *
 * @throws ValueError for fewer than 2 rows, columns of different lengths, non-finite values,
 *   a constant column (its z-score is undefined) or bad weights
 */
export function compositeIndex(columns: readonly IndexColumn[], options: CompositeIndexOptions = {}): CompositeIndexResult {
  if (columns.length === 0) throw new ValueError('columns', columns, 'at least one metric column');
  const rows = columns[0]!.values.length;
  const ddof: number = options.ddof ?? 0;
  if (ddof !== 0 && ddof !== 1) throw new ValueError('ddof', ddof, '0 or 1');
  if (rows < 2) throw new ValueError('columns[0].values', rows, 'at least 2 rows');
  const stats = columns.map((c, k) => {
    if (c.values.length !== rows) throw new ValueError(`columns[${k}].values`, c.values.length, `${rows} values like columns[0]`);
    for (let i = 0; i < rows; i++) if (!Number.isFinite(c.values[i])) throw new ValueError(`${c.name}[${i}]`, c.values[i], 'a finite number');
    const [mean, std] = meanStd(c.values, ddof);
    if (!(std > 0)) throw new ValueError(c.name, 'constant column', 'a column with spread (its z-score is undefined)');
    return { mean, std };
  });
  const spec = options.weights ?? 'cv';
  let raw: number[];
  if (spec === 'cv') {
    raw = stats.map(({ mean, std }, k) => {
      if (mean === 0) throw new ValueError(columns[k]!.name, 'mean 0', "a column with non-zero mean for 'cv' weights");
      return std / Math.abs(mean);
    });
  } else if (spec === 'equal') {
    raw = columns.map(() => 1);
  } else {
    if (spec.length !== columns.length || spec.some((w) => !(w >= 0 && Number.isFinite(w)))) throw new ValueError('weights', spec, `${columns.length} finite numbers >= 0`);
    raw = [...spec];
  }
  const total = raw.reduce((s, w) => s + w, 0);
  if (!(total > 0)) throw new ValueError('weights', raw, 'weights with a positive sum');
  const weights = Float64Array.from(raw, (w) => w / total);
  const offset = options.offset ?? 0;
  const scale = options.scale ?? 1;
  const index = new Float64Array(rows);
  const zScores = columns.map((c, k) => {
    const { mean, std } = stats[k]!;
    const sign = c.higherIsBetter ? 1 : -1;
    const z = Float64Array.from({ length: rows }, (_, i) => (sign * (c.values[i]! - mean)) / std);
    for (let i = 0; i < rows; i++) index[i]! += weights[k]! * z[i]!;
    return z;
  });
  for (let i = 0; i < rows; i++) index[i] = offset + scale * index[i]!;
  return { index, weights, zScores };
}
