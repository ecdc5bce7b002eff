import { PhiloxRng, Tensor, ValueError } from '@phys/tensor';
import { exactPfgmField, logUnitSphereArea, pfgmFieldTarget, pfgmppField, pfgmppNormalizedField } from '../src/index.js';

describe('PFGM++ electric field (thesis Eq. 8.1, symmetry-reduced)', () => {
  it('matches the direct sum 1/(n S_{N+D-1}) sum (x~ - y~)/|x~ - y~|^(N+D) for small N + D', () => {
    const rng = new PhiloxRng(5);
    const ref = rng.normal([7, 3], 'float64');
    const x = rng.normal([4, 3], 'float64');
    const r = Float64Array.from([0.3, 1, 2.5, 0.05]);
    for (const D of [1, 2, 5.5]) {
      const f = pfgmppField(x, r, ref, D);
      const M = 3 + D;
      const S = (2 * Math.PI ** (M / 2)) / gamma(M / 2);
      for (let i = 0; i < 4; i++) {
        const ex = [0, 0, 0];
        let er = 0;
        for (let j = 0; j < 7; j++) {
          let d2 = r[i]! ** 2;
          for (let q = 0; q < 3; q++) d2 += (x.data[i * 3 + q]! - ref.data[j * 3 + q]!) ** 2;
          const w = d2 ** (-M / 2) / (7 * S);
          for (let q = 0; q < 3; q++) ex[q]! += w * (x.data[i * 3 + q]! - ref.data[j * 3 + q]!);
          er += w * r[i]!;
        }
        const scale = Math.exp(f.logScale[i]!);
        for (let q = 0; q < 3; q++) expect(Math.abs(scale * f.x.data[i * 3 + q]! - ex[q]!)).toBeLessThan(1e-12 * Math.abs(er) + 1e-13);
        expect(Math.abs(scale * f.r[i]! - er) / er).toBeLessThan(1e-12);
      }
    }
  });

  it('stays finite for N + D = 1e7 where the direct sum under/overflows', () => {
    const ref = Tensor.from([0, 0, 3, 4], [2, 2], 'float64');
    const f = pfgmppField(Tensor.from([1, 1], [1, 2], 'float64'), 1e-3, ref, 1e7 - 2);
    expect(Number.isFinite(f.logScale[0]!)).toBe(true);
    expect(Array.from(f.x.data).every(Number.isFinite)).toBe(true);
    // All weight on the nearest charge (0, 0): x - y = (1, 1).
    expect(f.x.data[0]).toBeCloseTo(1, 12);
  });

  it('unit sphere areas: S_1 = 2 pi, S_2 = 4 pi', () => {
    expect(Math.exp(logUnitSphereArea(2))).toBeCloseTo(2 * Math.PI, 12);
    expect(Math.exp(logUnitSphereArea(3))).toBeCloseTo(4 * Math.PI, 12);
  });

  it('normalised targets: norm sqrt(N) |E|/(|E| + gamma), rejects bad z, r, D', () => {
    const ref = new PhiloxRng(1).normal([5, 4], 'float64');
    const x = new PhiloxRng(2).normal([3, 4], 'float64');
    const t = pfgmFieldTarget(x, 0.5, ref, { gamma: 0 });
    for (let i = 0; i < 3; i++) {
      let n2 = 0;
      for (let q = 0; q < 5; q++) n2 += t.data[i * 5 + q]! ** 2;
      expect(Math.sqrt(n2)).toBeCloseTo(2, 12);
    }
    expect(() => pfgmFieldTarget(x, 0, ref)).toThrow(ValueError);
    expect(() => pfgmppNormalizedField(x, 1, ref, Infinity)).toThrow(ValueError);
    expect(() => pfgmppField(x, -1, ref, 4)).toThrow(ValueError);
  });
});

describe('exactPfgmField', () => {
  it('splits the Alg. 1 target into v_x (shape of x) and v_z', async () => {
    const ref = new PhiloxRng(1).normal([6, 2, 2], 'float64');
    const x = new PhiloxRng(2).normal([3, 2, 2], 'float32');
    const z = Float64Array.from([0.01, 1, 30]);
    const { vx, vz } = await exactPfgmField(ref)(x, z);
    const t = pfgmFieldTarget(x, z, ref);
    expect(vx.shape).toEqual([3, 2, 2]);
    expect(vx.dtype).toBe('float32');
    for (let i = 0; i < 3; i++) {
      for (let q = 0; q < 4; q++) expect(vx.data[i * 4 + q]).toBe(t.data[i * 5 + q]);
      expect(vz[i]).toBe(t.data[i * 5 + 4]);
    }
    // Far above the data the field points down, towards the z = 0 plane of the charges.
    expect(vz[2]!).toBeLessThan(0);
  });
});

function gamma(z: number): number {
  // Lanczos approximation (g = 7), accurate to ~1e-15 for z > 0.5.
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  z -= 1;
  let a = c[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (z + i);
  return Math.sqrt(2 * Math.PI) * t ** (z + 0.5) * Math.exp(-t) * a;
}
