// Empirical superposed fields of the trajectory paths of seed 000 (Sec. 4.1-4.3): the
// conditional trajectories x_t = a(t) y_j + b(t) x1 of every reference point y_j, superposed with
// posterior weights w_j(x, t) = p(y_j | x_t = x) proportional to p_prior((x - a y_j)/b), give the
// marginal velocity v(x, t) = sum_j w_j (a' y_j + b' x1_j), x1_j = (x - a y_j)/b, whose flow
// carries the prior to the reference set: the exact minimiser of the flow-matching loss for the
// empirical distribution, the analogue of the point-source fields in forcefield.ts.
import { ValueError, getBackend, type Matrix64, type Tensor } from '@phys/tensor';
import { coefficientRows, denoisedToVelocity, timeRows, velocityDenoiser, type PathPrior, type TrajectoryPath, type VelocityModel } from '@phys/kernels';
import { checkData, checkReference, checkSameRowSize } from './check.js';
import { shapedLike } from './posterior.js';

/**
 * The posterior weights w_ij = p(y_j | x_t = x_i) over `reference` for `path` and `prior`, one
 * time per row of `x`, as a `[B, m]` float64 matrix whose rows sum to 1. Log weights
 * log p_prior((x_i - a y_j)/b) are formed in float64 and normalised by log-sum-exp (row max
 * subtracted). Radial priors go through the squared distances |x/a - y_j|^2 of the backend; the
 * box evaluates its density per pair. Limits: at t = 1 (a = 0) every weight is 1/m; at t = 0
 * (b = 0) the weight sits on the nearest reference point. A row that a discretised ODE pushed
 * outside every kernel's support (possible only for bounded priors) takes the points with the
 * least `prior.supportExcess`.
 *
 * @throws EmptyReferenceError, ShapeError, NonFiniteError; ValueError for times outside [0, 1]
 *   or a row outside the support of a bounded prior without `supportExcess`
 */
export function pathPosteriorWeights(x: Tensor, t: Float64Array | number, reference: Tensor, path: TrajectoryPath, prior: PathPrior): Matrix64 {
  checkReference(reference);
  checkData(x, 'x');
  checkSameRowSize(x, reference);
  const tr = timeRows(t, x.rows);
  const { a, b } = coefficientRows(path, tr);
  const rows = x.rows;
  const m = reference.rows;
  const n = x.rowSize;
  const backend = getBackend();
  const inv = new Float64Array(rows);
  for (let i = 0; i < rows; i++) inv[i] = a[i]! > 0 ? 1 / a[i]! : 1;
  // |x_i - a_i y_j|^2 = a_i^2 |x_i/a_i - y_j|^2 (a_i > 0).
  const sq = backend.pairwiseSqDist(backend.scaleRows(x, inv), reference);
  const logw = sq.data;
  const xs = x.data;
  const ys = reference.data;
  const u = new Float64Array(n);
  for (let i = 0; i < rows; i++) {
    const ai = a[i]!;
    const bi = b[i]!;
    const row = i * m;
    if (bi === 0) {
      let best = 0;
      for (let j = 1; j < m; j++) if (logw[row + j]! < logw[row + best]!) best = j;
      logw.fill(-Infinity, row, row + m);
      logw[row + best] = 0;
      continue;
    }
    if (ai === 0) {
      logw.fill(0, row, row + m);
      continue;
    }
    if (prior.logDensitySq) {
      const s = (ai * ai) / (bi * bi);
      for (let j = 0; j < m; j++) logw[row + j] = prior.logDensitySq(s * logw[row + j]!, n);
    } else {
      for (let j = 0; j < m; j++) {
        for (let k = 0; k < n; k++) u[k] = (xs[i * n + k]! - ai * ys[j * n + k]!) / bi;
        logw[row + j] = prior.logDensity(u, 0, n);
      }
    }
    let max = -Infinity;
    for (let j = 0; j < m; j++) max = Math.max(max, logw[row + j]!);
    if (max === -Infinity) {
      if (!prior.supportExcess) throw new ValueError(`x row ${i}`, `t = ${tr[i]!}`, `a point inside the support of some reference point's kernel under ${prior.name}`);
      let best = -Infinity;
      for (let j = 0; j < m; j++) {
        for (let k = 0; k < n; k++) u[k] = (xs[i * n + k]! - ai * ys[j * n + k]!) / bi;
        logw[row + j] = -prior.supportExcess(u, 0, n);
        best = Math.max(best, logw[row + j]!);
      }
      for (let j = 0; j < m; j++) logw[row + j] = logw[row + j] === best ? 0 : -Infinity;
    }
  }
  backend.softmaxRows(sq);
  return sq;
}

/** Options of {@link empiricalVelocityField}. */
export interface EmpiricalVelocityOptions {
  /** Largest number of float64 weights held at once (rows are processed in chunks; default 2^22). */
  maxWeights?: number;
}

/**
 * The posterior mean E[x0 | x_t = x] over `reference` (the exact denoised estimate of the
 * empirical distribution for this path and prior), shape and dtype of `x`.
 */
export function pathPosteriorMean(x: Tensor, t: Float64Array | number, reference: Tensor, path: TrajectoryPath, prior: PathPrior): Tensor {
  const w = pathPosteriorWeights(x, t, reference, path, prior);
  return shapedLike(getBackend().weightedSum(w, reference), x);
}

/**
 * The superposed (marginal) velocity v(x, t) = sum_j w_j (a' y_j + b' x1_j) of the empirical
 * distribution over `reference` (see {@link pathPosteriorWeights}); equal to
 * `denoisedToVelocity(path, x, t, pathPosteriorMean(...))`, which is how it is computed.
 */
export function empiricalVelocity(x: Tensor, t: Float64Array | number, reference: Tensor, path: TrajectoryPath, prior: PathPrior): Tensor {
  const tr = timeRows(t, x.rows);
  return denoisedToVelocity(path, x, tr, pathPosteriorMean(x, tr, reference, path, prior));
}

/**
 * {@link empiricalVelocity} as a {@link VelocityModel}, so the natural-time flow samplers of
 * `@phys/samplers` run on it, and (through `velocityDenoiser` of `@phys/kernels`) every sigma
 * sampler.
 *
 * @throws EmptyReferenceError when `reference` has no rows (at construction)
 */
export function empiricalVelocityField(reference: Tensor, path: TrajectoryPath, prior: PathPrior, options: EmpiricalVelocityOptions = {}): VelocityModel {
  checkReference(reference);
  checkData(reference, 'reference');
  const chunk = Math.max(1, Math.floor((options.maxWeights ?? 1 << 22) / reference.rows));
  return (x, t) => {
    const tr = timeRows(t, x.rows);
    if (x.rows <= chunk) return Promise.resolve(empiricalVelocity(x, tr, reference, path, prior));
    const out = x.clone();
    for (let start = 0; start < x.rows; start += chunk) {
      const end = Math.min(x.rows, start + chunk);
      out.data.set(empiricalVelocity(x.sliceRows(start, end), tr.subarray(start, end), reference, path, prior).data, start * x.rowSize);
    }
    return Promise.resolve(out);
  };
}

/** One trajectory family for {@link trajectoryIndicator}: its path and its velocity model. */
export interface TrajectoryFamily {
  readonly path: TrajectoryPath;
  readonly velocity: VelocityModel;
}

/**
 * Seed 000's trajectory comparison indicator (Sec. 4.4, Eq. 14-16; the equations were lost in
 * extraction, this is our reading of the prose): write the evolution equations of two
 * trajectory families, scale both to a common frame, and measure the main difference. Every
 * path x_t = a x0 + b x1 becomes, after the scaling x~ = x/a and the time change sigma = b/a,
 * the ODE dx~/dsigma = (x~ - D(x~; sigma))/sigma; the indicator at `sigma` is the relative
 * difference of the two scaled drifts over the points `x` (EDM frame):
 * I = sum_i |D_P(x_i) - D_Q(x_i)|^2 / sum_i |x_i - D_P(x_i)|^2,
 * 0 when the two families move every point identically up to time change and scale, and of
 * order 1 when they disagree as much as the drift itself. Families that share a prior and differ
 * only in a(t), b(t) (straight line, trig and Bezier curves, ON segments) give 0 exactly: their
 * trajectories differ in shape, not in the transport map; differences come from the prior and
 * from the learned field.
 */
export async function trajectoryIndicator(p: TrajectoryFamily, q: TrajectoryFamily, x: Tensor, sigma: number): Promise<number> {
  checkData(x, 'x');
  if (!(sigma > 0 && Number.isFinite(sigma))) throw new ValueError('sigma', sigma, 'a finite noise level > 0');
  const s = new Float64Array(x.rows).fill(sigma);
  const dp = await velocityDenoiser(p.path, p.velocity)(x, s);
  const dq = await velocityDenoiser(q.path, q.velocity)(x, s);
  let num = 0;
  let den = 0;
  for (let k = 0; k < x.data.length; k++) {
    num += (dp.data[k]! - dq.data[k]!) ** 2;
    den += (x.data[k]! - dp.data[k]!) ** 2;
  }
  return num / den;
}
