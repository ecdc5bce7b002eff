// PFGM++ perturbation kernel for any real D > 0 (thesis Ch. 8):
// p_r(x | y) ~ (|x - y|^2 + r^2)^(-(N+D)/2) with the alignment r = sigma sqrt(D) (Sec. 8.3).
import { NonFiniteError, Tensor, ValueError, getBackend, type DType, type Random } from '@phys/tensor';
import { checkPair, edmKernel, sqDistRows, type GaussianKernel } from './gaussian.js';
import type { Kernel, Perturbed } from './kernel.js';
import { betaInc, logGammaDiff } from './special.js';
import { checkData, checkForwardLevels, checkLogKernelArgs, checkNoiseLevel, checkPositive, checkShape, checkSigmaRows } from './validate.js';

const LOG_PI = Math.log(Math.PI);
const FORWARD_DRAWS: readonly string[] = ['auto', 'reference', 'compact'];

/** How {@link PfgmppKernel.forward} draws its randomness. */
export type PfgmppForwardDraws = 'auto' | 'reference' | 'compact';

/** `'auto'` draws like the reference up to D = max(16 N, 65536), compactly above (cost O(N + D) vs O(N) per row). */
function referenceDrawsAffordable(D: number, n: number): boolean {
  return D <= Math.max(16 * n, 65536);
}

/** Options of {@link pfgmppKernel}. */
export interface PfgmppOptions {
  /** Augmented dimensions: any real D > 0, or `Infinity` for the Gaussian (EDM) kernel. */
  D: number;
  /**
   * `perturb` clips u ~ Beta(N/2, D/2) to [betaClip, 1 - betaClip], as the reference training
   * code does (0 disables). A clip biases the radius when N/(N+D) is near it (N = 3072,
   * D = 1e7: mean radius +80%). Default `'auto'`: 1e-3 (the reference's), except 0 (the exact
   * kernel) when P(u < 1e-3) >= 1%.
   */
  betaClip?: number | 'auto';
  /**
   * The reference's guards in R = r sqrt(u/(1 - u + eps) + eps) (default 1e-8; 0 gives the exact
   * construction of thesis l. 5150).
   */
  radiusEps?: number;
  /**
   * `'auto'` (default for integer D): `'reference'` up to D = max(16 N, 65536), `'compact'` above
   * (8 rows at D = 1e7 took 9.3 s and 1.4 GB the reference way, 0.3 s and 122 MB compactly).
   * `'reference'`: Restart's forward step draws z ~ N(0, I_D) and
   * dir ~ N(0, I_{N+D}) exactly as Newbeeer/diffusion_restart_sampling does, so recorded draws
   * replay. `'compact'` (required for non-integer D; needs D > 1): the same distribution from
   * cos(z, dir_D) ~ 2 Beta((D-1)/2, (D-1)/2) - 1, |dir_D|^2 ~ 2 Gamma(D/2) and N normals, which
   * costs O(N) instead of O(N + D) per row. The forward step is undefined for non-integer D <= 1
   * (it throws there); prior and perturb work for every D > 0.
   */
  forwardDraws?: PfgmppForwardDraws;
}

/**
 * The `'auto'` clip of u ~ Beta(N/2, D/2): the reference's 1e-3 unless its lower bound holds 1% of
 * the law or more (P(u < 1e-3) >= 0.01: large D against N), where it would inflate the radii; 0
 * there. The upper bound binds only for D small against N, where the reference clips too.
 */
function autoBetaClip(n: number, D: number): number {
  return betaInc(1e-3, n / 2, D / 2) < 0.01 ? 1e-3 : 0;
}

/** Throws unless D is a real > 0 or Infinity. */
export function checkD(D: number): void {
  if (typeof D !== 'number' || Number.isNaN(D) || !(D > 0)) throw new ValueError('D', D, 'a real number > 0 or Infinity');
}

/**
 * The PFGM++ kernel with finite D. Construct it with {@link pfgmppKernel}. The noise level is
 * always sigma (EDM units); the kernel converts to r = sigma sqrt(D) inside.
 */
export class PfgmppKernel implements Kernel {
  /** `'pfgmpp(D=...)'`. */
  readonly name: string;
  /** Augmented dimensions D (finite, > 0). */
  readonly D: number;
  /** Clip of u ~ Beta(N/2, D/2) in `perturb` (see {@link PfgmppOptions.betaClip}). */
  readonly betaClip: number | 'auto';
  /** Guard epsilon of the perturbation radius (see {@link PfgmppOptions.radiusEps}). */
  readonly radiusEps: number;
  /** How `forward` draws (see {@link PfgmppOptions.forwardDraws}). */
  readonly forwardDraws: PfgmppForwardDraws;
  private readonly sqrtD: number;

  constructor(options: PfgmppOptions) {
    const { D, betaClip = 'auto', radiusEps = 1e-8 } = options;
    checkD(D);
    if (D === Infinity) throw new ValueError('D', D, 'a finite D (pfgmppKernel({ D: Infinity }) returns the Gaussian kernel)');
    if (betaClip !== 'auto' && !(betaClip >= 0 && betaClip < 0.5)) throw new ValueError('betaClip', betaClip, "a number in [0, 0.5) or 'auto'");
    if (!(radiusEps >= 0 && Number.isFinite(radiusEps))) throw new ValueError('radiusEps', radiusEps, 'a finite number >= 0');
    const forwardDraws = options.forwardDraws ?? (Number.isInteger(D) ? 'auto' : 'compact');
    if (!FORWARD_DRAWS.includes(forwardDraws)) throw new ValueError('forwardDraws', forwardDraws, "'auto', 'reference' or 'compact'");
    if (forwardDraws === 'auto' && !Number.isInteger(D)) throw new ValueError('forwardDraws', forwardDraws, `'compact' for non-integer D = ${D}`);
    if (forwardDraws === 'reference' && !Number.isInteger(D)) throw new ValueError('forwardDraws', forwardDraws, `'compact' for non-integer D = ${D}`);
    this.D = D;
    this.sqrtD = Math.sqrt(D);
    this.betaClip = betaClip;
    this.radiusEps = radiusEps;
    this.forwardDraws = forwardDraws;
    this.name = `pfgmpp(D=${D})`;
  }

  /** r = sigma sqrt(D) (thesis Sec. 8.3). */
  r(sigma: number): number {
    return sigma * this.sqrtD;
  }

  /**
   * x_T = R g/|g| with u ~ Beta(N/2, D/2), R = sqrt(u/(1-u)) sigmaMax sqrt(D) (thesis Alg. 14
   * lines 1-3; reference: no clip, no epsilons). Draws the beta first, then the normals.
   */
  prior(shape: readonly number[], sigmaMax: number, rng: Random, dtype: DType = 'float32'): Tensor {
    checkShape(shape);
    checkPositive(sigmaMax, 'sigmaMax');
    const rows = shape[0]!;
    const n = shape.slice(1).reduce((a, b) => a * b, 1);
    const u = rng.beta(n / 2, this.D / 2, rows);
    const g = rng.normal(shape, dtype);
    const b = getBackend();
    const norms = b.rowNorm(g);
    const rMax = sigmaMax * this.sqrtD;
    const coef = new Float64Array(rows);
    for (let i = 0; i < rows; i++) {
      const ui = u[i]!;
      coef[i] = (Math.sqrt(ui / (1 - ui)) * rMax) / norms[i]!;
      if (!Number.isFinite(coef[i]!)) throw new NonFiniteError('prior radius', i, coef[i]!, `u = ${ui}: D = ${this.D} too small for N = ${n}, or a zero normal draw`);
    }
    return b.scaleRows(g, coef, g);
  }

  /**
   * Training perturbation (thesis Alg. 12 lines 3-6, as the reference trains): r = sigma sqrt(D),
   * u ~ Beta(N/2, D/2) clipped to [betaClip, 1 - betaClip], R = r sqrt(u/(1 - u + eps) + eps),
   * x = x0 + R g/|g|. Target x0; fieldTarget (x - x0)/sigma = (x - y)/(r/sqrt(D)) (Eq. 8.4).
   */
  perturb(x0: Tensor, sigma: Float64Array, rng: Random): Perturbed {
    checkData(x0, 'x0');
    checkSigmaRows(sigma, x0.rows);
    const rows = x0.rows;
    const u = rng.beta(x0.rowSize / 2, this.D / 2, rows);
    const g = rng.normal(x0.shape, x0.dtype);
    const b = getBackend();
    const norms = b.rowNorm(g);
    const coef = new Float64Array(rows);
    const clip = this.betaClip === 'auto' ? autoBetaClip(x0.rowSize, this.D) : this.betaClip;
    const lo = clip;
    const hi = 1 - clip;
    const eps = this.radiusEps;
    for (let i = 0; i < rows; i++) {
      const ui = Math.min(Math.max(u[i]!, lo), hi);
      const R = sigma[i]! * this.sqrtD * Math.sqrt(ui / (1 - ui + eps) + eps);
      coef[i] = R / norms[i]!;
      if (!Number.isFinite(coef[i]!)) throw new NonFiniteError('perturbation radius', i, coef[i]!, `u = ${ui}`);
    }
    const x = b.lincomb([
      [1, x0],
      [coef, g],
    ]);
    let field: Tensor | undefined;
    return {
      x,
      target: x0,
      get fieldTarget(): Tensor {
        if (!field) {
          const c = new Float64Array(rows);
          for (let i = 0; i < rows; i++) c[i] = coef[i]! / sigma[i]!;
          field = b.scaleRows(g, c);
        }
        return field;
      },
    };
  }

  /**
   * Restart's forward step for PFGM++, as Newbeeer/diffusion_restart_sampling implements it (the
   * thesis' Alg. 9 says only "perturb to t_max"): with old_r = sigmaFrom sqrt(D), new_r = sigmaTo sqrt(D),
   * z = old_r * (unit D-vector), dir ~ N(0, I_{N+D}) divided by |dir_D|, dot = <z, dir_D>,
   * move = -dot - sqrt(dot^2 + new_r^2 - old_r^2) (the reference's torch.randint(1) always picks
   * this root), x + move * dir_N * sNoise. Geometrically: from the current point on the cylinder
   * |z| = old_r in N+D dims, walk along an isotropic ray until |z| = new_r. From sigmaFrom = 0 the
   * displacement has exactly the kernel's radius law p_{new_r}(R).
   */
  forward(x: Tensor, sigmaFrom: number, sigmaTo: number, rng: Random, sNoise = 1): Tensor {
    checkForwardLevels(sigmaFrom, sigmaTo, sNoise);
    checkData(x, 'x');
    const rows = x.rows;
    const n = x.rowSize;
    const oldR = sigmaFrom * this.sqrtD;
    const newR = sigmaTo * this.sqrtD;
    const gap = newR * newR - oldR * oldR;
    const coef = new Float64Array(rows);
    let dirN: Tensor;
    const draws = this.forwardDraws === 'auto' ? (referenceDrawsAffordable(this.D, n) || this.D <= 1 ? 'reference' : 'compact') : this.forwardDraws;
    if (draws === 'reference') {
      const D = this.D;
      const z = rng.normal([rows, D], 'float64');
      const dir = rng.normal([rows, n + D], 'float64');
      dirN = Tensor.zeros(x.shape, x.dtype);
      for (let i = 0; i < rows; i++) {
        const zi = z.data.subarray(i * D, (i + 1) * D);
        const di = dir.data.subarray(i * (n + D), (i + 1) * (n + D));
        let zz = 0;
        let dd = 0;
        let zd = 0;
        for (let k = 0; k < D; k++) {
          const a = zi[k]!;
          const c = di[n + k]!;
          zz += a * a;
          dd += c * c;
          zd += a * c;
        }
        const dNorm = Math.sqrt(dd);
        const dot = (oldR * zd) / (Math.sqrt(zz) * dNorm);
        const move = -dot - Math.sqrt(dot * dot + gap);
        coef[i] = (move * sNoise) / dNorm;
        dirN.data.set(di.subarray(0, n), i * n);
      }
    } else {
      if (!(this.D > 1)) throw new ValueError('D', this.D, "an integer D, or D > 1, for Restart's forward step ('compact' draws)");
      const half = (this.D - 1) / 2;
      const cos = rng.beta(half, half, rows);
      const chi2 = rng.gamma(this.D / 2, rows);
      dirN = rng.normal(x.shape, x.dtype);
      for (let i = 0; i < rows; i++) {
        const dot = oldR * (2 * cos[i]! - 1);
        const move = -dot - Math.sqrt(dot * dot + gap);
        coef[i] = (move * sNoise) / Math.sqrt(2 * chi2[i]!);
      }
    }
    return getBackend().lincomb(
      [
        [1, x],
        [coef, dirN],
      ],
      dirN,
    );
  }

  /** -(n + D)/2 log1p(sqDist/r^2): log(sqDist + r^2)^(-(n+D)/2) up to a constant in sqDist. */
  logKernel(sqDist: number, sigma: number, n: number): number {
    checkLogKernelArgs(sqDist, sigma);
    checkNoiseLevel(this.r(sigma), 'sigma (as r = sigma sqrt(D))');
    if (!(Number.isInteger(n) && n >= 0)) throw new ValueError('n', n, 'the data dimension, an integer >= 0');
    return pfgmppLogKernel(sqDist, sigma * sigma * this.D, -0.5 * (n + this.D));
  }

  /**
   * {@link PfgmppKernel.logKernel} over `sqDist[start, start + count)` into `out`, with r^2 and
   * -(n + D)/2 computed once (identical results).
   */
  logKernelRow(sqDist: Float64Array, start: number, count: number, sigma: number, n: number, out: Float64Array): void {
    const r2 = sigma * sigma * this.D;
    const negHalfDims = -0.5 * (n + this.D);
    for (let k = start, end = start + count; k < end; k++) out[k] = pfgmppLogKernel(sqDist[k]!, r2, negHalfDims);
  }

  /**
   * Normalised log p_r(x | y) = ln Gamma((N+D)/2) - ln Gamma(D/2) - (N/2) ln pi - N ln r
   * - (N+D)/2 ln(1 + |x - y|^2/r^2), per row (the kernel integrates to 1 over R^N).
   */
  logDensity(x: Tensor, y: Tensor, sigma: number): Float64Array {
    const sq = sqDistRows(x, y, sigma);
    const n = x.rowSize;
    const D = this.D;
    const r = this.r(sigma);
    checkNoiseLevel(r, 'sigma (as r = sigma sqrt(D))');
    const c = logGammaDiff(D / 2, n / 2) - 0.5 * n * LOG_PI - n * Math.log(r);
    for (let i = 0; i < sq.length; i++) sq[i] = c - 0.5 * (n + D) * Math.log1p(sq[i]! / (r * r));
    return sq;
  }

  /** grad_x log p_r(x | y) = -(N + D)(x - y)/(|x - y|^2 + r^2). */
  score(x: Tensor, y: Tensor, sigma: number): Tensor {
    checkPair(x, y, sigma);
    checkNoiseLevel(this.r(sigma), 'sigma (as r = sigma sqrt(D))');
    const b = getBackend();
    const diff = b.axpby(1, x, -1, y);
    const sq = b.rowNormSq(diff);
    const r2 = this.r(sigma) ** 2;
    const c = new Float64Array(x.rows);
    for (let i = 0; i < c.length; i++) c[i] = -(x.rowSize + this.D) / (sq[i]! + r2);
    return b.scaleRows(diff, c, diff);
  }
}

/**
 * -(n + D)/2 log1p(sqDist/r^2) (thesis Sec. 8.3), given r^2 = sigma^2 D and -(n + D)/2: one
 * formula for both log-kernel methods.
 */
function pfgmppLogKernel(sqDist: number, r2: number, negHalfDims: number): number {
  return negHalfDims * Math.log1p(sqDist / r2);
}

/**
 * The PFGM++ kernel for augmented dimension D (thesis Ch. 8). `D = Infinity` returns the EDM
 * Gaussian kernel itself ({@link edmKernel}), so the D -> infinity limit is exact.
 *
 * @example
 * const k = pfgmppKernel({ D: 128 });
 * const xT = k.prior([16, 3072], 80, new PhiloxRng(0)); // |x_T| ~ r_max sqrt(BetaPrime(N/2, D/2))
 */
export function pfgmppKernel(options: PfgmppOptions): PfgmppKernel | GaussianKernel {
  checkD(options.D);
  if (options.D === Infinity) return edmKernel();
  return new PfgmppKernel(options);
}
