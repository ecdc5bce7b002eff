import { ShapeError, Tensor, ValueError } from '@phys/tensor';
import { Latents, assertSameSpace, checkSpace, type LatentSpace } from './latents.js';
import type { AutoregressivePrior } from './prior.js';

/** Most table entries (sum over i of k^(i+1)) a {@link TabularPrior} holds. */
export const MAX_TABLE_ENTRIES = 1 << 24;

/** Options of {@link TabularPrior.fit}. */
export interface TabularFitOptions {
  /**
   * Additive (Lidstone) smoothing alpha >= 0 added to every count: p(j | ctx) = (n_ctx,j + alpha) /
   * (n_ctx + k alpha). 0 is the maximum-likelihood estimate (a context never seen then gets the
   * uniform distribution). Default 1 (Laplace).
   */
  smoothing?: number;
}

function tableSizes(space: LatentSpace): number[] {
  const sizes: number[] = [];
  let contexts = 1;
  let total = 0;
  for (let i = 0; i < space.m; i++) {
    sizes.push(contexts);
    total += contexts * space.k;
    if (total > MAX_TABLE_ENTRIES) {
      throw new ValueError(
        'space',
        `m = ${space.m}, k = ${space.k}`,
        `a space whose conditional tables fit in ${MAX_TABLE_ENTRIES} entries (sum_i k^(i+1)); use a network prior (OnnxLatentPrior) for larger m, k`,
      );
    }
    contexts *= space.k;
  }
  return sizes;
}

/**
 * An autoregressive prior stored as full conditional tables p(z_i = j | z_<i) for every prefix
 * (k^i contexts at position i), fitted by maximum likelihood from encoded data (thesis Eq. 4.2:
 * for a tabular model the maximiser is the normalised counts) with optional additive smoothing.
 * Exact and fast for small m and k (the 2-D toy of thesis Fig. 4.3 has m = 1, k = 8); the tables
 * grow as k^m, so large spaces are rejected.
 */
export class TabularPrior implements AutoregressivePrior {
  readonly space: LatentSpace;
  /** Per position i: log-probabilities `[k^i, k]`, context index = prefix read as a base-k number. */
  readonly logProbabilities: readonly Float64Array[];
  /** Per position i: the fitted counts `[k^i, k]` (all zeros for a prior built from probabilities). */
  readonly counts: readonly Float64Array[];

  private constructor(space: LatentSpace, logProbabilities: Float64Array[], counts: Float64Array[]) {
    this.space = space;
    this.logProbabilities = logProbabilities;
    this.counts = counts;
  }

  /**
   * Fits the tables to the rows of `z` (e.g. latents extracted by the encoder at Gumbel
   * temperature 0.01, thesis Alg. 6). Null latents are rejected.
   */
  static fit(z: Latents, options: TabularFitOptions = {}): TabularPrior {
    if (!(z instanceof Latents)) throw new ValueError('z', z, 'a Latents batch');
    z.assertNoNull('z');
    const alpha = options.smoothing ?? 1;
    if (!(Number.isFinite(alpha) && alpha >= 0)) throw new ValueError('smoothing', options.smoothing, 'a finite number >= 0');
    if (z.rows === 0 && alpha === 0) throw new ValueError('z', 'an empty batch', 'at least one row when smoothing = 0');
    const { m, k } = z.space;
    const sizes = tableSizes(z.space);
    const counts = sizes.map((c) => new Float64Array(c * k));
    for (let r = 0; r < z.rows; r++) {
      let ctx = 0;
      for (let i = 0; i < m; i++) {
        const v = z.indices[r * m + i]!;
        counts[i]![ctx * k + v]!++;
        ctx = ctx * k + v;
      }
    }
    const logp = counts.map((c, i) => {
      const out = new Float64Array(c.length);
      for (let ctx = 0; ctx < sizes[i]!; ctx++) {
        let n = 0;
        for (let j = 0; j < k; j++) n += c[ctx * k + j]!;
        const denom = n + k * alpha;
        for (let j = 0; j < k; j++) out[ctx * k + j] = denom > 0 ? Math.log((c[ctx * k + j]! + alpha) / denom) : -Math.log(k);
      }
      return out;
    });
    return new TabularPrior(z.space, logp, counts);
  }

  /**
   * A prior with given conditional tables: `tables[i]` holds p(z_i = j | z_<i) as `[k^i, k]`
   * row-major (context = prefix as a base-k number, z_0 most significant). Each row must be
   * non-negative and sum to 1 (within 1e-9).
   */
  static fromProbabilities(space: LatentSpace, tables: readonly ArrayLike<number>[]): TabularPrior {
    checkSpace(space);
    const sizes = tableSizes(space);
    if (tables.length !== space.m) throw new ShapeError('tables', `${space.m} tables (m = ${space.m})`, `${tables.length}`);
    const { k } = space;
    const logp = tables.map((t, i) => {
      if (t.length !== sizes[i]! * k) throw new ShapeError(`tables[${i}]`, `${sizes[i]! * k} entries ([k^${i}, k])`, `${t.length}`);
      const out = new Float64Array(t.length);
      for (let ctx = 0; ctx < sizes[i]!; ctx++) {
        let s = 0;
        for (let j = 0; j < k; j++) {
          const p = t[ctx * k + j]!;
          if (!(Number.isFinite(p) && p >= 0)) throw new ValueError(`tables[${i}][${ctx * k + j}]`, p, 'a probability >= 0');
          s += p;
          out[ctx * k + j] = Math.log(p);
        }
        if (Math.abs(s - 1) > 1e-9) throw new ValueError(`tables[${i}] row ${ctx}`, s, 'probabilities summing to 1');
      }
      return out;
    });
    return new TabularPrior(space, logp, sizes.map((c) => new Float64Array(c * k)));
  }

  /** Context index of the first `i` latents of `prefix` (base-k number, z_0 most significant). */
  static contextIndex(prefix: ArrayLike<number>, i: number, k: number): number {
    let ctx = 0;
    for (let j = 0; j < i; j++) ctx = ctx * k + prefix[j]!;
    return ctx;
  }

  /** p(z_i = . | z_<i = prefix[0..i)) as k probabilities. */
  probabilities(i: number, prefix: ArrayLike<number>): Float64Array {
    this.checkPosition(i);
    const { k } = this.space;
    if (prefix.length < i) throw new ShapeError('prefix', `at least ${i} latents`, `${prefix.length}`);
    for (let j = 0; j < i; j++) {
      const v = prefix[j]!;
      if (!(Number.isInteger(v) && v >= 0 && v < k)) throw new ValueError(`prefix[${j}]`, v, `an integer in [0, ${k})`);
    }
    const ctx = TabularPrior.contextIndex(prefix, i, k);
    return this.logProbabilities[i]!.subarray(ctx * k, (ctx + 1) * k).map(Math.exp);
  }

  logits(prefix: Latents, i: number): Promise<Tensor> {
    this.checkPosition(i);
    assertSameSpace(this.space, prefix.space, 'prefix');
    const { m, k } = this.space;
    const out = Tensor.zeros([prefix.rows, k], 'float64');
    const table = this.logProbabilities[i]!;
    for (let r = 0; r < prefix.rows; r++) {
      let ctx = 0;
      for (let j = 0; j < i; j++) {
        const v = prefix.indices[r * m + j]!;
        if (v >= k) throw new ValueError(`prefix[${r}][${j}]`, v, `an integer in [0, ${k}) (the null latent has no probability)`);
        ctx = ctx * k + v;
      }
      out.data.set(table.subarray(ctx * k, (ctx + 1) * k), r * k);
    }
    return Promise.resolve(out);
  }

  private checkPosition(i: number): void {
    if (!(Number.isInteger(i) && i >= 0 && i < this.space.m)) throw new ValueError('i', i, `a latent position in [0, ${this.space.m}) (m = ${this.space.m})`);
  }
}
