import { ShapeError, ValueError, type Random } from '@phys/tensor';
import type { SampleResult } from '@phys/samplers';
import { latentGuidance, switchLatents, type LatentDenoiser } from './conditioning.js';
import { Latents, assertSameSpace } from './latents.js';
import { samplePrior, type AutoregressivePrior } from './prior.js';

/**
 * The continuous part of DisCo-Diff's sampling (thesis Alg. 7 lines 6-15): any sampler of
 * `@phys/samplers`, called with the latent-conditioned denoiser and `{ cond: z }`. Build the
 * initial state (EDM or PFGM++ prior, `kernel.prior(...)`) and the schedule inside, e.g.
 * `(d, o) => restartSample(d, x0, sigmas, levels, { ...o, kernel, rng })`.
 */
export type LatentSampler<R extends SampleResult = SampleResult> = (denoiser: LatentDenoiser, options: { cond: Latents }) => Promise<R>;

/** Options of {@link discoSample}. */
export interface DiscoSampleOptions {
  /** Number of samples (rows of the sampler's initial state). */
  rows: number;
  /** The autoregressive prior p_psi(z) (thesis Alg. 7 lines 3-5). Not needed when `z` is given. */
  prior?: AutoregressivePrior;
  /** Randomness for the latents (one uniform call per latent position). */
  rng?: Random;
  /** Prior sampling temperature (default 1). */
  temperature?: number;
  /** Prior top-k truncation. */
  topK?: number;
  /**
   * Given latents instead of sampling the prior (e.g. the "oracle" latents of thesis Table 4.3,
   * read off data by the encoder).
   */
  z?: Latents;
  /** Classifier-free guidance scale on the latents (thesis Table 4.3: 0, 1, 2); default 0. */
  guidance?: number;
  /** Switch to other latents below a noise level (thesis Fig. 4.7b); see `switchLatents`. */
  switchTo?: { latents: Latents; sigmaSwitch: number };
  /** Cancels prior sampling between positions (pass the same signal to the sampler). */
  signal?: AbortSignal;
}

/** What {@link discoSample} returns: the sampler's result and the latents it was conditioned on. */
export type DiscoSampleResult<R extends SampleResult = SampleResult> = R & {
  /** The discrete latents z of every sample. */
  readonly z: Latents;
};

/**
 * DisCo-Diff sampling, thesis Alg. 7: draw the discrete latents z ~ prod_i p_psi(z_i | z_<i) from
 * the autoregressive prior (or take the given `z`), then run the continuous sampler on the
 * latent-conditioned denoiser D_theta(x; sigma, z), optionally with latent classifier-free guidance
 * (Sec. 4.3.1) and latent switching (Fig. 4.7b). The thesis' line 6-15 is Heun's method; any
 * sampler works here (Euler, Heun, EDM-SDE, Restart, with Gaussian or PFGM++ kernels: the
 * kernel only enters through the initial state and Restart's forward steps, DisCo-PFGM++ of
 * Table 4.1).
 */
export async function discoSample<R extends SampleResult>(
  denoiser: LatentDenoiser,
  sampler: LatentSampler<R>,
  options: DiscoSampleOptions,
): Promise<DiscoSampleResult<R>> {
  if (typeof denoiser !== 'function') throw new ValueError('denoiser', denoiser, 'a latent-conditioned Denoiser');
  if (typeof sampler !== 'function') throw new ValueError('sampler', sampler, 'a function (denoiser, {cond}) => Promise<SampleResult>');
  const { rows } = options;
  if (!(Number.isInteger(rows) && rows >= 1)) throw new ValueError('rows', rows, 'an integer >= 1');
  let z: Latents;
  if (options.z !== undefined) {
    z = options.z;
    if (!(z instanceof Latents)) throw new ValueError('z', z, 'a Latents batch');
    if (z.rows !== rows) throw new ShapeError('z', `${rows} rows`, `${z.rows} rows`);
    if (options.prior) assertSameSpace(options.prior.space, z.space, 'z');
  } else {
    if (options.prior === undefined) throw new ValueError('prior', undefined, 'an AutoregressivePrior (or pass the latents as `z`)');
    if (options.rng === undefined) throw new ValueError('rng', undefined, 'a Random to sample the latents with');
    // Alg. 7 lines 3-5: ancestral sampling of the discrete latents.
    z = await samplePrior(options.prior, rows, options.rng, {
      temperature: options.temperature,
      topK: options.topK,
      signal: options.signal,
    });
  }
  let d = denoiser;
  if (options.guidance !== undefined) d = latentGuidance(d, options.guidance);
  // The switch wraps guidance, so both guided halves see the switched latents.
  if (options.switchTo !== undefined) {
    assertSameSpace(z.space, options.switchTo.latents.space, 'switchTo.latents');
    d = switchLatents(d, { after: options.switchTo.latents, sigmaSwitch: options.switchTo.sigmaSwitch });
  }
  // Alg. 7 lines 6-15: the continuous sampler with z passed as `cond` to every evaluation.
  const result = await sampler(d, { cond: z });
  return Object.assign({}, result, { z });
}
