// Network preconditioning D(x; sigma) = c_skip x + c_out F(c_in x, c_noise) of EDM (Karras et al.
// Table 1; thesis Sec. B.6.2, Eq. B.5) and the loss weights lambda(sigma) = 1/c_out^2. PFGM++ uses
// EDM's with sigma = r/sqrt(D) (thesis Sec. B.6.2).
import { vpSigmaInv, type VpParams } from './schedule.js';
import { checkNoiseLevel, checkPositive } from './validate.js';

/** Preconditioning coefficients at one noise level, and the matching loss weight. */
export interface Precond {
  /** Skip-connection weight c_skip. */
  readonly cSkip: number;
  /** Output scale c_out. */
  readonly cOut: number;
  /** Input scale c_in. */
  readonly cIn: number;
  /** Noise conditioning input c_noise. */
  readonly cNoise: number;
  /** Loss weight lambda(sigma) = 1/c_out^2 (EDM: (sigma^2 + sd^2)/(sigma sd)^2; VE, VP: 1/sigma^2). */
  readonly lossWeight: number;
}

/**
 * EDM preconditioning (thesis Eq. B.5): c_skip = sd^2/(s^2 + sd^2), c_out = s sd/sqrt(s^2 + sd^2),
 * c_in = 1/sqrt(s^2 + sd^2), c_noise = ln(s)/4, lambda = (s^2 + sd^2)/(s sd)^2; sigma_data default 0.5.
 */
export function edmPrecond(sigma: number, sigmaData = 0.5): Precond {
  checkNoiseLevel(sigma, 'sigma');
  checkNoiseLevel(sigmaData, 'sigmaData');
  const s2 = sigma * sigma;
  const d2 = sigmaData * sigmaData;
  const norm = Math.sqrt(s2 + d2);
  return {
    cSkip: d2 / (s2 + d2),
    cOut: (sigma * sigmaData) / norm,
    cIn: 1 / norm,
    cNoise: Math.log(sigma) / 4,
    lossWeight: edmLossWeight(sigma, sigmaData),
  };
}

/** The EDM loss weight lambda(sigma) = (sigma^2 + sigma_data^2)/(sigma sigma_data)^2 (= 1/c_out^2). */
export function edmLossWeight(sigma: number, sigmaData = 0.5): number {
  checkNoiseLevel(sigma, 'sigma');
  checkNoiseLevel(sigmaData, 'sigmaData');
  // (sigma^2 + sd^2)/(sigma sd)^2 as 1/sigma^2 + 1/sd^2: no underflow of the product.
  return 1 / (sigma * sigma) + 1 / (sigmaData * sigmaData);
}

/** VE preconditioning (EDM Table 1): c_skip = 1, c_out = sigma, c_in = 1, c_noise = ln(sigma/2), lambda = 1/sigma^2. */
export function vePrecond(sigma: number): Precond {
  checkNoiseLevel(sigma, 'sigma');
  return { cSkip: 1, cOut: sigma, cIn: 1, cNoise: Math.log(0.5 * sigma), lossWeight: 1 / (sigma * sigma) };
}

/** Options of {@link vpPrecond}: the VP schedule and the number of discrete DDPM steps M. */
export interface VpPrecondParams extends VpParams {
  /** M of c_noise = (M - 1) t(sigma); default 1000. */
  M?: number;
  /**
   * Evaluate c_noise in float32 as EDM's VPPrecond does inside the network (default false: exact
   * float64). The two differ by 1.3% at sigma = 0.002 (1 + sigma^2 rounds in float32); pass true
   * to feed a reference VP checkpoint the c_noise it was trained with.
   */
  float32Reference?: boolean;
}

/** t(sigma) of the VP schedule with every operation rounded to float32, as torch evaluates it. */
function vpSigmaInvFloat32(sigma: number, betaD: number, betaMin: number): number {
  const f = Math.fround;
  const s = f(sigma);
  const l = f(Math.log(f(1 + f(s * s))));
  const root = f(Math.sqrt(f(f(betaMin * betaMin) + f(f(2 * betaD) * l))));
  return f(f(root - f(betaMin)) / f(betaD));
}

/**
 * VP preconditioning (EDM Table 1): c_skip = 1, c_out = -sigma, c_in = 1/sqrt(sigma^2 + 1),
 * c_noise = (M - 1) t(sigma) with t = {@link vpSigmaInv}, lambda = 1/sigma^2.
 */
export function vpPrecond(sigma: number, params: VpPrecondParams = {}): Precond {
  checkNoiseLevel(sigma, 'sigma');
  const { M = 1000, betaD = 19.9, betaMin = 0.1, float32Reference = false } = params;
  checkPositive(M, 'M');
  const t = vpSigmaInv(sigma, { betaD, betaMin }); // validates beta_d, beta_min
  return {
    cSkip: 1,
    cOut: -sigma,
    cIn: 1 / Math.sqrt(sigma * sigma + 1),
    cNoise: float32Reference ? Math.fround((M - 1) * vpSigmaInvFloat32(sigma, betaD, betaMin)) : (M - 1) * t,
    lossWeight: 1 / (sigma * sigma),
  };
}
