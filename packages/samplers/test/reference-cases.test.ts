// Agreement with the reference implementations themselves (k-diffusion sampling.py,
// dpm_solver_pytorch.py, uni_pc.py), run by tools/samplers/make_cases.py in float64 on the exact
// 2-D mixture denoiser with recorded noise: |x - x_ref| <= 1e-10 (1 + |x_ref|) and the same NFE.
import { readFileSync } from 'node:fs';
import { ReplayRandom, Tensor, ValueError, type DType } from '@phys/tensor';
import { edmSchedule, iddpmSchedule, veSchedule, vpSchedule } from '@phys/kernels';
import {
  dpm2AncestralSample, dpm2Sample, dpmSolverAdaptiveSample, dpmSolverFastSample, dpmSolverSample, dpmpp2mSdeSample,
  dpmpp2sAncestralSample, dpmpp3mSdeSample, dpmppSdeSample, edmAblationSample, edmStochasticSample, eulerAncestralSample, eulerSample,
  lmsSample, unipcSample, type NoiseSource, type SampleResult,
} from '../src/index.js';
import { mixtureDenoiser } from './mixture.js';

interface Draw { sigma: number | null; sigma_next: number | null; noise: number[] }
/** The reference call's keyword arguments (only those the cases use). */
interface CaseOptions {
  s_churn?: number; s_tmin?: number; s_tmax?: number; s_noise?: number; eta?: number; r?: number; n?: number;
  order?: number; solver_type?: 'midpoint' | 'heun' | 'dpmsolver' | 'taylor'; variant?: 'bh1' | 'bh2'; lower_order_final?: boolean;
  discretization?: 'vp' | 've' | 'iddpm' | 'edm'; schedule?: 'vp' | 've' | 'linear'; scaling?: 'vp' | 'none'; solver?: 'euler' | 'heun';
  alpha?: number; S_churn?: number; S_min?: number; S_max?: number; S_noise?: number;
}
interface Case { name: string; sampler: string; options: CaseOptions; sigmas: number[]; x0: number[]; latents: number[]; shape: number[]; noise: Draw[]; nfe: number; x: number[] }

const doc = JSON.parse(readFileSync(new URL('./data/reference-cases.json', import.meta.url), 'utf8')) as { cases: Case[] };

/**
 * Replays the reference's noise_sampler draws: each call takes the next recorded draw made for the
 * same (sigma, sigma_next), skipping draws the reference made but multiplied by 0 (phys does not draw those).
 */
function replayNoise(draws: Draw[]): NoiseSource & { used: number; skipped: number } {
  let pos = 0;
  const src = {
    used: 0,
    skipped: 0,
    draw(sigma: number, sigmaNext: number, shape: readonly number[], dtype: DType): Tensor {
      const near = (a: number | null, b: number): boolean => a !== null && Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b));
      while (pos < draws.length && !(near(draws[pos]!.sigma, sigma) && near(draws[pos]!.sigma_next, sigmaNext))) {
        pos++;
        src.skipped++;
      }
      if (pos >= draws.length) throw new ValueError('replay', [sigma, sigmaNext], 'a recorded draw for this step');
      src.used++;
      return Tensor.from(draws[pos++]!.noise, shape, dtype);
    },
  };
  return src;
}

/** EDM's ablation sampler: the discretization's schedule (generate.py's default ranges), x_T = latents * sigma_0. */
function runAblation(c: Case): Promise<SampleResult> {
  const o = c.options;
  const sigmas = { vp: () => vpSchedule({ steps: 8 }), ve: () => veSchedule({ steps: 8 }), iddpm: () => iddpmSchedule({ steps: 8 }), edm: () => edmSchedule({ steps: 8 }) }[o.discretization!]();
  const x0 = Tensor.from(c.latents.map((v) => v * sigmas[0]!), c.shape, 'float64');
  const rng = new ReplayRandom({ normal: c.noise.map((n) => n.noise) });
  return edmAblationSample(mixtureDenoiser(), x0, sigmas, {
    solver: o.solver ?? 'heun', schedule: o.schedule!, scaling: o.scaling!, alpha: o.alpha ?? 1, sChurn: o.S_churn ?? 0, sMin: o.S_min ?? 0, sMax: o.S_max ?? Infinity,
    sNoise: o.S_noise ?? 1, rng, noiseEveryStep: true, ...(o.discretization === 'iddpm' ? { vpRange: [0.002, 81] as const } : {}),
  });
}

async function runCase(c: Case): Promise<SampleResult> {
  if (c.sampler === 'edm_ablation') return runAblation(c);
  const d = mixtureDenoiser();
  const x0 = Tensor.from(c.x0, c.shape, 'float64');
  const o = c.options;
  const noise = replayNoise(c.noise);
  const churn = { sChurn: o.s_churn, sMin: o.s_tmin, sMax: o.s_tmax, sNoise: o.s_noise, noiseEveryStep: true, rng: new ReplayRandom({ normal: c.noise.map((n) => n.noise) }) };
  const anc = { eta: o.eta, sNoise: o.s_noise, noise };
  switch (c.sampler) {
    case 'sample_euler': return eulerSample(d, x0, c.sigmas, o.s_churn ? churn : {});
    case 'sample_heun': return edmStochasticSample(d, x0, c.sigmas, churn);
    case 'sample_dpm_2': return dpm2Sample(d, x0, c.sigmas, o.s_churn ? churn : {});
    case 'sample_euler_ancestral': return eulerAncestralSample(d, x0, c.sigmas, anc);
    case 'sample_dpm_2_ancestral': return dpm2AncestralSample(d, x0, c.sigmas, anc);
    case 'sample_lms': return lmsSample(d, x0, c.sigmas, { order: o.order! });
    case 'sample_dpmpp_2s_ancestral': return dpmpp2sAncestralSample(d, x0, c.sigmas, anc);
    case 'sample_dpmpp_sde': return dpmppSdeSample(d, x0, c.sigmas, { ...anc, r: o.r });
    case 'sample_dpmpp_2m': return dpmSolverSample(d, x0, c.sigmas, { order: 2, variant: 'k-diffusion' });
    case 'sample_dpmpp_2m_sde': return dpmpp2mSdeSample(d, x0, c.sigmas, { ...anc, solverType: o.solver_type as 'midpoint' | 'heun' });
    case 'sample_dpmpp_3m_sde': return dpmpp3mSdeSample(d, x0, c.sigmas, anc);
    case 'sample_dpm_fast': return dpmSolverFastSample(d, x0, c.sigmas.slice(0, -1), { eta: o.eta, nfe: o.n, noise });
    case 'sample_dpm_adaptive': return dpmSolverAdaptiveSample(d, x0, [80, 0.002], { order: o.order as 2 | 3, eta: o.eta ?? 0, noise });
    case 'dpm_solver_multistep': return dpmSolverSample(d, x0, c.sigmas, { order: o.order as 2 | 3, lowerOrderFinal: o.lower_order_final!, solverType: o.solver_type as 'dpmsolver' | 'taylor' | undefined });
    case 'unipc': return unipcSample(d, x0, c.sigmas, { order: o.order!, variant: o.variant!, lowerOrderFinal: o.lower_order_final! });
    default: throw new Error(`no phys sampler for ${c.sampler}`);
  }
}

describe('reference cases (tools/samplers/make_cases.py, float64): |x - x_ref| <= 1e-10 (1 + |x_ref|)', () => {
  it.each(doc.cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const r = await runCase(c);
    expect(r.nfe).toBe(c.nfe);
    let worst = 0;
    r.x.data.forEach((v, i) => { worst = Math.max(worst, Math.abs(v - c.x[i]!) / (1 + Math.abs(c.x[i]!))); });
    expect(worst).toBeLessThanOrEqual(1e-10);
  });

  it('k-diffusion 3M SDE with eta = 0 is the k-diffusion variant of DPM-Solver++(3M)', async () => {
    const c = doc.cases.find((k) => k.name === 'dpmpp_3m_sde eta 0 karras12')!;
    const r = await dpmSolverSample(mixtureDenoiser(), Tensor.from(c.x0, c.shape, 'float64'), c.sigmas, { order: 3, variant: 'k-diffusion' });
    r.x.data.forEach((v, i) => { expect(Math.abs(v - c.x[i]!)).toBeLessThanOrEqual(1e-10 * (1 + Math.abs(c.x[i]!))); });
  });
});
