// EDM's generalised sampler (Karras et al. 2022, Alg. 1/2 with Table 1's sigma(t), s(t);
// NVlabs/edm generate.py `ablation_sampler`): the ODE dx/dt = (sigma'/sigma + s'/s) x - sigma' s/sigma D(x/s; sigma)
// in the scaled variable x = s(t) y, on any sigma schedule (`edmSchedule`, `vpSchedule`, `veSchedule`, `iddpmSchedule`).
import { ValueError, getBackend, type Denoiser, type Random, type Tensor } from '@phys/tensor';
import { SamplerRun, checkInitial, checkNumber, checkRandom, validateSigmas } from './common.js';
import type { SampleResult, SamplerOptions } from './types.js';

/** Options of {@link edmAblationSample} (generate.py's names in brackets). */
export interface EdmAblationOptions<C = unknown> extends SamplerOptions<C> {
  /** `'heun'` (default) or `'euler'` [solver]. */
  solver?: 'euler' | 'heun';
  /** sigma(t): `'linear'` (sigma = t, default), `'vp'` or `'ve'` (sigma = sqrt(t)) [schedule]. */
  schedule?: 'linear' | 'vp' | 've';
  /** s(t): `'none'` (default) or `'vp'` (s = 1/sqrt(1 + sigma^2)) [scaling]. */
  scaling?: 'none' | 'vp';
  /** Heun's alpha: the second point at t + alpha h, weights 1 - 1/(2 alpha), 1/(2 alpha) (EDM Alg. 1 generalised) [alpha]. Default 1. */
  alpha?: number;
  /** epsilon_s of the VP schedule (default 1e-3). */
  epsilonS?: number;
  /** The VP schedule's beta_d, beta_min are refitted so sigma(epsilon_s) = vpRange[0], sigma(1) = vpRange[1]. Default: the schedule's smallest positive and largest level. */
  vpRange?: readonly [number, number];
  /** S_churn, S_min, S_max, S_noise of EDM Alg. 2 (defaults 0, 0, Infinity, 1). */
  sChurn?: number;
  sMin?: number;
  sMax?: number;
  sNoise?: number;
  /** Churn noise; required when sChurn > 0 or noiseEveryStep. */
  rng?: Random;
  /** Draw the noise every step, as generate.py's randn_like (default false). */
  noiseEveryStep?: boolean;
}

interface TimeMap {
  sigma(t: number): number;
  deriv(t: number): number;
  inv(sigma: number): number;
}

/** EDM Table 1's sigma(t) for the three schedules (VP refitted to `range` with epsilon_s). */
function timeMap(kind: string, epsilonS: number, range: readonly [number, number]): TimeMap {
  if (kind === 'linear') return { sigma: (t) => t, deriv: () => 1, inv: (s) => s };
  if (kind === 've') return { sigma: (t) => Math.sqrt(t), deriv: (t) => 0.5 / Math.sqrt(t), inv: (s) => s * s };
  if (kind !== 'vp') throw new ValueError('schedule', kind, "'linear', 'vp' or 've'");
  const [lo, hi] = range;
  const betaD = (2 * (Math.log(lo * lo + 1) / epsilonS - Math.log(hi * hi + 1))) / (epsilonS - 1);
  const betaMin = Math.log(hi * hi + 1) - 0.5 * betaD;
  const sigma = (t: number): number => Math.sqrt(Math.exp(0.5 * betaD * t * t + betaMin * t) - 1);
  return {
    sigma,
    deriv: (t) => 0.5 * (betaMin + betaD * t) * (sigma(t) + 1 / sigma(t)),
    inv: (s) => (Math.sqrt(betaMin * betaMin + 2 * betaD * Math.log(s * s + 1)) - betaMin) / betaD,
  };
}

/**
 * EDM's ablation sampler (`ablation_sampler` of NVlabs/edm generate.py): time steps t_i =
 * sigma^-1(sigmas[i]) and t_N = 0; per step optional churn (Alg. 2) to t_hat, then an Euler step
 * with d = (sigma'/sigma + s'/s) x - sigma' s/sigma D(x/s; sigma) and, except on the last step, the
 * generalised Heun correction at t_hat + alpha h. `x` is the unscaled state at sigmas[0] (e.g.
 * `kernel.prior`); it is scaled by s(t_0) inside and the result is at t = 0 (s = 1). NFE 2N - 1 (Heun).
 * With schedule 'linear', scaling 'none', alpha 1 this is `heunSample` / `edmStochasticSample`.
 */
export async function edmAblationSample<C = unknown>(denoiser: Denoiser<C>, x0: Tensor, sigmas: ArrayLike<number>, options: EdmAblationOptions<C> = {}): Promise<SampleResult> {
  checkInitial(x0);
  const sig = validateSigmas(sigmas);
  const n = sig.length - 1;
  if (sig[n] !== 0) throw new ValueError(`sigmas[${n}]`, sig[n], 'a schedule ending in 0 (t_N = 0)');
  const solver: string = options.solver ?? 'heun';
  if (solver !== 'euler' && solver !== 'heun') throw new ValueError('solver', solver, "'euler' or 'heun'");
  const scaling: string = options.scaling ?? 'none';
  if (scaling !== 'none' && scaling !== 'vp') throw new ValueError('scaling', scaling, "'none' or 'vp'");
  const alpha = checkNumber(options.alpha ?? 1, 'alpha', 0);
  if (alpha === 0) throw new ValueError('alpha', alpha, 'a number > 0');
  const epsilonS = checkNumber(options.epsilonS ?? 1e-3, 'epsilonS', 0, 1);
  const tm = timeMap(options.schedule ?? 'linear', epsilonS, options.vpRange ?? [sig[n - 1]!, sig[0]!]);
  const sChurn = checkNumber(options.sChurn ?? 0, 'sChurn', 0);
  const sMin = checkNumber(options.sMin ?? 0, 'sMin', 0);
  const sMax = options.sMax ?? Infinity;
  const sNoise = checkNumber(options.sNoise ?? 1, 'sNoise', 0);
  const everyStep = options.noiseEveryStep ?? false;
  const rng = sChurn > 0 || everyStep ? checkRandom(options.rng) : undefined;
  const s = (t: number): number => (scaling === 'vp' ? 1 / Math.sqrt(1 + tm.sigma(t) ** 2) : 1);
  const sDeriv = (t: number): number => (scaling === 'vp' ? -tm.sigma(t) * tm.deriv(t) * s(t) ** 3 : 0);
  const ts = Array.from(sig, (v, i) => (i === n ? 0 : tm.inv(v)));
  const backend = getBackend();
  const run = new SamplerRun(denoiser, options, x0, sig[0]!);
  // d = a x - b D(x/s; sigma(t)) at time t (EDM Eq. 4 with s(t)).
  const slope = async (x: Tensor, t: number): Promise<[number, number, Tensor]> => {
    const st = s(t);
    const denoised = await run.denoise(backend.scaleRows(x, 1 / st), tm.sigma(t));
    return [tm.deriv(t) / tm.sigma(t) + sDeriv(t) / st, (tm.deriv(t) * st) / tm.sigma(t), denoised];
  };
  let x = backend.scaleRows(x0, (tm.sigma(ts[0]!) * s(ts[0]!)) / sig[0]!);
  for (let i = 0; i < n; i++) {
    const tCur = ts[i]!;
    const tNext = ts[i + 1]!;
    const sc = tm.sigma(tCur);
    const gamma = sMin <= sc && sc <= sMax ? Math.min(sChurn / n, Math.SQRT2 - 1) : 0;
    const tHat = tm.inv(sc + gamma * sc);
    const eps = rng && (gamma > 0 || everyStep) ? rng.normal(x.shape, x.dtype) : undefined;
    const up = Math.sqrt(Math.max(tm.sigma(tHat) ** 2 - sc * sc, 0)) * s(tHat) * sNoise;
    const xHat = eps && up > 0 ? backend.lincomb([[s(tHat) / s(tCur), x], [up, eps]]) : backend.scaleRows(x, s(tHat) / s(tCur));
    const h = tNext - tHat;
    const [a, b, denoised] = await slope(xHat, tHat);
    // x' = x_hat + alpha h d (Euler point), d = a x_hat - b D.
    if (solver === 'euler' || i === n - 1) {
      x = backend.lincomb([[1 + h * a, xHat], [-h * b, denoised]]);
    } else {
      const xPrime = backend.lincomb([[1 + alpha * h * a, xHat], [-alpha * h * b, denoised]]);
      const [a2, b2, denoised2] = await slope(xPrime, tHat + alpha * h);
      const w1 = 1 - 1 / (2 * alpha);
      const w2 = 1 / (2 * alpha);
      x = backend.lincomb([[1 + h * w1 * a, xHat], [-h * w1 * b, denoised], [h * w2 * a2, xPrime], [-h * w2 * b2, denoised2]]);
    }
    run.step(x, sig[i + 1]!);
  }
  return run.result(x);
}
