// Training targets of the trajectory paths and the conversions between velocity prediction
// (flow matching, natural time t in [0, 1]) and the denoiser convention of every sampler
// (EDM: D(x~; sigma) ~ E[x0 | x~]). For x_t = a x0 + b x1 with x1 independent of x0,
// x~ = x_t/a = x0 + sigma x1 with sigma = b/a, and the EDM ODE dx~/dsigma = (x~ - D)/sigma is the
// path's flow ODE dx/dt = v(x, t) in other coordinates, for any prior: d/dsigma of x0 + sigma x1
// is x1 = (x~ - x0)/sigma, whose posterior mean is (x~ - D)/sigma.
import { ShapeError, ValueError, assertFinite, getBackend, type Denoiser, type DType, type Random, type Tensor } from '@phys/tensor';
import { checkTime, type PathCoefficients, type TrajectoryPath } from './path.js';
import type { PathPrior } from './path-prior.js';
import { checkData } from './validate.js';

/**
 * A velocity-predicting model (flow matching): v(x, t) ~ E[a'(t) x0 + b'(t) x1 | x_t = x] for a
 * batch `x` and one time per row in [0, 1] (t = 1 prior, t = 0 data). `cond` passes through.
 */
export type VelocityModel<C = unknown> = (x: Tensor, t: Float64Array, cond?: C) => Promise<Tensor>;

/** One time per row: validates (each in [0, 1]) and expands a scalar. */
export function timeRows(t: Float64Array | number, rows: number, argument = 't'): Float64Array {
  const out = typeof t === 'number' ? new Float64Array(rows).fill(t) : t;
  if (!(out instanceof Float64Array)) throw new ValueError(argument, t, 'a Float64Array with one time per row, or a number');
  if (out.length !== rows) throw new ShapeError(argument, `${rows} values (one per row)`, `${out.length} values`);
  for (let i = 0; i < rows; i++) checkTime(out[i]!, `${argument}[${i}]`);
  return out;
}

/** Per-row a, b, a', b' of `path` at the times `t`. */
export function coefficientRows(path: TrajectoryPath, t: Float64Array): { a: Float64Array; b: Float64Array; da: Float64Array; db: Float64Array } {
  const n = t.length;
  const a = new Float64Array(n);
  const b = new Float64Array(n);
  const da = new Float64Array(n);
  const db = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const c: PathCoefficients = path.coefficients(t[i]!);
    a[i] = c.a;
    b[i] = c.b;
    da[i] = c.da;
    db[i] = c.db;
  }
  return { a, b, da, db };
}

function checkPair(x: Tensor, y: Tensor, xName: string, yName: string): void {
  checkData(x, xName);
  checkData(y, yName);
  if (x.shape.length !== y.shape.length || x.shape.some((d, i) => d !== y.shape[i])) {
    throw new ShapeError(yName, `the shape of ${xName} [${x.shape.join(', ')}]`, `[${y.shape.join(', ')}]`);
  }
}

/** x_t = a(t) x0 + b(t) x1 per row (seed 000 Eq. 10). */
export function pathPoint(path: TrajectoryPath, x0: Tensor, x1: Tensor, t: Float64Array | number): Tensor {
  checkPair(x0, x1, 'x0', 'x1');
  const { a, b } = coefficientRows(path, timeRows(t, x0.rows));
  return getBackend().lincomb([[a, x0], [b, x1]]);
}

/** The conditional velocity d x_t/dt = a'(t) x0 + b'(t) x1 per row: the flow-matching target. */
export function conditionalVelocity(path: TrajectoryPath, x0: Tensor, x1: Tensor, t: Float64Array | number): Tensor {
  checkPair(x0, x1, 'x0', 'x1');
  const { da, db } = coefficientRows(path, timeRows(t, x0.rows));
  return getBackend().lincomb([[da, x0], [db, x1]]);
}

/** A flow-matching training batch of a path (see {@link pathTrainingBatch}). */
export interface PathBatch {
  /** x_t = a x0 + b x1, the model input. */
  readonly x: Tensor;
  /** One time per row. */
  readonly t: Float64Array;
  /** The prior draws x1. */
  readonly x1: Tensor;
  /** The velocity target a' x0 + b' x1 (`parameterization: 'velocity'`). */
  readonly velocity: Tensor;
  /** The denoiser (x0-prediction) target: the clean batch itself. */
  readonly target: Tensor;
}

/**
 * Draws x1 from `prior` and, unless given, t ~ U(0, 1) per row, and returns the training batch
 * of conditional flow matching on `path`: the model learns E[velocity | x] (seed 000 Eq. 9 in
 * velocity form).
 */
export function pathTrainingBatch(path: TrajectoryPath, prior: PathPrior, x0: Tensor, rng: Random, options: { t?: Float64Array; dtype?: DType } = {}): PathBatch {
  checkData(x0, 'x0');
  const x1 = prior.sample(x0.shape, rng, options.dtype ?? x0.dtype);
  const t = options.t ? timeRows(options.t, x0.rows) : Float64Array.from(rng.uniform([x0.rows, 1], 'float64').data);
  const { a, b, da, db } = coefficientRows(path, t);
  const backend = getBackend();
  return { x: backend.lincomb([[a, x0], [b, x1]]), t, x1, velocity: backend.lincomb([[da, x0], [db, x1]]), target: x0 };
}

/**
 * The denoised estimate from a velocity: with x = a x0^ + b x1^ and v = a' x0^ + b' x1^,
 * x0^ = (b v - b' x)/(a' b - b' a). The denominator is -a^2 d(b/a)/dt < 0 for t < 1 and a'(1) at
 * t = 1; at t = 0 the result is x itself.
 */
export function velocityToDenoised(path: TrajectoryPath, x: Tensor, t: Float64Array | number, v: Tensor): Tensor {
  checkPair(x, v, 'x', 'v');
  const tr = timeRows(t, x.rows);
  const { a, b, da, db } = coefficientRows(path, tr);
  const cv = new Float64Array(x.rows);
  const cx = new Float64Array(x.rows);
  for (let i = 0; i < x.rows; i++) {
    const den = da[i]! * b[i]! - db[i]! * a[i]!;
    if (!(den !== 0 && Number.isFinite(den))) throw new ValueError(`t[${i}]`, tr[i], `a time where ${path.name} determines x0 from the velocity (a'b - b'a = ${den})`);
    cv[i] = b[i]! / den;
    cx[i] = -db[i]! / den;
  }
  return getBackend().lincomb([[cv, v], [cx, x]]);
}

/**
 * The velocity from a denoised estimate: v = (b'/b) x + (a' - a b'/b) x0^. At t = 0 (b = 0) it is
 * the limit a'(0) x (x = x0 there and the prior has mean 0).
 */
export function denoisedToVelocity(path: TrajectoryPath, x: Tensor, t: Float64Array | number, denoised: Tensor): Tensor {
  checkPair(x, denoised, 'x', 'denoised');
  const tr = timeRows(t, x.rows);
  const { a, b, da, db } = coefficientRows(path, tr);
  const cx = new Float64Array(x.rows);
  const cd = new Float64Array(x.rows);
  for (let i = 0; i < x.rows; i++) {
    if (b[i] === 0) {
      cx[i] = da[i]!;
      cd[i] = 0;
    } else {
      cx[i] = db[i]! / b[i]!;
      cd[i] = da[i]! - (a[i]! * db[i]!) / b[i]!;
    }
  }
  return getBackend().lincomb([[cx, x], [cd, denoised]]);
}

/**
 * A velocity model as a {@link Denoiser} in the EDM frame x~ = x/a(t), sigma = b(t)/a(t), so
 * every sampler of `@phys/samplers` runs it on a sigma schedule: t = path.tOfSigma(sigma),
 * D(x~; sigma) = velocityToDenoised(a x~, t, model(a x~, t)). Start the samplers from
 * sigmaMax * prior.sample(...) (the EDM-frame prior, exact as sigmaMax -> infinity).
 */
export function velocityDenoiser<C = unknown>(path: TrajectoryPath, model: VelocityModel<C>): Denoiser<C> {
  if (typeof model !== 'function') throw new ValueError('model', model, 'an async function (x, t, cond) => Tensor');
  return async (xs, sigma, cond) => {
    const t = new Float64Array(xs.rows);
    for (let i = 0; i < xs.rows; i++) t[i] = path.tOfSigma(sigma[i]!);
    const { a } = coefficientRows(path, t);
    const x = getBackend().scaleRows(xs, a);
    const v = await model(x, t, cond);
    return velocityToDenoised(path, x, t, v);
  };
}

/**
 * A denoiser as a {@link VelocityModel} of `path`: v(x, t) = denoisedToVelocity(x, t,
 * D(x/a; b/a)). Times must be in (0, 1) (the EDM frame has no t = 1), or all 0, where the
 * velocity is a'(0) x without a denoiser call.
 */
export function denoiserVelocity<C = unknown>(path: TrajectoryPath, denoiser: Denoiser<C>): VelocityModel<C> {
  if (typeof denoiser !== 'function') throw new ValueError('denoiser', denoiser, 'an async function (x, sigma, cond) => Tensor');
  return async (x, t, cond) => {
    const tr = timeRows(t, x.rows);
    if (tr.every((v) => v === 0)) return denoisedToVelocity(path, x, tr, x);
    const { a, b } = coefficientRows(path, tr);
    const inv = new Float64Array(x.rows);
    const sigma = new Float64Array(x.rows);
    for (let i = 0; i < x.rows; i++) {
      if (!(tr[i]! > 0 && tr[i]! < 1)) throw new ValueError(`t[${i}]`, tr[i], 'a time in (0, 1) (a denoiser has no t = 1, and t = 0 only for the whole batch)');
      inv[i] = 1 / a[i]!;
      sigma[i] = b[i]! / a[i]!;
    }
    const denoised = await denoiser(getBackend().scaleRows(x, inv), sigma, cond);
    assertFinite(denoised.data, 'denoised');
    return denoisedToVelocity(path, x, tr, denoised);
  };
}

/**
 * The EDM-frame log kernel of a radial prior: x~ = y + sigma x1 has
 * log p_sigma(x~ | y) = log p(|x~ - y|^2/sigma^2) - n log sigma, the `LogKernel` shape of
 * `@phys/fields` (`empiricalDenoiser(reference, priorLogKernel(prior))` is the exact denoiser of
 * every path with this prior). The Gaussian prior of scale 1 gives EDM's kernel up to a constant.
 *
 * @throws ValueError for a prior that is not radial (the box: its kernel is not a function of |x~ - y|)
 */
export function priorLogKernel(prior: PathPrior): { logKernel(sqDist: number, sigma: number, n: number): number } {
  if (!prior.logDensitySq) throw new ValueError('prior', prior.name, 'a radial prior (gaussianPrior or radialPrior); the box is not a function of the distance');
  return { logKernel: (sqDist, sigma, n) => prior.logDensitySq!(sqDist / (sigma * sigma), n) - n * Math.log(sigma) };
}
