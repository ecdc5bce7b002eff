// Reverse-time SDE samplers in the EDM sigma(t) = t parameterisation, where the score is
// grad log p_sigma(x) = (D(x; sigma) - x)/sigma^2.
import { ValueError, getBackend, type Denoiser, type Random, type Tensor } from '@phys/tensor';
import { SamplerRun, checkInitial, checkNumber, checkRandom, drawNormal, validateSigmas } from './common.js';
import type { SampleResult, SamplerOptions } from './types.js';

/** Options of {@link eulerMaruyamaSample}. */
export interface EulerMaruyamaOptions<C = unknown> extends SamplerOptions<C> {
  /** Source of the Brownian increments. */
  rng: Random;
  /**
   * Multiplier of EDM's Langevin strength beta(t) = sigma'(t)/sigma(t) (EDM Eq. 6). 1 (default) is
   * the vanilla reverse VE SDE dx = -2 sigma grad log p dsigma + sqrt(2 sigma) dw; 0 is the
   * probability-flow ODE (Euler). The Restart chapter's toy study sweeps this factor.
   */
  betaScale?: number;
}

/**
 * Euler-Maruyama on the reverse-time SDE of EDM Eq. 6 with sigma(t) = t and
 * beta(t) = betaScale/t: dx = -(1 + betaScale) sigma grad log p dsigma + sqrt(2 betaScale sigma) dw.
 * A step from sigma to sigma' < sigma (h = sigma - sigma') is
 * x' = x + (1 + betaScale)(h/sigma)(D(x; sigma) - x) + sqrt(2 betaScale sigma h) eps.
 * The last step to sigma' = 0 is the noise-free denoising step x' = D(x; sigma) (Song et al.
 * 2021's final denoise; the Euler-Maruyama step would overshoot there). NFE = number of steps.
 */
export async function eulerMaruyamaSample<C = unknown>(
  denoiser: Denoiser<C>,
  x0: Tensor,
  sigmas: ArrayLike<number>,
  options: EulerMaruyamaOptions<C>,
): Promise<SampleResult> {
  checkInitial(x0);
  const s = validateSigmas(sigmas);
  const rng = checkRandom(options.rng);
  const beta = checkNumber(options.betaScale ?? 1, 'betaScale', 0);
  const backend = getBackend();
  const run = new SamplerRun(denoiser, options, x0, s[0]!);
  const x = backend.clone(x0);
  for (let i = 0; i + 1 < s.length; i++) {
    const t = s[i]!;
    const tNext = s[i + 1]!;
    const denoised = await run.denoise(x, t);
    if (tNext > 0) {
      const h = t - tNext;
      const c = ((1 + beta) * h) / t;
      if (beta > 0) {
        const eps = drawNormal(rng, x);
        backend.lincomb([[1 - c, x], [c, denoised], [Math.sqrt(2 * beta * t * h), eps]], x);
        eps.dispose();
      } else {
        backend.lincomb([[1 - c, x], [c, denoised]], x);
      }
    } else {
      x.data.set(denoised.data);
    }
    run.step(x, tNext);
  }
  return run.finish(x);
}

/** Options of {@link predictorCorrectorSample}. */
export interface PredictorCorrectorOptions<C = unknown> extends SamplerOptions<C> {
  /** Source of the predictor and corrector noise. */
  rng: Random;
  /** Signal-to-noise ratio r of the Langevin corrector (Song et al. 2021 Alg. 4; default 0.16, their CIFAR-10 VE value). */
  snr?: number;
  /** Langevin corrector steps M per noise level (default 1). */
  correctorSteps?: number;
  /**
   * How |z| and |g| enter the step size: `'batch'` (default) averages the per-sample norms over the
   * batch, as the reference (yang-song/score_sde `LangevinCorrector`) does; `'sample'` uses each
   * sample's own norms, so a sample does not depend on its batch (fine in high dimension, unstable
   * in very low dimension where |g| of one sample can be near 0).
   */
  stepNorm?: 'batch' | 'sample';
}

/**
 * Predictor-corrector sampling (Song et al. 2021, Alg. 2 for VE SDEs): per step, the
 * reverse-diffusion predictor x' = x + (sigma^2 - sigma'^2) grad log p_sigma(x) + sqrt(sigma^2 - sigma'^2) z,
 * then M Langevin corrector steps at sigma', x <- x + e g + sqrt(2e) z with g = grad log p_sigma'(x) and
 * step size e = 2 (snr |z| / |g|)^2 (Alg. 4; norms averaged over the batch unless
 * `stepNorm: 'sample'`). The step to sigma' = 0 is the noise-free denoising step
 * x' = D(x; sigma) without correction. NFE = N + M (N - 1) for N steps ending in 0.
 */
export async function predictorCorrectorSample<C = unknown>(
  denoiser: Denoiser<C>,
  x0: Tensor,
  sigmas: ArrayLike<number>,
  options: PredictorCorrectorOptions<C>,
): Promise<SampleResult> {
  checkInitial(x0);
  const s = validateSigmas(sigmas);
  const rng = checkRandom(options.rng);
  const snr = checkNumber(options.snr ?? 0.16, 'snr', 0);
  const m = options.correctorSteps ?? 1;
  if (!(Number.isInteger(m) && m >= 0)) checkNumber(NaN, 'correctorSteps', 0);
  const perSample = (options.stepNorm ?? 'batch') === 'sample';
  if (!['batch', 'sample', undefined].includes(options.stepNorm)) throw new ValueError('stepNorm', options.stepNorm, "'batch' or 'sample'");
  const backend = getBackend();
  const run = new SamplerRun(denoiser, options, x0, s[0]!);
  const x = backend.clone(x0);
  const rows = x.rows;
  for (let i = 0; i + 1 < s.length; i++) {
    const t = s[i]!;
    const tNext = s[i + 1]!;
    const denoised = await run.denoise(x, t);
    if (tNext === 0) {
      x.data.set(denoised.data);
      run.step(x, tNext);
      continue;
    }
    // Predictor (reverse diffusion): (t^2 - t'^2)(D - x)/t^2 + sqrt(t^2 - t'^2) z.
    const dv = t * t - tNext * tNext;
    const c = dv / (t * t);
    const noise = drawNormal(rng, x);
    backend.lincomb([[1 - c, x], [c, denoised], [Math.sqrt(dv), noise]], x);
    noise.dispose();
    // Corrector (Langevin at sigma'): score g = (D - x)/t'^2.
    for (let j = 0; j < m; j++) {
      const d2 = await run.denoise(x, tNext);
      const z = drawNormal(rng, x);
      const g = backend.axpby(1 / (tNext * tNext), d2, -1 / (tNext * tNext), x);
      const gNorm = backend.rowNorm(g);
      const zNorm = backend.rowNorm(z);
      if (perSample) {
        const e = new Float64Array(rows);
        const noise = new Float64Array(rows);
        for (let r = 0; r < rows; r++) {
          const ratio = gNorm[r]! > 0 ? (snr * zNorm[r]!) / gNorm[r]! : 0;
          e[r] = 2 * ratio * ratio;
          noise[r] = Math.sqrt(2 * e[r]!);
        }
        backend.lincomb([[1, x], [e, g], [noise, z]], x);
      } else {
        const gMean = gNorm.reduce((a, b) => a + b, 0) / rows;
        const zMean = zNorm.reduce((a, b) => a + b, 0) / rows;
        const ratio = gMean > 0 ? (snr * zMean) / gMean : 0;
        const e = 2 * ratio * ratio;
        backend.lincomb([[1, x], [e, g], [Math.sqrt(2 * e), z]], x);
      }
      z.dispose();
    }
    run.step(x, tNext);
  }
  return run.finish(x);
}
