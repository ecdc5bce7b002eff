import { PhiloxRng, Tensor, ValueError, type Denoiser, type Random } from '@phys/tensor';
import { edmKernel, edmSchedule, pfgmppKernel } from '@phys/kernels';
import {
  dpmSolverSinglestep,
  eulerSolver,
  heunSample,
  odeSample,
  parseRestartConfig,
  restartNfe,
  restartPresets,
  restartSample,
  restartSchedule,
  snapRestartLevels,
  type OdeSolver,
} from '../src/index.js';
import { expectGaussianMoments, gaussianDenoiser, marginal } from './gaussian.js';

const x4 = (): Tensor => Tensor.from([1, -2, 0.5, 3], [2, 2], 'float64');

describe('Restart configuration', () => {
  it('parses the reference JSON, objects, quadruple arrays and level objects alike', () => {
    const want = [
      { nRestart: 4, k: 1, tMin: 19.35, tMax: 40.79 },
      { nRestart: 6, k: 6, tMin: 0.06, tMax: 0.3 },
    ];
    expect(parseRestartConfig('{"0": [4, 1, 19.35, 40.79], "1": [6, 6, 0.06, 0.30]}')).toEqual(want);
    expect(parseRestartConfig({ '0': [4, 1, 19.35, 40.79], '1': [6, 6, 0.06, 0.3] })).toEqual(want);
    expect(parseRestartConfig([[4, 1, 19.35, 40.79], want[1]!])).toEqual(want);
    expect(parseRestartConfig('')).toEqual([]);
  });

  it.each([
    ['{"0": [1, 2, 0.1, 0.3]}', 'N_restart'],
    ['{"0": [3, -1, 0.1, 0.3]}', 'K'],
    ['{"0": [3, 2, 0.3, 0.1]}', 't_max'],
    ['{"0": [3, 2, -0.1, 0.3]}', 't_min'],
    ['{"0": [3, 2, 0.1]}', 'N_restart, K, t_min, t_max'],
    ['{"0": 3}', '[N_restart'],
    ['not json', 'JSON'],
  ])('rejects %s naming %s', (config, what) => {
    expect(() => parseRestartConfig(config)).toThrow(ValueError);
    expect(() => parseRestartConfig(config)).toThrow(what);
  });

  it('snaps t_min to the nearest main level, first index on ties; a later level on the same index wins', () => {
    const sigmas = [8, 4, 2, 1, 0];
    const levels = parseRestartConfig([
      [3, 1, 3, 6], // tie between 4 (index 1) and 2 (index 2): first index
      [3, 2, 1.2, 5], // index 3
      [4, 3, 0.9, 5], // index 3 again: replaces the previous one
    ]);
    const s = snapRestartLevels(sigmas, levels);
    expect(s.map((l) => [l.index, l.tMinSnapped, l.k])).toEqual([
      [1, 4, 1],
      [3, 1, 3],
    ]);
  });

  it('computes the inner schedule in float32 (EDM rho = 7 from t_max to t_min)', () => {
    const s = restartSchedule(0.05994731123547159, 0.3, 3);
    expect(Array.from(s)).toEqual([0.2999999523162842, 0.1404467225074768, 0.059947285801172256]);
    expect(() => restartSchedule(0.1, 1, 1)).toThrow(ValueError);
  });

  it('every preset runs with its published NFE = 2 N_main - 1 + sum K (2 (N_restart - 1))', async () => {
    const count: Denoiser = (x) => Promise.resolve(x.clone());
    for (const [name, p] of Object.entries(restartPresets)) {
      const sigmas = edmSchedule({ steps: p.steps });
      expect([name, restartNfe(sigmas, p.levels)]).toEqual([name, p.nfe]);
      const res = await restartSample(count, Tensor.zeros([1, 1]), sigmas, { ...p, rng: new PhiloxRng(0) });
      expect([name, res.nfe]).toEqual([name, p.nfe]);
    }
    expect(restartPresets['imagenet64-edm-nfe203'].levels).toEqual({
      '0': [4, 1, 19.35, 40.79],
      '1': [4, 1, 1.09, 1.92],
      '2': [4, 5, 0.59, 1.09],
      '3': [4, 5, 0.3, 0.59],
      '4': [6, 6, 0.06, 0.3],
    });
    expect(restartPresets['cifar10-pfgmpp']).toMatchObject({ D: 2048, steps: 18, nfe: 43 });
  });
});

describe('restartSample', () => {
  it('visits main steps, the forward jump, then the inner schedule, and reports every step', async () => {
    const sigmas = [10, 5, 2, 1, 0];
    const calls: number[] = [];
    const d: Denoiser = (x, s) => {
      calls.push(s[0]!);
      return gaussianDenoiser(x, s);
    };
    const steps: [number, number][] = [];
    const res = await restartSample(d, x4(), sigmas, {
      levels: [[3, 2, 2, 4]],
      rng: new PhiloxRng(1),
      restartGamma: 0,
      trajectory: true,
      onStep: (s) => steps.push([s.step, s.sigma]),
    });
    const inner = Array.from(restartSchedule(2, 4, 3));
    expect(res.nfe).toBe(7 + 2 * 4);
    expect(calls).toEqual([10, 5, 5, 2, inner[0], inner[1], inner[1], inner[2], inner[0], inner[1], inner[1], inner[2], 2, 1, 1]);
    expect(steps.map((s) => s[1])).toEqual([5, 2, inner[0], inner[1], inner[2], inner[0], inner[1], inner[2], 1, 0]);
    expect(steps.map((s) => s[0])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(res.trajectory).toHaveLength(11);
  });

  it('with K = 0, or no levels, it is the Heun ODE sampler exactly', async () => {
    const sigmas = edmSchedule({ steps: 10 });
    const ode = await heunSample(gaussianDenoiser, x4(), sigmas);
    for (const levels of ['', '{"0": [3, 0, 0.5, 1.0]}']) {
      const r = await restartSample(gaussianDenoiser, x4(), sigmas, { levels, rng: new PhiloxRng(2) });
      expect(Array.from(r.x.data)).toEqual(Array.from(ode.x.data));
      expect(r.nfe).toBe(ode.nfe);
    }
  });

  it('accepts any OdeSolver for the main and inner processes (Euler: N_main + K (N_restart - 1) NFE)', async () => {
    const names: string[] = [];
    const spy: OdeSolver = {
      name: 'euler-spy',
      integrate: (run, x, s) => {
        names.push(`${s[0]}->${s[s.length - 1]}`);
        return eulerSolver.integrate(run, x, s);
      },
    };
    const res = await restartSample(gaussianDenoiser, x4(), [10, 5, 2, 1, 0], { levels: [[3, 2, 2, 4]], rng: new PhiloxRng(3), solver: spy });
    expect(res.nfe).toBe(4 + 2 * 2);
    const inner = restartSchedule(2, 4, 3); // float32: [4.000000953674316, ..., 1.999999761581421]
    const seg = `${inner[0]}->${inner[2]}`;
    expect(names).toEqual(['10->2', seg, seg, '2->0']);
  });

  it('runs with DPM-Solver-3 as main and inner solver (the pairing of thesis Ch. 5) and samples N(mu, Sigma) (n = 4000, 4 se + 0.03)', async () => {
    const xT = marginal(4000, 80, new PhiloxRng(45));
    const solver = dpmSolverSinglestep({ order: 3 });
    const sigmas = edmSchedule({ steps: 12 });
    const { x, nfe } = await restartSample(gaussianDenoiser, xT, sigmas, { levels: '{"0": [4, 2, 0.3, 2.0]}', rng: new PhiloxRng(46), solver });
    // NFE = the solver's own NFE on the main schedule + K times its NFE on the inner schedule.
    const probe = xT.sliceRows(0, 1);
    const main = await odeSample(gaussianDenoiser, probe, sigmas, solver);
    const tMin = snapRestartLevels(sigmas, parseRestartConfig('{"0": [4, 2, 0.3, 2.0]}'))[0]!.tMinSnapped;
    const inner = await odeSample(gaussianDenoiser, probe, restartSchedule(tMin, 2.0, 4), solver);
    expect(nfe).toBe(main.nfe + 2 * inner.nfe);
    expectGaussianMoments(x, 4, 0.03);
  });

  it('takes the forward jump from the kernel (PFGM++ D = 128) and samples N(mu, Sigma) (n = 4000, 4 se + 0.03)', async () => {
    const kernel = pfgmppKernel({ D: 128 });
    const sigmas = edmSchedule({ steps: 40 });
    const xT = marginal(4000, 80, new PhiloxRng(41));
    let forwards = 0;
    const spyKernel = Object.assign(Object.create(kernel) as typeof kernel, {
      forward: (x: Tensor, from: number, to: number, rng: Random, sNoise?: number) => {
        forwards++;
        return kernel.forward(x, from, to, rng, sNoise);
      },
    });
    const { x } = await restartSample(gaussianDenoiser, xT, sigmas, { levels: '{"0": [16, 3, 0.3, 2.0]}', rng: new PhiloxRng(42), kernel: spyKernel });
    expect(forwards).toBe(3);
    // N_restart = 16: with only 3 inner Heun steps (N_restart = 4) the inner discretisation leaves a
    // systematic ~10% excess in cov[0][0] that this bound would catch on some seeds.
    expectGaussianMoments(x, 4, 0.03);
  });

  it('EDM kernel, two levels and churn: samples N(mu, Sigma) (n = 4000, 4 se + 0.03)', async () => {
    const xT = marginal(4000, 80, new PhiloxRng(43));
    const { x, nfe } = await restartSample(gaussianDenoiser, xT, edmSchedule({ steps: 40 }), {
      levels: { '0': [4, 2, 0.2, 1.0], '1': [3, 1, 3, 8] },
      rng: new PhiloxRng(44),
      kernel: edmKernel(),
      sChurn: 10,
      sMin: 0.05,
      sMax: 10,
      restartGamma: 0.05,
    });
    expect(nfe).toBe(79 + 2 * 6 + 4);
    expectGaussianMoments(x, 4, 0.03);
  });

  it('rejects t_max at or below the snapped t_min, and stops when aborted', async () => {
    await expect(restartSample(gaussianDenoiser, x4(), [10, 5, 2, 1, 0], { levels: [[3, 1, 4, 4.5]], rng: new PhiloxRng(0) })).rejects.toThrow('snapped t_min = 5');
    const ac = new AbortController();
    ac.abort(new Error('cancelled'));
    await expect(restartSample(gaussianDenoiser, x4(), [10, 5, 0], { levels: '', rng: new PhiloxRng(0), signal: ac.signal })).rejects.toThrow('cancelled');
  });
});
