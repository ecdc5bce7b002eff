import { ShapeError, ValueError, assertFinite, formatShape, getBackend, type Denoiser, type Tensor } from '@phys/tensor';
import { rowsOf } from './util.js';

/**
 * The velocity field of a generative ODE, dx/dt = G(x, t), evaluated on a batch at one time `t`
 * (thesis App. B.2.2 writes G(x, t, z); bind the latent z inside the function).
 */
export type Drift = (x: Tensor, t: number) => Promise<Tensor>;

/**
 * The EDM probability-flow drift with sigma(t) = t: dx/dt = -t grad log p_t(x) = (x - D(x; t)) / t
 * (the ODE after thesis Eq. 2.6 with sigma(t) = t, score = (D - x)/t^2), built from a {@link Denoiser}. `cond` is passed to every call.
 */
export function edmDrift<C>(denoiser: Denoiser<C>, cond?: C): Drift {
  return async (x, t) => {
    if (!(Number.isFinite(t) && t > 0)) throw new ValueError('t', t, 'a finite time > 0 (sigma(t) = t)');
    const d = await denoiser(x, new Float64Array(x.rows).fill(t), cond);
    return getBackend().axpby(1 / t, x, -1 / t, d);
  };
}

/** Curvature of a batch of ODE trajectories at one time. */
export interface CurvatureResult {
  /** The time t at which the curvature was measured. */
  readonly t: number;
  /** The finite-difference time step Delta t. */
  readonly dt: number;
  /** kappa for each row; NaN where the velocity vanishes (tangent undefined). */
  readonly perSample: Float64Array;
  /** Mean of the finite entries of `perSample` (the quantity plotted in thesis Fig. 4.4a). */
  readonly mean: number;
  /** Number of rows whose curvature is undefined (zero velocity). */
  readonly undefinedCount: number;
}

/**
 * Curvature of the ODE trajectories through the rows of `x` at time `t`, as defined for thesis
 * Fig. 4.4 (App. B.2.2): kappa = |dT/dt| / |x'(t)| with the unit tangent T = G / |G|, approximated by
 * |T(t) - T(t - dt)| / |x(t) - x(t - dt)| where x(t - dt) = x(t) - G(x, t) dt is one Euler step
 * (so the denominator is |G| dt). The thesis uses dt = 0.001. Costs two drift evaluations.
 * Differences and norms are accumulated in float64.
 */
export async function odeCurvature(drift: Drift, x: Tensor, t: number, options: { dt?: number } = {}): Promise<CurvatureResult> {
  const dt = options.dt ?? 1e-3;
  if (!(Number.isFinite(dt) && dt > 0)) throw new ValueError('dt', dt, 'a finite number > 0');
  if (!Number.isFinite(t)) throw new ValueError('t', t, 'a finite time');
  const [n, d] = rowsOf(x, 'x');
  const g1 = await drift(x, t);
  checkDrift(g1, x);
  const xPrev = getBackend().axpby(1, x, -dt, g1);
  const g2 = await drift(xPrev, t - dt);
  checkDrift(g2, x);
  const per = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * d;
    let n1 = 0;
    let n2 = 0;
    for (let j = 0; j < d; j++) {
      n1 += g1.data[o + j]! ** 2;
      n2 += g2.data[o + j]! ** 2;
    }
    n1 = Math.sqrt(n1);
    n2 = Math.sqrt(n2);
    if (n1 === 0 || n2 === 0) {
      per[i] = Number.NaN;
      continue;
    }
    let s = 0;
    for (let j = 0; j < d; j++) s += (g1.data[o + j]! / n1 - g2.data[o + j]! / n2) ** 2;
    per[i] = Math.sqrt(s) / (n1 * dt);
  }
  return { t, dt, ...finiteMean(per) };
}

/**
 * {@link odeCurvature} at every recorded point of a trajectory (e.g. the states a sampler reports
 * through `onStep`): one result per `{t, x}`, in order. This is the curve of thesis Fig. 4.4a.
 */
export async function curvatureAlongTrajectory(
  drift: Drift,
  states: readonly { readonly t: number; readonly x: Tensor }[],
  options: { dt?: number } = {},
): Promise<CurvatureResult[]> {
  const out: CurvatureResult[] = [];
  for (const s of states) out.push(await odeCurvature(drift, s.x, s.t, options));
  return out;
}

/** Discrete curvature of recorded paths. */
export interface PathCurvatureResult {
  /** `[K - 2, rows]` row-major: kappa at interior point k+1 of each path. */
  readonly perSample: Float64Array;
  /** Mean over rows at each interior point (length K - 2). */
  readonly mean: Float64Array;
  /** Number of interior points (K - 2). */
  readonly points: number;
}

/**
 * Curvature of piecewise-linear paths x_0, ..., x_{K-1} (one path per row) without extra drift
 * evaluations: the same finite difference as {@link odeCurvature} with the solver's own steps,
 * kappa_k = |T_k - T_{k-1}| / |x_k - x_{k-1}|, T_k the unit direction of segment k. A straight path
 * has kappa = 0 everywhere; a circle of radius R sampled finely has kappa ~ 1/R.
 */
export function pathCurvature(states: readonly Tensor[]): PathCurvatureResult {
  if (states.length < 3) throw new ValueError('states', states.length, 'at least 3 recorded states');
  const first = states[0]!;
  const [n, d] = rowsOf(first, 'states[0]');
  states.forEach((s, k) => {
    if (s.rows !== n || s.rowSize !== d) throw new ShapeError(`states[${k}]`, formatShape(first.shape), formatShape(s.shape));
    assertFinite(s.data, `states[${k}]`);
  });
  const K = states.length;
  const per = new Float64Array((K - 2) * n);
  const mean = new Float64Array(K - 2);
  const t0 = new Float64Array(d);
  const t1 = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    let prevLen = segment(states[0]!, states[1]!, i, d, t0);
    for (let k = 1; k < K - 1; k++) {
      const len = segment(states[k]!, states[k + 1]!, i, d, t1);
      let s = 0;
      for (let j = 0; j < d; j++) s += (t1[j]! - t0[j]!) ** 2;
      per[(k - 1) * n + i] = prevLen > 0 && len > 0 ? Math.sqrt(s) / prevLen : Number.NaN;
      t0.set(t1);
      prevLen = len;
    }
  }
  for (let k = 0; k < K - 2; k++) mean[k] = finiteMean(per.subarray(k * n, (k + 1) * n)).mean;
  return { perSample: per, mean, points: K - 2 };
}

function segment(a: Tensor, b: Tensor, row: number, d: number, out: Float64Array): number {
  const o = row * d;
  let s = 0;
  for (let j = 0; j < d; j++) {
    const v = b.data[o + j]! - a.data[o + j]!;
    out[j] = v;
    s += v * v;
  }
  const len = Math.sqrt(s);
  if (len > 0) for (let j = 0; j < d; j++) out[j]! /= len;
  return len;
}

function checkDrift(g: Tensor, x: Tensor): void {
  if (g.rows !== x.rows || g.rowSize !== x.rowSize) throw new ShapeError('drift(x, t)', formatShape(x.shape), formatShape(g.shape));
  assertFinite(g.data, 'drift(x, t)');
}

function finiteMean(per: Float64Array): { perSample: Float64Array; mean: number; undefinedCount: number } {
  let s = 0;
  let c = 0;
  for (let i = 0; i < per.length; i++) {
    if (Number.isFinite(per[i])) {
      s += per[i]!;
      c++;
    }
  }
  return { perSample: per, mean: c > 0 ? s / c : Number.NaN, undefinedCount: per.length - c };
}
