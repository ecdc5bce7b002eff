// An exactly solvable latent-conditioned model for tests: a 2-D mixture of isotropic Gaussians
// N(mu_j, s^2 I) where the latent z (m = 1) names the component. The conditional denoiser is the
// posterior mean E[y | x, z] = mu_z + s^2/(s^2 + sigma^2) (x - mu_z); the null latent gets the
// unconditional posterior mean of the whole mixture.
import { Tensor } from '@phys/tensor';
import { Latents, latentSpace, type LatentDenoiser } from '../src/index.js';

export const MODES = [
  [3, 0],
  [0, 3],
  [-3, 0],
  [0, -3],
] as const;
export const MODE_STD = 0.2;
export const WEIGHTS = [0.1, 0.2, 0.3, 0.4];
export const SPACE = latentSpace(1, MODES.length);

export interface CallLog {
  rows: number;
  sigma: number;
  z: number[];
}

/** The exact conditional denoiser; `log` records every call. */
export function mixtureDenoiser(log: CallLog[] = []): LatentDenoiser {
  return (x, sigma, z) => {
    if (!(z instanceof Latents)) throw new Error('latents required');
    log.push({ rows: x.rows, sigma: sigma[0]!, z: Array.from(z.indices) });
    const out = Tensor.zeros(x.shape, x.dtype);
    const s2 = MODE_STD ** 2;
    for (let r = 0; r < x.rows; r++) {
      const v2 = s2 + sigma[r]! ** 2;
      const shrink = s2 / v2;
      const zi = z.indices[r]!;
      const x0 = x.data[2 * r]!;
      const x1 = x.data[2 * r + 1]!;
      if (zi < MODES.length) {
        const mu = MODES[zi]!;
        out.data[2 * r] = mu[0] + shrink * (x0 - mu[0]);
        out.data[2 * r + 1] = mu[1] + shrink * (x1 - mu[1]);
        continue;
      }
      // Null latent: posterior over components (log-sum-exp), then the mixture of conditionals.
      const logw = MODES.map((mu, j) => Math.log(WEIGHTS[j]!) - ((x0 - mu[0]) ** 2 + (x1 - mu[1]) ** 2) / (2 * v2));
      const mx = Math.max(...logw);
      const w = logw.map((l) => Math.exp(l - mx));
      const sw = w.reduce((a, b) => a + b, 0);
      let d0 = 0;
      let d1 = 0;
      MODES.forEach((mu, j) => {
        d0 += (w[j]! / sw) * (mu[0] + shrink * (x0 - mu[0]));
        d1 += (w[j]! / sw) * (mu[1] + shrink * (x1 - mu[1]));
      });
      out.data[2 * r] = d0;
      out.data[2 * r + 1] = d1;
    }
    return Promise.resolve(out);
  };
}

/** Index of the nearest mode of each row. */
export function nearestMode(x: Tensor): Int32Array {
  const out = new Int32Array(x.rows);
  for (let r = 0; r < x.rows; r++) {
    let best = 0;
    let bd = Infinity;
    MODES.forEach((mu, j) => {
      const d = (x.data[2 * r]! - mu[0]) ** 2 + (x.data[2 * r + 1]! - mu[1]) ** 2;
      if (d < bd) {
        bd = d;
        best = j;
      }
    });
    out[r] = best;
  }
  return out;
}
