// PFGM (D = 1; seed 001, thesis Ch. 7): the perturbation of Algorithm 2 and the prior on the
// z = z_max hyperplane. PFGM's state is (x, z) in N + 1 dims with an explicit z, so it has its own
// type rather than the sigma-indexed Kernel interface.
import { ShapeError, ValueError, getBackend, type DType, type Random, type Tensor } from '@phys/tensor';
import { logGamma } from './special.js';
import { checkData, checkPositive, checkShape } from './validate.js';

/** Options of {@link pfgmKernel}; defaults are the CIFAR-10 settings of Newbeeer/Poisson_flow. */
export interface PfgmOptions {
  /** sigma of the initial noise (eps_x, eps_z) ~ N(0, sigma^2 I) (config.model.sigma_end; default 0.01). */
  sigmaEnd?: number;
  /** tau of the multiplier (1 + tau)^m (default 0.03). */
  tau?: number;
  /** m ~ U[0, M] (default 291: CIFAR-10, CelebA; 356 LSUN bedroom). */
  M?: number;
  /**
   * Restricted M (Appendix B.1.1 of the PFGM paper, code default on): rows whose initial z is below
   * `restrictZ` redraw m ~ U[0, int(restrictFraction M)]. Default true.
   */
  restrictM?: boolean;
  /** z threshold of the restriction (default 0.005). */
  restrictZ?: number;
  /** Fraction of M for restricted rows (default 0.7, int(0.7*291) = 203; the paper says 200). */
  restrictFraction?: number;
  /** Height of the prior hyperplane z_max (default 40). */
  zMax?: number;
  /** Upper clip of the prior radius (config.sampling.upper_norm; default 3000). */
  upperNorm?: number;
  /** Lower clip of the prior radius (the code clips to [1, upper_norm]; the paper says (0, upper_norm)). Default 1. */
  minNorm?: number;
  /**
   * Round the base 1 + tau to float32 as the reference's torch `(1 + tau) ** m` does (default
   * false). The multiplier then differs from the exact one by a factor (1 - 2.8e-8)^m, 8e-6 at m = 290.
   */
  float32Reference?: boolean;
}

/** A batch of augmented points (x, z): x `[rows, ...]`, z one value per row. */
export interface PfgmPoints {
  readonly x: Tensor;
  readonly z: Float64Array;
}

/** {@link PfgmKernel.perturb}'s result: the perturbed (x, z) and the exponents m actually used. */
export interface PfgmPerturbed extends PfgmPoints {
  readonly m: Float64Array;
}

/** The PFGM (D = 1) perturbation and prior. Construct with {@link pfgmKernel}. */
export class PfgmKernel {
  /** `'pfgm'`. */
  readonly name = 'pfgm';
  /** PFGM is the D = 1 member of the PFGM++ family. */
  readonly D = 1;
  readonly sigmaEnd: number;
  readonly tau: number;
  readonly M: number;
  readonly restrictM: boolean;
  readonly restrictZ: number;
  readonly restrictFraction: number;
  readonly zMax: number;
  readonly upperNorm: number;
  readonly minNorm: number;
  readonly float32Reference: boolean;

  constructor(options: PfgmOptions = {}) {
    const {
      sigmaEnd = 0.01,
      tau = 0.03,
      M = 291,
      restrictM = true,
      restrictZ = 0.005,
      restrictFraction = 0.7,
      zMax = 40,
      upperNorm = 3000,
      minNorm = 1,
      float32Reference = false,
    } = options;
    checkPositive(sigmaEnd, 'sigmaEnd');
    checkPositive(tau, 'tau');
    checkPositive(M, 'M');
    checkPositive(restrictZ, 'restrictZ');
    if (!(restrictFraction > 0 && restrictFraction <= 1)) throw new ValueError('restrictFraction', restrictFraction, 'a number in (0, 1]');
    checkPositive(zMax, 'zMax');
    checkPositive(upperNorm, 'upperNorm');
    if (!(minNorm >= 0 && minNorm <= upperNorm)) throw new ValueError('minNorm', minNorm, `a number in [0, upperNorm = ${upperNorm}]`);
    this.sigmaEnd = sigmaEnd;
    this.tau = tau;
    this.M = M;
    this.restrictM = restrictM;
    this.restrictZ = restrictZ;
    this.restrictFraction = restrictFraction;
    this.zMax = zMax;
    this.upperNorm = upperNorm;
    this.minNorm = minNorm;
    this.float32Reference = float32Reference;
  }

  /**
   * Algorithm 2 `perturb` (seed 001), as Poisson_flow's forward_pz: m ~ U[0, M] unless given,
   * z = |sigma eps_z|; with restrictM, rows with z < restrictZ redraw m ~ U[0, int(0.7 M)];
   * x = x0 + |sigma eps_x| (1 + tau)^m u with u uniform on the unit sphere, z <- z (1 + tau)^m.
   * Draws: m (uniform [rows], only when `m` is not given), eps_z (normal [rows]), the restricted
   * m (uniform [count], only when count > 0), eps_x (normal, x0's shape), the direction (normal,
   * x0's shape). The field target needs the reference batch: see @phys/fields.
   */
  perturb(x0: Tensor, rng: Random, m?: Float64Array): PfgmPerturbed {
    checkData(x0, 'x0');
    const rows = x0.rows;
    let power: Float64Array;
    if (m === undefined) {
      power = Float64Array.from(rng.uniform([rows], 'float64').data, (v) => v * this.M);
    } else {
      if (m.length !== rows) throw new ShapeError('m', `${rows} values (one per row)`, `${m.length} values`);
      for (let i = 0; i < rows; i++) {
        if (!(m[i]! >= 0 && Number.isFinite(m[i]!))) throw new ValueError(`m[${i}]`, m[i], 'a finite exponent >= 0');
      }
      power = Float64Array.from(m);
    }
    const z = Float64Array.from(rng.normal([rows], 'float64').data, (e) => Math.abs(e * this.sigmaEnd));
    if (this.restrictM) {
      const idx: number[] = [];
      for (let i = 0; i < rows; i++) if (z[i]! < this.restrictZ) idx.push(i);
      if (idx.length > 0) {
        const u = rng.uniform([idx.length], 'float64').data;
        const restricted = Math.trunc(this.M * this.restrictFraction);
        idx.forEach((i, k) => (power[i] = u[k]! * restricted));
      }
    }
    const b = getBackend();
    const noise = rng.normal(x0.shape, x0.dtype);
    const noiseNorm = b.rowNorm(noise);
    const g = rng.normal(x0.shape, x0.dtype);
    const gNorm = b.rowNorm(g);
    const coef = new Float64Array(rows);
    const base = this.float32Reference ? Math.fround(1 + this.tau) : 1 + this.tau;
    for (let i = 0; i < rows; i++) {
      const mult = base ** power[i]!;
      coef[i] = (this.sigmaEnd * noiseNorm[i]! * mult) / gNorm[i]!;
      z[i]! *= mult;
    }
    const x = b.lincomb(
      [
        [1, x0],
        [coef, g],
      ],
      g,
    );
    return { x, z, m: power };
  }

  /**
   * The prior on the z = z_max hyperplane (seed 001 Sec. 3.3, thesis l. 3223): u ~ Beta(N/2, 1/2),
   * R = z_max sqrt(u/(1 - u)) clipped to [minNorm, upperNorm] (code; the paper clips to (0, upper_norm)),
   * x = R g/|g|, z = z_max. Draws the beta first, then the normals.
   */
  prior(shape: readonly number[], rng: Random, dtype: DType = 'float32'): PfgmPoints {
    checkShape(shape);
    const rows = shape[0]!;
    const n = shape.slice(1).reduce((a, c) => a * c, 1);
    const u = rng.beta(n / 2, 0.5, rows);
    const g = rng.normal(shape, dtype);
    const b = getBackend();
    const norms = b.rowNorm(g);
    const coef = new Float64Array(rows);
    for (let i = 0; i < rows; i++) {
      const ui = u[i]!;
      const R = Math.min(Math.max(this.zMax * Math.sqrt(ui / (1 - ui)), this.minNorm), this.upperNorm);
      coef[i] = R / norms[i]!;
    }
    return { x: b.scaleRows(g, coef, g), z: new Float64Array(rows).fill(this.zMax) };
  }

  /**
   * Unclipped prior log density on the hyperplane (seed 001 Sec. 3.3):
   * p_prior(x) = 2 z_max / (S_N(1) (|x|^2 + z_max^2)^((N+1)/2)), S_N(1) = 2 pi^((N+1)/2)/Gamma((N+1)/2), per row.
   */
  priorLogDensity(x: Tensor): Float64Array {
    checkData(x, 'x');
    const n = x.rowSize;
    const sq = getBackend().rowNormSq(x);
    const logS = Math.log(2) + ((n + 1) / 2) * Math.log(Math.PI) - logGamma((n + 1) / 2);
    const z2 = this.zMax * this.zMax;
    return sq.map((s) => Math.log(2 * this.zMax) - logS - ((n + 1) / 2) * Math.log(s + z2));
  }
}

/** The PFGM (D = 1) kernel with Poisson_flow's CIFAR-10 defaults ({@link PfgmKernel}). */
export function pfgmKernel(options: PfgmOptions = {}): PfgmKernel {
  return new PfgmKernel(options);
}

/** Inputs of {@link pfgmHyperparameters}. */
export interface PfgmHyperparameterInputs {
  /** Average L2 norm of the data (not squared). */
  dataNorm: number;
  /** Data dimension N. */
  N: number;
  /** sigma_end (default 0.01). */
  sigma?: number;
  /** tau (default 0.03). */
  tau?: number;
}

/**
 * PFGM's recommended M, z_max and upper_norm for a dataset (PFGM paper App. B.1.1/B.2.1; Poisson_flow
 * hyper-parameters.py): M = int(0.75 ln(norm^2/(2 sqrt(N) sigma^2))/ln(1 + tau)) + 1,
 * z_max = sqrt(2/pi) sigma (1 + tau)^M, upper_norm = sqrt(N) sigma (1 + tau)^M.
 */
export function pfgmHyperparameters(inputs: PfgmHyperparameterInputs): { M: number; zMax: number; upperNorm: number } {
  const { dataNorm, N, sigma = 0.01, tau = 0.03 } = inputs;
  checkPositive(dataNorm, 'dataNorm');
  checkPositive(N, 'N');
  checkPositive(sigma, 'sigma');
  checkPositive(tau, 'tau');
  const M = Math.trunc((0.75 * Math.log((dataNorm * dataNorm) / (2 * Math.sqrt(N) * sigma * sigma))) / Math.log(1 + tau)) + 1;
  const grow = (1 + tau) ** M;
  return { M, zMax: Math.sqrt(2 / Math.PI) * sigma * grow, upperNorm: Math.sqrt(N) * sigma * grow };
}
