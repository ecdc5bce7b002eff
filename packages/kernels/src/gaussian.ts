// Gaussian perturbation kernels p_sigma(x | y) = N(x; y, sigma^2 I) in sigma units: EDM (thesis
// Sec. 2.2, Eq. 2.6), and the VE/VP kernels, which are the same kernel reached through a different
// time-to-sigma map (EDM Table 1). D = Infinity member of the PFGM++ family (thesis Thm. 8).
import { Tensor, assertSameShape, getBackend, type DType, type Random } from '@phys/tensor';
import type { Kernel, Perturbed } from './kernel.js';
import { checkData, checkForwardLevels, checkLogKernelArgs, checkNoiseLevel, checkPositive, checkShape, checkSigmaRows } from './validate.js';

const LOG_2PI = Math.log(2 * Math.PI);

/**
 * The Gaussian kernel x = y + sigma n, n ~ N(0, I). Instances come from {@link edmKernel},
 * {@link veKernel}, {@link vpKernel} and `pfgmppKernel({ D: Infinity })`.
 */
export class GaussianKernel implements Kernel {
  /** Gaussian kernels are the D -> infinity limit of PFGM++. */
  readonly D = Infinity;

  constructor(readonly name: string) {}

  /** x_T = sigmaMax n, n ~ N(0, I) (thesis Alg. 13 line 1). */
  prior(shape: readonly number[], sigmaMax: number, rng: Random, dtype: DType = 'float32'): Tensor {
    checkShape(shape);
    checkPositive(sigmaMax, 'sigmaMax');
    const n = rng.normal(shape, dtype);
    return getBackend().scaleRows(n, sigmaMax, n);
  }

  /** x = x0 + sigma_i n_i (thesis Eq. 2.6, Alg. 11 lines 3-4); target x0, fieldTarget n. */
  perturb(x0: Tensor, sigma: Float64Array, rng: Random): Perturbed {
    checkData(x0, 'x0');
    checkSigmaRows(sigma, x0.rows);
    const n = rng.normal(x0.shape, x0.dtype);
    const x = getBackend().lincomb([
      [1, x0],
      [sigma, n],
    ]);
    return { x, target: x0, fieldTarget: n };
  }

  /** x + sNoise sqrt(sigmaTo^2 - sigmaFrom^2) eps (thesis Alg. 9 line 10). */
  forward(x: Tensor, sigmaFrom: number, sigmaTo: number, rng: Random, sNoise = 1): Tensor {
    checkForwardLevels(sigmaFrom, sigmaTo, sNoise);
    checkData(x, 'x');
    const eps = rng.normal(x.shape, x.dtype);
    const scale = sNoise * Math.sqrt(sigmaTo * sigmaTo - sigmaFrom * sigmaFrom);
    return getBackend().lincomb(
      [
        [1, x],
        [scale, eps],
      ],
      eps,
    );
  }

  /** -sqDist/(2 sigma^2), whatever the dimension. */
  logKernel(sqDist: number, sigma: number): number {
    checkLogKernelArgs(sqDist, sigma);
    return gaussianLogKernel(sqDist, 2 * sigma * sigma);
  }

  /** {@link GaussianKernel.logKernel} over `sqDist[start, start + count)` into `out` (2 sigma^2 once; identical results). */
  logKernelRow(sqDist: Float64Array, start: number, count: number, sigma: number, _n: number, out: Float64Array): void {
    const twoSigma2 = 2 * sigma * sigma;
    for (let k = start, end = start + count; k < end; k++) out[k] = gaussianLogKernel(sqDist[k]!, twoSigma2);
  }

  /** log N(x; y, sigma^2 I) = -N/2 log(2 pi sigma^2) - |x - y|^2/(2 sigma^2), per row. */
  logDensity(x: Tensor, y: Tensor, sigma: number): Float64Array {
    const sq = sqDistRows(x, y, sigma);
    const n = x.rowSize;
    const c = -0.5 * n * (LOG_2PI + 2 * Math.log(sigma));
    for (let i = 0; i < sq.length; i++) sq[i] = c - sq[i]! / (2 * sigma * sigma);
    return sq;
  }

  /** grad_x log N(x; y, sigma^2 I) = (y - x)/sigma^2. */
  score(x: Tensor, y: Tensor, sigma: number): Tensor {
    checkPair(x, y, sigma);
    const s = 1 / (sigma * sigma);
    return getBackend().axpby(-s, x, s, y);
  }
}

/** The Gaussian log kernel -sqDist/(2 sigma^2), given 2 sigma^2: one formula for both log-kernel methods. */
function gaussianLogKernel(sqDist: number, twoSigma2: number): number {
  return -sqDist / twoSigma2;
}

/** Validates (x, y, sigma) of logDensity/score. */
export function checkPair(x: Tensor, y: Tensor, sigma: number): void {
  checkData(x, 'x');
  checkData(y, 'y');
  assertSameShape(x, y, 'x', 'y');
  checkNoiseLevel(sigma, 'sigma');
}

/** |x_i - y_i|^2 per row, float64, after validating the pair. */
export function sqDistRows(x: Tensor, y: Tensor, sigma: number): Float64Array {
  checkPair(x, y, sigma);
  const b = getBackend();
  return b.rowNormSq(b.axpby(1, x, -1, y));
}

const EDM = new GaussianKernel('edm');

/**
 * The EDM kernel (Karras et al. 2022; thesis Sec. 2.2): x = y + sigma n with sigma = t, prior
 * sigmaMax N(0, I), Restart forward step x + sqrt(sigmaTo^2 - sigmaFrom^2) eps. The D -> infinity
 * member of the PFGM++ family: `pfgmppKernel({ D: Infinity })` returns this same object.
 */
export function edmKernel(): GaussianKernel {
  return EDM;
}
