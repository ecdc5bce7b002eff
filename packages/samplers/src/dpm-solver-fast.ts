// DPM-Solver-fast and DPM-Solver-12/23 adaptive (Lu et al. 2022, Sec. 3.3 and 4.1; k-diffusion
// `DPMSolver.dpm_solver_fast` / `dpm_solver_adaptive`) in the noise-prediction form with
// t = -log sigma, eps = (x - D(x; sigma))/sigma.
import { ValueError, getBackend, type Denoiser, type Tensor } from '@phys/tensor';
import { SamplerRun, checkInitial, checkNumber } from './common.js';
import { addNoise, ancestralStep } from './ancestral.js';
import { resolveNoise, type NoiseOptions, type NoiseSource } from './noise.js';
import type { SampleResult, SamplerOptions } from './types.js';

const sigmaOf = (t: number): number => Math.exp(-t);
const timeOf = (sigma: number): number => -Math.log(sigma);

/** The k-diffusion DPMSolver steps on one state; eps at the start is cached for the step's stages. */
class DpmSolverSteps<C> {
  private cache = new Map<string, Tensor>();
  constructor(
    private readonly run: SamplerRun<C>,
    private readonly x: Tensor,
    private readonly t: number,
  ) {}

  private async eps(key: string, x: Tensor, t: number): Promise<Tensor> {
    const hit = this.cache.get(key);
    if (hit) return hit;
    const s = sigmaOf(t);
    const e = getBackend().axpby(1 / s, x, -1 / s, await this.run.denoise(x, s));
    this.cache.set(key, e);
    return e;
  }

  /** DPM-Solver-1: x - sigma(t') expm1(h) eps. */
  async first(tNext: number): Promise<Tensor> {
    const h = tNext - this.t;
    const eps = await this.eps('eps', this.x, this.t);
    return getBackend().axpby(1, this.x, -sigmaOf(tNext) * Math.expm1(h), eps);
  }

  /** DPM-Solver-2 with intermediate point s1 = t + r1 h (Lu et al. 2022, Alg. 1). */
  async second(tNext: number, r1 = 1 / 2): Promise<Tensor> {
    const backend = getBackend();
    const h = tNext - this.t;
    const eps = await this.eps('eps', this.x, this.t);
    const s1 = this.t + r1 * h;
    const u1 = backend.axpby(1, this.x, -sigmaOf(s1) * Math.expm1(r1 * h), eps);
    const epsR1 = await this.eps('eps_r1', u1, s1);
    const a = sigmaOf(tNext) * Math.expm1(h);
    const c = (sigmaOf(tNext) / (2 * r1)) * Math.expm1(h);
    return backend.lincomb([[1, this.x], [-a + c, eps], [-c, epsR1]]);
  }

  /** DPM-Solver-3 with r1 = 1/3, r2 = 2/3 (Lu et al. 2022, Alg. 2). */
  async third(tNext: number, r1 = 1 / 3, r2 = 2 / 3): Promise<Tensor> {
    const backend = getBackend();
    const h = tNext - this.t;
    const eps = await this.eps('eps', this.x, this.t);
    const s1 = this.t + r1 * h;
    const s2 = this.t + r2 * h;
    const u1 = backend.axpby(1, this.x, -sigmaOf(s1) * Math.expm1(r1 * h), eps);
    const epsR1 = await this.eps('eps_r1', u1, s1);
    const a2 = sigmaOf(s2) * Math.expm1(r2 * h);
    const c2 = sigmaOf(s2) * (r2 / r1) * (Math.expm1(r2 * h) / (r2 * h) - 1);
    const u2 = backend.lincomb([[1, this.x], [-a2 + c2, eps], [-c2, epsR1]]);
    const epsR2 = await this.eps('eps_r2', u2, s2);
    const a3 = sigmaOf(tNext) * Math.expm1(h);
    const c3 = (sigmaOf(tNext) / r2) * (Math.expm1(h) / h - 1);
    return backend.lincomb([[1, this.x], [-a3 + c3, eps], [-c3, epsR2]]);
  }
}

/** The interval of a schedule: sigmas[0] down to its smallest positive level; whether it ends in 0. */
function interval(sigmas: ArrayLike<number>): { sigmaMax: number; sigmaMin: number; toZero: boolean } {
  if (sigmas.length < 2) throw new ValueError('sigmas', Array.from(sigmas), 'at least two noise levels');
  const toZero = sigmas[sigmas.length - 1] === 0;
  const sigmaMin = sigmas[sigmas.length - (toZero ? 2 : 1)]!;
  const sigmaMax = sigmas[0]!;
  checkNumber(sigmaMax, 'sigmas[0]', 0);
  if (!(sigmaMin > 0 && sigmaMin < sigmaMax)) throw new ValueError('sigmas', Array.from(sigmas), 'sigmas[0] > smallest positive level > 0');
  return { sigmaMax, sigmaMin, toZero };
}

/** Options shared by {@link dpmSolverFastSample} and {@link dpmSolverAdaptiveSample}. */
export interface DpmSolverKOptions<C = unknown> extends SamplerOptions<C>, NoiseOptions {
  /** Ancestral noise fraction (k-diffusion `eta`). Default 0 (deterministic). */
  eta?: number;
  /** Noise inflation. Default 1. */
  sNoise?: number;
}

/** Options of {@link dpmSolverFastSample}. */
export interface DpmSolverFastOptions<C = unknown> extends DpmSolverKOptions<C> {
  /** Denoiser evaluations before the final denoising (k-diffusion `n`). Default: the schedule's number of steps. */
  nfe?: number;
}

function checkEta<C>(options: DpmSolverKOptions<C>): { eta: number; sNoise: number; noise: NoiseSource | undefined } {
  const eta = checkNumber(options.eta ?? 0, 'eta', 0);
  return { eta, sNoise: checkNumber(options.sNoise ?? 1, 'sNoise', 0), noise: eta > 0 ? resolveNoise(options) : undefined };
}

/**
 * DPM-Solver-fast (Lu et al. 2022 Sec. 4.1; k-diffusion `sample_dpm_fast`): only the schedule's
 * first level and smallest positive level are used; M = floor(nfe/3) + 1 steps uniform in
 * t = -log sigma, DPM-Solver-3 steps with a final DPM-Solver-2 and -1 (nfe % 3 = 0) or one
 * DPM-Solver-(nfe % 3). On a schedule ending in 0, a final x = D(x; sigma_min) (one more NFE;
 * k-diffusion stops at sigma_min). Deterministic for eta = 0, for every kernel.
 */
export async function dpmSolverFastSample<C = unknown>(denoiser: Denoiser<C>, x0: Tensor, sigmas: ArrayLike<number>, options: DpmSolverFastOptions<C> = {}): Promise<SampleResult> {
  checkInitial(x0);
  const { sigmaMax, sigmaMin, toZero } = interval(sigmas);
  const nfe = options.nfe ?? sigmas.length - 1 - (toZero ? 1 : 0);
  if (!(Number.isInteger(nfe) && nfe >= 1)) throw new ValueError('nfe', nfe, 'an integer >= 1');
  const { eta, sNoise, noise } = checkEta(options);
  const run = new SamplerRun(denoiser, options, x0, sigmaMax);
  const tStart = timeOf(sigmaMax);
  const tEnd = timeOf(sigmaMin);
  const m = Math.floor(nfe / 3) + 1;
  const ts = Array.from({ length: m + 1 }, (_, i) => (i === m ? tEnd : tStart + (i / m) * (tEnd - tStart)));
  const orders = nfe % 3 === 0 ? [...Array<number>(m - 2).fill(3), 2, 1] : [...Array<number>(m - 1).fill(3), nfe % 3];
  let x = x0.clone();
  for (let i = 0; i < orders.length; i++) {
    const t = ts[i]!;
    const tNext = ts[i + 1]!;
    let tDown = tNext;
    let up = 0;
    if (eta > 0) {
      const [sd] = ancestralStep(sigmaOf(t), sigmaOf(tNext), eta);
      tDown = Math.min(tEnd, timeOf(sd));
      up = Math.sqrt(sigmaOf(tNext) ** 2 - sigmaOf(tDown) ** 2);
    }
    const steps = new DpmSolverSteps(run, x, t);
    const order = orders[i]!;
    x = order === 1 ? await steps.first(tDown) : order === 2 ? await steps.second(tDown) : await steps.third(tDown);
    addNoise(x, noise, sigmaOf(t), sigmaOf(tNext), up * sNoise);
    run.step(x, sigmaOf(tNext));
  }
  if (toZero) {
    x = (await run.denoise(x, sigmaMin)).clone();
    run.step(x, 0);
  }
  return run.result(x);
}

/** Options of {@link dpmSolverAdaptiveSample} (k-diffusion's defaults). */
export interface DpmSolverAdaptiveOptions<C = unknown> extends DpmSolverKOptions<C> {
  /** 2 (DPM-Solver-12) or 3 (DPM-Solver-23, default). */
  order?: 2 | 3;
  /** Relative tolerance. Default 0.05. */
  rtol?: number;
  /** Absolute tolerance. Default 0.0078. */
  atol?: number;
  /** First step in t = -log sigma. Default 0.05. */
  hInit?: number;
  /** PID controller gains (default 0, 1, 0: an I controller). */
  pcoeff?: number;
  icoeff?: number;
  dcoeff?: number;
  /** Accept a step when the proposed factor is at least this. Default 0.81. */
  acceptSafety?: number;
}

/**
 * DPM-Solver-12 / -23 with adaptive steps (Lu et al. 2022 Sec. 3.3 and App. C; k-diffusion
 * `sample_dpm_adaptive` with its PID step-size controller): from sigmas[0] to the smallest positive
 * level, each attempt takes a low- and a high-order step (2 or 3 NFE) and compares them with
 * E = |(x_low - x_high)/max(atol, rtol max(|x_low|, |x_prev|))|_2/sqrt(numel) over the whole batch
 * (the batch shares one step size, as the reference). On a schedule ending in 0, a final
 * x = D(x; sigma_min). Only the schedule's end points are used.
 */
export async function dpmSolverAdaptiveSample<C = unknown>(denoiser: Denoiser<C>, x0: Tensor, sigmas: ArrayLike<number>, options: DpmSolverAdaptiveOptions<C> = {}): Promise<SampleResult> {
  checkInitial(x0);
  const { sigmaMax, sigmaMin, toZero } = interval(sigmas);
  const order: number = options.order ?? 3;
  if (order !== 2 && order !== 3) throw new ValueError('order', order, '2 or 3');
  const { eta, sNoise, noise } = checkEta(options);
  const rtol = checkNumber(options.rtol ?? 0.05, 'rtol', 0);
  const atol = checkNumber(options.atol ?? 0.0078, 'atol', 0);
  const hInit = Math.abs(checkNumber(options.hInit ?? 0.05, 'hInit'));
  const p = checkNumber(options.pcoeff ?? 0, 'pcoeff');
  const ic = checkNumber(options.icoeff ?? 1, 'icoeff');
  const dc = checkNumber(options.dcoeff ?? 0, 'dcoeff');
  const acceptSafety = checkNumber(options.acceptSafety ?? 0.81, 'acceptSafety');
  if (hInit === 0) throw new ValueError('hInit', options.hInit, 'a nonzero step');
  const run = new SamplerRun(denoiser, options, x0, sigmaMax);
  const tEnd = timeOf(sigmaMin);
  // PID controller (k-diffusion PIDStepSizeController), exponents over the order (1.5 with noise).
  const ctrlOrder = eta > 0 ? 1.5 : order;
  const b1 = (p + ic + dc) / ctrlOrder;
  const b2 = -(p + 2 * dc) / ctrlOrder;
  const b3 = dc / ctrlOrder;
  let errs: number[] = [];
  let h = hInit;
  let s = timeOf(sigmaMax);
  let x = x0.clone();
  let xPrev = x;
  const n = x.size;
  while (s < tEnd - 1e-5) {
    const t = Math.min(tEnd, s + h);
    let tDown = t;
    let up = 0;
    if (eta > 0) {
      const [sd] = ancestralStep(sigmaOf(s), sigmaOf(t), eta);
      tDown = Math.min(tEnd, timeOf(sd));
      up = Math.sqrt(sigmaOf(t) ** 2 - sigmaOf(tDown) ** 2);
    }
    const steps = new DpmSolverSteps(run, x, s);
    const low = order === 2 ? await steps.first(tDown) : await steps.second(tDown, 1 / 3);
    const high = order === 2 ? await steps.second(tDown) : await steps.third(tDown);
    let sum = 0;
    for (let k = 0; k < n; k++) {
      const delta = Math.max(atol, rtol * Math.max(Math.abs(low.data[k]!), Math.abs(xPrev.data[k]!)));
      const e = (low.data[k]! - high.data[k]!) / delta;
      sum += e * e;
    }
    const error = Math.sqrt(sum) / Math.sqrt(n);
    const inv = 1 / (error + 1e-8);
    if (errs.length === 0) errs = [inv, inv, inv];
    errs[0] = inv;
    const factor = 1 + Math.atan(errs[0] ** b1 * errs[1]! ** b2 * errs[2]! ** b3 - 1);
    const accept = factor >= acceptSafety;
    if (accept) {
      errs[2] = errs[1]!;
      errs[1] = errs[0];
    }
    h *= factor;
    if (accept) {
      xPrev = low;
      x = high;
      addNoise(x, noise, sigmaOf(s), sigmaOf(t), up * sNoise);
      s = t;
      run.step(x, sigmaOf(s));
    }
  }
  if (toZero) {
    x = (await run.denoise(x, sigmaMin)).clone();
    run.step(x, 0);
  }
  return run.result(x);
}
