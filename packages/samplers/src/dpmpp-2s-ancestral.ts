// DPM-Solver++(2S) ancestral (k-diffusion `sample_dpmpp_2s_ancestral`; Lu et al. 2022,
// DPM-Solver++ Alg. 1 with r = 1/2) with EDM's sigma as time, lambda = -log sigma.
import { getBackend, type Denoiser, type Tensor } from '@phys/tensor';
import { ancestralSample, type AncestralOptions } from './ancestral.js';
import type { SampleResult } from './types.js';

/**
 * DPM-Solver++(2S) ancestral: per step, a 2S step to sigma_down (midpoint s = sqrt(sigma sigma_down):
 * u = (s/sigma) x + (1 - s/sigma) D, x' = (sigma_down/sigma) x + (1 - sigma_down/sigma) D(u; s)), then
 * x' += S_noise sigma_up eps; Euler (x' = D) where sigma_down = 0. 2 NFE per step, 1 for the step
 * to 0. eta = 0 makes it the deterministic DPM-Solver++(2S). Gaussian noise (EDM/VP/VE kernels).
 */
export function dpmpp2sAncestralSample<C = unknown>(denoiser: Denoiser<C>, x0: Tensor, sigmas: ArrayLike<number>, options: AncestralOptions<C> = {}): Promise<SampleResult> {
  const backend = getBackend();
  return ancestralSample(denoiser, x0, sigmas, options, async (run, x, denoised, sigma, down) => {
    if (down === 0) {
      x.data.set(denoised.data);
      return;
    }
    const h = Math.log(sigma / down);
    const sigmaMid = Math.exp(-(-Math.log(sigma) + h / 2));
    const u = backend.lincomb([[sigmaMid / sigma, x], [-Math.expm1(-h / 2), denoised]]);
    const denoised2 = await run.denoise(u, sigmaMid);
    backend.lincomb([[down / sigma, x], [-Math.expm1(-h), denoised2]], x);
  });
}
