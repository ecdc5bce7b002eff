import { PhysError } from '@phys/tensor';

/**
 * A model was asked for something about discrete latents that it cannot do: a denoiser without a
 * latent input was given latents, a latent model declares a different m or k than the latents
 * passed to it, or its metadata does not say how the latents are fed. Names the model and what
 * is missing.
 */
export class LatentModelError extends PhysError {
  override name = 'LatentModelError';
  constructor(
    /** The model (path or description). */
    readonly model: string,
    /** What was asked of it and why it cannot do it. */
    readonly reason: string,
  ) {
    super(`${model}: ${reason}`);
  }
}
