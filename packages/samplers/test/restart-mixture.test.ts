// Thesis Sec. 5.4.1 as a test: 20-d Gaussian mixture, exact denoiser plus an injected
// approximation error; ODE (Heun), SDE (Euler-Maruyama) and Restart run inside
// [t_min, t_max] = [1.0, 1.5], the first-order ODE (Euler) outside, as in the thesis. At equal NFE
// Restart's total error W1(p_0^sampler, p_0) is below both (Theorems 3/4: Restart contracts the
// error accumulated before t_max more strongly than the SDE and the ODE).
import { PhiloxRng, Tensor } from '@phys/tensor';
import { edmKernel, edmSchedule } from '@phys/kernels';
import { approximationErrorDenoiser, lowRankMixtureDenoiser, restartMixture20d, restartMixture20dComponents } from '@phys/fields';
import { slicedWasserstein } from '@phys/metrics';
import { eulerMaruyamaSample, eulerSample, heunSample, restartSample } from '../src/index.js';

const n = 2000;
const linspace = (from: number, to: number, steps: number): Float64Array => Float64Array.from({ length: steps + 1 }, (_, i) => from + ((to - from) * i) / steps);

describe('thesis Sec. 5.4.1: Restart vs ODE vs SDE on the 20-d mixture with approximation error', () => {
  // Mixture and exact denoiser from PhiloxRng(0) (the fast low-rank form; checked against
  // GaussianMixture.denoise in @phys/fields), error field from PhiloxRng(1), eps = 0.2.
  const mixture = restartMixture20d(new PhiloxRng(0));
  const approx = approximationErrorDenoiser(lowRankMixtureDenoiser(restartMixture20dComponents(new PhiloxRng(0))), { dim: 20, eps: 0.2, rng: new PhiloxRng(1) });
  // Sliced W1 over 128 directions drawn from PhiloxRng(4).
  const slicedW1 = (x: Tensor, y: Tensor): number => slicedWasserstein(x, y, { projections: 128, seed: 4 }).distance;

  it('at 36 NFE inside [1.0, 1.5] (61 in all), Restart (K = 8) has lower total sliced W1 than Heun and Euler-Maruyama', async () => {
    const data = mixture.sample(n, new PhiloxRng(100), 'float64');
    const xT = edmKernel().prior([n, 20], 80, new PhiloxRng(200), 'float64');
    // Outside the interval: Euler, 12 steps 80 -> 1.5 and 13 steps 1.0 -> 0 (25 NFE).
    const above = await eulerSample(approx, xT, edmSchedule({ steps: 13, sigmaMin: 1.5, sigmaMax: 80 }).subarray(0, 13));
    const below = edmSchedule({ steps: 13, sigmaMin: 0.002, sigmaMax: 1.0 });
    const finish = async (x: Tensor, nfe: number): Promise<{ error: number; nfe: number }> => {
      const end = await eulerSample(approx, x, below);
      return { error: slicedW1(end.x, data), nfe: above.nfe + nfe + end.nfe };
    };
    const ode = await heunSample(approx, above.x, linspace(1.5, 1.0, 18));
    const sde = await eulerMaruyamaSample(approx, above.x, linspace(1.5, 1.0, 36), { rng: new PhiloxRng(1) });
    const rs = await restartSample(approx, above.x, linspace(1.5, 1.0, 2), {
      levels: [[3, 8, 1.0, 1.5]],
      rng: new PhiloxRng(2),
      restartGamma: 0,
    });
    const results = { ode: await finish(ode.x, ode.nfe), sde: await finish(sde.x, sde.nfe), restart: await finish(rs.x, rs.nfe) };
    expect([results.ode.nfe, results.sde.nfe, results.restart.nfe]).toEqual([61, 61, 61]);
    const floor = slicedW1(mixture.sample(n, new PhiloxRng(101), 'float64'), data);
    console.log(
      `Sec. 5.4.1 (n = ${n}, sliced W1 over 128 directions; two data sets: ${floor.toFixed(4)}): ` +
        `ODE ${results.ode.error.toFixed(4)}, SDE ${results.sde.error.toFixed(4)}, Restart ${results.restart.error.toFixed(4)}`,
    );
    expect(results.restart.error).toBeLessThan(results.sde.error);
    expect(results.restart.error).toBeLessThan(results.ode.error);
    expect(results.sde.error).toBeLessThan(results.ode.error);
    expect(results.restart.error).toBeGreaterThan(floor);
  });
});
