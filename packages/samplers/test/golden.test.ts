// Golden paths from the reference implementations (test-support/golden, README tolerances), replayed
// on the exact posterior-mean denoiser over the 8-point fixture with float64 tensors.
import { ReplayRandom, Tensor } from '@phys/tensor';
import { edmKernel, edmSchedule, pfgmppKernel } from '@phys/kernels';
import { expectClose, flat, loadGolden } from '../../../test-support/golden.js';
import { edmStochasticSample, heunSample, restartNfe, restartSample, restartSchedule, snapRestartLevels, parseRestartConfig } from '../src/index.js';
import { exactDenoiser, recording } from './exact.js';

const edm = loadGolden('edm.json');
const pfgmpp = loadGolden('pfgmpp.json');
const restart = loadGolden('restart.json');
const ref: number[][] = loadGolden('stf.json').cases[0].ref_batch;

const tensor = (rows: number[][]): Tensor => Tensor.from(flat(rows), [rows.length, rows[0]!.length], 'float64');

describe('edm.json heun_ode (rtol 1e-9, atol 1e-12)', () => {
  for (const c of edm.heun_ode) {
    it(`N = ${c.num_steps}, sigma_min = ${c.sigma_min}`, async () => {
      const sigmas = edmSchedule({ steps: c.num_steps, sigmaMin: c.sigma_min, sigmaMax: c.sigma_max, rho: c.rho });
      const xT = tensor(c.x_T);
      expectClose(xT.data, flat(c.latents_unit).map((v) => v * sigmas[0]!), 1e-15, 0, 'x_T');
      const res = await heunSample(exactDenoiser(ref), xT, sigmas, { trajectory: true });
      expect(res.nfe).toBe(c.nfe);
      expect(res.trajectory).toHaveLength(Number(c.num_steps) + 1);
      c.trajectory.forEach((t: number[][], i: number) => {
        expectClose(res.trajectory![i + 1]!.data, flat(t), 1e-9, 1e-12, `trajectory[${i}]`);
      });
      expectClose(res.x.data, flat(c.x_final), 1e-9, 1e-12, 'x_final');
    });
  }
});

describe('edm.json churn_sde (rtol 1e-9, atol 1e-12)', () => {
  const c = edm.churn_sde;
  const sigmas = edmSchedule({ steps: c.num_steps, sigmaMin: c.sigma_min, sigmaMax: c.sigma_max, rho: c.rho });
  const opts = { sChurn: c.S_churn, sMin: c.S_min, sMax: c.S_max, sNoise: c.S_noise };

  it('replays the reference noise stream (one draw per step) exactly', async () => {
    const rec = recording(exactDenoiser(ref));
    const rng = new ReplayRandom({ normal: c.noise_per_step.map(flat) });
    const xT = Tensor.from(flat(c.latents_unit).map((v) => v * sigmas[0]!), [3, 4], 'float64');
    const res = await edmStochasticSample(rec.denoiser, xT, sigmas, { ...opts, rng, noiseEveryStep: true });
    expect(rng.remaining('normal')).toBe(0);
    expect(res.nfe).toBe(c.eval_sigmas.length);
    expectClose(rec.calls.map((k) => k.sigma), c.eval_sigmas, 1e-12, 0, 'eval_sigmas');
    expectClose(res.x.data, flat(c.x_final), 1e-9, 1e-12, 'x_final');
  });

  it('without noiseEveryStep draws only where gamma > 0 and gives the same path', async () => {
    const used = c.noise_per_step.filter((_: unknown, i: number) => c.gammas[i] > 0).map(flat);
    const rng = new ReplayRandom({ normal: used });
    const xT = Tensor.from(flat(c.latents_unit).map((v) => v * sigmas[0]!), [3, 4], 'float64');
    const res = await edmStochasticSample(exactDenoiser(ref), xT, sigmas, { ...opts, rng });
    expect(rng.remaining('normal')).toBe(0);
    expectClose(res.x.data, flat(c.x_final), 1e-9, 1e-12, 'x_final');
  });
});

describe('pfgmpp.json heun_ode (rtol 1e-9, atol 1e-10)', () => {
  for (const c of pfgmpp.heun_ode.rows) {
    it(`D = ${c.D}, N = ${c.num_steps}`, async () => {
      const sigmas = edmSchedule({ steps: c.num_steps, sigmaMin: c.sigma_min, sigmaMax: c.sigma_max, rho: c.rho });
      const res = await heunSample(exactDenoiser(ref, c.D), tensor(c.x_T), sigmas, { trajectory: true });
      expect(res.nfe).toBe(c.nfe);
      c.trajectory.forEach((t: number[][], i: number) => {
        expectClose(res.trajectory![i + 1]!.data, flat(t), 1e-9, 1e-10, `trajectory[${i}]`);
      });
      expectClose(res.x.data, flat(c.x_final), 1e-9, 1e-10, 'x_final');
    });
  }
});

describe('restart.json cases (NFE and snapped index exact; sigmas rtol 1e-6; x rtol 1e-4, atol 1e-4)', () => {
  for (const c of restart.cases) {
    it(c.name, async () => {
      const sigmas = edmSchedule({ steps: c.num_steps, sigmaMin: c.sigma_min, sigmaMax: c.sigma_max, rho: c.rho });
      expectClose(sigmas, c.t_steps_main, 1e-13, 0, 't_steps_main');
      const snapped = snapRestartLevels(sigmas, parseRestartConfig(c.restart_info));
      expect(snapped.map((l) => l.index)).toEqual(c.levels.map((l: { snapped_index: number }) => l.snapped_index).sort((a: number, b: number) => a - b));
      for (const l of c.levels) {
        const s = snapped.find((q) => q.index === l.snapped_index)!;
        expect(s.tMinSnapped).toBe(l.t_min_snapped);
        // The float32 inner schedule: checked to 1e-6 (README), and here it is bit-exact.
        expectClose(restartSchedule(s.tMinSnapped, s.tMax, s.nRestart, c.rho), l.restart_t_steps_float32, 0, 0, `restart schedule at ${l.snapped_index}`);
      }

      const rows: number = c.latents.length;
      const n: number = c.latents[0].length;
      // Every draw the reference consumed, in order. In PFGM++ mode the forward step's z (B x D) and
      // dir (B x (N+D)) come from torch.randn, recorded apart; our kernel takes them from the same
      // stream just before the first inner step of each repetition.
      type Draw = { kind: string; k?: number; j?: number; values: number[] };
      const fwd: number[][] = c.pfgmpp ? c.pfgmpp_forward_draws.map((d: { values: number[] }) => d.values) : [];
      const normals: number[][] = [];
      for (const d of c.noise as Draw[]) {
        if (c.pfgmpp && d.kind === 'restart_inner' && d.j === 0) normals.push(fwd[2 * d.k!]!, fwd[2 * d.k! + 1]!);
        normals.push(d.values);
      }
      const rng = new ReplayRandom({ normal: normals });
      const kernel = c.pfgmpp ? pfgmppKernel({ D: c.D }) : edmKernel();
      const xT = Tensor.from(flat(c.latents).map((v) => (c.pfgmpp ? v : v * sigmas[0]!)), [rows, n], 'float64');
      const rec = recording(exactDenoiser(ref, c.pfgmpp ? c.D : Infinity));
      const res = await restartSample(rec.denoiser, xT, sigmas, {
        levels: c.restart_info,
        rng,
        kernel,
        sChurn: c.S_churn,
        sMin: c.S_min,
        sMax: c.S_max,
        sNoise: c.S_noise,
        restartGamma: c.restart_gamma,
        noiseEveryStep: true,
      });
      expect(rng.remaining('normal')).toBe(0);
      expect(res.nfe).toBe(c.nfe);
      expect(rec.calls).toHaveLength(c.eval_sigmas.length);
      // nfe_formula of the reference counts a level snapped to t = 0 as a full Heun interval.
      expect(restartNfe(sigmas, c.restart_info)).toBe(c.nfe);
      expectClose(rec.calls.map((k) => k.sigma), c.eval_sigmas, 1e-6, 0, 'eval_sigmas');
      rec.calls.forEach((call, k) => {
        expectClose(call.x, flat(c.eval_inputs[k]), 1e-4, 1e-4, `eval_inputs[${k}]`);
      });
      expectClose(res.x.data, flat(c.x_final), 1e-4, 1e-4, 'x_final');
    });
  }
});
