// Test-only: the 20-d Gaussian mixture of the Restart synthetic study (thesis Sec. 5.4.1,
// App. B.3.2; built by @phys/fields' restartMixture20d) with a fast exact denoiser that uses the
// rank-4 covariance (Woodbury), an injected approximation error, and a sliced W1.
// (Module-level Math bindings: jest's vm context makes Math.* lookups in hot loops ~15x slower.)
import { PhiloxRng, Tensor, type Denoiser } from '@phys/tensor';
import { restartMixture20d, type GaussianMixture } from '@phys/fields';

const { sqrt, exp, tanh, abs } = Math;
const D = 20;
const R = 4;

export interface RestartProblem {
  /** The mixture as @phys/fields builds it (for sampling the data and cross-checks). */
  readonly mixture: GaussianMixture;
  /** Exact denoiser D(x; sigma), rank-4 Woodbury form. */
  readonly exact: Denoiser;
  /** D(x; sigma) + eps sigma tanh(W x / sqrt(1 + sigma^2) + b): |t s_theta - t grad log p| <= eps sqrt(20). */
  readonly approx: Denoiser;
}

/**
 * 0.3 N(S P a, S P P^T S) + 0.7 N(-S P a, S P P^T S), P ~ N(0, 1)^{20x4} from PhiloxRng(seed),
 * a = 3*1, S the inverse coordinate standard deviations; error field W ~ N(0, 1/20), b ~ N(0, 1)
 * from PhiloxRng(seed + 1).
 */
export function restartProblem(eps: number, seed = 0): RestartProblem {
  const mixture = restartMixture20d(new PhiloxRng(seed));
  const P = new PhiloxRng(seed).normal([D, R], 'float64').data; // the same draw restartMixture20d made
  const a = 3;
  // B = S P with S_j = 1/sqrt((P P^T)_jj + (1 - 0.4^2)(P a)_j^2); component means +-B a.
  const B = new Float64Array(D * R);
  const mu = new Float64Array(D);
  for (let j = 0; j < D; j++) {
    let pp = 0;
    let pa = 0;
    for (let q = 0; q < R; q++) {
      pp += P[j * R + q]! ** 2;
      pa += P[j * R + q]! * a;
    }
    const s = 1 / sqrt(pp + (1 - 0.4 ** 2) * pa * pa);
    for (let q = 0; q < R; q++) B[j * R + q] = s * P[j * R + q]!;
    mu[j] = s * pa;
  }
  const BtB = new Float64Array(R * R);
  for (let p = 0; p < R; p++) for (let q = 0; q < R; q++) for (let j = 0; j < D; j++) BtB[p * R + q]! += B[j * R + p]! * B[j * R + q]!;
  const Btmu = new Float64Array(R);
  for (let q = 0; q < R; q++) for (let j = 0; j < D; j++) Btmu[q]! += B[j * R + q]! * mu[j]!;
  let muSq = 0;
  for (let j = 0; j < D; j++) muSq += mu[j]! ** 2;
  const logW = [Math.log(0.3), Math.log(0.7)];

  let cachedSigma = NaN;
  const M = new Float64Array(R * R);
  const setSigma = (s: number): void => {
    if (s === cachedSigma) return;
    cachedSigma = s;
    // M = (s^2 I + B^T B)^{-1} by Gauss-Jordan on the 4x4 SPD matrix.
    const A = Float64Array.from(BtB);
    for (let p = 0; p < R; p++) A[p * R + p]! += s * s;
    M.fill(0);
    for (let p = 0; p < R; p++) M[p * R + p] = 1;
    for (let c = 0; c < R; c++) {
      const piv = A[c * R + c]!;
      for (let q = 0; q < R; q++) {
        A[c * R + q]! /= piv;
        M[c * R + q]! /= piv;
      }
      for (let r = 0; r < R; r++) {
        if (r === c) continue;
        const f = A[r * R + c]!;
        for (let q = 0; q < R; q++) {
          A[r * R + q]! -= f * A[c * R + q]!;
          M[r * R + q]! -= f * M[c * R + q]!;
        }
      }
    }
  };

  const exact: Denoiser = (x, sigma) => {
    const out = Tensor.zeros(x.shape, x.dtype);
    const v = new Float64Array(R);
    const mv = [new Float64Array(R), new Float64Array(R)];
    for (let i = 0; i < x.rows; i++) {
      const s = sigma[i]!;
      setSigma(s);
      const o = i * D;
      const btx = new Float64Array(R);
      let xSq = 0;
      let xMu = 0;
      for (let j = 0; j < D; j++) {
        const xj = x.data[o + j]!;
        xSq += xj * xj;
        xMu += xj * mu[j]!;
        for (let q = 0; q < R; q++) btx[q]! += B[j * R + q]! * xj;
      }
      // Component k has mean m_k = sgn_k mu; d_k = x - m_k; v_k = B^T d_k.
      const lw = [0, 0];
      for (let k = 0; k < 2; k++) {
        const sg = k === 0 ? 1 : -1;
        for (let q = 0; q < R; q++) v[q] = btx[q]! - sg * Btmu[q]!;
        const m = mv[k]!;
        let vMv = 0;
        for (let p = 0; p < R; p++) {
          let t = 0;
          for (let q = 0; q < R; q++) t += M[p * R + q]! * v[q]!;
          m[p] = t;
          vMv += v[p]! * t;
        }
        const dSq = xSq - 2 * sg * xMu + muSq;
        lw[k] = logW[k]! - (0.5 * (dSq - vMv)) / (s * s);
      }
      const mx = Math.max(lw[0]!, lw[1]!);
      const w0 = exp(lw[0]! - mx);
      const w1 = exp(lw[1]! - mx);
      const c0 = w0 / (w0 + w1);
      const c1 = 1 - c0;
      // D = sum_k w_k (m_k + B M v_k).
      for (let j = 0; j < D; j++) {
        let b0 = 0;
        let b1 = 0;
        for (let q = 0; q < R; q++) {
          b0 += B[j * R + q]! * mv[0]![q]!;
          b1 += B[j * R + q]! * mv[1]![q]!;
        }
        out.data[o + j] = c0 * (mu[j]! + b0) + c1 * (-mu[j]! + b1);
      }
    }
    return Promise.resolve(out);
  };

  const wr = new PhiloxRng(seed + 1);
  const W = wr.normal([D, D], 'float64').data.map((t) => t / sqrt(D));
  const b = wr.normal([1, D], 'float64').data;
  const approx: Denoiser = async (x, sigma) => {
    const out = await exact(x, sigma);
    for (let i = 0; i < x.rows; i++) {
      const s = sigma[i]!;
      const c = 1 / sqrt(1 + s * s);
      for (let j = 0; j < D; j++) {
        let u = 0;
        for (let k = 0; k < D; k++) u += W[j * D + k]! * x.data[i * D + k]!;
        out.data[i * D + j]! += eps * s * tanh(c * u + b[j]!);
      }
    }
    return out;
  };
  return { mixture, exact, approx };
}

/** Sliced W1: mean over `directions` rows of the exact 1-D W1 of equal-size projected samples. */
export function slicedW1(x: Tensor, y: Tensor, directions: Tensor): number {
  const d = x.rowSize;
  const u = new Float64Array(x.rows);
  const v = new Float64Array(y.rows);
  let total = 0;
  for (let p = 0; p < directions.rows; p++) {
    const dir = directions.row(p);
    for (let i = 0; i < x.rows; i++) {
      let a = 0;
      let c = 0;
      for (let j = 0; j < d; j++) {
        a += dir[j]! * x.data[i * d + j]!;
        c += dir[j]! * y.data[i * d + j]!;
      }
      u[i] = a;
      v[i] = c;
    }
    u.sort();
    v.sort();
    let s = 0;
    for (let i = 0; i < u.length; i++) s += abs(u[i]! - v[i]!);
    total += s / u.length;
  }
  return total / directions.rows;
}
