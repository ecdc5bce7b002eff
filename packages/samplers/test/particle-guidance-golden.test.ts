// Particle guidance against test-support/golden/particle_guidance.json (gcorso/particle-guidance):
// the Stable Diffusion pipeline's guidance blocks (per-particle median bandwidth, pixel and SVGD
// branches; float32 reference, rtol 1e-4 / atol 1e-4) and the 2-D notebook's particle reverse
// diffusion with every recorded draw replayed (rtol 1e-9 / atol 1e-12). All float64.
import { ReplayRandom, Tensor, type Denoiser } from '@phys/tensor';
import { GaussianMixture } from '@phys/fields';
import { expectClose, flat, loadGolden } from '../../../test-support/golden.js';
import { particleGuidance, predictorCorrectorSample, rbfKernel, rbfRepulsion, referenceScale, svgdGuidance, withParticleGuidance } from '../src/index.js';

interface PipelineRow {
  n: number;
  shape: number[];
  sigma: number;
  coeff: number;
  guidance_scale: number;
  latents: unknown;
  noise_pred_text: unknown;
  noise_pred_uncond: unknown;
  h_t_pixel: number[];
  grad_phi_pixel: unknown;
  grad_phi_svgd: unknown;
}

interface SyntheticRow {
  fn: string;
  N_particles: number;
  steps: number;
  max_sigma2: number;
  data_sigma2: number;
  kwargs: { svgd_score_weight: number; svgd_repulsive_weight: number; noise_weight: number };
  centers: number[][];
  standard_normal_draws_in_order: number[][][];
  t_schedule: number[];
  samples_per_step: number[][][];
}

const golden = loadGolden<{ pipeline: { rows: PipelineRow[] }; synthetic: { rows: SyntheticRow[] } }>('particle_guidance.json');
const PIPE = [1e-4, 1e-4] as const;
const SYN = [1e-9, 1e-12] as const;

/** The pipeline's denoiser in EDM coordinates: D = x - sigma eps_cfg, eps_cfg = eps_c + w (eps_c - eps_u). */
function cfgDenoiser(row: PipelineRow): { x: Tensor; eps: Float64Array; denoiser: Denoiser } {
  const x = Tensor.from(flat(row.latents), row.shape, 'float64');
  const text = flat(row.noise_pred_text);
  const uncond = flat(row.noise_pred_uncond);
  const eps = Float64Array.from(text, (t, k) => t + row.guidance_scale * (t - uncond[k]!));
  const denoiser: Denoiser = (xin, sigma) => {
    const out = Tensor.zeros(xin.shape, 'float64');
    for (let k = 0; k < out.size; k++) out.data[k] = xin.data[k]! - sigma[Math.floor(k / xin.rowSize)]! * eps[k]!;
    return Promise.resolve(out);
  };
  return { x, eps, denoiser };
}

/** (D' - D)/sigma: the guidance in the reference's predicted-noise units (eps' = eps - this). */
async function noiseUnits(denoiser: Denoiser, guided: Denoiser, x: Tensor, sigma: number): Promise<Float64Array> {
  const s = new Float64Array(x.rows).fill(sigma);
  const d = await denoiser(x, s);
  const dg = await guided(x, s);
  return Float64Array.from(dg.data, (v, k) => (v - d.data[k]!) / sigma);
}

describe('Stable Diffusion pipeline guidance blocks (golden pipeline rows)', () => {
  test.each(golden.pipeline.rows.map((r, i) => [i, r] as const))('row %i: per-particle median bandwidth h_i = median_j |x_i - x_j|^2 / log(n - 1)', (_i, row) => {
    const { x } = cfgDenoiser(row);
    const { bandwidth } = rbfRepulsion(x, row.sigma);
    expectClose(bandwidth, row.h_t_pixel, ...PIPE, 'h_t');
  });

  test.each(golden.pipeline.rows.map((r, i) => [i, r] as const))('row %i: pixel guidance grad_phi = sigma coeff sum_j 2 w_ij (x_i - x_j)/h_i, gated below sigma = 1', async (_i, row) => {
    const { x, eps, denoiser } = cfgDenoiser(row);
    const guided = withParticleGuidance(denoiser, particleGuidance({ scale: referenceScale(row.coeff) }));
    const gradPhi = await noiseUnits(denoiser, guided, x, row.sigma);
    expectClose(gradPhi, flat(row.grad_phi_pixel), ...PIPE, 'grad_phi_pixel');
    // The noise the DDIM step uses: eps' = eps_cfg - grad_phi, read back from D' = x - sigma eps'.
    const dg = await guided(x, new Float64Array(row.n).fill(row.sigma));
    const used = Float64Array.from(dg.data, (v, k) => (x.data[k]! - v) / row.sigma);
    const expected = flat(row.grad_phi_pixel).map((g, k) => eps[k]! - g);
    expectClose(used, expected, ...PIPE, 'eps_used');
  });

  test.each(golden.pipeline.rows.map((r, i) => [i, r] as const))('row %i: SVGD branch phi_i = sum_j w_ij s_j + sum_j 2 w_ij (x_i - x_j)/h_i (diagonal kept, log n)', async (_i, row) => {
    const { x, denoiser } = cfgDenoiser(row);
    const guided = withParticleGuidance(denoiser, svgdGuidance({ scale: referenceScale(row.coeff, { variant: 'svgd' }) }));
    const gradPhi = await noiseUnits(denoiser, guided, x, row.sigma);
    expectClose(gradPhi, flat(row.grad_phi_svgd), ...PIPE, 'grad_phi_svgd');
  });

  test('the golden rows include a gated one (sigma < 1) and it is exactly zero', () => {
    const gated = golden.pipeline.rows.filter((r) => r.sigma < 1);
    expect(gated.length).toBeGreaterThan(0);
    for (const r of gated) expect(flat(r.grad_phi_pixel).every((v) => v === 0)).toBe(true);
  });
});

/** The notebook's mixture: equal-weight isotropic Gaussians at `centers` with variance `data_sigma2`; exact denoiser. */
function notebookMixture(row: SyntheticRow): Denoiser {
  return new GaussianMixture(row.centers.map((c) => ({ mean: c, covariance: row.data_sigma2 }))).denoiser();
}

/**
 * The notebook's particle reverse diffusion, driven by our guided denoiser: from var = t[i-1] to
 * t[i-2] (0 at the end), x += dvar (score + g) + noise_weight sqrt(dvar) z, where score + g is read
 * from D' = D + sigma^2 g as (D' - x)/sigma^2 with sigma = sqrt(var).
 */
async function replayEuclidean(row: SyntheticRow, guided: Denoiser): Promise<Float64Array[]> {
  const { N_particles: n, steps, t_schedule: t, kwargs } = row;
  expect(kwargs.svgd_score_weight).toBe(1); // the score enters through D' with weight 1
  const draws = row.standard_normal_draws_in_order;
  const rng = new ReplayRandom({ normal: draws.map((d) => flat(d)) });
  const x = rng.normal([n, 2], 'float64');
  for (let k = 0; k < x.size; k++) x.data[k]! *= Math.sqrt(row.max_sigma2);
  const out = [Float64Array.from(x.data)];
  for (let i = steps; i >= 1; i--) {
    const v = t[i - 1]!;
    const dv = i > 1 ? t[i - 1]! - t[i - 2]! : t[i - 1]!;
    const d = await guided(x, new Float64Array(n).fill(Math.sqrt(v)));
    const z = rng.normal([n, 2], 'float64');
    for (let k = 0; k < x.size; k++) x.data[k]! += dv * ((d.data[k]! - x.data[k]!) / v) + kwargs.noise_weight * Math.sqrt(dv) * z.data[k]!;
    out.push(Float64Array.from(x.data));
  }
  expect(rng.remaining('normal')).toBe(0);
  return out;
}

/** Euclidean rows: h = sqrt(var) = sigma, rep = sum_j 2/h (x_i - x_j) k_ij / N times the repulsive weight. */
function notebookGuidance(row: SyntheticRow): Denoiser {
  const kernel = rbfKernel({ bandwidth: (sigma) => sigma });
  return withParticleGuidance(notebookMixture(row), particleGuidance({ kernel, scale: row.kwargs.svgd_repulsive_weight / row.N_particles }));
}

describe('2-D notebook particle reverse diffusion (golden synthetic rows, all draws replayed)', () => {
  const euclid = golden.synthetic.rows.filter((r) => r.fn === 'particle_reverse_diffusion');
  const radial = golden.synthetic.rows.filter((r) => r.fn === 'radial_particle_reverse_diffusion');

  test('the file holds Euclidean rows with and without noise and a radial row', () => {
    expect(euclid.map((r) => r.kwargs.noise_weight).sort()).toEqual([0, 1]);
    expect(radial.length).toBe(1);
  });

  test.each(euclid.map((r) => [r.kwargs.noise_weight, r] as const))('Euclidean RBF kernel, noise weight %d: every step', async (_nw, row) => {
    const states = await replayEuclidean(row, notebookGuidance(row));
    states.forEach((s, k) => { expectClose(s, flat(row.samples_per_step[k]), ...SYN, `samples_per_step[${k}]`); });
  });

  test('the same run through predictorCorrectorSample (reverse-diffusion predictor, no corrector) with the guided denoiser', async () => {
    const row = euclid.find((r) => r.kwargs.noise_weight === 1)!;
    const n = row.N_particles;
    const draws = row.standard_normal_draws_in_order.map((d) => flat(d));
    const x0 = Tensor.from(draws[0]!.map((v) => v * Math.sqrt(row.max_sigma2)), [n, 2], 'float64');
    const sigmas = [...row.t_schedule].reverse().map(Math.sqrt).concat(0);
    const rng = new ReplayRandom({ normal: draws.slice(1) });
    const res = await predictorCorrectorSample(notebookGuidance(row), x0, sigmas, { rng, correctorSteps: 0, trajectory: true });
    expect(res.nfe).toBe(row.steps);
    for (let k = 1; k < row.steps; k++) expectClose(res.trajectory![k]!.data, flat(row.samples_per_step[k]), ...SYN, `step ${k}`);
    // Our last step to sigma = 0 is the noise-free x = D'(x); the notebook adds sqrt(t_0) z there.
    const last = rng.normal([n, 2], 'float64');
    const final = Float64Array.from(res.x.data, (v, k) => v + Math.sqrt(row.t_schedule[0]!) * last.data[k]!);
    expectClose(final, flat(row.samples_per_step[row.steps]), ...SYN, 'final step');
  });

  test('radial kernel: RBF on the angle with period 2 pi (h = pi sqrt(var)), applied as a rotation like the notebook', async () => {
    const row = radial[0]!;
    const { N_particles: n, steps, t_schedule: t, kwargs } = row;
    const mixture = notebookMixture(row);
    const rng = new ReplayRandom({ normal: row.standard_normal_draws_in_order.map((d) => flat(d)) });
    const x = rng.normal([n, 2], 'float64');
    for (let k = 0; k < x.size; k++) x.data[k]! *= Math.sqrt(row.max_sigma2);
    expectClose(x.data, flat(row.samples_per_step[0]), ...SYN, 'samples_per_step[0]');
    for (let i = steps; i >= 1; i--) {
      const v = t[i - 1]!;
      const dv = i > 1 ? t[i - 1]! - t[i - 2]! : t[i - 1]!;
      const d = await mixture(x, new Float64Array(n).fill(Math.sqrt(v)));
      const angle = Tensor.from(Array.from({ length: n }, (_, p) => Math.atan2(x.data[2 * p + 1]!, x.data[2 * p]!)), [n, 1], 'float64');
      const { repulsion } = rbfRepulsion(angle, Math.sqrt(v), { bandwidth: Math.PI * Math.sqrt(v), period: 2 * Math.PI });
      const z = rng.normal([n, 2], 'float64');
      for (let p = 0; p < n; p++) {
        const a = ((repulsion.data[p]! / n) * dv) * kwargs.svgd_repulsive_weight;
        const [x0, y0] = [x.data[2 * p]!, x.data[2 * p + 1]!];
        const score = [(d.data[2 * p]! - x0) / v, (d.data[2 * p + 1]! - y0) / v];
        const pert = [0, 1].map((c) => dv * kwargs.svgd_score_weight * score[c]! + kwargs.noise_weight * Math.sqrt(dv) * z.data[2 * p + c]!);
        x.data[2 * p] = Math.cos(a) * x0 - Math.sin(a) * y0 + pert[0]!;
        x.data[2 * p + 1] = Math.sin(a) * x0 + Math.cos(a) * y0 + pert[1]!;
      }
      expectClose(x.data, flat(row.samples_per_step[steps - i + 1]), ...SYN, `samples_per_step[${steps - i + 1}]`);
    }
    expect(rng.remaining('normal')).toBe(0);
  });
});
