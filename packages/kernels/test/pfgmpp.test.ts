import { PhiloxRng, ReplayRandom, Tensor, ValueError, getBackend } from '@phys/tensor';
import { expectClose, flat, loadGolden } from '../../../test-support/golden.js';
import { ksPValue, ksStatistic } from '../../../test-support/stats.js';
import { PfgmppKernel, edmKernel, logGamma, pfgmppKernel, radiusCdf, radiusLogPdf } from '../src/index.js';
import type { Kernel } from '../src/index.js';

interface Perturbation {
  D: number;
  sigma: number;
  r: number[];
  y: number[][];
  beta_sample: number[];
  gaussian: number[][];
  perturbed: number[][];
}
interface Prior {
  D: number;
  sigma_max: number;
  beta_sample: number[];
  gaussian: number[][];
  latents: number[][];
}
interface TrainingStep {
  D: number;
  y: number[][];
  beta_raw: number[];
  gaussian: number[][];
  sigma: number[];
  r: number[];
  net_input: number[][];
}
interface PfgmppGolden {
  pfgm_perturation: Perturbation[];
  prior: Prior[];
  training_step: TrainingStep[];
}

const golden = loadGolden<PfgmppGolden>('pfgmpp.json');

function finite(D: number): PfgmppKernel {
  const k = pfgmppKernel({ D });
  if (!(k instanceof PfgmppKernel)) throw new Error('expected a finite-D kernel');
  return k;
}

describe('pfgmppKernel golden cases (Newbeeer/pfgmpp)', () => {
  it.each(golden.pfgm_perturation.map((c) => [c.D, c.sigma, c] as const))(
    'perturb replays pfgm_perturation D=%d sigma=%d (rtol 1e-6, atol 1e-5)',
    (D, sigma, c) => {
      const k = finite(D);
      expect(k.r(sigma)).toBeCloseTo(c.r[0]!, 12);
      const y = Tensor.from(flat(c.y), [3, 4], 'float64');
      const rng = new ReplayRandom({ beta: [c.beta_sample], normal: [flat(c.gaussian)] });
      const p = k.perturb(y, new Float64Array(3).fill(sigma), rng);
      expectClose(p.x.data, flat(c.perturbed), 1e-6, 1e-5, 'perturbed');
      expect(p.target).toBe(y);
      // Eq. 8.4 target: (x - y)/(r/sqrt(D)), |.| = R/sigma.
      const diff = getBackend().axpby(1 / sigma, p.x, -1 / sigma, y);
      expectClose(p.fieldTarget.data, diff.data, 1e-12, 1e-12, 'fieldTarget');
    },
  );

  it.each(golden.prior.map((c) => [c.D, c] as const))('prior replays prior D=%d (rtol 1e-6, atol 1e-5)', (D, c) => {
    const k = finite(D);
    const rng = new ReplayRandom({ beta: [c.beta_sample], normal: [flat(c.gaussian)] });
    const x = k.prior([2, 4], c.sigma_max, rng, 'float64');
    expectClose(x.data, flat(c.latents), 1e-6, 1e-5, 'latents');
  });

  it.each(golden.training_step.map((c) => [c.D, c] as const))(
    'perturb replays training_step D=%d net_input, with the [1e-3, 1-1e-3] clip (rtol 1e-5, atol 1e-6)',
    (D, c) => {
      const k = finite(D);
      const y = Tensor.from(flat(c.y), [3, 4], 'float64');
      const rng = new ReplayRandom({ beta: [c.beta_raw], normal: [flat(c.gaussian)] });
      const p = k.perturb(y, Float64Array.from(c.sigma), rng);
      expectClose(p.x.data, flat(c.net_input), 1e-5, 1e-6, 'net_input');
      expectClose(Float64Array.from(c.sigma, (s) => k.r(s)), c.r, 1e-6, 0, 'r');
    },
  );
});

interface RestartCase {
  pfgmpp: boolean;
  D: number | null;
  pfgmpp_forward_draws?: { shape: number[]; values: number[] }[];
}

describe('PfgmppKernel.forward (Restart for PFGM++, reference construction)', () => {
  it('replays the draws of restart.json pfgmpp_D4 in the reference order', () => {
    const c = loadGolden<{ cases: RestartCase[] }>('restart.json').cases.find((k) => k.pfgmpp)!;
    const D = c.D!;
    const draws = c.pfgmpp_forward_draws!;
    const [z, dir] = [draws[0]!, draws[1]!];
    expect(z.shape).toEqual([3, D]);
    const N = 4;
    const x = Tensor.from([0.1, -0.2, 0.3, 0.4, 1, 2, 3, 4, -1, 0, 1, 0.5], [3, N], 'float64');
    const from = 0.47;
    const to = 2;
    const k = finite(D);
    const out = k.forward(x, from, to, new ReplayRandom({ normal: [z.values, dir.values] }), 0.9);
    // Independent transcription of generate_restart.py's PFGM++ branch.
    const oldR = from * Math.sqrt(D);
    const newR = to * Math.sqrt(D);
    for (let i = 0; i < 3; i++) {
      const zi = z.values.slice(i * D, (i + 1) * D);
      const zn = Math.hypot(...zi);
      const zs = zi.map((v) => (v / zn) * oldR);
      const di = dir.values.slice(i * (N + D), (i + 1) * (N + D));
      const dn = Math.hypot(...di.slice(N));
      const d = di.map((v) => v / dn);
      const dot = zs.reduce((s, v, j) => s + v * d[N + j]!, 0);
      const move = -dot - Math.sqrt(dot ** 2 + (newR ** 2 - oldR ** 2));
      for (let j = 0; j < N; j++) expect(out.data[i * N + j]).toBeCloseTo(x.data[i * N + j]! + move * d[j]! * 0.9, 12);
    }
  });

  // From sigmaFrom = 0 the step moves x by -new_r g_N/|g_D|, whose length has the kernel's radius
  // law: |g_N|^2/|g_D|^2 ~ BetaPrime(N/2, D/2). Both draw modes must reproduce p_r(R).
  it.each([
    [8, 4, 'reference'],
    [8, 6.5, 'compact'],
    [8, 64, 'compact'],
  ] as const)('from sigma 0 the displacement of N=%d D=%d (%s) follows p_r(R) (KS p > 0.001)', (N, D, mode) => {
    const k = new PfgmppKernel({ D, forwardDraws: mode });
    const rows = 2000;
    const x = Tensor.zeros([rows, N], 'float64');
    const out = k.forward(x, 0, 0.5, new PhiloxRng(11));
    const R = getBackend().rowNorm(out);
    const r = 0.5 * Math.sqrt(D);
    const d = ksStatistic(R, (q) => radiusCdf(q, { N, D, r }));
    expect(ksPValue(d, rows)).toBeGreaterThan(0.001);
  });

  it('compact and reference draws give the same law for sigmaFrom > 0 (two-sample KS on |move|)', () => {
    const N = 6;
    const D = 5;
    const rows = 3000;
    const x = Tensor.zeros([rows, N], 'float64');
    const a = getBackend().rowNorm(new PfgmppKernel({ D, forwardDraws: 'reference' }).forward(x, 0.4, 1, new PhiloxRng(3)));
    const b = getBackend().rowNorm(new PfgmppKernel({ D, forwardDraws: 'compact' }).forward(x, 0.4, 1, new PhiloxRng(4)));
    const sorted = Float64Array.from(b).sort();
    // Empirical CDF of b as the reference CDF for a; critical value of the two-sample KS at 0.001.
    const ecdf = (q: number): number => {
      let lo = 0;
      let hi = sorted.length;
      while (lo < hi) {
        const m = (lo + hi) >> 1;
        if (sorted[m]! <= q) lo = m + 1;
        else hi = m;
      }
      return lo / sorted.length;
    };
    const d = ksStatistic(a, ecdf);
    expect(d).toBeLessThan(1.95 * Math.sqrt((2 * rows) / (rows * rows)));
  });

  it('rejects reference draws for non-integer D and compact draws for D <= 1', () => {
    expect(() => new PfgmppKernel({ D: 2.5, forwardDraws: 'reference' })).toThrow(/forwardDraws/);
    const x = Tensor.zeros([2, 3], 'float64');
    expect(() => new PfgmppKernel({ D: 1, forwardDraws: 'compact' }).forward(x, 0, 1, new PhiloxRng(0))).toThrow(/^D: /);
    expect(() => new PfgmppKernel({ D: 0.5 }).forward(x, 0, 1, new PhiloxRng(0))).toThrow(/^D: /);
    expect(new PfgmppKernel({ D: 2.5 }).forwardDraws).toBe('compact');
    expect(new PfgmppKernel({ D: 3 }).forwardDraws).toBe('auto');
  });

  it("'auto' draws like the reference at small D and compactly at D = 1e7 (cost O(N) instead of O(N + D))", () => {
    const x = Tensor.from([0.1, -0.2, 0.3, 0.4, 0, 1], [2, 3], 'float64');
    const same = (a: Tensor, b: Tensor): void => { expect(Array.from(a.data)).toEqual(Array.from(b.data)); };
    same(new PfgmppKernel({ D: 3 }).forward(x, 0.5, 1, new PhiloxRng(5)), new PfgmppKernel({ D: 3, forwardDraws: 'reference' }).forward(x, 0.5, 1, new PhiloxRng(5)));
    same(new PfgmppKernel({ D: 1e7 }).forward(x, 0.5, 1, new PhiloxRng(5)), new PfgmppKernel({ D: 1e7, forwardDraws: 'compact' }).forward(x, 0.5, 1, new PhiloxRng(5)));
  });

  it("perturb's default clip keeps the mean radius at N = 3072, D = 1e7 (the 1e-3 clip gave +80%)", () => {
    // E R = r sqrt(u/(1-u)) under u ~ Beta(N/2, D/2); for N << D, R/r ~ sqrt(N/D) (chi-like, sharp).
    const N = 3072;
    const D = 1e7;
    const x0 = Tensor.zeros([64, N], 'float64');
    const p = pfgmppKernel({ D }).perturb(x0, new Float64Array(64).fill(1), new PhiloxRng(9));
    const radii = getBackend().rowNorm(p.x);
    const mean = radii.reduce((s, v) => s + v, 0) / radii.length;
    // r = sigma sqrt(D); the exact mean radius is within 0.1% of r sqrt(N/D) = sqrt(N) here.
    expect(Math.abs(mean / Math.sqrt(N) - 1)).toBeLessThan(0.02);
  });
});

describe('PFGM++ density, score and kernel', () => {
  it('logDensity integrates to 1 (N = 2, radial quadrature) for several D', () => {
    for (const D of [1, 3, 40]) {
      const k = finite(D);
      const sigma = 0.8;
      // integral over R^2 = int_0^inf 2 pi R p(R e1) dR, substitution R = tan(t).
      const M = 3000;
      let s = 0;
      const y = Tensor.zeros([1, 2], 'float64');
      for (let i = 0; i < M; i++) {
        const t = ((i + 0.5) / M) * (Math.PI / 2);
        const R = Math.tan(t);
        const ld = k.logDensity(Tensor.from([R, 0], [1, 2], 'float64'), y, sigma)[0]!;
        s += 2 * Math.PI * R * Math.exp(ld) * (1 / Math.cos(t) ** 2) * (Math.PI / 2 / M);
      }
      expect(s).toBeCloseTo(1, 5);
    }
  });

  it('logDensity times the sphere area is the radius density p_r(R) (N = 5, heavy-tailed D = 0.5)', () => {
    const N = 5;
    const D = 0.5;
    const sigma = 1.3;
    const k = finite(D);
    const logSphere = Math.log(2) + (N / 2) * Math.log(Math.PI) - logGamma(N / 2);
    for (const R of [0.01, 0.7, 3, 250]) {
      const x = Tensor.from([0, 0, R, 0, 0], [1, N], 'float64');
      const ld = k.logDensity(x, Tensor.zeros([1, N], 'float64'), sigma)[0]!;
      expect(logSphere + (N - 1) * Math.log(R) + ld).toBeCloseTo(radiusLogPdf(R, { N, D, r: k.r(sigma) }), 12);
    }
  });

  it('score is the gradient of logDensity (central differences)', () => {
    const k = finite(7);
    const x = Tensor.from([0.3, -0.2, 1.0], [1, 3], 'float64');
    const y = Tensor.from([0.1, 0.1, 0.2], [1, 3], 'float64');
    const s = k.score(x, y, 0.4);
    for (let j = 0; j < 3; j++) {
      const h = 1e-6;
      const xp = x.clone();
      const xm = x.clone();
      xp.data[j]! += h;
      xm.data[j]! -= h;
      const g = (k.logDensity(xp, y, 0.4)[0]! - k.logDensity(xm, y, 0.4)[0]!) / (2 * h);
      expect(s.data[j]).toBeCloseTo(g, 6);
    }
  });

  it('logKernel tends to the Gaussian one as D grows with r = sigma sqrt(D) (thesis Thm. 8)', () => {
    const gauss: Kernel = edmKernel();
    const g = gauss.logKernel(3, 0.5, 10);
    let prev = Infinity;
    for (const D of [10, 1e3, 1e5, 1e7]) {
      const err = Math.abs(finite(D).logKernel(3, 0.5, 10) - g);
      expect(err).toBeLessThan(prev);
      prev = err;
    }
    expect(prev).toBeLessThan(1e-5);
  });

  it('rejects D <= 0 and NaN with a ValueError naming D', () => {
    for (const D of [0, -1, NaN]) {
      expect(() => pfgmppKernel({ D })).toThrow(ValueError);
      expect(() => pfgmppKernel({ D })).toThrow(/^D: /);
    }
  });
});
