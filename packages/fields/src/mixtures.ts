import { ValueError, assertPositive, type Random } from '@phys/tensor';
import { GaussianMixture, type MixtureComponent } from './mixture.js';
import type { LowRankComponent } from './low-rank.js';

/** Options of {@link ringMixture}. */
export interface RingMixtureOptions {
  /** Number of components, equally spaced on the circle (default 10). */
  count?: number;
  /** Circle radius (default 1). */
  radius?: number;
  /** Per-coordinate standard deviation of each component (default sqrt(0.005)). */
  std?: number;
  /** Angle of the first component in radians (default 0). */
  phase?: number;
}

/**
 * 2-D mixture of `count` equal-weight isotropic Gaussians centred on a circle. The defaults are
 * the particle-guidance toy of thesis App. B.4.2 (10 components on the unit circle, variance
 * 0.005); `{ count: 8, radius: 3, std: 0.2 }` is the DisCo-Diff toy of thesis App. B.2 (Fig. 4.3).
 */
export function ringMixture(options: RingMixtureOptions = {}): GaussianMixture {
  const { count = 10, radius = 1, std = Math.sqrt(0.005), phase = 0 } = options;
  if (!(Number.isInteger(count) && count >= 1)) throw new ValueError('count', count, 'an integer >= 1');
  assertPositive(radius, 'radius');
  if (!(Number.isFinite(std) && std >= 0)) throw new ValueError('std', std, 'a finite number >= 0');
  const comps: MixtureComponent[] = [];
  for (let k = 0; k < count; k++) {
    const a = phase + (2 * Math.PI * k) / count;
    comps.push({ mean: [radius * Math.cos(a), radius * Math.sin(a)], covariance: std * std });
  }
  return new GaussianMixture(comps);
}

/** Options of {@link gridMixture}. */
export interface GridMixtureOptions {
  /** Components per side (default 5, a 5 x 5 grid). */
  perSide?: number;
  /** Distance between neighbouring centres (default 1). */
  spacing?: number;
  /** Per-coordinate standard deviation of each component (default 0.05). */
  std?: number;
}

/** 2-D mixture of `perSide^2` equal-weight isotropic Gaussians on a square grid centred at the origin. */
export function gridMixture(options: GridMixtureOptions = {}): GaussianMixture {
  const { perSide = 5, spacing = 1, std = 0.05 } = options;
  if (!(Number.isInteger(perSide) && perSide >= 1)) throw new ValueError('perSide', perSide, 'an integer >= 1');
  assertPositive(spacing, 'spacing');
  if (!(Number.isFinite(std) && std >= 0)) throw new ValueError('std', std, 'a finite number >= 0');
  const c = (perSide - 1) / 2;
  const comps: MixtureComponent[] = [];
  for (let i = 0; i < perSide; i++) {
    for (let j = 0; j < perSide; j++) comps.push({ mean: [(i - c) * spacing, (j - c) * spacing], covariance: std * std });
  }
  return new GaussianMixture(comps);
}

/** Options of {@link twoGaussians}. */
export interface TwoGaussiansOptions {
  /** Dimension (default 64). */
  dim?: number;
  /** Every coordinate of the first mean; the second mean is its negative (default 0.1). */
  mu?: number;
  /** Per-coordinate standard deviation of both components (default 1e-4). */
  std?: number;
}

/**
 * The "Two Gaussians" data of the STF chapter (thesis Sec. 3.5.1, App. B.1.1):
 * 1/2 N(mu, s^2 I) + 1/2 N(-mu, s^2 I) in 64 dimensions with mu = 0.1 * 1 and s = 1e-4.
 */
export function twoGaussians(options: TwoGaussiansOptions = {}): GaussianMixture {
  const { dim = 64, mu = 0.1, std = 1e-4 } = options;
  if (!(Number.isInteger(dim) && dim >= 1)) throw new ValueError('dim', dim, 'an integer >= 1');
  if (!(Number.isFinite(mu) && Number.isFinite(std) && std >= 0)) throw new ValueError('mu, std', [mu, std], 'finite numbers, std >= 0');
  return new GaussianMixture([
    { mean: new Float64Array(dim).fill(mu), covariance: std * std },
    { mean: new Float64Array(dim).fill(-mu), covariance: std * std },
  ]);
}

/** Options of {@link restartMixture20d}. */
export interface RestartMixtureOptions {
  /** The 20 x 4 projection P (row-major); drawn from `rng` as N(0, 1) entries when absent. */
  projection?: ArrayLike<number>;
}

/**
 * The 20-d Gaussian mixture of the Restart synthetic experiment (thesis Sec. 5.4.1, App. B.3):
 * S1 ~ 0.3 N(a, I) + 0.7 N(-a, I) in R^4 with a = (3, 3, 3, 3), projected by P in R^{20x4}
 * with N(0, 1) entries, then each coordinate scaled to unit variance. The result is the exact
 * (continuous) mixture 0.3 N(S P a, S P P^T S) + 0.7 N(-S P a, S P P^T S), with S the diagonal
 * of inverse population standard deviations (the thesis scales by a constant per coordinate; we
 * use the exact population variance, so every coordinate has variance exactly 1). Its covariance
 * has rank 4, so the denoiser needs sigma > 0. The 2000-point data set of the thesis is
 * `restartMixture20d(rng).sample(2000, rng)`. Consumes one normal draw `[20, 4]` unless
 * `projection` is given. {@link restartMixture20dComponents} gives the same mixture in low-rank
 * form (for the fast {@link lowRankMixtureDenoiser}).
 */
export function restartMixture20d(rng: Random, options: RestartMixtureOptions = {}): GaussianMixture {
  return new GaussianMixture(
    restartMixture20dComponents(rng, options).map((c) => {
      const n = c.mean.length;
      const m = c.factor.length / n;
      const covariance = new Float64Array(n * n);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let q = 0; q < m; q++) s += c.factor[i * m + q]! * c.factor[j * m + q]!;
          covariance[i * n + j] = s;
        }
      }
      return { mean: c.mean, covariance, weight: c.weight };
    }),
  );
}

/**
 * The components of {@link restartMixture20d} in low-rank form: weights 0.3 and 0.7, means
 * +-S P a and the shared 20 x 4 factor S P (covariance S P P^T S). Same draws from `rng`.
 */
export function restartMixture20dComponents(rng: Random, options: RestartMixtureOptions = {}): LowRankComponent[] {
  const n = 20;
  const m = 4;
  const P = options.projection ? Float64Array.from(options.projection) : Float64Array.from(rng.normal([n, m], 'float64').data);
  if (P.length !== n * m) throw new ValueError('projection', `${P.length} values`, `${n * m} values (a 20 x 4 matrix)`);
  const a = [3, 3, 3, 3];
  const wPos = 0.3;
  const wNeg = 0.7;
  const Pa = new Float64Array(n);
  const factor = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    let pp = 0;
    for (let q = 0; q < m; q++) {
      Pa[i]! += P[i * m + q]! * a[q]!;
      pp += P[i * m + q]! ** 2;
    }
    // Var_i = (P P^T)_ii + Var(+-Pa)_i = (P P^T)_ii + (1 - (wPos - wNeg)^2) (Pa)_i^2.
    const inv = 1 / Math.sqrt(pp + (1 - (wPos - wNeg) ** 2) * Pa[i]! ** 2);
    for (let q = 0; q < m; q++) factor[i * m + q] = P[i * m + q]! * inv;
    Pa[i]! *= inv;
  }
  return [
    { mean: Pa, factor, weight: wPos },
    { mean: Pa.map((v) => -v), factor, weight: wNeg },
  ];
}
