import { ValueError } from '@phys/tensor';
import { logBesselK } from '../src/index.js';

/** Debye's uniform expansion of log K_nu(nu z) with the u1, u2 terms (error O(nu^-3)). */
function debye(nu: number, x: number): number {
  const z = x / nu;
  const s = Math.sqrt(1 + z * z);
  const t = 1 / s;
  const eta = s + Math.log(z / (1 + s));
  const u1 = (3 * t - 5 * t ** 3) / 24;
  const u2 = (81 * t ** 2 - 462 * t ** 4 + 385 * t ** 6) / 1152;
  return -nu * eta + 0.5 * Math.log(Math.PI / (2 * nu)) - 0.5 * Math.log(s) + Math.log(1 - u1 / nu + u2 / (nu * nu));
}

describe('logBesselK', () => {
  it('matches closed forms and reference values (scipy.special.kve) to 1e-13', () => {
    const half = (x: number) => 0.5 * Math.log(Math.PI / (2 * x)) - x;
    const cases: [number, number, number][] = [
      [0, 1, Math.log(0.42102443824070834)],
      [1, 1, Math.log(0.6019072301972346)],
      [0.5, 50, half(50)],
      [-0.5, 0.01, half(0.01)],
      [2.5, 3, half(3) + Math.log(1 + 3 / 3 + 3 / 9)],
      // log(kve(nu, x)) - x from scipy 1.x:
      [0, 1e-6, 2.634148305306988],
      [0, 0.01, 1.5520724788482156],
      [3.3, 0.2, 7.888141548179585],
      [100, 1, 427.7532510250188],
      [100, 1000, -998.2348503607279],
      [1536, 2000, -1438.7580614006924],
    ];
    for (const [nu, x, want] of cases) expect(Math.abs(logBesselK(nu, x) - want)).toBeLessThan(1e-13 * Math.max(1, Math.abs(want)));
  });

  it('large orders (N + D up to 1e7) agree with the Debye expansion', () => {
    for (const [nu, x] of [[1e4, 3], [5e5, 1e6], [1e6, 0.5], [5e6, 2e6]] as const) {
      const got = logBesselK(nu, x);
      expect(Number.isFinite(got)).toBe(true);
      expect(Math.abs(got - debye(nu, x))).toBeLessThan(1e-13 * Math.abs(got) + 1e-10);
    }
  });

  it('satisfies the recurrence K_{nu+1} = K_{nu-1} + (2 nu/x) K_nu', () => {
    for (const [nu, x] of [[3.7, 0.4], [40, 12], [250, 300]] as const) {
      const lm = logBesselK(nu - 1, x);
      const l0 = logBesselK(nu, x);
      const lp = logBesselK(nu + 1, x);
      const rhs = Math.log(Math.exp(lm - lp) + ((2 * nu) / x) * Math.exp(l0 - lp));
      expect(Math.abs(rhs)).toBeLessThan(1e-13);
    }
  });

  it('rejects x <= 0', () => {
    expect(() => logBesselK(1, 0)).toThrow(ValueError);
  });
});
