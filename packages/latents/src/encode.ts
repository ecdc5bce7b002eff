import { ShapeError, Tensor, ValueError, type Random } from '@phys/tensor';
import { argmaxLastAxis, gumbelSoftmax } from './categorical.js';
import { Latents, type LatentSpace } from './latents.js';

/** Anything that maps clean data to latent logits `[B, m, k]`, e.g. an ONNX encoder E_phi. */
export interface LatentEncoder {
  readonly space: LatentSpace;
  logits(x: Tensor): Promise<Tensor>;
}

/** Options of {@link encodeLatents} and {@link latentsFromLogits}. */
export interface EncodeOptions {
  /**
   * Draw z ~ E_phi(x) with Gumbel-softmax noise from `rng` (thesis Alg. 6 line 4) and read it off as
   * the argmax; without `rng` the most likely latent of each position is taken.
   */
  rng?: Random;
  /** Gumbel-softmax temperature (thesis App. B.2.2: 0.01 when extracting latents). Default 0.01. */
  tau?: number;
}

/**
 * Discrete latents from encoder logits `[rows, m, k]`: the argmax of a Gumbel-softmax sample at
 * temperature `tau` (with `rng`; an exact categorical draw by the Gumbel-max trick, whatever tau),
 * or the argmax of the logits (without `rng`).
 */
export function latentsFromLogits(space: LatentSpace, logits: Tensor, options: EncodeOptions = {}): Latents {
  if (!(logits instanceof Tensor)) throw new ValueError('logits', logits, 'a Tensor [rows, m, k]');
  const rows = logits.shape[0]!;
  if (logits.size !== rows * space.m * space.k || logits.shape[logits.shape.length - 1] !== space.k) {
    throw new ShapeError('logits', `[${rows}, ${space.m}, ${space.k}]`, `[${logits.shape.join(', ')}]`);
  }
  const shaped = logits.reshape([rows, space.m, space.k]);
  const y = options.rng ? gumbelSoftmax(shaped, options.rng, { tau: options.tau ?? 0.01, dtype: 'float64' }) : shaped;
  return new Latents(space, argmaxLastAxis(y), rows);
}

/** Encodes clean data `x` into discrete latents with `encoder` (see {@link latentsFromLogits}). */
export async function encodeLatents(encoder: LatentEncoder, x: Tensor, options: EncodeOptions = {}): Promise<Latents> {
  return latentsFromLogits(encoder.space, await encoder.logits(x), options);
}
