import { ShapeError, Tensor, ValueError, checkSignal, raceAbort, throwIfAborted, type Random } from '@phys/tensor';
import { checkLogitValues, logSoftmax, sampleCategorical, type CategoricalOptions } from './categorical.js';
import { Latents, assertSameSpace, type LatentSpace } from './latents.js';

/**
 * An autoregressive prior p_psi(z) = prod_i p_psi(z_i | z_<i) over discrete latents (thesis
 * Sec. 4.2.1, Eq. 4.2; Alg. 6 trains it, Alg. 7 lines 3-5 sample it). Implementations:
 * {@link TabularPrior} (counts, for small m and k) and `OnnxLatentPrior` (`@phys/latents/onnx`,
 * a network returning next-latent logits).
 */
export interface AutoregressivePrior {
  /** The latent space (m, k) the prior is over. */
  readonly space: LatentSpace;
  /**
   * Logits `[rows, k]` of p(z_i | z_<i) for every row of `prefix` (unnormalised: any additive
   * constant per row is allowed). Only columns `< i` of `prefix` are read; the rest may hold any
   * valid index.
   */
  logits(prefix: Latents, i: number): Promise<Tensor>;
  /**
   * Optional teacher-forced logits `[rows, m, k]` of every position at once (row r, position i
   * reads only z[r, <i]). {@link priorLogLikelihood} uses it when present (one call instead of m).
   */
  sequenceLogits?(z: Latents): Promise<Tensor>;
}

/** Options of {@link samplePrior}. */
export interface PriorSampleOptions extends CategoricalOptions {
  /** Cancels the draw, even during a pending `prior.logits` call; rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * Fixed leading latents: column i of `prefix` is kept for i < `prefixLength` and the remaining
   * positions are sampled (e.g. the group-hierarchical variations of thesis Fig. 4.6).
   */
  prefix?: Latents;
  /** Number of leading columns of `prefix` to keep (default: all m, i.e. nothing is sampled). */
  prefixLength?: number;
}

/**
 * Ancestral sampling of `rows` latent sequences (thesis Alg. 7 lines 3-5): for i = 1..m draw
 * z_i ~ p(z_i | z_<i) with `temperature` and optional `topK`. Each position consumes one
 * `rng.uniform([rows, 1], 'float64')` call, so with a counter-based RNG sample r is the same
 * whatever the batch size.
 */
export async function samplePrior(prior: AutoregressivePrior, rows: number, rng: Random, options: PriorSampleOptions = {}): Promise<Latents> {
  checkPrior(prior);
  if (!(Number.isInteger(rows) && rows >= 1)) throw new ValueError('rows', rows, 'an integer >= 1');
  const { m } = prior.space;
  let start = 0;
  let z: Latents;
  if (options.prefix !== undefined) {
    assertSameSpace(prior.space, options.prefix.space, 'prefix');
    if (options.prefix.rows !== rows) throw new ShapeError('prefix', `${rows} rows`, `${options.prefix.rows} rows`);
    start = options.prefixLength ?? m;
    if (!(Number.isInteger(start) && start >= 0 && start <= m)) throw new ValueError('prefixLength', options.prefixLength, `an integer in [0, ${m}]`);
    z = options.prefix.clone();
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < start; i++) {
        if (z.indices[r * m + i]! >= prior.space.k) throw new ValueError(`prefix[${r}][${i}]`, z.indices[r * m + i], `an integer in [0, ${prior.space.k}) (not the null latent)`);
      }
      for (let i = start; i < m; i++) z.indices[r * m + i] = 0;
    }
  } else {
    z = Latents.zeros(prior.space, rows);
  }
  const signal = checkSignal(options.signal);
  for (let i = start; i < m; i++) {
    throwIfAborted(signal);
    const logits = await raceAbort(prior.logits(z, i), signal);
    checkLogits(logits, rows, prior.space.k, `prior.logits(z, ${i})`);
    const pick = sampleCategorical(logits, rng, options);
    for (let r = 0; r < rows; r++) z.indices[r * m + i] = pick[r]!;
  }
  return z;
}

/**
 * Log-likelihood log p(z) = sum_i log p(z_i | z_<i) of each row of `z` in nats (Eq. 4.2), at
 * temperature 1. Null latents are rejected ({@link ValueError}), as is a `z` of another space
 * ({@link ShapeError}).
 */
export async function priorLogLikelihood(prior: AutoregressivePrior, z: Latents): Promise<Float64Array> {
  checkPrior(prior);
  assertSameSpace(prior.space, z.space, 'z');
  z.assertNoNull('z');
  const { m, k } = prior.space;
  const out = new Float64Array(z.rows);
  if (prior.sequenceLogits) {
    const logits = await prior.sequenceLogits(z);
    if (!(logits instanceof Tensor) || logits.size !== z.rows * m * k) {
      throw new ShapeError('prior.sequenceLogits(z)', `[${z.rows}, ${m}, ${k}]`, logits instanceof Tensor ? `[${logits.shape.join(', ')}]` : String(logits));
    }
    const lp = logSoftmax(logits.reshape([z.rows * m, k]));
    for (let r = 0; r < z.rows; r++) {
      let s = 0;
      for (let i = 0; i < m; i++) s += lp.data[(r * m + i) * k + z.indices[r * m + i]!]!;
      out[r] = s;
    }
    return out;
  }
  for (let i = 0; i < m; i++) {
    const logits = await prior.logits(z, i);
    checkLogits(logits, z.rows, k, `prior.logits(z, ${i})`);
    const lp = logSoftmax(logits.reshape([z.rows, k]));
    for (let r = 0; r < z.rows; r++) out[r]! += lp.data[r * k + z.indices[r * m + i]!]!;
  }
  return out;
}

function checkPrior(prior: AutoregressivePrior): void {
  if (typeof prior !== 'object' || (prior as unknown) === null || typeof prior.logits !== 'function') {
    throw new ValueError('prior', prior, 'an AutoregressivePrior ({space, logits(prefix, i)})');
  }
}

function checkLogits(logits: Tensor, rows: number, k: number, what: string): void {
  if (!(logits instanceof Tensor) || logits.size !== rows * k || logits.shape[logits.shape.length - 1] !== k) {
    throw new ShapeError(what, `[${rows}, ${k}]`, logits instanceof Tensor ? `[${logits.shape.join(', ')}]` : String(logits));
  }
  checkLogitValues(logits.data, rows, k, what);
}
