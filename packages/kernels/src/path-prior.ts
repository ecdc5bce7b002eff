// Priors of the trajectory paths (the distribution of x1 at t = 1): Gaussian, radius x uniform
// direction with the radius law as a parameter (seed 000 Eq. 11, after PFGM: x = R u, u uniform
// on the unit sphere; PFGM's hemisphere prior projected to N dimensions is the case
// R^2/z_max^2 ~ BetaPrime(N/2, 1/2)), and the uniform box.
import { ValueError, getBackend, type DType, type Random, type Tensor } from '@phys/tensor';
import { radiusLogPdf, sampleRadius } from './radius.js';
import { logGamma } from './special.js';
import { checkPositive, checkShape } from './validate.js';

const LOG_2PI = Math.log(2 * Math.PI);

/**
 * The distribution of the prior end x1 of a trajectory path. Densities are normalised, in
 * `n` = the row size of the data.
 */
export interface PathPrior {
  /** Short id, e.g. `'gaussian(1)'`, `'radial(betaPrime(D=1, r=40))'`, `'box(1)'`. */
  readonly name: string;
  /** Draws a batch of `shape` (batch-first), one prior point per row. */
  sample(shape: readonly number[], rng: Random, dtype?: DType): Tensor;
  /** log p(u) of the point u = `u[offset .. offset + n)`; -Infinity outside the support. */
  logDensity(u: ArrayLike<number>, offset: number, n: number): number;
  /**
   * Radial priors only: log p(u) as a function of |u|^2 (the same number as `logDensity`).
   * Absent for priors that are not functions of the norm (the box).
   */
  logDensitySq?(sqNorm: number, n: number): number;
  /**
   * Priors with a bounded support (the box): how far u lies outside it (0 inside). Fields use it
   * to place a point that a discretised ODE pushed outside every kernel's support.
   */
  supportExcess?(u: ArrayLike<number>, offset: number, n: number): number;
  /** E|x1|^2 in n dimensions (Infinity where it diverges); E[x1] = 0 for every prior here. */
  secondMoment(n: number): number;
}

/** ln |S^{n-1}|, the area of the unit sphere in R^n: ln 2 + (n/2) ln pi - ln Gamma(n/2). */
function logSphereArea(n: number): number {
  return Math.LN2 + (n / 2) * Math.log(Math.PI) - logGamma(n / 2);
}

/** Isotropic Gaussian N(0, scale^2 I) (diffusion's prior, seed 000's "distribution type"). */
export function gaussianPrior(options: { scale?: number } = {}): PathPrior {
  const scale = options.scale ?? 1;
  checkPositive(scale, 'scale');
  const logDensitySq = (sqNorm: number, n: number): number => -0.5 * n * (LOG_2PI + 2 * Math.log(scale)) - sqNorm / (2 * scale * scale);
  return {
    name: `gaussian(${scale})`,
    sample(shape, rng, dtype = 'float32') {
      checkShape(shape);
      const x = rng.normal(shape, dtype);
      return scale === 1 ? x : getBackend().scaleRows(x, scale, x);
    },
    logDensity: (u, offset, n) => logDensitySq(sqNormOf(u, offset, n), n),
    logDensitySq,
    secondMoment: (n) => n * scale * scale,
  };
}

/**
 * The law of the radius R = |x1| of a {@link radialPrior}:
 * - `betaPrime`: R^2/r^2 ~ BetaPrime(N/2, D/2), the PFGM++ radius (thesis Eq. B.6); D = 1,
 *   r = z_max is PFGM's hemisphere prior (seed 001 Sec. 3.3; seed 000 Eq. 11).
 * - `uniform`: R ~ U[min, max] (seed 000 Eq. 13's uniform constants).
 * - `chi`: R = scale chi_N, which makes the radial prior exactly N(0, scale^2 I) (a check of the
 *   construction).
 */
export type RadiusLaw = { kind: 'betaPrime'; D: number; r: number } | { kind: 'uniform'; min: number; max: number } | { kind: 'chi'; scale: number };

function checkLaw(law: RadiusLaw): void {
  if (typeof law !== 'object') throw new ValueError('radius', law, "a radius law { kind: 'betaPrime' | 'uniform' | 'chi', ... }");
  switch (law.kind) {
    case 'betaPrime':
      checkPositive(law.D, 'radius.D');
      checkPositive(law.r, 'radius.r');
      return;
    case 'uniform':
      if (!(law.min >= 0 && Number.isFinite(law.min))) throw new ValueError('radius.min', law.min, 'a finite number >= 0');
      if (!(law.max > law.min && Number.isFinite(law.max))) throw new ValueError('radius.max', law.max, `a finite number > radius.min = ${law.min}`);
      return;
    case 'chi':
      checkPositive(law.scale, 'radius.scale');
      return;
    default:
      throw new ValueError('radius.kind', (law as { kind: unknown }).kind, "'betaPrime', 'uniform' or 'chi'");
  }
}

function lawName(law: RadiusLaw): string {
  switch (law.kind) {
    case 'betaPrime':
      return `betaPrime(D=${law.D}, r=${law.r})`;
    case 'uniform':
      return `uniform(${law.min}, ${law.max})`;
    case 'chi':
      return `chi(${law.scale})`;
  }
}

/** log f_R(R) of the radius law in n dimensions (normalised). */
function radiusLogDensity(law: RadiusLaw, R: number, n: number): number {
  switch (law.kind) {
    case 'betaPrime':
      return radiusLogPdf(R, { N: n, D: law.D, r: law.r });
    case 'uniform':
      return R >= law.min && R <= law.max ? -Math.log(law.max - law.min) : -Infinity;
    case 'chi': {
      // R = s chi_n: f(R) = R^(n-1) exp(-R^2/(2 s^2)) / (2^(n/2-1) Gamma(n/2) s^n).
      const s = law.scale;
      if (R === 0) return n === 1 ? 0.5 * Math.log(2 / Math.PI) - Math.log(s) : -Infinity;
      return (n - 1) * Math.log(R) - (R * R) / (2 * s * s) - (n / 2 - 1) * Math.LN2 - logGamma(n / 2) - n * Math.log(s);
    }
  }
}

/** Draws one radius per row. */
function drawRadius(law: RadiusLaw, rows: number, n: number, rng: Random): Float64Array {
  switch (law.kind) {
    case 'betaPrime':
      return sampleRadius({ N: n, D: law.D, r: law.r }, rows, rng);
    case 'uniform': {
      const u = rng.uniform([rows, 1], 'float64').data;
      const out = new Float64Array(rows);
      for (let i = 0; i < rows; i++) out[i] = law.min + (law.max - law.min) * u[i]!;
      return out;
    }
    case 'chi': {
      const g = rng.gamma(n / 2, rows);
      const out = new Float64Array(rows);
      for (let i = 0; i < rows; i++) out[i] = law.scale * Math.sqrt(2 * g[i]!);
      return out;
    }
  }
}

/** E[R^2] of the law in n dimensions. */
function radiusMeanSq(law: RadiusLaw, n: number): number {
  switch (law.kind) {
    case 'betaPrime':
      return law.D > 2 ? (law.r * law.r * n) / (law.D - 2) : Infinity;
    case 'uniform':
      return (law.min * law.min + law.min * law.max + law.max * law.max) / 3;
    case 'chi':
      return law.scale * law.scale * n;
  }
}

/**
 * Radius x uniform direction (seed 000 Eq. 11): x1 = R u, u uniform on the unit sphere
 * S^{N-1}, R drawn from `radius` independently. Its density is
 * p(x) = f_R(|x|)/(|S^{N-1}| |x|^(N-1)), so the radius law fixes the whole prior.
 *
 * @example PFGM's hemisphere prior (z_max = 40) projected to the data space:
 * ```ts
 * const prior = radialPrior({ radius: { kind: 'betaPrime', D: 1, r: 40 } });
 * ```
 */
export function radialPrior(options: { radius: RadiusLaw }): PathPrior {
  const law = options.radius;
  checkLaw(law);
  const logDensitySq = (sqNorm: number, n: number): number => {
    const R = Math.sqrt(sqNorm);
    if (n === 1) return radiusLogDensity(law, R, 1) - Math.LN2;
    if (R === 0) return -Infinity;
    return radiusLogDensity(law, R, n) - logSphereArea(n) - (n - 1) * Math.log(R);
  };
  return {
    name: `radial(${lawName(law)})`,
    sample(shape, rng, dtype = 'float32') {
      checkShape(shape);
      const rows = shape[0]!;
      const n = shape.slice(1).reduce((p, d) => p * d, 1);
      const radius = drawRadius(law, rows, n, rng);
      const dir = rng.direction(shape, dtype);
      return getBackend().scaleRows(dir, radius, dir);
    },
    logDensity: (u, offset, n) => logDensitySq(sqNormOf(u, offset, n), n),
    logDensitySq,
    ...(law.kind === 'uniform' && {
      supportExcess: (u: ArrayLike<number>, offset: number, n: number) => {
        const R = Math.sqrt(sqNormOf(u, offset, n));
        return Math.max(0, R - law.max, law.min - R);
      },
    }),
    secondMoment: (n) => radiusMeanSq(law, n),
  };
}

/** The uniform box [-halfWidth, halfWidth]^N (seed 000 Sec. 4.3's "simple" non-Gaussian prior). */
export function boxPrior(options: { halfWidth?: number } = {}): PathPrior {
  const h = options.halfWidth ?? 1;
  checkPositive(h, 'halfWidth');
  return {
    name: `box(${h})`,
    sample(shape, rng, dtype = 'float32') {
      checkShape(shape);
      const u = rng.uniform(shape, dtype);
      const d = u.data;
      for (let i = 0; i < d.length; i++) d[i] = h * (2 * d[i]! - 1);
      return u;
    },
    logDensity(u, offset, n) {
      for (let j = offset; j < offset + n; j++) if (!(Math.abs(u[j]!) <= h)) return -Infinity;
      return -n * Math.log(2 * h);
    },
    supportExcess(u, offset, n) {
      let m = 0;
      for (let j = offset; j < offset + n; j++) m = Math.max(m, Math.abs(u[j]!) - h);
      return m;
    },
    secondMoment: (n) => (n * h * h) / 3,
  };
}

function sqNormOf(u: ArrayLike<number>, offset: number, n: number): number {
  let s = 0;
  for (let j = offset; j < offset + n; j++) s += u[j]! * u[j]!;
  return s;
}
