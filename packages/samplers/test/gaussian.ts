// Test-only: a 2-D Gaussian data distribution N(mu, Sigma) with its exact denoiser
// D(x; sigma) = mu + Sigma (Sigma + sigma^2 I)^{-1} (x - mu), exact marginal draws and moments.
import { Tensor, type Denoiser, type Random } from '@phys/tensor';

export const MU = [1, -0.5] as const;
export const SIGMA = [
  [1, 0.6],
  [0.6, 0.5],
] as const;

/** Exact denoiser of N(MU, SIGMA) data at per-row noise levels. */
export const gaussianDenoiser: Denoiser = (x, sigma) => {
  const out = Tensor.zeros(x.shape, x.dtype);
  for (let i = 0; i < x.rows; i++) {
    const s2 = sigma[i]! * sigma[i]!;
    const a = SIGMA[0][0] + s2;
    const b = SIGMA[0][1];
    const d = SIGMA[1][1] + s2;
    const det = a * d - b * b;
    const u0 = x.data[2 * i]! - MU[0];
    const u1 = x.data[2 * i + 1]! - MU[1];
    // (Sigma + s^2 I)^{-1} u
    const v0 = (d * u0 - b * u1) / det;
    const v1 = (-b * u0 + a * u1) / det;
    out.data[2 * i] = MU[0] + SIGMA[0][0] * v0 + SIGMA[0][1] * v1;
    out.data[2 * i + 1] = MU[1] + SIGMA[1][0] * v0 + SIGMA[1][1] * v1;
  }
  return Promise.resolve(out);
};

/** n draws of the exact noisy marginal N(MU, SIGMA + sigma^2 I), float64. */
export function marginal(n: number, sigma: number, rng: Random): Tensor {
  const z = rng.normal([n, 2], 'float64');
  const a = SIGMA[0][0] + sigma * sigma;
  const b = SIGMA[0][1];
  const d = SIGMA[1][1] + sigma * sigma;
  const l00 = Math.sqrt(a);
  const l10 = b / l00;
  const l11 = Math.sqrt(d - l10 * l10);
  const out = Tensor.zeros([n, 2], 'float64');
  for (let i = 0; i < n; i++) {
    const z0 = z.data[2 * i]!;
    const z1 = z.data[2 * i + 1]!;
    out.data[2 * i] = MU[0] + l00 * z0;
    out.data[2 * i + 1] = MU[1] + l10 * z0 + l11 * z1;
  }
  return out;
}

/** Sample mean and covariance of `[n, 2]` rows. */
export function moments2(x: Tensor): { mean: [number, number]; cov: [[number, number], [number, number]] } {
  const n = x.rows;
  let m0 = 0;
  let m1 = 0;
  for (let i = 0; i < n; i++) {
    m0 += x.data[2 * i]!;
    m1 += x.data[2 * i + 1]!;
  }
  m0 /= n;
  m1 /= n;
  let c00 = 0;
  let c01 = 0;
  let c11 = 0;
  for (let i = 0; i < n; i++) {
    const a = x.data[2 * i]! - m0;
    const b = x.data[2 * i + 1]! - m1;
    c00 += a * a;
    c01 += a * b;
    c11 += b * b;
  }
  return {
    mean: [m0, m1],
    cov: [
      [c00 / (n - 1), c01 / (n - 1)],
      [c01 / (n - 1), c11 / (n - 1)],
    ],
  };
}

/**
 * Asserts sample moments of n draws match N(MU, SIGMA) within `z` standard errors (mean: sqrt(S_jj/n);
 * covariance entry (j,k): sqrt((S_jj S_kk + S_jk^2)/n), the Gaussian sampling sd) plus `bias`.
 */
export function expectGaussianMoments(x: Tensor, z = 4, bias = 0): void {
  const { mean, cov } = moments2(x);
  const n = x.rows;
  for (let j = 0; j < 2; j++) {
    const se = Math.sqrt(SIGMA[j]![j]! / n);
    if (!(Math.abs(mean[j]! - MU[j]!) <= z * se + bias)) throw new Error(`mean[${j}] = ${mean[j]}, expected ${MU[j]} +- ${z * se + bias}`);
    for (let k = 0; k < 2; k++) {
      const s = SIGMA[j]![k]!;
      const se2 = Math.sqrt((SIGMA[j]![j]! * SIGMA[k]![k]! + s * s) / n);
      if (!(Math.abs(cov[j]![k]! - s) <= z * se2 + bias)) throw new Error(`cov[${j}][${k}] = ${cov[j]![k]}, expected ${s} +- ${z * se2 + bias}`);
    }
  }
}
