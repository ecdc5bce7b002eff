// Point-source force fields (seed 000, thesis Ch. 9 / App. A.6): a radial Green's function is
// placed at every data point y~_i = (y_i, 0) of the augmented space R^{N+D}, the fields are
// superposed, and samples follow the field lines from a large augmented radius r back to r = 0.
// By the SO(D) symmetry of the augmented coordinates only |z| = r matters (thesis Sec. 8.2.1), so
// the field of any radial source reduces to x-components and one scalar r-component, and the
// backward ODE dx/dr = E_x/E_r is a weighted average of (x - y_i)/r: a Denoiser in sigma units.
import { Tensor, ValueError, getBackend } from '@phys/tensor';
import { logBesselK } from './bessel.js';
import { checkData, checkPositive, checkResult, sigmaRows, type CheckFiniteOption } from './check.js';
import { logUnitSphereArea, type ReducedField } from './electric.js';
import { empiricalDenoiser, posteriorWeights, shapedLike, type EmpiricalDenoiserOptions } from './posterior.js';
import type { Denoiser } from '@phys/tensor';

const LOG_2PI = Math.log(2 * Math.PI);

/**
 * A radial point source in the augmented space R^{N+D}: a unit charge at y~ exerts the field
 * E(x~) = f(rho) (x~ - y~), rho = |x~ - y~|, with f > 0 (attractive towards the charge when the
 * field is followed backwards). Every source is also a {@link LogKernel}: with r = sigma sqrt(D),
 * `logKernel(s, sigma, N) = logFieldFactor(s + r^2, N + D)`, so posteriors, denoisers and STF
 * targets of this package run on it unchanged.
 */
export interface PointSource {
  /** Short id, e.g. `'coulomb(D=1)'`. */
  readonly name: string;
  /** Augmented dimensions D (> 0); the anchor variable r is the norm of the D extra coordinates. */
  readonly D: number;
  /** log f(rho) as a function of rho^2, in a space of `dims` = N + D dimensions. */
  logFieldFactor(rho2: number, dims: number): number;
  /** log f(sqrt(s + r^2)) with r = sigma sqrt(D) (the {@link LogKernel} view). */
  logKernel(sqDist: number, sigma: number, n: number): number;
  /**
   * Row-batched {@link PointSource.logKernel} (see {@link LogKernel.logKernelRow}): the same
   * numbers, with r^2 and the dimension-only parts of log f computed once per row.
   */
  logKernelRow?(sqDist: Float64Array, start: number, count: number, sigma: number, n: number, out: Float64Array): void;
}

/** log f as a function of rho^2 in `dims` dimensions, with the parts that depend on `dims` only computed once. */
type FieldFactorAt = (dims: number) => (rho2: number) => number;

function makeSource(name: string, D: number, factorAt: FieldFactorAt): PointSource {
  checkPositive(D, 'D');
  return {
    name,
    D,
    logFieldFactor(rho2: number, dims: number): number {
      return factorAt(dims)(rho2);
    },
    logKernel(sqDist: number, sigma: number, n: number): number {
      if (!(sigma > 0 && sigma < Infinity)) throw new ValueError('sigma', sigma, 'a finite number > 0');
      if (!(sqDist >= 0)) throw new ValueError('sqDist', sqDist, 'a squared distance >= 0');
      return factorAt(n + D)(sqDist + sigma * sigma * D);
    },
    logKernelRow(sqDist: Float64Array, start: number, count: number, sigma: number, n: number, out: Float64Array): void {
      const f = factorAt(n + D);
      const r2 = sigma * sigma * D;
      for (let k = start, end = start + count; k < end; k++) out[k] = f(sqDist[k]! + r2);
    },
  };
}

/**
 * The Coulomb source of R^{N+D} (PFGM for D = 1, PFGM++ for D > 1; thesis Eq. 8.1): the Green's
 * function of the Laplacian, G = rho^(2-M)/((M-2) S_{M-1}), field f(rho) = rho^-M / S_{M-1}(1),
 * M = N + D.
 */
export function coulombSource(options: { D?: number } = {}): PointSource {
  const D = options.D ?? 1;
  return makeSource(`coulomb(D=${D})`, D, (M) => {
    const logS = logUnitSphereArea(M);
    return (rho2) => -(M / 2) * Math.log(rho2) - logS;
  });
}

/**
 * A general power-law source f(rho) = rho^-power (seed 000's family; power = N + D is Coulomb).
 * Smaller powers give longer-range forces.
 */
export function powerLawSource(options: { power: number; D?: number }): PointSource {
  const { power, D = 1 } = options;
  checkPositive(power, 'power');
  return makeSource(`power(p=${power},D=${D})`, D, () => (rho2) => -(power / 2) * Math.log(rho2));
}

/**
 * The screened-Poisson (Yukawa) source of R^M, M = N + D (thesis App. A.6.1, Eq. A.121/A.123):
 * G(rho) = (2 pi)^(-M/2) (m/rho)^(M/2-1) K_{M/2-1}(m rho), field
 * f(rho) = -G'(rho)/rho = (2 pi)^(-M/2) m^(M/2) rho^(-M/2) K_{M/2}(m rho). Screening length 1/m;
 * m -> 0 recovers {@link coulombSource}. Its density flow has a death term R = -m^2 phi
 * (thesis Table 9.1), so following the field alone does not transport the density exactly.
 */
export function yukawaSource(options: { mass: number; D?: number }): PointSource {
  const { mass, D = 1 } = options;
  checkPositive(mass, 'mass');
  const logM = Math.log(mass);
  return makeSource(`yukawa(m=${mass},D=${D})`, D, (M) => {
    const c = -(M / 2) * LOG_2PI + (M / 2) * logM;
    return (rho2) => c - (M / 4) * Math.log(rho2) + logBesselK(M / 2, mass * Math.sqrt(rho2));
  });
}

/**
 * A user-defined physics by its point-source potential: `logPotential(rho, dims)` = log G(rho) of
 * a radial, positive, strictly decreasing Green's function in `dims` = N + D dimensions. The field
 * factor f = -G'(rho)/rho = G (-(log G)') / rho is formed in log space, with (log G)' by a
 * five-point central difference (relative accuracy about 1e-10).
 */
export function sourceFromPotential(options: { name: string; D?: number; logPotential: (rho: number, dims: number) => number }): PointSource {
  const { name, D = 1, logPotential } = options;
  return makeSource(name, D, (M) => {
    const g = (v: number): number => logPotential(v, M);
    return (rho2) => {
      const rho = Math.sqrt(rho2);
      const h = 1e-3 * rho;
      const slope = (g(rho - 2 * h) - 8 * g(rho - h) + 8 * g(rho + h) - g(rho + 2 * h)) / (12 * h);
      if (!(slope < 0)) throw new ValueError('logPotential', `slope ${slope} at rho = ${rho}`, 'a strictly decreasing potential (attractive field)');
      return g(rho) + Math.log(-slope) - Math.log(rho);
    };
  });
}

/**
 * The superposed field of `source` placed at every row of `reference` (the empirical data
 * distribution, each charge 1/n), at augmented points (x, r), symmetry-reduced to x-components
 * and a scalar r-component, in log-scaled form (see {@link ReducedField}):
 * E_x = exp(logScale) sum_i c_i (x - y_i), E_r = exp(logScale) r, c = softmax_i(log f(rho_i)).
 */
export function forceField(x: Tensor, r: Float64Array | number, reference: Tensor, source: PointSource, options: CheckFiniteOption = {}): ReducedField {
  if (typeof source !== 'object' || (source as PointSource | null) === null || typeof (source as Partial<PointSource>).logKernel !== 'function') throw new ValueError('source', source, 'a PointSource (coulombSource(D), ...)');
  checkPositive(source.D, 'source.D');
  checkData(x, 'x');
  const rr = sigmaRows(r, x.rows, 'r');
  const sqrtD = Math.sqrt(source.D);
  const { weights, logNormalizer } = posteriorWeights(x, reference, source, rr.map((v) => v / sqrtD), options);
  const b = getBackend();
  const mean = b.weightedSum(weights, reference.dtype === 'float64' ? reference : reference.astype('float64'));
  const x64 = x.dtype === 'float64' ? x : x.astype('float64');
  const fx = b.axpby(1, x64.reshape(mean.shape), -1, mean).reshape(x.shape);
  const logN = Math.log(reference.rows);
  return { x: checkResult(fx, 'forceField result x'), r: Float64Array.from(rr), logScale: checkResult(logNormalizer.map((l) => l - logN), 'forceField result logScale') };
}

/**
 * The backward ODE velocity of a point-source field, dx/dr = E_x/E_r = sum_i c_i (x - y_i)/r
 * (thesis Eq. 8.2 for any radial source). Shape and dtype of `x`.
 */
export function forceFieldVelocity(x: Tensor, r: Float64Array | number, reference: Tensor, source: PointSource): Tensor {
  const f = forceField(x, r, reference, source);
  return shapedLike(getBackend().scaleRows(f.x, f.r.map((v) => 1 / v)), x);
}

/**
 * The point-source field as a {@link Denoiser} in sigma units (r = sigma sqrt(D)):
 * D(x; sigma) = x - r dx/dr = sum_i c_i y_i, so the EDM samplers (dx/dsigma = (x - D)/sigma)
 * follow the field lines of any source. For the Coulomb source this is the PFGM++ denoiser.
 */
export function forceFieldDenoiser(reference: Tensor, source: PointSource, options: EmpiricalDenoiserOptions = {}): Denoiser {
  return empiricalDenoiser(reference, source, options);
}

/** log G of the Coulomb potential rho^(2-M)/((M-2) S_{M-1}) in M > 2 dimensions (for {@link sourceFromPotential} users). */
export function coulombLogPotential(rho: number, dims: number): number {
  if (!(dims > 2)) throw new ValueError('dims', dims, 'more than 2 dimensions');
  return (2 - dims) * Math.log(rho) - Math.log(dims - 2) - logUnitSphereArea(dims);
}
