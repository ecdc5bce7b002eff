import { PhiloxRng, ReplayRandom, Tensor } from '@phys/tensor';
import { expectClose, flat, loadGolden } from '../../../test-support/golden.js';
import { ksPValue, ksStatistic, normalCdf } from '../../../test-support/stats.js';
import { LogUniformSigma, VpTrainingSigma, logNormalSigma, pfgmppKernel, trainingBatch, vpSigmaInv } from '../src/index.js';

interface TrainingStep {
  D: number;
  stf: boolean;
  P_mean: number;
  P_std: number;
  y: number[][];
  rnd_normal: number[];
  beta_raw: number[];
  gaussian: number[][];
  sigma: number[];
  net_input: number[][];
  weight: number[];
  target_squared: number[][];
}

/** Trapezoid integral of f over [a, b] in n pieces. */
function integrate(f: (x: number) => number, a: number, b: number, n = 20000): number {
  const h = (b - a) / n;
  let s = 0.5 * (f(a) + f(b));
  for (let i = 1; i < n; i++) s += f(a + i * h);
  return s * h;
}

describe('PFGM++ training step (pfgmpp.json training_step, rtol 1e-5, atol 1e-6)', () => {
  const cases = loadGolden<{ training_step: TrainingStep[] }>('pfgmpp.json').training_step;
  it.each(cases.map((c) => [c.D, c.stf, c] as const))('D=%d stf=%s: sigma, net_input, weight (and target y when stf=false)', (D, stf, c) => {
    const y = Tensor.from(flat(c.y), [3, 4], 'float64');
    const rng = new ReplayRandom({ normal: [c.rnd_normal, flat(c.gaussian)], beta: [c.beta_raw] });
    const batch = trainingBatch(pfgmppKernel({ D }), y, rng, { distribution: logNormalSigma({ pMean: c.P_mean, pStd: c.P_std }) });
    expectClose(batch.sigma, c.sigma, 1e-5, 1e-6, 'sigma');
    expectClose(batch.x.data, flat(c.net_input), 1e-5, 1e-6, 'net_input');
    expectClose(batch.weight, c.weight, 1e-5, 1e-6, 'weight');
    // The STF target (stf=true) is the empirical PFGM++ field over a reference batch: @phys/fields.
    if (!stf) expectClose(Array.from(batch.target.data, (v) => v * v), flat(c.target_squared), 1e-5, 1e-6, 'target^2');
  });
});

describe('training-noise distributions', () => {
  it('log-normal p(sigma) integrates to 1 and its PFGM++ transfer p(r) = p(r/sqrt(D))/sqrt(D) too', () => {
    const p = logNormalSigma();
    // u = ln sigma substitution: int p(sigma) dsigma = int p(e^u) e^u du.
    expect(integrate((u) => p.pdf(Math.exp(u)) * Math.exp(u), -12, 10)).toBeCloseTo(1, 8);
    const D = 128;
    expect(integrate((u) => Math.exp(p.logPdfR(Math.exp(u), D)) * Math.exp(u), -10, 12)).toBeCloseTo(1, 8);
    expect(p.logPdfR(3, D)).toBeCloseTo(p.logPdf(3 / Math.sqrt(D)) - 0.5 * Math.log(D), 14);
  });

  it('log-normal samples pass a KS test against the log-normal CDF; sampleR scales by sqrt(D)', () => {
    const p = logNormalSigma({ pMean: -1.2, pStd: 1.2 });
    const s = p.sample(3000, new PhiloxRng(5));
    const d = ksStatistic(s, (x) => normalCdf((Math.log(x) + 1.2) / 1.2));
    expect(ksPValue(d, s.length)).toBeGreaterThan(0.001);
    const r = p.sampleR(3000, 64, new PhiloxRng(5));
    expectClose(r, s.map((v) => v * 8), 1e-15, 0, 'r = 8 sigma');
  });

  it('VE log-uniform and VP training densities integrate to 1 and match their samplers', () => {
    const ve = new LogUniformSigma(0.02, 100);
    expect(integrate((u) => ve.pdf(Math.exp(u)) * Math.exp(u), Math.log(0.02) + 1e-12, Math.log(100) - 1e-12)).toBeCloseTo(1, 6);
    const vp = new VpTrainingSigma();
    expect(integrate((u) => vp.pdf(Math.exp(u)) * Math.exp(u), -12, 6, 40000)).toBeCloseTo(1, 4);
    const sv = vp.sample(2000, new PhiloxRng(8));
    // CDF of sigma under t ~ U(eps, 1): (t(sigma) - eps)/(1 - eps).
    const d = ksStatistic(sv, (x) => (vpSigmaInv(x) - 1e-5) / (1 - 1e-5));
    expect(ksPValue(d, sv.length)).toBeGreaterThan(0.001);
  });
});
