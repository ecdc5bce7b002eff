import { PhiloxRng, ValueError, type Random, type Tensor } from '@phys/tensor';
import { drawWithoutReplacement } from './kid.js';
import { rows64 } from './features.js';
import { checkSeed, finiteResult, meanStd } from './util.js';

/** Options of {@link inceptionScore}. */
export interface InceptionScoreOptions {
  /** Number of splits (default 10). Split k holds rows [k N / S, (k + 1) N / S) (integer division). */
  splits?: number;
  /**
   * Row order: 'none' (default: rows as given), a permutation to replay (row i of the shuffled set
   * is row permutation[i]), or `{ seed }` / `{ rng }` for a seeded Philox shuffle.
   */
  shuffle?: 'none' | readonly number[] | { seed?: number; rng?: Random };
}

/** Result of {@link inceptionScore} (JSON-serialisable). */
export interface InceptionScoreResult {
  /** Mean of exp(E_x KL(p(y|x) || p(y))) over splits. */
  readonly mean: number;
  /** Population standard deviation over splits (np.std, ddof 0), as torch-fidelity reports. */
  readonly std: number;
  readonly perSplit: number[];
}

/**
 * Inception Score (Salimans et al. 2016) from classifier logits `[N, classes]` as torch-fidelity's
 * `isc_features_to_metric` computes it: p(y|x) = softmax(logits) in float64 (via log-softmax, so
 * large logits are safe), per split IS_k = exp(mean_i sum_c p_ic (log p_ic - log mean_i p_ic)),
 * reported as mean and std over splits. Defaults: 10 splits, no shuffling. Call it IS only for
 * Inception-v3 logits.
 */
export function inceptionScore(logits: Tensor, options: InceptionScoreOptions = {}): InceptionScoreResult {
  const x = rows64(logits, 'logits', 1);
  const n = x.rows;
  const c = x.dim;
  const splits = options.splits ?? 10;
  if (!(Number.isInteger(splits) && splits >= 1 && splits <= n)) throw new ValueError('splits', splits, `an integer in [1, ${n}] (the number of rows)`);
  const order = permutationOf(options.shuffle ?? 'none', n);
  const logp = new Float64Array(n * c);
  for (let r = 0; r < n; r++) {
    const src = order ? order[r]! : r;
    const o = src * c;
    let m = -Infinity;
    for (let j = 0; j < c; j++) m = Math.max(m, x.data[o + j]!);
    let s = 0;
    for (let j = 0; j < c; j++) s += Math.exp(x.data[o + j]! - m);
    const lse = m + Math.log(s);
    for (let j = 0; j < c; j++) logp[r * c + j] = x.data[o + j]! - lse;
  }
  const per: number[] = [];
  const logq = new Float64Array(c);
  for (let k = 0; k < splits; k++) {
    const lo = Math.floor((k * n) / splits);
    const hi = Math.floor(((k + 1) * n) / splits);
    // log of the split's marginal p(y) = mean_i p_ic, as a log-mean-exp.
    for (let j = 0; j < c; j++) {
      let m = -Infinity;
      for (let r = lo; r < hi; r++) m = Math.max(m, logp[r * c + j]!);
      let s = 0;
      for (let r = lo; r < hi; r++) s += Math.exp(logp[r * c + j]! - m);
      logq[j] = m + Math.log(s / (hi - lo));
    }
    let kl = 0;
    for (let r = lo; r < hi; r++) {
      for (let j = 0; j < c; j++) {
        const lp = logp[r * c + j]!;
        const p = Math.exp(lp);
        if (p > 0) kl += p * (lp - logq[j]!);
      }
    }
    per.push(Math.exp(kl / (hi - lo)));
  }
  const { mean, std } = meanStd(per);
  finiteResult(per, 'inceptionScore per split');
  return { mean, std, perSplit: per };
}

function permutationOf(shuffle: NonNullable<InceptionScoreOptions['shuffle']>, n: number): ArrayLike<number> | undefined {
  if (shuffle === 'none') return undefined;
  if (Array.isArray(shuffle)) {
    const perm = shuffle as readonly number[];
    const seen = new Uint8Array(n);
    if (perm.length !== n) throw new ValueError('shuffle', perm.length, `a permutation of ${n} rows`);
    for (const i of perm) {
      if (!(Number.isInteger(i) && i >= 0 && i < n) || seen[i]) throw new ValueError('shuffle', i, `a permutation of [0, ${n})`);
      seen[i] = 1;
    }
    return perm;
  }
  const opts = shuffle as { seed?: number; rng?: Random };
  if (opts.rng === undefined) checkSeed(opts.seed ?? 0, 'shuffle.seed');
  return drawWithoutReplacement(opts.rng ?? new PhiloxRng(opts.seed ?? 0), n, n);
}
