import { NonFiniteError, Tensor, ValueError, ShapeError, type DType, type Random } from '@phys/tensor';

/** Options of categorical sampling. */
export interface CategoricalOptions {
  /**
   * Sampling temperature tau >= 0: probabilities proportional to exp(logit / tau). 1 samples the
   * model's distribution, < 1 sharpens it, 0 takes the argmax (ties: lowest index). Default 1.
   */
  temperature?: number;
  /** Keep only the `topK` largest logits of each row (ties at the boundary kept by index order). */
  topK?: number;
}

/** Last-axis size and number of categorical rows of a logits tensor `[..., k]`. */
function logitRows(logits: Tensor, argument: string): { k: number; rows: number } {
  if (!(logits instanceof Tensor)) throw new ValueError(argument, logits, 'a Tensor of logits [..., k]');
  if (logits.shape.length < 2) throw new ShapeError(argument, '[B, k] or [B, m, k]', `[${logits.shape.join(', ')}]`);
  const k = logits.shape[logits.shape.length - 1]!;
  if (k < 1) throw new ShapeError(argument, 'a last dimension k >= 1', `[${logits.shape.join(', ')}]`);
  const rows = logits.size / k;
  checkLogitValues(logits.data, rows, k, argument);
  return { k, rows };
}

/**
 * Throws {@link NonFiniteError} for NaN or +Infinity, and for a row whose every entry is
 * -Infinity; -Infinity elsewhere is a zero-probability category and allowed.
 */
export function checkLogitValues(d: ArrayLike<number>, rows: number, k: number, argument: string): void {
  for (let r = 0; r < rows; r++) {
    let anyFinite = false;
    for (let j = r * k; j < (r + 1) * k; j++) {
      const v = d[j]!;
      if (Number.isNaN(v) || v === Infinity) throw new NonFiniteError(argument, j, v);
      if (v !== -Infinity) anyFinite = true;
    }
    if (!anyFinite) throw new NonFiniteError(argument, r * k, -Infinity, `row ${r} has no category with finite logit`);
  }
}

function checkTemperature(t: number | undefined, argument = 'temperature'): number {
  const tau = t ?? 1;
  if (!(Number.isFinite(tau) && tau >= 0)) throw new ValueError(argument, t, 'a finite number >= 0');
  return tau;
}

function checkTopK(topK: number | undefined, k: number): number {
  if (topK === undefined) return k;
  if (!(Number.isInteger(topK) && topK >= 1)) throw new ValueError('topK', topK, 'an integer >= 1');
  return Math.min(topK, k);
}

/**
 * Writes the categorical probabilities of one row into `out` (float64): softmax(logits / tau)
 * restricted to the `topK` largest logits; tau = 0 puts all mass on the (first) argmax.
 */
function rowProbabilities(src: ArrayLike<number>, offset: number, k: number, tau: number, topK: number, out: Float64Array): void {
  let keepMin = -Infinity;
  if (topK < k) {
    const sorted = Array.from({ length: k }, (_, j) => src[offset + j]!).sort((a, b) => b - a);
    keepMin = sorted[topK - 1]!;
  }
  let best = -1;
  let max = -Infinity;
  for (let j = 0; j < k; j++) {
    const v = src[offset + j]!;
    if (v >= keepMin && v > max) {
      max = v;
      best = j;
    }
  }
  if (tau === 0) {
    out.fill(0);
    out[best] = 1;
    return;
  }
  // Keep exactly topK entries: the ones strictly above the boundary value, then boundary ties by index.
  let above = 0;
  for (let j = 0; j < k; j++) if (src[offset + j]! > keepMin) above++;
  let tiesLeft = topK - above;
  let sum = 0;
  for (let j = 0; j < k; j++) {
    const v = src[offset + j]!;
    let keep = v > keepMin;
    if (!keep && v === keepMin && tiesLeft > 0) {
      keep = true;
      tiesLeft--;
    }
    const p = keep ? Math.exp((v - max) / tau) : 0;
    out[j] = p;
    sum += p;
  }
  for (let j = 0; j < k; j++) out[j]! /= sum;
}

/**
 * Categorical probabilities softmax(logits / temperature) over the last axis, optionally
 * restricted to the `topK` largest logits, computed in float64 with the row maximum subtracted.
 * Returns a float64 tensor of the same shape.
 */
export function categoricalProbabilities(logits: Tensor, options: CategoricalOptions = {}): Tensor {
  const { k, rows } = logitRows(logits, 'logits');
  const tau = checkTemperature(options.temperature);
  const topK = checkTopK(options.topK, k);
  const out = Tensor.zeros(logits.shape, 'float64');
  const row = new Float64Array(k);
  for (let r = 0; r < rows; r++) {
    rowProbabilities(logits.data, r * k, k, tau, topK, row);
    out.data.set(row, r * k);
  }
  return out;
}

/**
 * Log-softmax over the last axis in float64 (log-sum-exp with the row maximum subtracted):
 * log p_j = l_j - log sum_i exp(l_i). Returns a float64 tensor of the same shape.
 */
export function logSoftmax(logits: Tensor): Tensor {
  const { k, rows } = logitRows(logits, 'logits');
  const out = Tensor.zeros(logits.shape, 'float64');
  const d = logits.data;
  for (let r = 0; r < rows; r++) {
    const o = r * k;
    let max = -Infinity;
    for (let j = 0; j < k; j++) max = Math.max(max, d[o + j]!);
    let s = 0;
    for (let j = 0; j < k; j++) s += Math.exp(d[o + j]! - max);
    const lse = max + Math.log(s);
    for (let j = 0; j < k; j++) out.data[o + j] = d[o + j]! - lse;
  }
  return out;
}

/**
 * Draws one index per row of `logits` `[..., k]` from softmax(logits / temperature) (optionally
 * top-k truncated), by inverting the float64 CDF with one uniform per row. Consumes exactly one
 * `rng.uniform([rows, 1], 'float64')` call (also at temperature 0, so a seeded stream stays aligned),
 * so with a counter-based RNG sample r draws the same whatever the batch size.
 * Returns `rows` indices (rows = size / k).
 */
export function sampleCategorical(logits: Tensor, rng: Random, options: CategoricalOptions = {}): Int32Array {
  const { k, rows } = logitRows(logits, 'logits');
  const tau = checkTemperature(options.temperature);
  const topK = checkTopK(options.topK, k);
  const u = rng.uniform([rows, 1], 'float64').data;
  const out = new Int32Array(rows);
  const p = new Float64Array(k);
  for (let r = 0; r < rows; r++) {
    rowProbabilities(logits.data, r * k, k, tau, topK, p);
    const target = u[r]!;
    let c = 0;
    let pick = -1;
    let last = -1;
    for (let j = 0; j < k; j++) {
      if (p[j]! === 0) continue;
      last = j;
      c += p[j]!;
      if (target < c) {
        pick = j;
        break;
      }
    }
    out[r] = pick >= 0 ? pick : last; // rounding: c may end a hair below 1
  }
  return out;
}

/** Options of {@link gumbelSoftmax}. */
export interface GumbelSoftmaxOptions {
  /**
   * Relaxation temperature tau > 0 (thesis App. B.2.2: 1 in training, 0.01 when extracting latents
   * for the prior). Default 1.
   */
  tau?: number;
  /** Return the one-hot of the argmax instead of the soft sample (the "hard" Gumbel-softmax). */
  hard?: boolean;
  /** Storage type of the result (default: the dtype of `logits`). */
  dtype?: DType;
}

/** Standard Gumbel noise g = -log(-log u) for every entry of a `[..., k]` shape (one uniform call). */
function gumbelNoise(shape: readonly number[], rng: Random): Float64Array {
  const u = rng.uniform(shape, 'float64').data as Float64Array;
  const g = new Float64Array(u.length);
  for (let j = 0; j < u.length; j++) g[j] = -Math.log(-Math.log(u[j]!));
  return g;
}

/**
 * Gumbel-softmax relaxation of a categorical sample (Jang et al. 2017; thesis Sec. 4.2.1, App. B.2.2):
 * y = softmax((logits + g) / tau) over the last axis with g_j i.i.d. standard Gumbel. As tau -> 0
 * the sample approaches the one-hot of argmax(logits + g), which is an exact draw from
 * softmax(logits) (the Gumbel-max trick); `hard: true` returns that one-hot. Consumes one
 * `rng.uniform(logits.shape, 'float64')` call.
 */
export function gumbelSoftmax(logits: Tensor, rng: Random, options: GumbelSoftmaxOptions = {}): Tensor {
  const { k, rows } = logitRows(logits, 'logits');
  const tau = options.tau ?? 1;
  if (!(Number.isFinite(tau) && tau > 0)) throw new ValueError('tau', options.tau, 'a finite number > 0');
  const g = gumbelNoise(logits.shape, rng);
  const out = Tensor.zeros(logits.shape, options.dtype ?? logits.dtype);
  const d = logits.data;
  for (let r = 0; r < rows; r++) {
    const o = r * k;
    let max = -Infinity;
    let arg = 0;
    let best = -Infinity;
    for (let j = 0; j < k; j++) {
      const sum = d[o + j]! + g[o + j]!;
      const v = sum / tau;
      g[o + j] = v;
      if (v > max) max = v;
      if (sum > best) {
        best = sum;
        arg = j;
      }
    }
    // A tiny tau overflows (logits + g)/tau to +-Infinity: take the tau -> 0 limit, the one-hot.
    if (options.hard === true || !Number.isFinite(max)) {
      out.data[o + arg] = 1;
      continue;
    }
    let s = 0;
    for (let j = 0; j < k; j++) s += Math.exp(g[o + j]! - max);
    for (let j = 0; j < k; j++) out.data[o + j] = Math.exp(g[o + j]! - max) / s;
  }
  return out;
}

/**
 * Index of the maximum along the last axis of `[..., k]` (ties: the lowest index), e.g. the
 * discrete latent read off a (hard or tau = 0.01) Gumbel-softmax sample.
 */
export function argmaxLastAxis(values: Tensor): Int32Array {
  const { k, rows } = logitRows(values, 'values');
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (values.data[r * k + j]! > values.data[r * k + best]!) best = j;
    out[r] = best;
  }
  return out;
}
