// STF diagnostics (thesis Ch. 3, Fig. 3.3; Ch. 8, Fig. 8.3) on the "Two Gaussians" data of
// Sec. 3.5.1: 1000 draws of 1/2 N(0.1*1, 1e-8 I) + 1/2 N(-0.1*1, 1e-8 I) in 64 dimensions, VE/EDM kernel.
import { edmKernel, pfgmppKernel } from '@phys/kernels';
import { PhiloxRng, Tensor } from '@phys/tensor';
import { GaussianMixture, logKernelSlope, posteriorTvd, twoGaussians, vDsm, vStf } from '../src/index.js';

const mix = twoGaussians();
const data = mix.sample(1000, new PhiloxRng(1));
const kernel = edmKernel();

describe('V_DSM (Eq. 3.3)', () => {
  it.each([1, 2])('sigma = %p: the empirical estimator agrees with the closed-form mixture posterior trace (4 SE)', (sigma) => {
    const d = vDsm({ data, kernel, sigma, samples: 300, rng: new PhiloxRng(2) });
    // Independent route: x~ ~ p_sigma of the continuous mixture, E[Tr Cov[x0 | x~]]/sigma^4 in closed form.
    const rng = new PhiloxRng(5);
    const x0 = mix.sample(300, rng);
    const eps = rng.normal([300, 64], 'float64');
    const x = Tensor.from(x0.data.map((v, i) => v + sigma * eps.data[i]!), [300, 64], 'float64');
    const tr = mix.evaluate(x, sigma).posteriorTrace.map((t) => t / sigma ** 4);
    let m = 0;
    for (const t of tr) m += t / tr.length;
    let v = 0;
    for (const t of tr) v += (t - m) ** 2 / (tr.length - 1);
    const se = Math.hypot(d.standardError, Math.sqrt(v / tr.length));
    expect(Math.abs(d.mean - m)).toBeLessThan(4 * se);
    expect(d.mean).toBeGreaterThan(10 * se);
  });

  it('the score slope of logKernel matches kernel.score (Gaussian and PFGM++)', () => {
    const x = Tensor.from([0.3, -0.2, 1.1, 0.5, 0, 0.25], [2, 3], 'float64');
    const y = Tensor.from([0.1, 0.4, -0.6, 0.5, 0, 0.25], [2, 3], 'float64');
    for (const k of [edmKernel(), pfgmppKernel({ D: 8 }), pfgmppKernel({ D: 3072000 })]) {
      for (const sigma of [0.01, 0.7, 30]) {
        const score = k.score(x, y, sigma);
        for (let i = 0; i < 2; i++) {
          let s = 0;
          for (let q = 0; q < 3; q++) s += (x.data[i * 3 + q]! - y.data[i * 3 + q]!) ** 2;
          const c = 2 * logKernelSlope(k, s, sigma, 3);
          for (let q = 0; q < 3; q++) {
            const want = score.data[i * 3 + q]!;
            expect(Math.abs(c * (x.data[i * 3 + q]! - y.data[i * 3 + q]!) - want)).toBeLessThan(1e-8 * Math.abs(want) + 1e-12);
          }
        }
      }
    }
  });
});

describe('V_STF (Thm. 2, Fig. 3.3c)', () => {
  it.each([1, 2])('sigma = %p: V_STF(n) <= V_DSM/(n - 1) within 3 SE and falls as n grows', (sigma) => {
    const dsm = vDsm({ data, kernel, sigma, samples: 300, rng: new PhiloxRng(2) });
    const ns = [8, 32, 128];
    const stf = ns.map((n) => vStf({ data, kernel, sigma, n, samples: 40, batches: 16, rng: new PhiloxRng(3) }));
    ns.forEach((n, k) => {
      const bound = dsm.mean / (n - 1);
      const se = Math.hypot(stf[k]!.standardError, dsm.standardError / (n - 1));
      expect(stf[k]!.mean).toBeLessThan(bound + 3 * se);
    });
    for (let k = 1; k < ns.length; k++) {
      const se = Math.hypot(stf[k]!.standardError, stf[k - 1]!.standardError);
      expect(stf[k]!.mean + 3 * se).toBeLessThan(stf[k - 1]!.mean);
    }
  });

  it('n = 1 reduces STF to DSM: V_STF = V_DSM (4 SE)', () => {
    const sigma = 1;
    const dsm = vDsm({ data, kernel, sigma, samples: 300, rng: new PhiloxRng(2) });
    const one = vStf({ data, kernel, sigma, n: 1, samples: 100, batches: 16, rng: new PhiloxRng(4) });
    expect(Math.abs(one.mean - dsm.mean)).toBeLessThan(4 * Math.hypot(one.standardError, dsm.standardError));
  });
});

describe('posterior-vs-uniform TVD (Fig. 8.3)', () => {
  const rng = new PhiloxRng(3);
  const clusters = new GaussianMixture(Array.from({ length: 10 }, () => ({ mean: rng.normal([1, 64], 'float64').data, covariance: 0.3 })));
  const points = clusters.sample(512, rng);

  it('is 1 - 1/M in the near field and -> 0 in the far field', () => {
    const near = posteriorTvd({ data: points, kernel, sigma: 1e-3, samples: 20, rng: new PhiloxRng(4) });
    expect(Math.abs(near.mean - (1 - 1 / 512))).toBeLessThan(1e-9);
    const far = posteriorTvd({ data: points, kernel, sigma: 1e3, samples: 20, rng: new PhiloxRng(4) });
    expect(far.mean).toBeLessThan(0.01);
  });

  it.each([5, 20])('sigma = %p: r = sigma sqrt(D) aligns the phases of D = 64, 2048 with D = infinity; r = sigma does not', (sigma) => {
    const tvd = (D: number, s: number) => posteriorTvd({ data: points, kernel: pfgmppKernel({ D }), sigma: s, samples: 60, rng: new PhiloxRng(4) }).mean;
    const gauss = tvd(Infinity, sigma);
    for (const D of [64, 2048]) {
      expect(Math.abs(tvd(D, sigma) - gauss)).toBeLessThan(0.03);
      // Unaligned: r = sigma, i.e. kernel sigma' = sigma/sqrt(D).
      expect(Math.abs(tvd(D, sigma / Math.sqrt(D)) - gauss)).toBeGreaterThan(0.2);
    }
  });
});
