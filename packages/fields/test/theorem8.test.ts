// Thesis Thm. 8 / Fig. 8.4a on a fixed Gaussian mixture in N = 64: the scaled PFGM++ field
// -sqrt(D) E_x/E_r approaches sigma * grad log p_sigma of the Gaussian kernel as D grows.
import { edmKernel } from '@phys/kernels';
import { PhiloxRng, Tensor } from '@phys/tensor';
import { GaussianMixture, posteriorMean, scaledPfgmppField } from '../src/index.js';

function fixedMixture(): GaussianMixture {
  const rng = new PhiloxRng(2024);
  const means = rng.normal([6, 64], 'float64');
  return new GaussianMixture(Array.from({ length: 6 }, (_, k) => ({ mean: means.row(k), covariance: 0.25 })));
}

describe('Thm. 8: PFGM++ field -> Gaussian score as D -> infinity (N = 64)', () => {
  const N = 64;
  const mix = fixedMixture();
  const reference = mix.sample(256, new PhiloxRng(1));
  const Ds = [64, 128, 2048, 3072000];
  for (const sigma of [1, 2, 4, 8]) {
    it(`sigma = ${sigma}: mean |scaled field - sigma * score| decreases monotonically over D, ~0 at D = 3072000`, () => {
      const rng = new PhiloxRng(7);
      // x ~ p_sigma: reference points perturbed by the Gaussian kernel (the expectation of Fig. 8.4a).
      const idx = rng.uniform([128, 1], 'float64').data;
      const x = Tensor.zeros([128, N], 'float64');
      const eps = rng.normal([128, N], 'float64');
      for (let i = 0; i < 128; i++) {
        const j = Math.floor(idx[i]! * 256);
        for (let q = 0; q < N; q++) x.data[i * N + q] = reference.data[j * N + q]! + sigma * eps.data[i * N + q]!;
      }
      // sigma * score of the Gaussian kernel = (D_gauss(x) - x)/sigma.
      const gauss = posteriorMean(x, reference, edmKernel(), sigma);
      const dist = Ds.map((D) => {
        const f = scaledPfgmppField(x, sigma, reference, D);
        let total = 0;
        for (let i = 0; i < 128; i++) {
          let s = 0;
          for (let q = 0; q < N; q++) s += (f.data[i * N + q]! - (gauss.data[i * N + q]! - x.data[i * N + q]!) / sigma) ** 2;
          total += Math.sqrt(s) / 128;
        }
        return total;
      });
      for (let k = 1; k < Ds.length; k++) expect(dist[k]!).toBeLessThan(dist[k - 1]!);
      // The field norm is about sqrt(N) = 8; at D = 3072000 the gap is below 1e-4 and 1e-3 of D = 64's.
      expect(dist[0]!).toBeGreaterThan(1e-3);
      expect(dist[3]!).toBeLessThan(1e-4);
      expect(dist[3]!).toBeLessThan(1e-3 * dist[0]!);
    });
  }
});
