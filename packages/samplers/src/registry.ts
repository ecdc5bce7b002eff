// Every sampler that runs on an explicit sigma schedule, by name, with what `phys sample
// --list-samplers` prints: nominal order, deterministic or stochastic, NFE per step.
import type { Denoiser, Tensor } from '@phys/tensor';
import { eulerAncestralSample } from './ancestral.js';
import { edmAblationSample } from './edm-ablation.js';
import { dpm2AncestralSample, dpm2Sample } from './dpm2.js';
import { dpmSolverAdaptiveSample, dpmSolverFastSample } from './dpm-solver-fast.js';
import { dpmSolverSample } from './dpm-solver.js';
import { dpmpp2sAncestralSample } from './dpmpp-2s-ancestral.js';
import { dpmpp2mSdeSample, dpmpp3mSdeSample, dpmppSdeSample } from './dpmpp-sde.js';
import { lmsSample } from './lms.js';
import type { NoiseOptions } from './noise.js';
import { eulerSample, heunSample } from './ode.js';
import type { SampleResult, SamplerOptions } from './types.js';
import { unipcSample } from './unipc.js';

/** Options a registry sampler receives: the common ones plus the noise of the stochastic ones. */
export interface RegistryOptions<C = unknown> extends SamplerOptions<C>, NoiseOptions {}

/** One named sampler with the common signature `(denoiser, x, sigmas, options)`. */
export interface SamplerEntry {
  readonly name: string;
  /** Nominal order of the method (of its deterministic part for the stochastic ones). */
  readonly order: number;
  /** Whether it draws noise (needs `rng` or `noise`). */
  readonly stochastic: boolean;
  /** Denoiser evaluations per step (`'adaptive'` for error-controlled steps). */
  readonly nfePerStep: number | 'adaptive';
  /** Which reference it reproduces. */
  readonly reference: string;
  /** NFE on a schedule of `steps` steps ending in 0 (an estimate for adaptive samplers). */
  nfe(steps: number): number;
  sample<C>(denoiser: Denoiser<C>, x: Tensor, sigmas: ArrayLike<number>, options: RegistryOptions<C>): Promise<SampleResult>;
}

const per = (k: number) => (steps: number): number => k * steps;
const lastCheaper = (k: number) => (steps: number): number => k * steps - (k - 1);

/** The registry, in the order `--list-samplers` prints it. */
export const samplerRegistry: readonly SamplerEntry[] = [
  { name: 'euler', order: 1, stochastic: false, nfePerStep: 1, reference: 'k-diffusion sample_euler', nfe: per(1), sample: (d, x, s, o) => eulerSample(d, x, s, o) },
  { name: 'heun', order: 2, stochastic: false, nfePerStep: 2, reference: 'EDM Alg. 1 / k-diffusion sample_heun', nfe: lastCheaper(2), sample: (d, x, s, o) => heunSample(d, x, s, o) },
  { name: 'edm-vp', order: 2, stochastic: false, nfePerStep: 2, reference: 'NVlabs/edm ablation_sampler, VP sigma(t) and scaling s(t)', nfe: lastCheaper(2), sample: (d, x, s, o) => edmAblationSample(d, x, s, { ...o, schedule: 'vp', scaling: 'vp' }) },
  { name: 'edm-ve', order: 2, stochastic: false, nfePerStep: 2, reference: 'NVlabs/edm ablation_sampler, VE sigma(t) = sqrt(t)', nfe: lastCheaper(2), sample: (d, x, s, o) => edmAblationSample(d, x, s, { ...o, schedule: 've' }) },
  { name: 'dpm2', order: 2, stochastic: false, nfePerStep: 2, reference: 'k-diffusion sample_dpm_2', nfe: lastCheaper(2), sample: (d, x, s, o) => dpm2Sample(d, x, s, o) },
  { name: 'lms', order: 4, stochastic: false, nfePerStep: 1, reference: 'k-diffusion sample_lms (order 4)', nfe: per(1), sample: (d, x, s, o) => lmsSample(d, x, s, o) },
  { name: 'dpm-fast', order: 3, stochastic: false, nfePerStep: 1, reference: 'k-diffusion sample_dpm_fast (+ final denoise)', nfe: per(1), sample: (d, x, s, o) => dpmSolverFastSample(d, x, s, o) },
  { name: 'dpm-adaptive', order: 3, stochastic: false, nfePerStep: 'adaptive', reference: 'k-diffusion sample_dpm_adaptive (+ final denoise)', nfe: per(3), sample: (d, x, s, o) => dpmSolverAdaptiveSample(d, x, s, o) },
  { name: 'dpmpp-2m', order: 2, stochastic: false, nfePerStep: 1, reference: 'dpm_solver_pytorch multistep order 2', nfe: per(1), sample: (d, x, s, o) => dpmSolverSample(d, x, s, { ...o, order: 2 }) },
  { name: 'dpmpp-3m', order: 3, stochastic: false, nfePerStep: 1, reference: 'dpm_solver_pytorch multistep order 3', nfe: per(1), sample: (d, x, s, o) => dpmSolverSample(d, x, s, { ...o, order: 3 }) },
  { name: 'dpmpp-2m-k', order: 2, stochastic: false, nfePerStep: 1, reference: 'k-diffusion sample_dpmpp_2m', nfe: per(1), sample: (d, x, s, o) => dpmSolverSample(d, x, s, { ...o, order: 2, variant: 'k-diffusion' }) },
  { name: 'dpmpp-3m-k', order: 3, stochastic: false, nfePerStep: 1, reference: 'k-diffusion sample_dpmpp_3m_sde(eta=0)', nfe: per(1), sample: (d, x, s, o) => dpmSolverSample(d, x, s, { ...o, order: 3, variant: 'k-diffusion' }) },
  { name: 'dpmpp-3m-doubled', order: 3, stochastic: false, nfePerStep: 1, reference: 'none (opt-in doubled D2 weight)', nfe: per(1), sample: (d, x, s, o) => dpmSolverSample(d, x, s, { ...o, order: 3, doubledSecondDifference: true }) },
  { name: 'dpm-solver-2', order: 2, stochastic: false, nfePerStep: 2, reference: 'Restart generate_dpm_solver.py (singlestep)', nfe: lastCheaper(2), sample: (d, x, s, o) => dpmSolverSample(d, x, s, { ...o, method: 'singlestep', order: 2 }) },
  { name: 'dpm-solver-3', order: 3, stochastic: false, nfePerStep: 3, reference: 'Restart generate_dpm_solver.py (singlestep)', nfe: (n) => 3 * n - 3, sample: (d, x, s, o) => dpmSolverSample(d, x, s, { ...o, method: 'singlestep', order: 3 }) },
  { name: 'unipc-bh1', order: 2, stochastic: false, nfePerStep: 1, reference: 'UniPC uni_pc.py multistep, bh1, order 2', nfe: per(1), sample: (d, x, s, o) => unipcSample(d, x, s, { ...o, variant: 'bh1' }) },
  { name: 'unipc-bh2', order: 2, stochastic: false, nfePerStep: 1, reference: 'UniPC uni_pc.py multistep, bh2, order 2', nfe: per(1), sample: (d, x, s, o) => unipcSample(d, x, s, { ...o, variant: 'bh2' }) },
  { name: 'unipc-3-bh2', order: 3, stochastic: false, nfePerStep: 1, reference: 'UniPC uni_pc.py multistep, bh2, order 3', nfe: per(1), sample: (d, x, s, o) => unipcSample(d, x, s, { ...o, variant: 'bh2', order: 3 }) },
  { name: 'euler-ancestral', order: 1, stochastic: true, nfePerStep: 1, reference: 'k-diffusion sample_euler_ancestral', nfe: per(1), sample: (d, x, s, o) => eulerAncestralSample(d, x, s, o) },
  { name: 'dpm2-ancestral', order: 2, stochastic: true, nfePerStep: 2, reference: 'k-diffusion sample_dpm_2_ancestral', nfe: lastCheaper(2), sample: (d, x, s, o) => dpm2AncestralSample(d, x, s, o) },
  { name: 'dpmpp-2s-ancestral', order: 2, stochastic: true, nfePerStep: 2, reference: 'k-diffusion sample_dpmpp_2s_ancestral', nfe: lastCheaper(2), sample: (d, x, s, o) => dpmpp2sAncestralSample(d, x, s, o) },
  { name: 'dpmpp-sde', order: 2, stochastic: true, nfePerStep: 2, reference: 'k-diffusion sample_dpmpp_sde', nfe: lastCheaper(2), sample: (d, x, s, o) => dpmppSdeSample(d, x, s, o) },
  { name: 'dpmpp-2m-sde', order: 2, stochastic: true, nfePerStep: 1, reference: 'k-diffusion sample_dpmpp_2m_sde (midpoint)', nfe: per(1), sample: (d, x, s, o) => dpmpp2mSdeSample(d, x, s, o) },
  { name: 'dpmpp-2m-sde-heun', order: 2, stochastic: true, nfePerStep: 1, reference: 'k-diffusion sample_dpmpp_2m_sde (heun)', nfe: per(1), sample: (d, x, s, o) => dpmpp2mSdeSample(d, x, s, { ...o, solverType: 'heun' }) },
  { name: 'dpmpp-3m-sde', order: 3, stochastic: true, nfePerStep: 1, reference: 'k-diffusion sample_dpmpp_3m_sde', nfe: per(1), sample: (d, x, s, o) => dpmpp3mSdeSample(d, x, s, o) },
];

/** The registry entry called `name`, or undefined. */
export function findSampler(name: string): SamplerEntry | undefined {
  return samplerRegistry.find((e) => e.name === name);
}

/** What `describeSamplers` prints of a sampler (a registry entry, or a caller's own sampler). */
export type SamplerDescription = Pick<SamplerEntry, 'name' | 'reference' | 'stochastic'> & {
  readonly order: number | string;
  readonly nfePerStep: number | string;
};

/**
 * One aligned line per sampler (default: the registry): name, nominal order, deterministic or
 * stochastic, NFE per step, reference.
 */
export function describeSamplers(entries: readonly SamplerDescription[] = samplerRegistry): string[] {
  const w = Math.max(...entries.map((e) => e.name.length));
  return entries.map(
    (e) => `${e.name.padEnd(w)}  order ${String(e.order).padEnd(3)}  ${e.stochastic ? 'stochastic   ' : 'deterministic'}  NFE/step ${String(e.nfePerStep).padEnd(8)}  ${e.reference}`,
  );
}
