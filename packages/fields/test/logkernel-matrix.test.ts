import { edmKernel, pfgmppKernel } from '@phys/kernels';
import { PhiloxRng, getBackend } from '@phys/tensor';
import {
  coulombLogPotential,
  coulombSource,
  logBesselK,
  logKernelMatrix,
  logUnitSphereArea,
  posteriorWeights,
  powerLawSource,
  sourceFromPotential,
  yukawaSource,
  type LogKernel,
} from '../src/index.js';

const LOG_2PI = Math.log(2 * Math.PI);
const u = new PhiloxRng(8).uniform([1, 200], 'float64').data;
const sq = Float64Array.from(u, (v, i) => (i === 0 ? 0 : Math.exp(60 * v - 30)));
const sigmas = [0.002, 0.4, 3, 80];

const sources = [
  coulombSource({ D: 1 }),
  coulombSource({ D: 128 }),
  coulombSource({ D: 1e6 }),
  powerLawSource({ power: 3, D: 2 }),
  yukawaSource({ mass: 0.7, D: 4 }),
  sourceFromPotential({ name: 'coulomb-potential', D: 3, logPotential: coulombLogPotential }),
];

/** The same kernel without the row method: posteriorWeights takes the per-entry path. */
const perEntry = (k: LogKernel): LogKernel => ({ logKernel: (s, sigma, n) => k.logKernel(s, sigma, n) });

describe('row-batched log kernels', () => {
  it.each(sources.map((s) => [s.name, s] as const))('%s: logKernelRow equals logKernel per entry, bit for bit', (_, src) => {
    for (const sigma of sigmas) {
      for (const n of [1, 2, 20, 3072]) {
        const out = new Float64Array(sq.length);
        src.logKernelRow!(sq, 0, sq.length, sigma, n, out);
        for (let j = 0; j < sq.length; j++) {
          const want = src.logKernel(sq[j]!, sigma, n);
          if (!Object.is(out[j], want)) throw new Error(`${src.name}: sigma ${sigma}, n ${n}, sqDist ${sq[j]}: ${out[j]} vs ${want}`);
        }
      }
    }
  });

  it('Coulomb and Yukawa log field factors keep their formulas (thesis Eq. 8.1, Eq. A.123), bit for bit', () => {
    const c = coulombSource({ D: 3 });
    const y = yukawaSource({ mass: 0.7, D: 4 });
    for (const M of [3, 23, 3075]) {
      for (const rho2 of sq.subarray(1, 40)) {
        expect(c.logFieldFactor(rho2, M)).toBe(-(M / 2) * Math.log(rho2) - logUnitSphereArea(M));
        const want = -(M / 2) * LOG_2PI + (M / 2) * Math.log(0.7) - (M / 4) * Math.log(rho2) + logBesselK(M / 2, 0.7 * Math.sqrt(rho2));
        expect(y.logFieldFactor(rho2, M)).toBe(want);
      }
    }
  });

  it('logKernelMatrix: rows through logKernelRow equal the per-entry path, per-row sigma', () => {
    const rows = 3;
    const cols = 50;
    const m = { data: sq.slice(0, rows * cols), rows, cols };
    const sigma = Float64Array.from([0.05, 1, 30]);
    for (const k of [edmKernel(), pfgmppKernel({ D: 128 }), coulombSource({ D: 8 })]) {
      const a = logKernelMatrix(k, m, sigma, 20);
      const b = logKernelMatrix(perEntry(k), m, sigma, 20);
      expect(a.data).toEqual(b.data);
      for (let i = 0; i < rows; i++) expect(a.data[i * cols + 7]).toBe(k.logKernel(m.data[i * cols + 7]!, sigma[i]!, 20));
    }
  });

  it.each([
    ['edm', edmKernel()],
    ['pfgmpp D=2048', pfgmppKernel({ D: 2048 })],
    ['yukawa', yukawaSource({ mass: 2, D: 2 })],
  ] as const)('posteriorWeights with %s: same weights and log normalisers without the row method', (_, k) => {
    const rng = new PhiloxRng(12);
    const x = rng.normal([6, 20], 'float64');
    const ref = rng.normal([40, 20], 'float64');
    const sigma = Float64Array.from([0.01, 0.1, 0.5, 1, 4, 50]);
    expect(typeof k.logKernelRow).toBe('function');
    const a = posteriorWeights(x, ref, k, sigma);
    const b = posteriorWeights(x, ref, perEntry(k), sigma);
    expect(a.weights.data).toEqual(b.weights.data);
    expect(a.logNormalizer).toEqual(b.logNormalizer);
    expect(getBackend().softmaxRows({ data: logKernelMatrix(k, a.sqDist, sigma, 20).data, rows: 6, cols: 40 })).toEqual(a.logNormalizer);
  });
});
