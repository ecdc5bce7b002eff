// DPM-2 (k-diffusion `sample_dpm_2`, `sample_dpm_2_ancestral`): DPM-Solver-2's midpoint in log
// sigma with EDM's Euler derivative d = (x - D)/sigma, optionally with EDM churn or ancestral noise.
import { getBackend, type Denoiser, type Tensor } from '@phys/tensor';
import type { SamplerRun } from './common.js';
import { ancestralSample, type AncestralOptions } from './ancestral.js';
import { applyChurn, edmChurn, odeSample, type Churn, type ChurnOptions, type OdeSolver } from './ode.js';
import type { SampleResult, SamplerOptions } from './types.js';

/**
 * One DPM-2 step from `t` to `tNext` > 0 given D(x; t): x_2 = x + (t_mid - t) d,
 * t_mid = sqrt(t t') (the midpoint in log sigma), then x' = x + (t' - t) d_2 with d_2 at (x_2, t_mid).
 * Writes x' into `x`. Two NFE.
 */
async function dpm2Step<C>(run: SamplerRun<C>, x: Tensor, denoised: Tensor, t: number, tNext: number): Promise<void> {
  const backend = getBackend();
  const tMid = Math.exp((Math.log(t) + Math.log(tNext)) / 2);
  const c1 = (tMid - t) / t;
  const x2 = backend.lincomb([[1 + c1, x], [-c1, denoised]]);
  const denoised2 = await run.denoise(x2, tMid);
  // x + (t' - t)(x_2 - D_2)/t_mid
  const c2 = (tNext - t) / tMid;
  backend.lincomb([[1, x], [c2, x2], [-c2, denoised2]], x);
}

async function integrateDpm2<C>(run: SamplerRun<C>, x0: Tensor, sigmas: Float64Array, churn?: Churn): Promise<Tensor> {
  const x = getBackend().clone(x0);
  for (let i = 0; i + 1 < sigmas.length; i++) {
    const t = churn ? applyChurn(churn, x, sigmas[i]!) : sigmas[i]!;
    const tNext = sigmas[i + 1]!;
    const denoised = await run.denoise(x, t);
    if (tNext === 0) x.data.set(denoised.data); // Euler to 0: x + (0 - t)(x - D)/t = D
    else await dpm2Step(run, x, denoised, t, tNext);
    run.step(x, tNext);
  }
  return x;
}

/** DPM-2 as an {@link OdeSolver} (Restart's inner solver): 2 NFE per step, 1 for a step to 0. */
export const dpm2Solver: OdeSolver = { name: 'dpm-2', integrate: (run, x, sigmas) => integrateDpm2(run, x, sigmas) };

/** Options of {@link dpm2Sample}: with `sChurn > 0`, EDM churn before each step. */
export interface Dpm2Options<C = unknown> extends SamplerOptions<C>, ChurnOptions {}

/**
 * DPM-2 (k-diffusion `sample_dpm_2`: DPM-Solver-2, Lu et al. 2022 Alg. 1 with r1 = 1/2, in EDM's
 * sigma with Karras et al. Alg. 2 churn): 2 NFE per step, the step to 0 is Euler. Deterministic
 * without churn, for every kernel (PFGM++ through r = sigma sqrt(D)).
 */
export async function dpm2Sample<C = unknown>(denoiser: Denoiser<C>, x: Tensor, sigmas: ArrayLike<number>, options: Dpm2Options<C> = {}): Promise<SampleResult> {
  const churn = edmChurn(options, sigmas.length - 1);
  const solver: OdeSolver = churn ? { name: 'dpm-2+churn', integrate: (run, y, s) => integrateDpm2(run, y, s, churn) } : dpm2Solver;
  return await odeSample(denoiser, x, sigmas, solver, options);
}

/**
 * DPM-2 ancestral (k-diffusion `sample_dpm_2_ancestral`): a DPM-2 step to sigma_down, then
 * x += S_noise sigma_up eps; Euler where sigma_down = 0. Gaussian noise (EDM/VP/VE kernels).
 */
export function dpm2AncestralSample<C = unknown>(denoiser: Denoiser<C>, x0: Tensor, sigmas: ArrayLike<number>, options: AncestralOptions<C> = {}): Promise<SampleResult> {
  return ancestralSample(denoiser, x0, sigmas, options, async (run, x, denoised, sigma, down) => {
    if (down === 0) x.data.set(denoised.data);
    else await dpm2Step(run, x, denoised, sigma, down);
  });
}
