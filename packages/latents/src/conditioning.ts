import { ShapeError, Tensor, ValueError, getBackend, type Denoiser } from '@phys/tensor';
import { Latents, assertSameSpace } from './latents.js';

/**
 * A denoiser conditioned on discrete latents: D_theta(x; sigma, z) (thesis Sec. 4.2.1). Samplers
 * pass `z` through their `cond` option untouched; rows of `z` pair with rows of `x`.
 */
export type LatentDenoiser = Denoiser<Latents>;

/** Throws unless `z` is a {@link Latents} batch with one row per row of `x`. */
export function checkCondRows(x: Tensor, z: Latents | undefined, argument = 'cond'): Latents {
  if (!(z instanceof Latents)) {
    throw new ValueError(argument, z, 'a Latents batch (pass the latents as the sampler option `cond`)');
  }
  if (z.rows !== x.rows) throw new ShapeError(argument, `${x.rows} latent rows (one per row of x)`, `${z.rows} rows`);
  return z;
}

function concatRows(a: Tensor, b: Tensor): Tensor {
  const out = Tensor.zeros([a.rows + b.rows, ...a.shape.slice(1)], a.dtype);
  out.data.set(a.data, 0);
  out.data.set(b.data, a.size);
  return out;
}

/**
 * Classifier-free guidance on the model's own discrete latents (thesis Sec. 4.3.1, Table 4.3):
 *
 *   D~(x; sigma, z) = D(x; sigma, z) + w (D(x; sigma, z) - D(x; sigma, null)),
 *
 * with the null latent of {@link Latents.null}. `scale` w = 0 is the plain conditional model
 * (Table 4.3 "cfg = 0"), w = 1 the thesis' best ImageNet-64 setting, w = 2 over-guides. The thesis
 * prints the same rule as w' D(z) + (1 - w') D(null) with w' = 1 + cfg (only that reading makes
 * its "cfg = 0" row the conditional model). Both evaluations run as one call of 2B rows, so a
 * sampler counts one NFE per guided evaluation; `scale = 0` skips the unconditional half.
 */
export function latentGuidance(denoiser: LatentDenoiser, scale: number): LatentDenoiser {
  if (typeof denoiser !== 'function') throw new ValueError('denoiser', denoiser, 'a latent-conditioned Denoiser');
  if (!Number.isFinite(scale)) throw new ValueError('scale', scale, 'a finite guidance scale (thesis Table 4.3: 0, 1, 2)');
  if (scale === 0) return denoiser;
  return async (x, sigma, z) => {
    const zc = checkCondRows(x, z);
    const both = await denoiser(concatRows(x, x), Float64Array.from([...sigma, ...sigma]), Latents.concat([zc, Latents.null(zc.space, zc.rows)]));
    if (!(both instanceof Tensor) || both.size !== 2 * x.size) {
      throw new ShapeError('denoiser output', `[${2 * x.rows}, ${x.shape.slice(1).join(', ')}]`, both instanceof Tensor ? `[${both.shape.join(', ')}]` : String(both));
    }
    const cond = both.sliceRows(0, x.rows).reshape(x.shape);
    const uncond = both.sliceRows(x.rows, 2 * x.rows).reshape(x.shape);
    return getBackend().axpby(1 + scale, cond, -scale, uncond);
  };
}

/** Options of {@link switchLatents}. */
export interface LatentSwitch {
  /** The latents used at noise levels sigma <= `sigmaSwitch` (one row per sample). */
  readonly after: Latents;
  /**
   * Noise level at which the latents switch: evaluations at sigma > sigmaSwitch use the sampler's
   * `cond`, the rest use `after`. {@link switchSigma} turns "a fraction of the steps" into it.
   */
  readonly sigmaSwitch: number;
}

/**
 * Latent switching during sampling (thesis Fig. 4.7b): the denoiser sees the sampler's latents
 * (`cond`) while sigma > `sigmaSwitch` and `after` below, per row. Because the rule is on sigma,
 * it also holds across Restart's re-noising (a restart interval above the switch level uses
 * `cond` again). With a Heun sampler the corrector of the last step before the switch evaluates at
 * `sigmaSwitch` itself and so already sees `after`.
 */
export function switchLatents(denoiser: LatentDenoiser, options: LatentSwitch): LatentDenoiser {
  if (typeof denoiser !== 'function') throw new ValueError('denoiser', denoiser, 'a latent-conditioned Denoiser');
  const { after, sigmaSwitch } = options;
  if (!(after instanceof Latents)) throw new ValueError('after', after, 'a Latents batch');
  if (!(typeof sigmaSwitch === 'number' && sigmaSwitch >= 0)) throw new ValueError('sigmaSwitch', sigmaSwitch, 'a noise level >= 0 (Infinity: always `after`)');
  return (x, sigma, z) => {
    const zc = checkCondRows(x, z);
    assertSameSpace(zc.space, after.space, 'after');
    if (after.rows !== x.rows) throw new ShapeError('after', `${x.rows} latent rows (one per row of x)`, `${after.rows} rows`);
    const m = zc.space.m;
    const mixed = zc.clone();
    for (let r = 0; r < x.rows; r++) {
      if (sigma[r]! <= sigmaSwitch) mixed.indices.set(after.row(r), r * m);
    }
    return denoiser(x, sigma, mixed);
  };
}

/**
 * The noise level after which {@link switchLatents} switches, for a switch after `fraction` of
 * the steps of the schedule `sigmas` (t_0 > ... > t_N, N steps): t_s with s = round(fraction N).
 * fraction 0 switches before the first step (every step uses `after`), 1 never switches.
 */
export function switchSigma(sigmas: ArrayLike<number>, fraction: number): number {
  if (sigmas.length < 2) throw new ValueError('sigmas', sigmas.length, 'a schedule of at least 2 noise levels');
  if (!(Number.isFinite(fraction) && fraction >= 0 && fraction <= 1)) throw new ValueError('fraction', fraction, 'a number in [0, 1]');
  const steps = sigmas.length - 1;
  const s = Math.round(fraction * steps);
  // Above t_0 for fraction 0 so that even the first evaluation (at t_0) uses `after`.
  if (s === 0) return Infinity;
  return sigmas[s]!;
}
