// Ancestral sampling in sigma (k-diffusion `sample_euler_ancestral`): a deterministic step down to
// sigma_down, then fresh noise of size sigma_up, with sigma_down^2 + sigma_up^2 = sigma_next^2.
import { getBackend, type Denoiser, type Tensor } from '@phys/tensor';
import { SamplerRun, checkInitial, checkNumber, validateSigmas } from './common.js';
import { resolveNoise, type NoiseOptions, type NoiseSource } from './noise.js';
import type { SampleResult, SamplerOptions } from './types.js';

/**
 * k-diffusion's `get_ancestral_step`: sigma_up = min(sigma', eta sqrt(sigma'^2 (sigma^2 - sigma'^2)/sigma^2)),
 * sigma_down = sqrt(sigma'^2 - sigma_up^2) for a step from `sigma` to `sigmaNext`; eta = 0 gives
 * `[sigmaNext, 0]` (DDIM), eta = 1 the DDPM posterior's noise (Ho et al. 2020 Eq. 7 in sigma).
 */
export function ancestralStep(sigma: number, sigmaNext: number, eta: number): [sigmaDown: number, sigmaUp: number] {
  if (eta === 0) return [sigmaNext, 0];
  const up = Math.min(sigmaNext, eta * Math.sqrt((sigmaNext * sigmaNext * (sigma * sigma - sigmaNext * sigmaNext)) / (sigma * sigma)));
  return [Math.sqrt(sigmaNext * sigmaNext - up * up), up];
}

/** Options of the ancestral samplers: eta (0 deterministic, 1 ancestral), S_noise and the noise source. */
export interface AncestralOptions<C = unknown> extends SamplerOptions<C>, NoiseOptions {
  /** Fraction of the DDPM posterior noise (k-diffusion `eta`). Default 1. */
  eta?: number;
  /** Noise inflation (k-diffusion `s_noise`). Default 1. */
  sNoise?: number;
}

/** Checked settings of an ancestral sampler run. */
export interface AncestralSetup<C> {
  run: SamplerRun<C>;
  sigmas: Float64Array;
  eta: number;
  sNoise: number;
  /** Undefined when eta = 0 (nothing random). */
  noise: NoiseSource | undefined;
}

/** Validates the common arguments of the samplers with eta and S_noise and starts their run. */
export function ancestralSetup<C>(denoiser: Denoiser<C>, x: Tensor, sigmas: ArrayLike<number>, options: AncestralOptions<C>, etaDefault = 1): AncestralSetup<C> {
  checkInitial(x);
  const s = validateSigmas(sigmas);
  const eta = checkNumber(options.eta ?? etaDefault, 'eta', 0);
  const sNoise = checkNumber(options.sNoise ?? 1, 'sNoise', 0);
  const noise = eta > 0 ? resolveNoise(options) : undefined;
  return { run: new SamplerRun(denoiser, options, x, s[0]!), sigmas: s, eta, sNoise, noise };
}

/** x += scale * noise(sigma, sigmaNext) in place (no draw when `scale` is 0). */
export function addNoise(x: Tensor, noise: NoiseSource | undefined, sigma: number, sigmaNext: number, scale: number): void {
  if (scale === 0 || noise === undefined) return;
  getBackend().lincomb([[1, x], [scale, noise.draw(sigma, sigmaNext, x.shape, x.dtype)]], x);
}

/**
 * A deterministic move of an ancestral sampler: writes into `x` its step from `sigma` to
 * `sigmaDown` given D(x; sigma) (`sigmaDown` is 0 on the last step and where sigma_up takes all of
 * sigma_next).
 */
export type AncestralMove<C> = (run: SamplerRun<C>, x: Tensor, denoised: Tensor, sigma: number, sigmaDown: number) => void | Promise<void>;

/**
 * The loop every ancestral sampler shares (k-diffusion's `sample_*_ancestral`): per step, D(x; sigma),
 * the split of sigma_next into sigma_down and sigma_up ({@link ancestralStep}), `move` to sigma_down,
 * then x += S_noise sigma_up eps (no draw on the step to 0).
 */
export async function ancestralSample<C>(denoiser: Denoiser<C>, x0: Tensor, sigmas: ArrayLike<number>, options: AncestralOptions<C>, move: AncestralMove<C>): Promise<SampleResult> {
  const { run, sigmas: s, eta, sNoise, noise } = ancestralSetup(denoiser, x0, sigmas, options);
  const x = getBackend().clone(x0);
  for (let i = 0; i + 1 < s.length; i++) {
    const sigma = s[i]!;
    const sigmaNext = s[i + 1]!;
    const denoised = await run.denoise(x, sigma);
    const [down, up] = ancestralStep(sigma, sigmaNext, eta);
    await move(run, x, denoised, sigma, down);
    if (sigmaNext > 0) addNoise(x, noise, sigma, sigmaNext, sNoise * up);
    run.step(x, sigmaNext);
  }
  return run.finish(x);
}

/**
 * Euler ancestral (k-diffusion `sample_euler_ancestral`): an Euler step of the PF-ODE to
 * sigma_down, then x += S_noise sigma_up eps (not on the step to 0). NFE = number of steps.
 * Gaussian noise: for the EDM/VP/VE kernels, not PFGM++ (whose forward noise is not Gaussian).
 */
export function eulerAncestralSample<C = unknown>(denoiser: Denoiser<C>, x0: Tensor, sigmas: ArrayLike<number>, options: AncestralOptions<C> = {}): Promise<SampleResult> {
  return ancestralSample(denoiser, x0, sigmas, options, (_run, x, denoised, sigma, down) => {
    // x + (sigma_down - sigma) (x - D)/sigma
    const c = (down - sigma) / sigma;
    getBackend().lincomb([[1 + c, x], [-c, denoised]], x);
  });
}
