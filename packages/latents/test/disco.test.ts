import { PhiloxRng, ShapeError, Tensor, ValueError } from '@phys/tensor';
import { edmKernel, edmSchedule, pfgmppKernel } from '@phys/kernels';
import { edmStochasticSample, eulerSample, heunSample, restartSample } from '@phys/samplers';
import { Latents, TabularPrior, discoSample, latentGuidance, switchLatents, switchSigma, type LatentDenoiser } from '../src/index.js';
import { chiSquareTest } from '../../../test-support/chi2.js';
import { MODES, SPACE, WEIGHTS, mixtureDenoiser, nearestMode, type CallLog } from './mixture.js';

const prior = TabularPrior.fromProbabilities(SPACE, [WEIGHTS]);

describe('latentGuidance', () => {
  it('is D(z) + w (D(z) - D(null)) in one call of 2B rows; w = 0 is the conditional model', async () => {
    const log: CallLog[] = [];
    const base = mixtureDenoiser(log);
    const x = Tensor.from([0.5, 0.4, -1, 2, 0, 0], [3, 2], 'float64');
    const sigma = Float64Array.from([2, 2, 0.7]);
    const z = Latents.from(SPACE, [[0], [3], [1]]);
    const cond = await base(x, sigma, z);
    const uncond = await base(x, sigma, Latents.null(SPACE, 3));
    for (const w of [1, 2, 0.5]) {
      log.length = 0;
      const got = await latentGuidance(base, w)(x, sigma, z);
      expect(log).toHaveLength(1);
      expect(log[0]!.rows).toBe(6);
      expect(log[0]!.z).toEqual([0, 3, 1, 4, 4, 4]);
      for (let j = 0; j < 6; j++) expect(got.data[j]).toBeCloseTo((1 + w) * cond.data[j]! - w * uncond.data[j]!, 12);
    }
    expect(latentGuidance(base, 0)).toBe(base);
    expect(() => latentGuidance(base, NaN)).toThrow(ValueError);
    await expect(latentGuidance(base, 1)(x, sigma, Latents.from(SPACE, [[0]]))).rejects.toThrow(ShapeError);
    await expect(latentGuidance(base, 1)(x, sigma, undefined)).rejects.toThrow(/Latents batch/);
  });
});

describe('switchLatents (thesis Fig. 4.7b)', () => {
  it('uses the sampler latents above the switch level and the new ones at or below it', async () => {
    const log: CallLog[] = [];
    const sigmas = edmSchedule({ steps: 10 });
    const sw = switchSigma(sigmas, 0.6);
    expect(sw).toBe(sigmas[6]);
    const d = switchLatents(mixtureDenoiser(log), { after: Latents.from(SPACE, [[2], [2]]), sigmaSwitch: sw });
    const x0 = edmKernel().prior([2, 2], sigmas[0]!, new PhiloxRng(1), 'float64');
    const res = await heunSample(d, x0, sigmas, { cond: Latents.from(SPACE, [[0], [1]]) });
    expect(log).toHaveLength(19);
    for (const c of log) expect(c.z).toEqual(c.sigma > sw ? [0, 1] : [2, 2]);
    expect(log.filter((c) => c.sigma > sw)).toHaveLength(11); // steps 0-5: 2 calls each, minus the corrector at t_6
    // With exact Gaussian conditionals the ODE maps any state to the mode z names, so a switch at
    // sigma >> MODE_STD still moves the samples; only a switch at the last step leaves them.
    expect(Array.from(nearestMode(res.x))).toEqual([2, 2]);
    const late = switchLatents(mixtureDenoiser(), { after: Latents.from(SPACE, [[2], [2]]), sigmaSwitch: switchSigma(sigmas, 0.9) });
    const kept = await heunSample(late, x0, sigmas, { cond: Latents.from(SPACE, [[0], [1]]) });
    expect(Array.from(nearestMode(kept.x))).toEqual([0, 1]);
    expect(switchSigma(sigmas, 0)).toBe(Infinity);
    expect(switchSigma(sigmas, 1)).toBe(0);
    expect(() => switchSigma(sigmas, 1.5)).toThrow(ValueError);
  });

  it('switching at the start follows the new latents entirely', async () => {
    const sigmas = edmSchedule({ steps: 12 });
    const d = switchLatents(mixtureDenoiser(), { after: Latents.from(SPACE, [[2], [3]]), sigmaSwitch: switchSigma(sigmas, 0) });
    const x0 = edmKernel().prior([2, 2], sigmas[0]!, new PhiloxRng(2), 'float64');
    const res = await heunSample(d, x0, sigmas, { cond: Latents.from(SPACE, [[0], [1]]) });
    expect(Array.from(nearestMode(res.x))).toEqual([2, 3]);
  });
});

describe('discoSample (thesis Alg. 7)', () => {
  const n = 2000;
  const sigmas = edmSchedule({ steps: 18 });

  function check(x: Tensor, z: Latents, tol = 0.01): void {
    const n = x.rows;
    const near = nearestMode(x);
    let agree = 0;
    for (let r = 0; r < n; r++) if (near[r] === z.indices[r]) agree++;
    // Each sample lands in the mode its latent names (the conditional ODE is nearly straight).
    expect(agree / n).toBeGreaterThan(1 - tol);
    // The latents follow the prior (chi-square, fixed seed).
    const counts = [0, 0, 0, 0];
    for (const v of z.indices) counts[v]!++;
    expect(chiSquareTest(counts, WEIGHTS).p).toBeGreaterThan(1e-3);
  }

  it('Heun: latents from the prior, then the conditional ODE', async () => {
    const x0 = edmKernel().prior([n, 2], sigmas[0]!, new PhiloxRng(10));
    const res = await discoSample(mixtureDenoiser(), (d, o) => heunSample(d, x0, sigmas, o), { prior, rows: n, rng: new PhiloxRng(11) });
    expect(res.nfe).toBe(35);
    check(res.x, res.z);
  });

  it('Restart with a PFGM++ kernel (DisCo-PFGM++)', async () => {
    // 'compact' forward draws: the reference draws N + 2D normals per row and jump (slow under jest).
    const kernel = pfgmppKernel({ D: 128, forwardDraws: 'compact' });
    const rows = 1000;
    const rngX = new PhiloxRng(20);
    const x0 = kernel.prior([rows, 2], sigmas[0]!, rngX);
    const restart = await discoSample(
      mixtureDenoiser(),
      (d, o) => restartSample(d, x0, sigmas, { ...o, kernel, rng: rngX, levels: { 0: [3, 2, 0.06, 0.3] } }),
      { prior, rows, rng: new PhiloxRng(21) },
    );
    expect(restart.nfe).toBeGreaterThan(35);
    check(restart.x, restart.z);
  });

  it('EDM-SDE churn, and Euler with latent guidance', async () => {
    const rngS = new PhiloxRng(30);
    const x1 = edmKernel().prior([n, 2], sigmas[0]!, rngS);
    const sde = await discoSample(mixtureDenoiser(), (d, o) => edmStochasticSample(d, x1, sigmas, { ...o, rng: rngS, sChurn: 20 }), {
      prior,
      rows: n,
      rng: new PhiloxRng(31),
    });
    check(sde.x, sde.z);

    const log: CallLog[] = [];
    const euler = await discoSample(mixtureDenoiser(log), (d, o) => eulerSample(d, x1, edmSchedule({ steps: 40 }), o), {
      prior,
      rows: n,
      rng: new PhiloxRng(41),
      guidance: 1,
    });
    expect(log[0]!.rows).toBe(2 * n);
    check(euler.x, euler.z, 0.02);
  });

  it('given latents (oracle), temperature and top-k reach the prior; bad options throw', async () => {
    const x0 = edmKernel().prior([4, 2], sigmas[0]!, new PhiloxRng(5));
    const z = Latents.from(SPACE, [[3], [2], [1], [0]]);
    const res = await discoSample(mixtureDenoiser(), (d, o) => heunSample(d, x0, sigmas, o), { rows: 4, z });
    expect(res.z).toBe(z);
    expect(Array.from(nearestMode(res.x))).toEqual([3, 2, 1, 0]);
    const greedy = await discoSample(mixtureDenoiser(), (d, o) => heunSample(d, x0, sigmas, o), { rows: 4, prior, rng: new PhiloxRng(1), temperature: 0 });
    expect(Array.from(greedy.z.indices)).toEqual([3, 3, 3, 3]);
    const sampler = (d: LatentDenoiser, o: { cond: Latents }) => heunSample(d, x0, sigmas, o);
    await expect(discoSample(mixtureDenoiser(), sampler, { rows: 4 })).rejects.toThrow(/AutoregressivePrior/);
    await expect(discoSample(mixtureDenoiser(), sampler, { rows: 4, prior })).rejects.toThrow(/rng/);
    await expect(discoSample(mixtureDenoiser(), sampler, { rows: 3, z })).rejects.toThrow(ShapeError);
    // Null latents run the unconditional model: samples land on the modes, not between them.
    const uncond = await discoSample(mixtureDenoiser(), sampler, { rows: 4, z: Latents.null(SPACE, 4), prior });
    for (let r = 0; r < 4; r++) {
      const j = nearestMode(uncond.x)[r]!;
      expect(Math.hypot(uncond.x.data[2 * r]! - MODES[j]![0], uncond.x.data[2 * r + 1]! - MODES[j]![1])).toBeLessThan(1);
    }
  });
});
