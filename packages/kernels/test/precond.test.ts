import { ReplayRandom, Tensor, ValueError } from '@phys/tensor';
import { expectClose, flat, loadGolden } from '../../../test-support/golden.js';
import { edmKernel, edmLossWeight, edmPrecond, logNormalSigma, trainingBatch, vePrecond, vpPrecond, vpSigma, type Precond } from '../src/index.js';

interface PrecondRow {
  sigma: number;
  c_skip: number;
  c_out: number;
  c_in: number;
  c_noise: number;
}
interface PrecondGolden {
  params: Record<string, number | string>;
  rows: PrecondRow[];
}
interface EdmGolden {
  precond: { EDMPrecond: PrecondGolden; VEPrecond: PrecondGolden; VPPrecond: PrecondGolden };
  edm_loss: {
    P_mean: number;
    P_std: number;
    sigma_data: number;
    y: number[][];
    rnd_normal: number[];
    unit_noise: number[][];
    sigma: number[];
    net_input: number[][];
    weight: number[];
    loss_elementwise: number[][];
  };
}

const golden = loadGolden<EdmGolden>('edm.json');

function check(name: string, g: PrecondGolden, f: (s: number) => Precond): void {
  const got = g.rows.map((r) => f(r.sigma));
  for (const key of ['c_skip', 'c_out', 'c_in', 'c_noise'] as const) {
    const prop = ({ c_skip: 'cSkip', c_out: 'cOut', c_in: 'cIn', c_noise: 'cNoise' } as const)[key];
    expectClose(
      got.map((p) => p[prop]),
      g.rows.map((r) => r[key]),
      2e-6,
      1e-7,
      `${name}.${key}`,
    );
  }
  // lambda(sigma) = 1/c_out^2 for all three (EDM Table 1).
  expectClose(
    got.map((p) => p.lossWeight),
    got.map((p) => 1 / p.cOut ** 2),
    1e-14,
    0,
    `${name}.lossWeight`,
  );
}

describe('preconditioning (edm.json precond, rtol 2e-6, atol 1e-7)', () => {
  it('EDM', () => { check('EDMPrecond', golden.precond.EDMPrecond, (s) => edmPrecond(s, 0.5)); });
  it('VE', () => { check('VEPrecond', golden.precond.VEPrecond, (s) => vePrecond(s)); });
  it('VP', () => {
    const p = golden.precond.VPPrecond.params;
    const params = { betaD: p.beta_d as number, betaMin: p.beta_min as number, M: p.M as number };
    // The reference evaluates t(sigma) in float32 inside the network; that mode must match.
    check('VPPrecond', golden.precond.VPPrecond, (s) => vpPrecond(s, { ...params, float32Reference: true }));
    // The exact float64 c_noise differs from the float32 one only by float32 rounding of 1 + sigma^2:
    // relative gap <= 2^-24/sigma^2 + 1e-6.
    for (const r of golden.precond.VPPrecond.rows) {
      const exact = vpPrecond(r.sigma, params).cNoise;
      expect(Math.abs(exact - r.c_noise) / r.c_noise).toBeLessThan(2 ** -24 / r.sigma ** 2 + 1e-6);
    }
    // The golden's sigma_max is sigma_VP(1) (float32).
    expect(vpSigma(1, params)).toBeCloseTo(p.sigma_max as number, 4);
  });
  it('rejects sigma <= 0 and NaN', () => {
    expect(() => edmPrecond(0)).toThrow(ValueError);
    expect(() => vePrecond(-1)).toThrow(/sigma/);
    expect(() => vpPrecond(NaN)).toThrow(/sigma/);
    expect(() => edmPrecond(1, 0)).toThrow(/sigmaData/);
  });
});

describe('EDM loss (edm.json edm_loss, rtol 1e-5, atol 1e-6)', () => {
  it('trainingBatch replays sigma, net_input, weight; the stub loss matches', () => {
    const g = golden.edm_loss;
    const y = Tensor.from(flat(g.y), [3, 4], 'float64');
    const rng = new ReplayRandom({ normal: [g.rnd_normal, flat(g.unit_noise)] });
    const batch = trainingBatch(edmKernel(), y, rng, {
      distribution: logNormalSigma({ pMean: g.P_mean, pStd: g.P_std }),
      lossWeight: (s) => edmLossWeight(s, g.sigma_data),
    });
    expectClose(batch.sigma, g.sigma, 1e-5, 1e-6, 'sigma');
    expectClose(batch.x.data, flat(g.net_input), 1e-5, 1e-6, 'net_input');
    expectClose(batch.weight, g.weight, 1e-5, 1e-6, 'weight');
    const loss = Array.from(batch.x.data, (v, j) => batch.weight[Math.floor(j / 4)]! * (0.5 * v - batch.target.data[j]!) ** 2);
    expectClose(loss, flat(g.loss_elementwise), 1e-5, 1e-6, 'loss_elementwise');
  });
});
