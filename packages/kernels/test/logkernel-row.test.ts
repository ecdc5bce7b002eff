import { PhiloxRng } from '@phys/tensor';
import { edmKernel, pfgmppKernel, veKernel, vpKernel } from '../src/index.js';
import type { Kernel } from '../src/index.js';

// Squared distances over 30 decades (0 included), as fields feed them from pairwiseSqDist.
const u = new PhiloxRng(5).uniform([1, 400], 'float64').data;
const sq = Float64Array.from(u, (v, i) => (i === 0 ? 0 : Math.exp(69 * v - 35)));
const sigmas = [0.002, 0.013, 0.5, 1, 7.3, 80];
const dims = [1, 2, 20, 3072];

const kernels: [string, Kernel][] = [
  ['edm', edmKernel()],
  ['ve', veKernel()],
  ['vp', vpKernel()],
  ...[1, 128, 2048, 1e6, 0.5].map((D): [string, Kernel] => [`pfgmpp D=${D}`, pfgmppKernel({ D })]),
];

describe('logKernelRow', () => {
  it.each(kernels)('%s: equals logKernel per entry, bit for bit, for every sigma and N', (_, k) => {
    const row = k.logKernelRow!.bind(k);
    for (const sigma of sigmas) {
      for (const n of dims) {
        const out = new Float64Array(sq.length);
        row(sq, 0, sq.length, sigma, n, out);
        for (let j = 0; j < sq.length; j++) {
          const want = k.logKernel(sq[j]!, sigma, n);
          if (!Object.is(out[j], want)) throw new Error(`${k.name}: sigma ${sigma}, n ${n}, sqDist ${sq[j]}: row ${out[j]} vs ${want}`);
        }
      }
    }
  });

  it.each(kernels)('%s: logKernel is -s/(2 sigma^2) (Gaussian) or -(N + D)/2 log1p(s/(sigma^2 D)) (PFGM++), bit for bit', (_, k) => {
    for (const sigma of sigmas) {
      for (const n of dims) {
        for (const s of sq) {
          const want = k.D === Infinity ? -s / (2 * sigma * sigma) : -0.5 * (n + k.D) * Math.log1p(s / (sigma * sigma * k.D));
          if (!Object.is(k.logKernel(s, sigma, n), want)) throw new Error(`${k.name}: sigma ${sigma}, n ${n}, sqDist ${s}`);
        }
      }
    }
  });

  it.each(kernels)('%s: writes only out[start, start + count), also in place', (_, k) => {
    const out = new Float64Array(sq.length).fill(7);
    k.logKernelRow!(sq, 100, 50, 0.3, 20, out);
    for (let j = 0; j < sq.length; j++) expect(out[j]).toBe(j >= 100 && j < 150 ? k.logKernel(sq[j]!, 0.3, 20) : 7);
    const inPlace = sq.slice();
    k.logKernelRow!(inPlace, 0, inPlace.length, 0.3, 20, inPlace);
    expect(inPlace).toEqual(Float64Array.from(sq, (s) => k.logKernel(s, 0.3, 20)));
  });
});
