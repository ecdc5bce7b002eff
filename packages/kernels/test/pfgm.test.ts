import { PhiloxRng, ReplayRandom, ShapeError, Tensor, getBackend } from '@phys/tensor';
import { expectClose, flat, loadGolden } from '../../../test-support/golden.js';
import { ksPValue, ksStatistic } from '../../../test-support/stats.js';
import { pfgmHyperparameters, pfgmKernel, radiusCdf } from '../src/index.js';

interface ForwardRow {
  y: number[][];
  z_randn: number[];
  m_in: number[];
  m_after_restrict: number[];
  restrict_uniform_draws: { values: number[] }[];
  noise_randn: number[][];
  dir_randn: number[][];
  perturbed_xz: number[][];
}
interface PfgmGolden {
  forward_pz: { sigma_end: number; tau: number; M: number; restrict_M: boolean; rows: ForwardRow[] };
  prior: { z_max: number; upper_norm: number; beta_sample: number[]; gaussian: number[][]; x: number[][] };
  hyperparameters: { rows: Record<string, number>[] };
}

const golden = loadGolden<PfgmGolden>('pfgm.json');

describe('pfgmKernel (seed 001 Algorithm 2, Poisson_flow forward_pz / prior_sampling)', () => {
  const g = golden.forward_pz;
  const options = { sigmaEnd: g.sigma_end, tau: g.tau, M: g.M, restrictM: g.restrict_M };
  const k = pfgmKernel(options);

  // The reference evaluates (1 + tau)^m in float32; float32Reference reproduces that to 1e-6. The
  // exact multiplier differs by (1 - 2.8e-8)^m: relative 8.1e-6 at m = 290, hence 1e-5 there.
  it.each(g.rows.flatMap((r, i) => [[i, true, 1e-6, r] as const, [i, false, 1e-5, r] as const]))(
    'perturb replays forward_pz row set %d incl. restricted M (float32Reference %s, rtol %d)',
    (_i, f32, rtol, r) => {
      const y = Tensor.from(flat(r.y), [3, 4], 'float64');
      const rng = new ReplayRandom({
        normal: [r.z_randn, flat(r.noise_randn), flat(r.dir_randn)],
        uniform: r.restrict_uniform_draws.map((d) => d.values),
      });
      const p = pfgmKernel({ ...options, float32Reference: f32 }).perturb(y, rng, Float64Array.from(r.m_in));
      expectClose(p.m, r.m_after_restrict, 1e-12, 0, 'm');
      const xz = r.perturbed_xz;
      expectClose(p.x.data, xz.flatMap((row) => row.slice(0, 4)), rtol, 1e-6, 'x');
      expectClose(p.z, xz.map((row) => row[4]!), rtol, 1e-6, 'z');
    },
  );

  it('prior replays prior with the [1, upper_norm] clip (rtol 1e-6, atol 1e-6)', () => {
    const p = golden.prior;
    const kp = pfgmKernel({ zMax: p.z_max, upperNorm: p.upper_norm });
    const out = kp.prior([4, 4], new ReplayRandom({ beta: [p.beta_sample], normal: [flat(p.gaussian)] }), 'float64');
    expectClose(out.x.data, flat(p.x), 1e-6, 1e-6, 'x');
    expect(Array.from(out.z)).toEqual([40, 40, 40, 40]);
    const norms = getBackend().rowNorm(out.x);
    expect(norms[0]).toBeCloseTo(1, 12);
    expect(norms[3]).toBeCloseTo(3000, 9);
  });

  it('unclipped prior radius follows p_radius ~ R^(N-1)/(R^2 + z_max^2)^((N+1)/2) (KS p > 0.001)', () => {
    const N = 16;
    const kp = pfgmKernel({ zMax: 5, upperNorm: 1e300, minNorm: 0 });
    const out = kp.prior([2000, N], new PhiloxRng(21), 'float64');
    const R = getBackend().rowNorm(out.x);
    const d = ksStatistic(R, (q) => radiusCdf(q, { N, D: 1, r: 5 }));
    expect(ksPValue(d, R.length)).toBeGreaterThan(0.001);
  });

  it('priorLogDensity is the Cauchy density for N = 1 and integrates radially to 1 for N = 2', () => {
    const zMax = 3;
    const kp = pfgmKernel({ zMax });
    const x1 = Tensor.from([0, 1.5, -7], [3, 1], 'float64');
    kp.priorLogDensity(x1).forEach((lp, i) => {
      const v = x1.data[i]!;
      expect(lp).toBeCloseTo(Math.log(zMax / (Math.PI * (v * v + zMax * zMax))), 12);
    });
    // N = 2: integral of 2 pi r p(r) dr over [0, R] = 1 - zMax/sqrt(R^2 + zMax^2).
    let integral = 0;
    const dr = 0.01;
    for (let r = dr / 2; r < 50; r += dr) integral += 2 * Math.PI * r * Math.exp(kp.priorLogDensity(Tensor.from([r, 0], [1, 2], 'float64'))[0]!) * dr;
    expect(integral).toBeCloseTo(1 - zMax / Math.hypot(50, zMax), 6);
  });

  it('priorLogDensity integrates to 1 over the hyperplane (N = 1)', () => {
    const kp = pfgmKernel({ zMax: 3 });
    let s = 0;
    const M = 4000;
    for (let i = 0; i < M; i++) {
      const t = -Math.PI / 2 + ((i + 0.5) / M) * Math.PI;
      const x = Math.tan(t);
      s += Math.exp(kp.priorLogDensity(Tensor.from([x], [1, 1], 'float64'))[0]!) * (Math.PI / M) / Math.cos(t) ** 2;
    }
    expect(s).toBeCloseTo(1, 6);
  });

  it('draws m ~ U[0, M] itself when m is not given, and restricted rows stay below int(0.7 M)', () => {
    const kk = pfgmKernel();
    const p = kk.perturb(Tensor.zeros([400, 3], 'float64'), new PhiloxRng(2));
    const zs = Array.from(p.m);
    expect(Math.max(...zs)).toBeLessThanOrEqual(291);
    // Rows whose initial z was < 0.005 (about 38% of them): m < 203, and z_out = z mult < 0.005 (1.03)^203.
    p.z.forEach((z, i) => {
      const z0 = z / 1.03 ** p.m[i]!;
      if (z0 < 0.005) expect(p.m[i]).toBeLessThan(203);
    });
  });

  it('rejects mismatched m and bad options', () => {
    expect(() => k.perturb(Tensor.zeros([2, 2], 'float64'), new PhiloxRng(0), Float64Array.from([1]))).toThrow(ShapeError);
    expect(() => k.perturb(Tensor.zeros([2, 2], 'float64'), new PhiloxRng(0), Float64Array.from([1, NaN]))).toThrow(/m\[1\]/);
    expect(() => pfgmKernel({ tau: 0 })).toThrow(/tau/);
    expect(() => pfgmKernel({ zMax: -1 })).toThrow(/zMax/);
  });
});

describe('pfgmHyperparameters (pfgm.json hyperparameters)', () => {
  it.each(golden.hyperparameters.rows.map((r) => [r.data_norm!, r.data_dim!, r] as const))('data_norm %d, N %d', (dataNorm, N, r) => {
    const h = pfgmHyperparameters({ dataNorm, N, sigma: r.sigma!, tau: r.tau! });
    expect(h.M).toBe(r['config.training.M']);
    expect(h.zMax / r['config.sampling.z_max']!).toBeCloseTo(1, 12);
    expect(h.upperNorm / r['config.sampling.upper_norm']!).toBeCloseTo(1, 12);
  });
});
