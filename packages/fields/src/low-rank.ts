import { ShapeError, Tensor, ValueError, assertFinite, formatShape, type Denoiser, type Random } from '@phys/tensor';

// Module-level bindings: global `Math.*` lookups are slow inside vm contexts (jest's ESM runner).
const { exp, log, sqrt, tanh } = Math;

/** A Gaussian component N(mean, F F^T) given by a `d x r` factor F (row-major), r <= d. */
export interface LowRankComponent {
  /** Mean, length d. */
  readonly mean: ArrayLike<number>;
  /** Factor F, `d x r` row-major: the covariance is F F^T (rank <= r). */
  readonly factor: ArrayLike<number>;
  /** Unnormalised weight (default 1). */
  readonly weight?: number;
}

interface Prepared {
  readonly logWeight: number;
  readonly mean: Float64Array;
  readonly factor: Float64Array;
  readonly r: number;
  /** F^T F, r x r. */
  readonly gram: Float64Array;
  /** (s^2 I + F^T F)^{-1} at the cached sigma. */
  readonly inv: Float64Array;
  /** log det(s^2 I_d + F F^T) at the cached sigma. */
  logDet: number;
}

/**
 * Exact denoiser D(x; sigma) = E[x0 | x0 + sigma n = x] of a Gaussian mixture whose covariances
 * are low rank, sum_k w_k N(mu_k, F_k F_k^T), in O(K d r) per row instead of the O(K d^2) of
 * {@link GaussianMixture.denoise}. With C_k = F_k F_k^T + sigma^2 I and M_k = (sigma^2 I_r +
 * F_k^T F_k)^{-1} (Woodbury): (x - mu_k)^T C_k^{-1} (x - mu_k) = (|x - mu_k|^2 - v_k^T M_k v_k) /
 * sigma^2 with v_k = F_k^T (x - mu_k), log det C_k = log det(sigma^2 I_r + F_k^T F_k) + (d - r)
 * log sigma^2, and the component posterior mean is mu_k + F_k M_k v_k. Needs sigma > 0 per row.
 * The r x r inverses are cached for the last sigma seen (samplers call it with one sigma per step).
 */
export function lowRankMixtureDenoiser(components: readonly LowRankComponent[]): Denoiser {
  if (components.length === 0) throw new ValueError('components', components, 'at least one mixture component');
  const d = components[0]!.mean.length;
  if (d === 0) throw new ValueError('components[0].mean', [], 'a mean of length >= 1');
  let wsum = 0;
  for (const [k, c] of components.entries()) {
    const w = c.weight ?? 1;
    if (!(Number.isFinite(w) && w > 0)) throw new ValueError(`components[${k}].weight`, w, 'a finite number > 0');
    wsum += w;
  }
  const comps: Prepared[] = components.map((c, k) => {
    if (c.mean.length !== d) throw new ShapeError(`components[${k}].mean`, `[${d}]`, `[${c.mean.length}]`);
    const r = c.factor.length / d;
    if (!(Number.isInteger(r) && r >= 1 && r <= d)) throw new ShapeError(`components[${k}].factor`, `[${d}, r] with 1 <= r <= ${d}`, `${c.factor.length} values`);
    assertFinite(c.mean, `components[${k}].mean`);
    assertFinite(c.factor, `components[${k}].factor`);
    const factor = Float64Array.from(c.factor);
    const gram = new Float64Array(r * r);
    for (let p = 0; p < r; p++) {
      for (let q = 0; q < r; q++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += factor[j * r + p]! * factor[j * r + q]!;
        gram[p * r + q] = s;
      }
    }
    return { logWeight: log((c.weight ?? 1) / wsum), mean: Float64Array.from(c.mean), factor, r, gram, inv: new Float64Array(r * r), logDet: 0 };
  });
  const rMax = Math.max(...comps.map((c) => c.r));
  const v = new Float64Array(rMax);
  const mv = comps.map((c) => new Float64Array(c.r));
  const lw = new Float64Array(comps.length);
  let cached = NaN;
  const setSigma = (s: number): void => {
    if (s === cached) return;
    cached = s;
    for (const c of comps) c.logDet = invertShifted(c.gram, c.r, s * s, c.inv) + (d - c.r) * log(s * s);
  };

  const run = (x: Tensor, sigma: Float64Array): Tensor => {
    if (x.rowSize !== d) throw new ShapeError('x', `[B, ${d}] (rows of ${d} values)`, formatShape(x.shape));
    if (sigma.length !== x.rows) throw new ShapeError('sigma', `${x.rows} values (one per row of x)`, `${sigma.length} values`);
    const out = Tensor.zeros(x.shape, x.dtype);
    const xd = x.data;
    for (let i = 0; i < x.rows; i++) {
      const s = sigma[i]!;
      if (!(Number.isFinite(s) && s > 0)) throw new ValueError(`sigma[${i}]`, s, 'a finite number > 0 (low-rank covariances)');
      setSigma(s);
      const o = i * d;
      let maxLw = -Infinity;
      for (let k = 0; k < comps.length; k++) {
        const c = comps[k]!;
        const { r, factor, mean, inv } = c;
        v.fill(0, 0, r);
        let dSq = 0;
        for (let j = 0; j < d; j++) {
          const dj = xd[o + j]! - mean[j]!;
          dSq += dj * dj;
          for (let q = 0; q < r; q++) v[q]! += factor[j * r + q]! * dj;
        }
        const m = mv[k]!;
        let vMv = 0;
        for (let p = 0; p < r; p++) {
          let t = 0;
          for (let q = 0; q < r; q++) t += inv[p * r + q]! * v[q]!;
          m[p] = t;
          vMv += v[p]! * t;
        }
        lw[k] = c.logWeight - 0.5 * (c.logDet + (dSq - vMv) / (s * s));
        if (lw[k]! > maxLw) maxLw = lw[k]!;
      }
      let total = 0;
      for (let k = 0; k < comps.length; k++) total += lw[k] = exp(lw[k]! - maxLw);
      // D = sum_k w_k (mu_k + F_k M_k v_k).
      for (let k = 0; k < comps.length; k++) {
        const w = lw[k]! / total;
        if (w === 0) continue;
        const { r, factor, mean } = comps[k]!;
        const m = mv[k]!;
        for (let j = 0; j < d; j++) {
          let b = 0;
          for (let q = 0; q < r; q++) b += factor[j * r + q]! * m[q]!;
          out.data[o + j]! += w * (mean[j]! + b);
        }
      }
    }
    return out;
  };
  // Bad input rejects the promise (the executor's throw) rather than throwing synchronously.
  return (x, sigma) => new Promise((resolve) => { resolve(run(x, sigma)); });
}

/** Writes (shift I + gram)^{-1} into `inv` by Gauss-Jordan (SPD: no pivoting); returns its log det. */
function invertShifted(gram: Float64Array, r: number, shift: number, inv: Float64Array): number {
  const a = Float64Array.from(gram);
  for (let p = 0; p < r; p++) a[p * r + p]! += shift;
  inv.fill(0);
  for (let p = 0; p < r; p++) inv[p * r + p] = 1;
  let logDet = 0;
  for (let c = 0; c < r; c++) {
    const piv = a[c * r + c]!;
    logDet += log(piv);
    for (let q = 0; q < r; q++) {
      a[c * r + q]! /= piv;
      inv[c * r + q]! /= piv;
    }
    for (let row = 0; row < r; row++) {
      if (row === c) continue;
      const f = a[row * r + c]!;
      for (let q = 0; q < r; q++) {
        a[row * r + q]! -= f * a[c * r + q]!;
        inv[row * r + q]! -= f * inv[c * r + q]!;
      }
    }
  }
  return logDet;
}

/** Options of {@link approximationErrorDenoiser}. */
export interface ApproximationErrorOptions {
  /** Data dimension d (rows of x hold d values). */
  readonly dim: number;
  /** Error size eps >= 0: |t s_theta - t grad log p_t| <= eps sqrt(d). */
  readonly eps: number;
  /** Source of W ~ N(0, 1/d)^{d x d} and b ~ N(0, 1)^d (two normal draws, `[d, d]` then `[1, d]`). */
  readonly rng: Random;
}

/**
 * A denoiser with an injected, smooth approximation error (the learned-field error
 * eps_approx of thesis Sec. 5.3, Theorems 1-4, made explicit for the synthetic study of
 * Sec. 5.4.1): D_theta(x; sigma) = D(x; sigma) + eps sigma tanh(W x / sqrt(1 + sigma^2) + b),
 * so the score error satisfies |t s_theta(x, t) - t grad log p_t(x)| <= eps sqrt(d) uniformly.
 */
export function approximationErrorDenoiser<C>(denoiser: Denoiser<C>, options: ApproximationErrorOptions): Denoiser<C> {
  const { dim: d, eps, rng } = options;
  if (!(Number.isInteger(d) && d >= 1)) throw new ValueError('dim', d, 'an integer >= 1');
  if (!(Number.isFinite(eps) && eps >= 0)) throw new ValueError('eps', eps, 'a finite number >= 0');
  const W = rng.normal([d, d], 'float64').data.map((t) => t / sqrt(d));
  const b = rng.normal([1, d], 'float64').data;
  return async (x, sigma, cond) => {
    if (x.rowSize !== d) throw new ShapeError('x', `[B, ${d}] (rows of ${d} values)`, formatShape(x.shape));
    const base = await denoiser(x, sigma, cond);
    if (base.data.length !== x.data.length) throw new ShapeError('denoiser output', formatShape(x.shape), formatShape(base.shape));
    const out = base.clone();
    for (let i = 0; i < x.rows; i++) {
      const s = sigma[i]!;
      const c = 1 / sqrt(1 + s * s);
      const o = i * d;
      for (let j = 0; j < d; j++) {
        let u = 0;
        for (let k = 0; k < d; k++) u += W[j * d + k]! * x.data[o + k]!;
        out.data[o + j]! += eps * s * tanh(c * u + b[j]!);
      }
    }
    return out;
  };
}
