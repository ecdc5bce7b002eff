import { edmPrecond, vePrecond, vpPrecond } from '@phys/kernels';
import type { NoiseInput, Parameterization } from './metadata.js';

/** Per-row coefficients turning a raw network F into D = c_skip x + c_out F(c_in x, c_noise). */
export interface RowCoefficients {
  readonly cSkip: Float64Array;
  readonly cOut: Float64Array;
  readonly cIn: Float64Array;
  readonly cNoise: Float64Array;
}

/** Constants of the raw parameterisations. */
export interface PrecondConfig {
  readonly sigmaData: number;
  readonly noiseInput: NoiseInput;
  readonly vp: {
    readonly betaD: number;
    readonly betaMin: number;
    readonly M: number;
    /** Evaluate the VP time label in float32 as EDM's reference code does (see `vpPrecond`). */
    readonly float32Reference?: boolean;
  };
}

/** The network's noise input for one sigma (see {@link NoiseInput}; EDM Table 1, from @phys/kernels). */
export function noiseInputValue(sigma: number, cfg: PrecondConfig): number {
  switch (cfg.noiseInput) {
    case 'edm':
      return edmPrecond(sigma, cfg.sigmaData).cNoise;
    case 've':
      return vePrecond(sigma).cNoise;
    case 'vp':
      return vpPrecond(sigma, cfg.vp).cNoise;
    case 'sigma':
      return sigma;
  }
}

/**
 * c_skip, c_out, c_in, c_noise per row for a raw parameterisation (EDM paper Table 1, thesis
 * Eq. B.5; the formulas live in @phys/kernels): `edm-raw` is EDM's preconditioning for
 * sigma_data; `eps` is EDM's VP preconditioning (c_skip = 1, c_out = -sigma,
 * c_in = 1/sqrt(sigma^2 + 1)), i.e. D = x - sigma eps; `v` is EDM's preconditioning with c_out
 * negated, since x0 = alpha x_t - sigma_t v with alpha = 1/sqrt(1 + sigma^2), sigma_t = sigma alpha
 * and x_t = alpha x (sigma_data = 1 gives exactly that).
 */
export function rowCoefficients(parameterization: Exclude<Parameterization, 'edm'>, sigma: Float64Array, cfg: PrecondConfig): RowCoefficients {
  const n = sigma.length;
  const cSkip = new Float64Array(n);
  const cOut = new Float64Array(n);
  const cIn = new Float64Array(n);
  const cNoise = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const s = sigma[i]!;
    const p = parameterization === 'eps' ? vpPrecond(s, cfg.vp) : edmPrecond(s, cfg.sigmaData);
    cSkip[i] = p.cSkip;
    cOut[i] = parameterization === 'v' ? -p.cOut : p.cOut;
    cIn[i] = p.cIn;
    cNoise[i] = noiseInputValue(s, cfg);
  }
  return { cSkip, cOut, cIn, cNoise };
}
