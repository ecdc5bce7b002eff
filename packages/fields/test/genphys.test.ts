// GenPhys (thesis Ch. 9): dispersion relations and the smooth condition reproduce Tables 9.1/9.2.
import { ValueError } from '@phys/tensor';
import {
  classifyFamily,
  densityFlow,
  dispersionRelation,
  genphysPdes as P,
  polynomialRoots,
  smoothCondition,
  type Complex,
  type LinearPde,
} from '../src/index.js';

/** Every expected root is matched by a distinct computed root within tol (multiset equality). */
function expectRoots(got: Complex[], want: Complex[], tol = 1e-12): void {
  expect(got.length).toBe(want.length);
  const used = new Set<number>();
  for (const w of want) {
    let best = -1;
    let bd = Infinity;
    got.forEach((g, j) => {
      const d = Math.hypot(g.re - w.re, g.im - w.im);
      if (!used.has(j) && d < bd) {
        bd = d;
        best = j;
      }
    });
    expect(bd).toBeLessThan(tol * Math.max(1, Math.hypot(w.re, w.im)));
    used.add(best);
  }
}
const c = (re: number, im = 0): Complex => ({ re, im });
const ks = [0, 0.05, 0.3, 1, 1.7, 4, 9];

describe('dispersion relations of Table 9.1 and 9.2', () => {
  const eps = 0.8;
  const k0 = 1.2;
  const m = 0.7;
  const a = 0.5;
  const b = 1.5;
  const beta = 0.75;
  const table: [string, LinearPde, (k: number) => Complex[]][] = [
    ['diffusion: -i k^2', P.diffusion(), (k) => [c(0, -k * k)]],
    ['Poisson: +-i k', P.poisson(), (k) => [c(0, k), c(0, -k)]],
    ['ideal wave: +-k', P.idealWave(), (k) => [c(k), c(-k)]],
    [
      'dissipative wave: i(-eps +- sqrt(eps^2 - k^2)) | -i eps +- sqrt(k^2 - eps^2)',
      P.dissipativeWave(eps),
      (k) => (k <= eps ? [c(0, -eps + Math.sqrt(eps * eps - k * k)), c(0, -eps - Math.sqrt(eps * eps - k * k))] : [c(Math.sqrt(k * k - eps * eps), -eps), c(-Math.sqrt(k * k - eps * eps), -eps)]),
    ],
    [
      'Helmholtz: +-sqrt(k0^2 - k^2) | +-i sqrt(k^2 - k0^2)',
      P.helmholtz(k0),
      (k) => (k <= k0 ? [c(Math.sqrt(k0 * k0 - k * k)), c(-Math.sqrt(k0 * k0 - k * k))] : [c(0, Math.sqrt(k * k - k0 * k0)), c(0, -Math.sqrt(k * k - k0 * k0))]),
    ],
    ['screened Poisson: +-i sqrt(k^2 + m^2)', P.screenedPoisson(m), (k) => [c(0, Math.hypot(k, m)), c(0, -Math.hypot(k, m))]],
    ['Schroedinger: k^2', P.schrodinger(), (k) => [c(k * k)]],
    [
      'mixed diffusion-Poisson: (i/2a)(b +- sqrt(b^2 + 4 a k^2))',
      P.mixedDiffusionPoisson(a, b),
      (k) => [c(0, (b + Math.sqrt(b * b + 4 * a * k * k)) / (2 * a)), c(0, (b - Math.sqrt(b * b + 4 * a * k * k)) / (2 * a))],
    ],
    ['fractional diffusion: -i k^(2 beta)', P.fractionalDiffusion(beta), (k) => [c(0, -(k ** (2 * beta)))]],
    [
      'third-order diffusion: (-i, e^(i pi/6), e^(5 i pi/6)) k^(2/3)',
      P.thirdOrderDiffusion(),
      (k) => [-Math.PI / 2, Math.PI / 6, (5 * Math.PI) / 6].map((t) => c(k ** (2 / 3) * Math.cos(t), k ** (2 / 3) * Math.sin(t))),
    ],
    ['biharmonic: -i k^4', P.biharmonic(), (k) => [c(0, -(k ** 4))]],
  ];
  it.each(table)('%s', (_, pde, want) => {
    for (const k of ks) expectRoots(dispersionRelation(pde, k), want(k), pde.time.length > 3 ? 1e-11 : 1e-12);
  });
});

describe('smooth condition Im omega(k) < Im omega(0) (Eq. 9.8): Table 9.1 verdicts', () => {
  it('diffusion, Poisson, screened Poisson: yes; ideal wave, Schroedinger: no', () => {
    expect(smoothCondition(P.diffusion()).holds).toBe(true);
    expect(smoothCondition(P.poisson()).holds).toBe(true);
    expect(classifyFamily(P.screenedPoisson, [0, 0.1, 1, 5]).verdict).toBe('yes');
    expect(smoothCondition(P.idealWave()).holds).toBe(false);
    expect(smoothCondition(P.schrodinger()).holds).toBe(false);
  });

  it('Poisson: only the branch omega = -ik satisfies Eq. 9.8', () => {
    const res = smoothCondition(P.poisson());
    expect(res.perBranch.filter((p) => p.satisfies)).toHaveLength(1);
    const w = res.dispersion.branches[res.branch]!;
    expect(w[w.length - 1]!.im).toBeLessThan(0);
  });

  it('dissipative wave: conditionally yes (holds for eps > 0, fails at eps = 0, the ideal wave)', () => {
    const fam = classifyFamily(P.dissipativeWave, [0, 0.01, 0.5, 3, 50]);
    expect(fam.verdict).toBe('conditional');
    expect(fam.failsFor).toEqual([0]);
  });

  it('Helmholtz: conditionally yes (small k0): fails for k0 > 0 on 0 < k <= k0 unless those modes are clipped', () => {
    expect(classifyFamily(P.helmholtz, [0, 0.1, 1, 5]).verdict).toBe('conditional');
    const res = smoothCondition(P.helmholtz(1));
    expect(res.holds).toBe(false);
    expect(res.perBranch.every((p) => p.firstViolation !== null && p.firstViolation <= 1)).toBe(true);
    // With the resolved modes k >= kMin = 0.5 (phase space clipped): small k0 passes, large k0 fails.
    const clipped = classifyFamily(P.helmholtz, [0, 0.1, 0.4, 1, 5], { kMin: 0.5 });
    expect(clipped.holdsFor).toEqual([0, 0.1, 0.4]);
    expect(clipped.failsFor).toEqual([1, 5]);
  });
});

describe('Table 9.2: new smooth density flows', () => {
  it.each<[string, LinearPde]>([
    ['mixed diffusion-Poisson', P.mixedDiffusionPoisson(0.5, 1.5)],
    ['fractional diffusion beta = 0.25', P.fractionalDiffusion(0.25)],
    ['fractional diffusion beta = 1.5', P.fractionalDiffusion(1.5)],
    ['third-order diffusion', P.thirdOrderDiffusion()],
    ['elasticity (biharmonic)', P.biharmonic()],
  ])('%s satisfies the smooth condition', (_, pde) => {
    expect(smoothCondition(pde).holds).toBe(true);
  });

  it('families over their parameter ranges are "yes"', () => {
    expect(classifyFamily((bb) => P.mixedDiffusionPoisson(1, bb), [0.01, 1, 10]).verdict).toBe('yes');
    expect(classifyFamily(P.fractionalDiffusion, [0.1, 0.5, 1, 2]).verdict).toBe('yes');
  });

  it('k-dependent coefficients: phi_t + (1 + k^2)^(1/2) phi = 0 smooths (omega = -i sqrt(1 + k^2))', () => {
    const pde: LinearPde = { name: 'relativistic-like', time: [(k: number) => Math.sqrt(1 + k * k), 1], space: [] };
    expectRoots(dispersionRelation(pde, 2), [c(0, -Math.sqrt(5))]);
    expect(smoothCondition(pde).holds).toBe(true);
  });

  it('an anti-diffusion phi_t + nabla^2 phi = 0 fails', () => {
    expect(smoothCondition({ name: 'anti-diffusion', time: [0, 1], space: [{ coef: -1, power: 1 }] }).holds).toBe(false);
  });
});

describe('density-flow form (Eq. 9.2, Table 9.1 rows p, v, R)', () => {
  it('diffusion: p = phi, v = -grad log phi, R = 0', () => {
    const f = densityFlow(P.diffusion());
    expect(f).toMatchObject({ kind: 'real', order: 1, densitySign: 1, p: 'phi', v: '-1 grad phi / phi', R: '0' });
  });
  it('Poisson: p = -phi_t, v = grad phi / phi_t, R = 0', () => {
    expect(densityFlow(P.poisson())).toMatchObject({ densitySign: -1, p: '-phi_t', v: '1 grad phi / phi_t', R: '0' });
  });
  it('Helmholtz R = k0^2 phi; screened Poisson R = -m^2 phi; dissipative wave R = 2 eps phi_t', () => {
    expect(densityFlow(P.helmholtz(2)).birth).toEqual([4, 0]);
    expect(densityFlow(P.screenedPoisson(3)).birth).toEqual([-9, 0]);
    expect(densityFlow(P.dissipativeWave(0.5)).birth).toEqual([0, 1]);
  });
  it('Schroedinger: p = |phi|^2, v = 2 Im grad log phi; third order: p = phi_tt', () => {
    expect(densityFlow(P.schrodinger())).toMatchObject({ kind: 'quantum', p: '|phi|^2', v: '2 Im grad log phi', R: '0' });
    expect(densityFlow(P.thirdOrderDiffusion())).toMatchObject({ kind: 'real', densitySign: 1, p: 'phi_tt' });
  });
});

describe('root finder', () => {
  it('Aberth iteration finds the roots of a quintic with complex coefficients', () => {
    const roots = [c(1, 2), c(-0.5, 0), c(3, -1), c(0, 0.25), c(-2, -2)];
    // Expand prod (z - r).
    let poly: Complex[] = [c(1)];
    for (const r of roots) {
      const next: Complex[] = Array.from({ length: poly.length + 1 }, () => c(0));
      poly.forEach((p, j) => {
        next[j + 1] = c(next[j + 1]!.re + p.re, next[j + 1]!.im + p.im);
        next[j] = c(next[j]!.re - (p.re * r.re - p.im * r.im), next[j]!.im - (p.re * r.im + p.im * r.re));
      });
      poly = next;
    }
    expectRoots(polynomialRoots(poly), roots, 1e-12);
    expect(() => polynomialRoots([c(1), c(0)])).toThrow(ValueError);
  });
});
