// The radius distribution of the PFGM++ kernel: R = |x - y| under p_r(x | y) ~ (|x - y|^2 + r^2)^(-(N+D)/2)
// has p_r(R) ~ R^(N-1)/(R^2 + r^2)^((N+D)/2) (thesis Eq. B.6), i.e. R^2/r^2 ~ BetaPrime(N/2, D/2).
import { NonFiniteError, ValueError, type Random } from '@phys/tensor';
import { betaIncPair, logBeta, logGammaDiff } from './special.js';
import { checkPositive } from './validate.js';

/** (N, D, r) of a PFGM++ radius distribution: data dimension, augmented dimensions, kernel radius r = sigma sqrt(D). */
export interface RadiusParams {
  /** Data dimension N (a positive integer). */
  N: number;
  /** Augmented dimensions D > 0 (any real). */
  D: number;
  /** Kernel radius r > 0. */
  r: number;
}

/** Moments of p_r(R); `Infinity` where they diverge (mean for D <= 1, second moment and variance for D <= 2). */
export interface RadiusMoments {
  /** E[R] = r B((N+1)/2, (D-1)/2)/B(N/2, D/2) for D > 1. */
  mean: number;
  /** E[R^2] = r^2 N/(D - 2) for D > 2. */
  meanSq: number;
  /** Var[R] = E[R^2] - E[R]^2 for D > 2. */
  variance: number;
  /** argmax p_r(R) = r sqrt((N - 1)/(D + 1)). */
  mode: number;
}

function checkParams(p: RadiusParams): void {
  if (!(Number.isInteger(p.N) && p.N >= 1)) throw new ValueError('N', p.N, 'a positive integer data dimension');
  checkPositive(p.D, 'D');
  checkPositive(p.r, 'r');
}

/**
 * Draws `rows` radii R ~ p_r(R) by the thesis construction (Sec. B.6.2, l. 5150):
 * R1 ~ Beta(N/2, D/2), R2 = R1/(1 - R1), R = r sqrt(R2). Exact: no clipping and no epsilons
 * (the reference training code's are in `pfgmppKernel(...).perturb`).
 */
export function sampleRadius(params: RadiusParams, rows: number, rng: Random): Float64Array {
  checkParams(params);
  const { N, D, r } = params;
  const u = rng.beta(N / 2, D / 2, rows);
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const ui = u[i]!;
    out[i] = r * Math.sqrt(ui / (1 - ui));
    if (!Number.isFinite(out[i]!)) throw new NonFiniteError('radius', i, out[i]!, `Beta(${N / 2}, ${D / 2}) draw ${ui} is 1 in float64; D is too small for N`);
  }
  return out;
}

/** ln p_r(R) = ln 2 - ln r - ln B(N/2, D/2) + (N - 1) ln(R/r) - (N + D)/2 ln(1 + R^2/r^2). */
export function radiusLogPdf(R: number, params: RadiusParams): number {
  checkParams(params);
  const { N, D, r } = params;
  if (!(R >= 0)) throw new ValueError('R', R, 'a radius >= 0');
  if (R === 0) return N === 1 ? Math.LN2 - Math.log(r) - logBeta(0.5, D / 2) : -Infinity;
  const q = R / r;
  return Math.LN2 - Math.log(r) - logBeta(N / 2, D / 2) + (N - 1) * Math.log(q) - ((N + D) / 2) * Math.log1p(q * q);
}

/** P(R <= q) = I_{q^2/(q^2 + r^2)}(N/2, D/2), the regularized incomplete beta function. */
export function radiusCdf(q: number, params: RadiusParams): number {
  return radiusCdfPair(q, params)[0];
}

/** [P(R <= q), P(R > q)], each without cancellation. */
function radiusCdfPair(q: number, params: RadiusParams): [number, number] {
  checkParams(params);
  if (Number.isNaN(q)) throw new ValueError('q', q, 'a number');
  if (q <= 0) return [0, 1];
  if (q === Infinity) return [1, 0];
  const { N, D, r } = params;
  const q2 = q * q;
  const r2 = r * r;
  return betaIncPair(q2 / (q2 + r2), N / 2, D / 2, r2 / (q2 + r2));
}

/**
 * The p-quantile of p_r(R): solves radiusCdf(q) = p by safeguarded Newton steps in ln q
 * (relative accuracy about 1e-12).
 */
export function radiusQuantile(p: number, params: RadiusParams): number {
  checkParams(params);
  if (!(p > 0 && p < 1)) throw new ValueError('p', p, 'a probability in (0, 1)');
  const { r } = params;
  // Bracket in s = ln(q/r).
  let lo = -1;
  let hi = 1;
  while (radiusCdf(r * Math.exp(lo), params) > p) lo *= 2;
  while (radiusCdf(r * Math.exp(hi), params) < p) hi *= 2;
  let s = 0.5 * (lo + hi);
  for (let it = 0; it < 200; it++) {
    const q = r * Math.exp(s);
    const [c, upper] = radiusCdfPair(q, params);
    // Residual on the smaller tail keeps relative accuracy for p near 1.
    const f = p < 0.5 ? c - p : 1 - p - upper;
    if (f === 0) return q;
    if (f > 0) hi = s;
    else lo = s;
    const dens = Math.exp(radiusLogPdf(q, params) + Math.log(q)); // dF/ds
    let next = s - f / dens;
    if (!(next > lo && next < hi) || !Number.isFinite(next)) next = 0.5 * (lo + hi);
    if (Math.abs(next - s) <= 1e-15 * Math.max(1, Math.abs(s)) || hi - lo <= 1e-15 * Math.max(1, Math.abs(s))) return r * Math.exp(next);
    s = next;
  }
  return r * Math.exp(s);
}

/**
 * Analytic moments of p_r(R) (R^2/r^2 ~ BetaPrime(N/2, D/2)): see {@link RadiusMoments}. Gamma
 * ratios are formed without cancellation, so N + D ~ 10^6 keeps ~1e-13 relative accuracy.
 */
export function radiusMoments(params: RadiusParams): RadiusMoments {
  checkParams(params);
  const { N, D, r } = params;
  const mean = D > 1 ? r * Math.exp(logGammaDiff(N / 2, 0.5) + logGammaDiff(D / 2, -0.5)) : Infinity;
  const meanSq = D > 2 ? (r * r * N) / (D - 2) : Infinity;
  const variance = D > 2 ? meanSq - mean * mean : Infinity;
  const mode = r * Math.sqrt((N - 1) / (D + 1));
  return { mean, meanSq, variance, mode };
}
