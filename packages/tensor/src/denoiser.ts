import type { Tensor } from './tensor.js';

/**
 * The model contract every sampler runs on (EDM convention, thesis Alg. 13/14): given a batch `x`
 * `[B, ...]` and one noise level per row (`sigma`, length B), return the denoised estimate
 * D(x; sigma) with the shape of `x`. PFGM++ models use the same convention with r = sigma*sqrt(D).
 * `cond` carries conditioning (class labels, discrete latents) through samplers untouched.
 */
export type Denoiser<C = unknown> = (x: Tensor, sigma: Float64Array, cond?: C) => Promise<Tensor>;
