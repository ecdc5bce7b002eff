import { edmSchedule, pfgmppKernel } from '@phys/kernels';
import { PhiloxRng, Tensor, ValueError } from '@phys/tensor';
import {
  coulombLogPotential,
  coulombSource,
  empiricalDenoiser,
  forceField,
  forceFieldDenoiser,
  forceFieldVelocity,
  logBesselK,
  pfgmppField,
  powerLawSource,
  sourceFromPotential,
  yukawaSource,
  type PointSource,
} from '../src/index.js';
import { expectClose } from '../../../test-support/golden.js';

const rng = new PhiloxRng(31);
const ref = rng.normal([12, 3], 'float64');
const x = rng.normal([5, 3], 'float64');
const r = Float64Array.from([0.2, 0.5, 1, 3, 10]);

describe('point-source force fields', () => {
  it.each([1, 4, 2048])('Coulomb source in N + D dims equals the PFGM++ field (D = %p)', (D) => {
    const a = forceField(x, r, ref, coulombSource({ D }));
    const b = pfgmppField(x, r, ref, D);
    expectClose(a.x.data, b.x.data, 1e-12, 1e-14, 'E_x direction');
    expectClose(a.logScale, b.logScale, 1e-12, 1e-12, 'log scale');
  });

  it('the Coulomb denoiser is the PFGM++ empirical denoiser; velocity = (x - D(x))/r', async () => {
    const D = 16;
    const sigma = r.map((v) => v / Math.sqrt(D));
    const a = await forceFieldDenoiser(ref, coulombSource({ D }))(x, sigma);
    const b = await empiricalDenoiser(ref, pfgmppKernel({ D }))(x, sigma);
    expectClose(a.data, b.data, 1e-12, 1e-14, 'denoiser');
    const v = forceFieldVelocity(x, r, ref, coulombSource({ D }));
    expectClose(v.data, x.data.map((xv, i) => (xv - a.data[i]!) / r[Math.floor(i / 3)]!), 1e-10, 1e-12, 'velocity');
  });

  it('Yukawa: f = -G\'/rho of its Green\'s function, and -> Coulomb as m -> 0', () => {
    const m = 1.3;
    const yuk = yukawaSource({ mass: m, D: 2 });
    // G(rho) = (2 pi)^(-M/2) (m/rho)^(M/2-1) K_{M/2-1}(m rho), differentiated numerically.
    const viaPotential = sourceFromPotential({
      name: 'yukawa-by-potential',
      D: 2,
      logPotential: (rho, M) => -(M / 2) * Math.log(2 * Math.PI) + (M / 2 - 1) * Math.log(m / rho) + logBesselK(M / 2 - 1, m * rho),
    });
    for (const rho2 of [0.01, 0.5, 2, 30]) {
      for (const M of [3, 5, 66]) expect(Math.abs(yuk.logFieldFactor(rho2, M) - viaPotential.logFieldFactor(rho2, M))).toBeLessThan(1e-8);
    }
    const tiny = yukawaSource({ mass: 1e-7, D: 2 });
    const coul = coulombSource({ D: 2 });
    for (const rho2 of [0.01, 1, 20]) expect(Math.abs(tiny.logFieldFactor(rho2, 5) - coul.logFieldFactor(rho2, 5))).toBeLessThan(1e-9);
  });

  it('a source given by its potential reproduces the built-in Coulomb source', () => {
    const byPotential = sourceFromPotential({ name: 'coulomb-by-potential', D: 3, logPotential: coulombLogPotential });
    const a = forceField(x, r, ref, byPotential);
    const b = forceField(x, r, ref, coulombSource({ D: 3 }));
    expectClose(a.x.data, b.x.data, 1e-9, 1e-12, 'field');
    expectClose(a.logScale, b.logScale, 0, 1e-9, 'log scale');
    expect(() => sourceFromPotential({ name: 'repulsive', logPotential: (rho) => Math.log(rho) }).logFieldFactor(1, 3)).toThrow(ValueError);
  });

  it.each<[string, PointSource]>([
    ['yukawa', yukawaSource({ mass: 0.5, D: 1 })],
    ['power law p = 6', powerLawSource({ power: 6, D: 1 })],
  ])('field lines of the %s source carry samples from large r onto the data (Euler in sigma = r)', async (_, source) => {
    const data = Tensor.from([1, 1, -1, 1, 0, -1.5], [3, 2], 'float64');
    const denoise = forceFieldDenoiser(data, source);
    const t = edmSchedule({ steps: 80, sigmaMax: 30, sigmaMin: 1e-3 });
    let xs = new PhiloxRng(9).normal([12, 2], 'float64');
    for (let i = 0; i < xs.size; i++) xs.data[i]! *= 5;
    for (let i = 0; i + 1 < t.length; i++) {
      const d = await denoise(xs, new Float64Array(12).fill(t[i]!));
      xs = Tensor.from(xs.data.map((v, j) => v + ((t[i + 1]! - t[i]!) * (v - d.data[j]!)) / t[i]!), xs.shape, 'float64');
    }
    for (let k = 0; k < 12; k++) {
      let best = Infinity;
      for (let j = 0; j < 3; j++) best = Math.min(best, Math.hypot(xs.data[2 * k]! - data.data[2 * j]!, xs.data[2 * k + 1]! - data.data[2 * j + 1]!));
      expect(best).toBeLessThan(0.01);
    }
  });

  it('rejects bad source parameters', () => {
    expect(() => yukawaSource({ mass: 0 })).toThrow(ValueError);
    expect(() => powerLawSource({ power: -1 })).toThrow(ValueError);
    expect(() => coulombSource({ D: 0 })).toThrow(ValueError);
  });
});
