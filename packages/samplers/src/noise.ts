// Noise for the stochastic samplers, k-diffusion's `noise_sampler(sigma, sigma_next)` contract:
// standard normal draws for the step from sigma to sigmaNext.
import { ValueError, type DType, type Random, type Tensor } from '@phys/tensor';
import { checkRandom } from './common.js';

/**
 * Standard normal noise for one sampler step from `sigma` to `sigmaNext` (k-diffusion's
 * `noise_sampler(sigma, sigma_next)`). Row `r` is sample `r` of the batch.
 */
export interface NoiseSource {
  draw(sigma: number, sigmaNext: number, shape: readonly number[], dtype: DType): Tensor;
}

/** Options of every sampler that adds noise: an `rng` (independent draws per call) or a `noise` source. */
export interface NoiseOptions {
  /** Independent standard normals per step (a `PhiloxRng`, or a `ReplayRandom` replaying recorded draws). */
  rng?: Random;
  /** A step-aware source, e.g. {@link BrownianTreeNoise}; takes precedence over `rng`. */
  noise?: NoiseSource;
}

/** A {@link NoiseSource} drawing fresh normals from `rng` at every call (k-diffusion's `default_noise_sampler`). */
export function rngNoise(rng: Random): NoiseSource {
  return { draw: (_s, _sn, shape, dtype) => rng.normal(shape, dtype) };
}

/** The sampler's noise source: `options.noise`, else `options.rng`; throws {@link ValueError} when neither is usable. */
export function resolveNoise(options: NoiseOptions): NoiseSource {
  if (options.noise !== undefined) {
    const noise: unknown = options.noise;
    if (typeof noise !== 'object' || noise === null || typeof (noise as Partial<NoiseSource>).draw !== 'function') {
      throw new ValueError('noise', options.noise, 'a NoiseSource ({ draw(sigma, sigmaNext, shape, dtype) })');
    }
    return options.noise;
  }
  return rngNoise(checkRandom(options.rng));
}
