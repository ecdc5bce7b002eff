// Stochastic DPM-Solver++ samplers of k-diffusion (`sample_dpmpp_sde`, `sample_dpmpp_2m_sde`,
// `sample_dpmpp_3m_sde`) with EDM's sigma as time, lambda = -log sigma. k-diffusion draws their
// noise from a Brownian tree by default: pass `noise: new BrownianTreeNoise(...)` for that.
import { ValueError, getBackend, type Denoiser, type Tensor } from '@phys/tensor';
import { addNoise, ancestralSetup, ancestralStep, type AncestralOptions } from './ancestral.js';
import { checkNumber } from './common.js';
import type { SampleResult } from './types.js';

/** Options of {@link dpmppSdeSample}. */
export interface DpmppSdeOptions<C = unknown> extends AncestralOptions<C> {
  /** Position of the intermediate point in lambda, 0 < r <= 1 (k-diffusion `r`). Default 1/2. */
  r?: number;
}

/**
 * DPM-Solver++ (stochastic), k-diffusion `sample_dpmpp_sde`: per step from sigma to sigma', an
 * ancestral DPM-Solver++(1) half-step to s = sigma^(1-r) sigma'^r (noise on the way), then from
 * sigma with the mixed prediction (1 - 1/(2r)) D + 1/(2r) D(x_2; s) down to sigma_down of
 * (sigma, sigma') and noise of size sigma_up. 2 NFE per step, Euler (1 NFE) into 0.
 */
export async function dpmppSdeSample<C = unknown>(denoiser: Denoiser<C>, x0: Tensor, sigmas: ArrayLike<number>, options: DpmppSdeOptions<C> = {}): Promise<SampleResult> {
  const { run, sigmas: s, eta, sNoise, noise } = ancestralSetup(denoiser, x0, sigmas, options);
  const r = checkNumber(options.r ?? 0.5, 'r', 0, 1);
  if (r === 0) throw new ValueError('r', r, 'a number in (0, 1]');
  const backend = getBackend();
  const fac = 1 / (2 * r);
  const x = backend.clone(x0);
  for (let i = 0; i + 1 < s.length; i++) {
    const sigma = s[i]!;
    const sigmaNext = s[i + 1]!;
    const denoised = await run.denoise(x, sigma);
    if (sigmaNext === 0) {
      x.data.set(denoised.data);
    } else {
      const t = -Math.log(sigma);
      const h = -Math.log(sigmaNext) - t;
      const sigmaS = Math.exp(-(t + h * r));
      // Step 1: DPM-Solver++(1) to sigma_down of (sigma, sigma_s), then noise sigma_up.
      const [sd1, su1] = ancestralStep(sigma, sigmaS, eta);
      const x2 = backend.lincomb([[sd1 / sigma, x], [-Math.expm1(Math.log(sd1 / sigma)), denoised]]);
      addNoise(x2, noise, sigma, sigmaS, sNoise * su1);
      const denoised2 = await run.denoise(x2, sigmaS);
      // Step 2: from sigma with D_d = (1 - fac) D + fac D_2 to sigma_down of (sigma, sigma').
      const [sd2, su2] = ancestralStep(sigma, sigmaNext, eta);
      const c = -Math.expm1(Math.log(sd2 / sigma));
      backend.lincomb([[sd2 / sigma, x], [c * (1 - fac), denoised], [c * fac, denoised2]], x);
      addNoise(x, noise, sigma, sigmaNext, sNoise * su2);
    }
    run.step(x, sigmaNext);
  }
  return run.finish(x);
}

/** Options of {@link dpmpp2mSdeSample}. */
export interface Dpmpp2mSdeOptions<C = unknown> extends AncestralOptions<C> {
  /** How the first difference enters (k-diffusion `solver_type`): `'midpoint'` (default) or `'heun'`. */
  solverType?: 'midpoint' | 'heun';
}

/**
 * DPM-Solver++(2M) SDE, k-diffusion `sample_dpmpp_2m_sde`: with h = log(sigma/sigma') and
 * eta_h = eta h, x' = (sigma'/sigma) e^{-eta_h} x + (1 - e^{-h-eta_h}) D plus the first-difference
 * term ('midpoint': (1 - e^{-h-eta_h})/2 (D - D_prev)/r; 'heun': ((1 - e^{-h-eta_h})/(-h-eta_h) + 1)(D - D_prev)/r,
 * r = h_prev/h) and noise sigma' sqrt(1 - e^{-2 eta_h}) S_noise eps. The step to 0 returns D. One
 * NFE per step; eta = 0 is deterministic (the ODE solver DPM-Solver++(2M)).
 */
export async function dpmpp2mSdeSample<C = unknown>(denoiser: Denoiser<C>, x0: Tensor, sigmas: ArrayLike<number>, options: Dpmpp2mSdeOptions<C> = {}): Promise<SampleResult> {
  const { run, sigmas: s, eta, sNoise, noise } = ancestralSetup(denoiser, x0, sigmas, options);
  const solverType: string = options.solverType ?? 'midpoint';
  if (solverType !== 'midpoint' && solverType !== 'heun') throw new ValueError('solverType', solverType, "'midpoint' or 'heun'");
  const backend = getBackend();
  const x = backend.clone(x0);
  let old: Tensor | undefined;
  let hLast = NaN;
  for (let i = 0; i + 1 < s.length; i++) {
    const sigma = s[i]!;
    const sigmaNext = s[i + 1]!;
    const denoised = await run.denoise(x, sigma);
    if (sigmaNext === 0) {
      x.data.set(denoised.data);
    } else {
      const h = Math.log(sigma / sigmaNext);
      const etaH = eta * h;
      const a = -Math.expm1(-h - etaH);
      const terms: [number, Tensor][] = [[(sigmaNext / sigma) * Math.exp(-etaH), x], [a, denoised]];
      if (old) {
        const r = hLast / h;
        const c = (solverType === 'heun' ? a / (-h - etaH) + 1 : 0.5 * a) / r;
        terms[1]![0] += c;
        terms.push([-c, old]);
      }
      backend.lincomb(terms, x);
      addNoise(x, noise, sigma, sigmaNext, sigmaNext * Math.sqrt(-Math.expm1(-2 * etaH)) * sNoise);
      hLast = h;
    }
    old = denoised;
    run.step(x, sigmaNext);
  }
  return run.finish(x);
}

/**
 * DPM-Solver++(3M) SDE, k-diffusion `sample_dpmpp_3m_sde`: with h_eta = (1 + eta) h,
 * x' = e^{-h_eta} x + (1 - e^{-h_eta}) D + phi_2 D1 - phi_3 D2 (phi_2 = expm1(-h_eta)/h_eta + 1,
 * phi_3 = phi_2/h_eta - 1/2; D1, D2 the first and second differences of dpm_solver_pytorch's 3rd-order
 * update, `phi_2 (D - D_prev)/r` on the second step) plus noise sigma' sqrt(1 - e^{-2 eta h}) S_noise eps.
 * The step to 0 returns D. One NFE per step; eta = 0 equals `dpmSolverSample` with
 * `{ order: 3, variant: 'k-diffusion' }`.
 */
export async function dpmpp3mSdeSample<C = unknown>(denoiser: Denoiser<C>, x0: Tensor, sigmas: ArrayLike<number>, options: AncestralOptions<C> = {}): Promise<SampleResult> {
  const { run, sigmas: s, eta, sNoise, noise } = ancestralSetup(denoiser, x0, sigmas, options);
  const backend = getBackend();
  const x = backend.clone(x0);
  let d1: Tensor | undefined;
  let d2: Tensor | undefined;
  let h1 = NaN;
  let h2 = NaN;
  for (let i = 0; i + 1 < s.length; i++) {
    const sigma = s[i]!;
    const sigmaNext = s[i + 1]!;
    const denoised = await run.denoise(x, sigma);
    if (sigmaNext === 0) {
      x.data.set(denoised.data);
    } else {
      const h = Math.log(sigma / sigmaNext);
      const hEta = h * (eta + 1);
      const phi2 = Math.expm1(-hEta) / hEta + 1;
      const terms: [number, Tensor][] = [[Math.exp(-hEta), x], [-Math.expm1(-hEta), denoised]];
      if (d2 && d1) {
        const r0 = h1 / h;
        const r1 = h2 / h;
        const phi3 = phi2 / hEta - 0.5;
        // d1_0 = (D - D_1)/r0, d1_1 = (D_1 - D_2)/r1; phi_2 (d1_0 + r0/(r0+r1)(d1_0 - d1_1)) - phi_3 (d1_0 - d1_1)/(r0+r1).
        const a = phi2 * (1 + r0 / (r0 + r1)) - phi3 / (r0 + r1);
        const b = -phi2 * (r0 / (r0 + r1)) + phi3 / (r0 + r1);
        terms[1]![0] += a / r0;
        terms.push([-a / r0 + b / r1, d1], [-b / r1, d2]);
      } else if (d1) {
        const r = h1 / h;
        terms[1]![0] += phi2 / r;
        terms.push([-phi2 / r, d1]);
      }
      backend.lincomb(terms, x);
      addNoise(x, noise, sigma, sigmaNext, sigmaNext * Math.sqrt(-Math.expm1(-2 * h * eta)) * sNoise);
      h2 = h1;
      h1 = h;
    }
    d2 = d1;
    d1 = denoised;
    run.step(x, sigmaNext);
  }
  return run.finish(x);
}
