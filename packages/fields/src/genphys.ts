// GenPhys (thesis Ch. 9, l. 2043+): linear constant-coefficient PDEs as generative models.
// Dispersion relations omega(k) from the wave ansatz phi ~ exp(-i omega t + i k.x), the smooth
// condition Im omega(k) < Im omega(0) for all k > 0 (Eq. 9.8, proved in App. A.6.3), and the
// density-flow form d_t p + div(p v) - R = 0 (Eq. 9.2) of the PDE (Table 9.1).
import { ValueError } from '@phys/tensor';

/** A complex number. */
export interface Complex {
  readonly re: number;
  readonly im: number;
}

/** A PDE coefficient: real, complex, or a function of the wave number k = |k| (e.g. fractional operators). */
export type Coefficient = number | Complex | ((k: number) => number | Complex);

/** A spatial term `coef * (-Delta)^power` (Fourier symbol coef * k^(2 power)); power may be fractional. */
export interface SpatialTerm {
  readonly coef: Coefficient;
  readonly power: number;
}

/**
 * A linear PDE with constant (or k-dependent) coefficients, translation and rotation invariant:
 * sum_j time[j] d_t^j phi + sum_s space[s].coef (-Delta)^space[s].power phi = 0.
 * `time[0]` multiplies phi itself (e.g. -m^2 of the screened Poisson equation).
 */
export interface LinearPde {
  readonly name: string;
  readonly time: readonly Coefficient[];
  readonly space: readonly SpatialTerm[];
}

/** The term `c nabla^2` (= -c (-Delta)). */
export function laplacian(c: Coefficient = 1): SpatialTerm {
  return { coef: scaleCoef(c, -1), power: 1 };
}

/** The term `c (-Delta)^beta` (fractional Laplacian, beta > 0). */
export function fractionalLaplacian(beta: number, c: Coefficient = 1): SpatialTerm {
  if (!(beta > 0 && Number.isFinite(beta))) throw new ValueError('beta', beta, 'a finite number > 0');
  return { coef: c, power: beta };
}

/** The term `c nabla^2 nabla^2` (= c (-Delta)^2, the biharmonic operator). */
export function biharmonic(c: Coefficient = 1): SpatialTerm {
  return { coef: c, power: 2 };
}

// --- complex arithmetic ---------------------------------------------------------------------

const cx = (re: number, im = 0): Complex => ({ re, im });
const add = (a: Complex, b: Complex): Complex => cx(a.re + b.re, a.im + b.im);
const sub = (a: Complex, b: Complex): Complex => cx(a.re - b.re, a.im - b.im);
const mul = (a: Complex, b: Complex): Complex => cx(a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re);
function div(a: Complex, b: Complex): Complex {
  // Smith's algorithm.
  if (Math.abs(b.re) >= Math.abs(b.im)) {
    const r = b.im / b.re;
    const d = b.re + b.im * r;
    return cx((a.re + a.im * r) / d, (a.im - a.re * r) / d);
  }
  const r = b.re / b.im;
  const d = b.re * r + b.im;
  return cx((a.re * r + a.im) / d, (a.im * r - a.re) / d);
}
const abs = (a: Complex): number => Math.hypot(a.re, a.im);
function csqrt(z: Complex): Complex {
  if (z.re === 0 && z.im === 0) return cx(0, 0);
  const t = Math.sqrt((abs(z) + Math.abs(z.re)) / 2);
  if (z.re >= 0) return cx(t, z.im / (2 * t));
  return cx(Math.abs(z.im) / (2 * t), z.im < 0 ? -t : t);
}

function scaleCoef(c: Coefficient, s: number): Coefficient {
  if (typeof c === 'number') return c * s;
  if (typeof c === 'function') return (k: number) => {
    const v = c(k);
    return typeof v === 'number' ? v * s : cx(v.re * s, v.im * s);
  };
  return cx(c.re * s, c.im * s);
}

function evalCoef(c: Coefficient, k: number): Complex {
  const v = typeof c === 'function' ? c(k) : c;
  const z = typeof v === 'number' ? cx(v) : v;
  if (!(Number.isFinite(z.re) && Number.isFinite(z.im))) throw new ValueError('coefficient', `${z.re} + ${z.im}i at k = ${k}`, 'finite values');
  return z;
}

// --- dispersion relation ----------------------------------------------------------------------

/**
 * Coefficients (ascending powers) of the characteristic polynomial in lambda = -i omega at wave
 * number k: sum_j time[j](k) lambda^j + sum_s coef_s(k) k^(2 power_s) = 0.
 */
function characteristic(pde: LinearPde, k: number): Complex[] {
  const c = pde.time.map((a) => evalCoef(a, k));
  let s = c[0] ?? cx(0);
  for (const term of pde.space) {
    const sym = term.power === 0 ? 1 : k === 0 ? 0 : Math.pow(k, 2 * term.power);
    s = add(s, mul(evalCoef(term.coef, k), cx(sym)));
  }
  c[0] = s;
  return c;
}

/** Roots of sum_j c[j] z^j (c[n] != 0): closed forms for degree 1 and 2, Aberth-Ehrlich above. */
export function polynomialRoots(c: readonly Complex[]): Complex[] {
  const n = c.length - 1;
  if (n < 1) return [];
  const lead = c[n]!;
  if (lead.re === 0 && lead.im === 0) throw new ValueError('leading coefficient', 0, 'a non-zero coefficient of the highest time derivative');
  if (n === 1) return [div(cx(-c[0]!.re, -c[0]!.im), c[1]!)];
  if (n === 2) {
    const [c0, c1, c2] = [c[0]!, c[1]!, c[2]!];
    const disc = csqrt(sub(mul(c1, c1), mul(cx(4), mul(c2, c0))));
    // q = -(c1 + s sqrt(disc))/2 with the sign that avoids cancellation.
    const plus = add(c1, disc);
    const minus = sub(c1, disc);
    const big = abs(plus) >= abs(minus) ? plus : minus;
    if (abs(big) === 0) return [cx(0), cx(0)];
    const q = cx(-big.re / 2, -big.im / 2);
    return [div(q, c2), div(c0, q)];
  }
  const monic = c.map((v) => div(v, lead));
  let radius = 0;
  for (let j = 0; j < n; j++) radius = Math.max(radius, Math.pow(abs(monic[j]!), 1 / (n - j)));
  radius = radius === 0 ? 1 : 2 * radius;
  const z: Complex[] = Array.from({ length: n }, (_, j) => {
    const a = (2 * Math.PI * j) / n + 0.4;
    return cx(radius * Math.cos(a), radius * Math.sin(a));
  });
  const evalP = (x: Complex): [Complex, Complex] => {
    let p = monic[n]!;
    let dp = cx(0);
    for (let j = n - 1; j >= 0; j--) {
      dp = add(mul(dp, x), p);
      p = add(mul(p, x), monic[j]!);
    }
    return [p, dp];
  };
  for (let iter = 0; iter < 500; iter++) {
    let moved = 0;
    for (let i = 0; i < n; i++) {
      const [p, dp] = evalP(z[i]!);
      if (p.re === 0 && p.im === 0) continue;
      const ratio = div(p, dp);
      let s = cx(0);
      for (let j = 0; j < n; j++) if (j !== i) s = add(s, div(cx(1), sub(z[i]!, z[j]!)));
      const w = div(ratio, sub(cx(1), mul(ratio, s)));
      z[i] = sub(z[i]!, w);
      moved = Math.max(moved, abs(w) / Math.max(1, abs(z[i]!)));
    }
    if (moved < 1e-16) break;
  }
  return z;
}

/** All roots omega of the dispersion relation at wave number k (unordered). */
export function dispersionRelation(pde: LinearPde, k: number): Complex[] {
  if (!(k >= 0 && Number.isFinite(k))) throw new ValueError('k', k, 'a finite wave number >= 0');
  // lambda = -i omega  =>  omega = i lambda.
  return polynomialRoots(characteristic(pde, k)).map((l) => cx(-l.im, l.re));
}

/** Options of {@link dispersionBranches} and {@link smoothCondition}. */
export interface DispersionOptions {
  /** Largest wave number checked (default 10). */
  kMax?: number;
  /**
   * Smallest wave number > 0 checked (default kMax * 1e-4). Raising it restricts Eq. 9.8 to the
   * resolved modes k >= kMin (a clipped phase space, thesis App. A.6.1 "Helmholtz").
   */
  kMin?: number;
  /** Grid points in [kMin, kMax], geometrically spaced (default 600). */
  points?: number;
}

/** Dispersion branches omega_b(k) on a grid that starts at k = 0, continued by proximity. */
export interface DispersionBranches {
  /** Wave numbers: k[0] = 0, then kMin..kMax. */
  readonly k: Float64Array;
  /** branches[b][i] = omega_b(k[i]). */
  readonly branches: readonly (readonly Complex[])[];
}

function permutations(n: number): number[][] {
  if (n === 1) return [[0]];
  const out: number[][] = [];
  for (const p of permutations(n - 1)) for (let i = 0; i <= p.length; i++) out.push([...p.slice(0, i), n - 1, ...p.slice(i)]);
  return out;
}

/**
 * Tracks every branch of omega(k) from k = 0 to kMax: at each grid point the new roots are
 * assigned to the branches whose linear extrapolation they are closest to (exhaustive matching up
 * to 6 branches, greedy beyond). At branch points (double roots) the continuation is one of the
 * valid analytic continuations.
 */
export function dispersionBranches(pde: LinearPde, options: DispersionOptions = {}): DispersionBranches {
  const kMax = options.kMax ?? 10;
  const kMin = options.kMin ?? kMax * 1e-4;
  const points = options.points ?? 600;
  if (!(kMax > 0 && Number.isFinite(kMax))) throw new ValueError('kMax', kMax, 'a finite number > 0');
  if (!(kMin > 0 && kMin <= kMax)) throw new ValueError('kMin', kMin, `a number in (0, kMax = ${kMax}]`);
  if (!(Number.isInteger(points) && points >= 2)) throw new ValueError('points', points, 'an integer >= 2');
  const k = new Float64Array(points + 1);
  for (let i = 0; i < points; i++) k[i + 1] = kMin * Math.pow(kMax / kMin, i / (points - 1));
  const first = dispersionRelation(pde, 0);
  const n = first.length;
  const branches: Complex[][] = first.map((w) => [w]);
  const perms = n <= 6 ? permutations(n) : null;
  for (let i = 1; i < k.length; i++) {
    const roots = dispersionRelation(pde, k[i]!);
    const pred = branches.map((b) => {
      const last = b[b.length - 1]!;
      if (b.length < 2) return last;
      const prev = b[b.length - 2]!;
      const t = (k[i]! - k[i - 1]!) / (k[i - 1]! - k[i - 2]!);
      return add(last, mul(sub(last, prev), cx(t)));
    });
    let assign: number[];
    if (perms) {
      let best = Infinity;
      assign = perms[0]!;
      for (const p of perms) {
        let cost = 0;
        for (let b = 0; b < n; b++) cost += abs(sub(pred[b]!, roots[p[b]!]!));
        if (cost < best) {
          best = cost;
          assign = p;
        }
      }
    } else {
      const used = new Set<number>();
      assign = pred.map((pw) => {
        let bi = -1;
        let bd = Infinity;
        roots.forEach((r, j) => {
          const d = abs(sub(pw, r));
          if (!used.has(j) && d < bd) {
            bd = d;
            bi = j;
          }
        });
        used.add(bi);
        return bi;
      });
    }
    for (let b = 0; b < n; b++) branches[b]!.push(roots[assign[b]!]!);
  }
  return { k, branches };
}

/** Verdict of the smooth condition (Eq. 9.8) for one PDE. */
export interface SmoothConditionResult {
  /** True when some branch has Im omega(k) < Im omega(0) for every checked k > 0. */
  readonly holds: boolean;
  /** Index of the first branch that satisfies Eq. 9.8, or -1. */
  readonly branch: number;
  /** Per branch: Im omega(0), whether it satisfies Eq. 9.8, and the first violating k (or null). */
  readonly perBranch: readonly { readonly imOmega0: number; readonly satisfies: boolean; readonly firstViolation: number | null }[];
  /** The tracked branches. */
  readonly dispersion: DispersionBranches;
}

/**
 * Decides the smooth condition of thesis Eq. 9.8: Im omega(k) < Im omega(0) for all k > 0 on at
 * least one dispersion branch (non-zero spatial frequencies decay faster than the total mass).
 * Checked on the grid of {@link dispersionBranches}; "<" is strict up to a relative tolerance of
 * 1e-12 of |omega(k)| + |omega(0)| (so purely oscillating modes, Im omega(k) = Im omega(0), fail).
 */
export function smoothCondition(pde: LinearPde, options: DispersionOptions = {}): SmoothConditionResult {
  const dispersion = dispersionBranches(pde, options);
  const { k, branches } = dispersion;
  const perBranch = branches.map((b) => {
    const w0 = b[0]!;
    let firstViolation: number | null = null;
    for (let i = 1; i < k.length; i++) {
      const w = b[i]!;
      const tol = 1e-12 * (abs(w) + abs(w0));
      if (!(w.im < w0.im - tol)) {
        firstViolation = k[i]!;
        break;
      }
    }
    return { imOmega0: w0.im, satisfies: firstViolation === null, firstViolation };
  });
  const branch = perBranch.findIndex((p) => p.satisfies);
  return { holds: branch >= 0, branch, perBranch, dispersion };
}

/** Verdict over a parameter family: Table 9.1's "Yes", "No" and "Conditionally yes". */
export type SmoothVerdict = 'yes' | 'no' | 'conditional';

/**
 * Classifies a PDE family by the smooth condition over parameter values: `'yes'` if Eq. 9.8 holds
 * for every value, `'no'` for none, `'conditional'` otherwise (with the values where it holds).
 */
export function classifyFamily(
  family: (parameter: number) => LinearPde,
  parameters: readonly number[],
  options: DispersionOptions = {},
): { verdict: SmoothVerdict; holdsFor: number[]; failsFor: number[] } {
  if (parameters.length === 0) throw new ValueError('parameters', parameters, 'at least one parameter value');
  const holdsFor: number[] = [];
  const failsFor: number[] = [];
  for (const p of parameters) (smoothCondition(family(p), options).holds ? holdsFor : failsFor).push(p);
  const verdict: SmoothVerdict = failsFor.length === 0 ? 'yes' : holdsFor.length === 0 ? 'no' : 'conditional';
  return { verdict, holdsFor, failsFor };
}

// --- density flow -----------------------------------------------------------------------------

/**
 * The density-flow form d_t p + div(p v) - R = 0 (thesis Eq. 9.2, Alg. 4 step 1) of a PDE
 * sum_j a_j d_t^j phi + sum_s c_s (-Delta)^beta_s phi = 0 with highest time order n:
 * - real coefficients: p = sigma d_t^(n-1) phi with sigma = (-1)^(n-1) (p = phi for diffusion,
 *   -phi_t for Poisson/waves, phi_tt for third order), flux p v = -(sigma/a_n) grad Psi with
 *   Psi = sum_s c_s (-Delta)^(beta_s - 1) phi, and birth rate R = -(sigma/a_n) sum_{j<n} a_j d_t^j phi;
 * - a first-order equation whose ratio c/a_1 is imaginary (Schroedinger): p = |phi|^2,
 *   v = 2 alpha Im grad log phi with i alpha = -c/a_1, R = 0.
 * Derived from the PDE, so signs can differ from the thesis' Table 9.1 where that table is loose
 * (e.g. Poisson: v = grad phi / phi_t for the forward process).
 */
export interface DensityFlow {
  readonly kind: 'real' | 'quantum' | 'none';
  /** Highest time-derivative order n. */
  readonly order: number;
  /** p = densitySign * d_t^(order-1) phi (real kind). */
  readonly densitySign: number;
  /** p v = fluxCoefficient * grad Psi (real kind); quantum kind: alpha. */
  readonly fluxCoefficient: number;
  /** R = sum_j birth[j] d_t^j phi, j < order (real kind). */
  readonly birth: readonly number[];
  /** Human-readable p, v, R. */
  readonly p: string;
  readonly v: string;
  readonly R: string;
  /** Why no density flow was found (kind 'none'). */
  readonly reason?: string;
}

function derivName(j: number): string {
  return j === 0 ? 'phi' : j === 1 ? 'phi_t' : j === 2 ? 'phi_tt' : `d_t^${j} phi`;
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toPrecision(6).replace(/\.?0+$/, '');
}

/** The density-flow form of `pde` (constant coefficients; k-dependent coefficients give kind 'none'). */
export function densityFlow(pde: LinearPde): DensityFlow {
  const none = (reason: string): DensityFlow => ({ kind: 'none', order: pde.time.length - 1, densitySign: 0, fluxCoefficient: 0, birth: [], p: '-', v: '-', R: '-', reason });
  if (pde.time.some((c) => typeof c === 'function') || pde.space.some((s) => typeof s.coef === 'function')) {
    return none('k-dependent coefficients have no real-space density flow of this form');
  }
  const a = pde.time.map((c) => evalCoef(c, 0));
  const n = a.length - 1;
  if (n < 1) return none('no time derivative');
  const an = a[n]!;
  const cs = pde.space.map((s) => ({ c: evalCoef(s.coef, 0), power: s.power }));
  const real = a.every((z) => z.im === 0) && cs.every((s) => s.c.im === 0);
  const psi = cs.map((s) => `${fmt(s.c.re)} (-Delta)^${fmt(s.power - 1)} phi`).join(' + ') || '0';
  if (real) {
    const sigma = n % 2 === 1 ? 1 : -1;
    const fluxCoefficient = -sigma / an.re;
    const birth = a.slice(0, n).map((z) => (-sigma * z.re) / an.re);
    const dens = `${sigma === 1 ? '' : '-'}${derivName(n - 1)}`;
    const laplaceOnly = cs.length === 1 && cs[0]!.power === 1;
    const v = laplaceOnly
      ? `${fmt((fluxCoefficient * cs[0]!.c.re) / sigma)} grad phi / ${derivName(n - 1)}`
      : `${fmt(fluxCoefficient)} grad(${psi}) / (${dens})`;
    const R = birth.map((b, j) => (b === 0 ? '' : `${fmt(b)} ${derivName(j)}`)).filter(Boolean).join(' + ') || '0';
    return { kind: 'real', order: n, densitySign: sigma, fluxCoefficient, birth, p: dens, v, R };
  }
  if (n === 1 && a[0]!.re === 0 && a[0]!.im === 0 && cs.length === 1 && cs[0]!.power === 1) {
    // phi_t = -(c/a1)(-Delta) phi = (c/a1) Laplacian phi; need c/a1 = -i alpha... i.e. -(c/a1) = i alpha with alpha real.
    const q = div(cs[0]!.c, an);
    if (Math.abs(q.re) <= 1e-15 * abs(q)) {
      const alpha = q.im;
      return { kind: 'quantum', order: 1, densitySign: 1, fluxCoefficient: alpha, birth: [0], p: '|phi|^2', v: `${fmt(2 * alpha)} Im grad log phi`, R: '0' };
    }
  }
  return none('complex coefficients without a conserved |phi|^2 current');
}

// --- the PDEs of thesis Tables 9.1 and 9.2 ------------------------------------------------------

const I = cx(0, 1);

/** Table 9.1 and 9.2 PDEs (thesis notation: phi_t, phi_tt, nabla^2, (-Delta)^beta). */
export const genphysPdes = {
  /** phi_t - nabla^2 phi = 0 (diffusion models). */
  diffusion: (): LinearPde => ({ name: 'diffusion', time: [0, 1], space: [laplacian(-1)] }),
  /** phi_tt + nabla^2 phi = 0 (Poisson flow, t the augmented dimension). */
  poisson: (): LinearPde => ({ name: 'Poisson', time: [0, 0, 1], space: [laplacian(1)] }),
  /** phi_tt - nabla^2 phi = 0. */
  idealWave: (): LinearPde => ({ name: 'ideal wave', time: [0, 0, 1], space: [laplacian(-1)] }),
  /** phi_tt + 2 eps phi_t - nabla^2 phi = 0 (eps >= 0). */
  dissipativeWave: (eps: number): LinearPde => ({ name: `dissipative wave (eps=${eps})`, time: [0, 2 * eps, 1], space: [laplacian(-1)] }),
  /** phi_tt + nabla^2 phi + k0^2 phi = 0 (k0 >= 0). */
  helmholtz: (k0: number): LinearPde => ({ name: `Helmholtz (k0=${k0})`, time: [k0 * k0, 0, 1], space: [laplacian(1)] }),
  /** phi_tt + nabla^2 phi - m^2 phi = 0 (m >= 0; Yukawa). */
  screenedPoisson: (m: number): LinearPde => ({ name: `screened Poisson (m=${m})`, time: [-m * m, 0, 1], space: [laplacian(1)] }),
  /** i phi_t + nabla^2 phi = 0 (free Schroedinger). */
  schrodinger: (): LinearPde => ({ name: 'Schroedinger', time: [0, I], space: [laplacian(1)] }),
  /** a phi_tt - b phi_t + nabla^2 phi = 0 (a, b > 0; Table 9.2). */
  mixedDiffusionPoisson: (a: number, b: number): LinearPde => ({ name: `mixed diffusion-Poisson (a=${a}, b=${b})`, time: [0, -b, a], space: [laplacian(1)] }),
  /** phi_t + (-Delta)^beta phi = 0 (beta > 0; Table 9.2). */
  fractionalDiffusion: (beta: number): LinearPde => ({ name: `fractional diffusion (beta=${beta})`, time: [0, 1], space: [fractionalLaplacian(beta)] }),
  /** phi_ttt - Delta phi = 0 (Table 9.2). */
  thirdOrderDiffusion: (): LinearPde => ({ name: 'third-order diffusion', time: [0, 0, 0, 1], space: [laplacian(-1)] }),
  /** phi_t + nabla^2 nabla^2 phi = 0 (elasticity / biharmonic, Table 9.2). */
  biharmonic: (): LinearPde => ({ name: 'elasticity (biharmonic)', time: [0, 1], space: [biharmonic(1)] }),
} as const;
