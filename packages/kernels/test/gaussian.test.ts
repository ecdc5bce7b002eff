import { NonFiniteError, PhiloxRng, ReplayRandom, ShapeError, Tensor, ValueError } from '@phys/tensor';
import { expectClose, flat, loadGolden } from '../../../test-support/golden.js';
import { moments } from '../../../test-support/stats.js';
import { edmKernel, pfgmppKernel } from '../src/index.js';

interface EdmLoss {
  y: number[][];
  unit_noise: number[][];
  sigma: number[];
  net_input: number[][];
}

describe('edmKernel', () => {
  const k = edmKernel();

  it('perturb replays edm.json edm_loss net_input = y + sigma*n (rtol 1e-5, atol 1e-6)', () => {
    const g = loadGolden<{ edm_loss: EdmLoss }>('edm.json').edm_loss;
    const y = Tensor.from(flat(g.y), [3, 4], 'float64');
    const rng = new ReplayRandom({ normal: [flat(g.unit_noise)] });
    const p = k.perturb(y, Float64Array.from(g.sigma), rng);
    expectClose(p.x.data, flat(g.net_input), 1e-5, 1e-6, 'net_input');
    expect(p.target).toBe(y);
    expectClose(p.fieldTarget.data, flat(g.unit_noise), 0, 0, 'fieldTarget = n');
    expect(p.x.dtype).toBe('float64');
  });

  it('prior is sigmaMax * N(0, I) with the requested dtype', () => {
    const x = k.prior([2000, 8], 80, new PhiloxRng(1), 'float64');
    expect(x.dtype).toBe('float64');
    const m = moments(x.data);
    // 16000 draws: sd of the mean 80/sqrt(16000) = 0.63; of the variance about 6400*sqrt(2/16000) = 72.
    expect(Math.abs(m.mean)).toBeLessThan(4 * 0.63);
    expect(Math.abs(m.variance - 6400)).toBeLessThan(4 * 72);
    const replay = k.prior([1, 3], 2, new ReplayRandom({ normal: [[1, -0.5, 0.25]] }), 'float64');
    expectClose(replay.data, [2, -1, 0.5], 0, 0, 'prior');
  });

  it('forward adds sNoise * sqrt(to^2 - from^2) * eps (thesis Alg. 9 line 10)', () => {
    const x = Tensor.from([1, 2, 3, 4], [2, 2], 'float64');
    const eps = [0.5, -1, 2, 0];
    const out = k.forward(x, 0.3, 0.5, new ReplayRandom({ normal: [eps] }), 1.5);
    const s = 1.5 * Math.sqrt(0.25 - 0.09);
    expectClose(out.data, [1 + s * 0.5, 2 - s, 3 + 2 * s, 4], 1e-15, 0, 'forward');
    expect(x.data[0]).toBe(1); // input untouched
    // sigmaFrom = 0 is allowed (a Restart level snapped to t = 0).
    expectClose(k.forward(x, 0, 2, new ReplayRandom({ normal: [eps] })).data, [2, 0, 7, 4], 1e-15, 0, 'from 0');
  });

  it('logDensity is the normalised N(y, sigma^2 I) density and score is its gradient', () => {
    const x = Tensor.from([0.3, -0.2, 1.0, 0.5, 0.1, 0.0], [2, 3], 'float64');
    const y = Tensor.from([0.0, 0.1, 0.8, 0.5, -0.4, 0.2], [2, 3], 'float64');
    const sigma = 0.7;
    const ld = k.logDensity(x, y, sigma);
    const sq0 = 0.09 + 0.09 + 0.04;
    expect(ld[0]).toBeCloseTo(-1.5 * Math.log(2 * Math.PI * 0.49) - sq0 / 0.98, 13);
    const s = k.score(x, y, sigma);
    expectClose(s.data, [-0.3 / 0.49, 0.3 / 0.49, -0.2 / 0.49, 0, -0.5 / 0.49, 0.2 / 0.49], 1e-13, 1e-15, 'score');
    expect(k.logKernel(2, 0.5)).toBeCloseTo(-4, 15);
  });

  it('is the D = Infinity member of the PFGM++ family, exactly', () => {
    expect(pfgmppKernel({ D: Infinity })).toBe(k);
    expect(k.D).toBe(Infinity);
    expect(k.name).toBe('edm');
  });

  it('rejects bad input with typed errors naming the argument', () => {
    const x = Tensor.from([1, 2, 3, 4], [2, 2], 'float64');
    const rng = new PhiloxRng(0);
    expect(() => k.perturb(x, Float64Array.from([0.1, 0]), rng)).toThrow(ValueError);
    expect(() => k.perturb(x, Float64Array.from([0.1, 0]), rng)).toThrow(/sigma\[1\]/);
    expect(() => k.perturb(x, Float64Array.from([0.1, -1]), rng)).toThrow(/sigma\[1\]/);
    expect(() => k.perturb(x, Float64Array.from([0.1, NaN]), rng)).toThrow(NonFiniteError);
    expect(() => k.perturb(x, Float64Array.from([0.1]), rng)).toThrow(ShapeError);
    expect(() => k.perturb(Tensor.from([1, NaN, 3, 4], [2, 2], 'float64'), Float64Array.from([1, 1]), rng)).toThrow(/x0/);
    expect(() => k.prior([2, 3], 0, rng)).toThrow(/sigmaMax/);
    expect(() => k.prior([2, 3], NaN, rng)).toThrow(/sigmaMax/);
    expect(() => k.forward(x, 0.5, 0.3, rng)).toThrow(/sigmaTo/);
    expect(() => k.forward(x, -0.1, 0.3, rng)).toThrow(/sigmaFrom/);
    expect(() => k.score(x, Tensor.from([1, 2, 3], [1, 3], 'float64'), 1)).toThrow(ShapeError);
    expect(() => k.logDensity(x, x, 0)).toThrow(/sigma/);
  });
});
