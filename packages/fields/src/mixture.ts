import {
  ShapeError,
  Tensor,
  ValueError,
  assertFinite,
  formatShape,
  type DType,
  type Denoiser,
  type Random,
} from '@phys/tensor';
import { symmetricEigen } from './linalg.js';

// Module-level bindings: global `Math.*` lookups in hot loops are slow inside vm contexts (jest).
const { exp, log, sqrt } = Math;
const LOG_2PI = log(2 * Math.PI);

/** One Gaussian component N(mean, covariance) of a {@link GaussianMixture}. */
export interface MixtureComponent {
  /** Mean vector (length d). */
  readonly mean: ArrayLike<number>;
  /**
   * Covariance: an isotropic variance (a number), per-dimension variances (length d), or a full
   * symmetric positive semi-definite d x d matrix (row-major, length d*d). Zero variances (point
   * masses, degenerate low-rank covariances) are allowed; the component is then defined only for
   * noise levels sigma > 0. Default 0: a point mass at `mean`.
   */
  readonly covariance?: number | ArrayLike<number>;
  /** Mixture weight (> 0; weights are normalised over components). Default 1. */
  readonly weight?: number;
}

/** What {@link GaussianMixture.evaluate} computes per row. */
export interface MixtureEvaluation {
  /** log p_sigma(x), the log density of the mixture convolved with N(0, sigma^2 I). */
  readonly logDensity: Float64Array;
  /** Component responsibilities p(k | x), `[B, K]` row-major. */
  readonly responsibilities: Float64Array;
  /** Posterior mean E[x0 | x] (the exact denoiser D(x; sigma)), `[B, d]` row-major. */
  readonly denoised: Float64Array;
  /** Score grad_x log p_sigma(x), `[B, d]` row-major. */
  readonly score: Float64Array;
  /** Trace of the posterior covariance Tr Cov[x0 | x] per row. */
  readonly posteriorTrace: Float64Array;
}

interface Component {
  logWeight: number;
  mean: Float64Array;
  /** Eigenvalues of the covariance (length d). */
  lambda: Float64Array;
  /** Eigenvectors (row-major d x d, columns), or null when the covariance is diagonal. */
  basis: Float64Array | null;
}

/**
 * A Gaussian mixture p(x0) = sum_k w_k N(x0; mu_k, Sigma_k) with its exact fields under the
 * Gaussian (EDM/VE) kernel: the noisy marginal p_sigma = p * N(0, sigma^2 I) is again a mixture,
 * sum_k w_k N(x; mu_k, Sigma_k + sigma^2 I), so the denoiser (posterior mean), the score and the
 * posterior covariance are closed-form (Tweedie: score = (D(x; sigma) - x) / sigma^2).
 * Covariances are eigendecomposed once; each evaluation costs O(K d^2) per row (O(K d) for
 * isotropic or diagonal covariances). All arithmetic is float64.
 */
export class GaussianMixture {
  /** Data dimension d. */
  readonly dim: number;
  /** Normalised mixture weights (length K). */
  readonly weights: Float64Array;
  /** Component means, `[K, d]` row-major. */
  readonly means: Float64Array;
  private readonly comps: Component[];
  /** Whether some covariance has a zero eigenvalue (then sigma must be > 0). */
  readonly singular: boolean;

  constructor(components: readonly MixtureComponent[]) {
    if (components.length === 0) throw new ValueError('components', components, 'at least one mixture component');
    const d = components[0]!.mean.length;
    if (d === 0) throw new ValueError('components[0].mean', [], 'a mean of length >= 1');
    let wsum = 0;
    components.forEach((c, k) => {
      if (c.mean.length !== d) throw new ShapeError(`components[${k}].mean`, `[${d}]`, `[${c.mean.length}]`);
      assertFinite(c.mean, `components[${k}].mean`);
      const w = c.weight ?? 1;
      if (!(Number.isFinite(w) && w > 0)) throw new ValueError(`components[${k}].weight`, w, 'a finite number > 0');
      wsum += w;
    });
    this.dim = d;
    this.weights = Float64Array.from(components, (c) => (c.weight ?? 1) / wsum);
    this.means = new Float64Array(components.length * d);
    let singular = false;
    this.comps = components.map((c, k) => {
      const mean = Float64Array.from(c.mean);
      this.means.set(mean, k * d);
      const { lambda, basis } = decompose(c.covariance ?? 0, d, `components[${k}].covariance`);
      if (lambda.some((l) => l === 0)) singular = true;
      return { logWeight: log(this.weights[k]!), mean, lambda, basis };
    });
    this.singular = singular;
  }

  /** Number of components K. */
  get components(): number {
    return this.comps.length;
  }

  /** Mixture mean sum_k w_k mu_k. */
  mean(): Float64Array {
    const d = this.dim;
    const m = new Float64Array(d);
    this.comps.forEach((c, k) => {
      for (let j = 0; j < d; j++) m[j]! += this.weights[k]! * c.mean[j]!;
    });
    return m;
  }

  /** Mixture covariance sum_k w_k (Sigma_k + mu_k mu_k^T) - m m^T, row-major d x d. */
  covariance(): Float64Array {
    const d = this.dim;
    const m = this.mean();
    const out = new Float64Array(d * d);
    this.comps.forEach((c, k) => {
      const w = this.weights[k]!;
      const sigma = componentCovariance(c, d);
      for (let i = 0; i < d; i++) {
        for (let j = 0; j < d; j++) out[i * d + j]! += w * (sigma[i * d + j]! + c.mean[i]! * c.mean[j]!);
      }
    });
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) out[i * d + j]! -= m[i]! * m[j]!;
    return out;
  }

  /**
   * Draws `n` samples x0 ~ p (float64 unless `dtype` says otherwise). Consumes one uniform draw
   * `[n, 1]` (component choice) then one normal draw `[n, d]` from `rng`.
   */
  sample(n: number, rng: Random, dtype: DType = 'float64'): Tensor {
    if (!(Number.isInteger(n) && n >= 1)) throw new ValueError('n', n, 'an integer >= 1');
    const d = this.dim;
    const u = rng.uniform([n, 1], 'float64').data;
    const eps = rng.normal([n, d], 'float64').data;
    const out = new Float64Array(n * d);
    const cum = new Float64Array(this.comps.length);
    let acc = 0;
    this.weights.forEach((w, k) => (cum[k] = acc += w));
    const z = new Float64Array(d);
    for (let i = 0; i < n; i++) {
      let k = 0;
      while (k < cum.length - 1 && u[i]! > cum[k]!) k++;
      const c = this.comps[k]!;
      for (let j = 0; j < d; j++) z[j] = sqrt(c.lambda[j]!) * eps[i * d + j]!;
      const o = i * d;
      if (c.basis) {
        for (let r = 0; r < d; r++) {
          let s = 0;
          for (let j = 0; j < d; j++) s += c.basis[r * d + j]! * z[j]!;
          out[o + r] = c.mean[r]! + s;
        }
      } else {
        for (let j = 0; j < d; j++) out[o + j] = c.mean[j]! + z[j]!;
      }
    }
    return new Tensor(dtype === 'float64' ? out : Float32Array.from(out), [n, d]);
  }

  /**
   * Evaluates the exact fields of the noisy mixture p_sigma at each row of `x` (`[B, d]` or any
   * shape with rows of d values), with one noise level per row (`sigma >= 0`, length B).
   */
  evaluate(x: Tensor, sigma: Float64Array | number): MixtureEvaluation {
    const d = this.dim;
    if (x.rowSize !== d) throw new ShapeError('x', `[B, ${d}] (rows of ${d} values)`, formatShape(x.shape));
    const B = x.rows;
    const sig = typeof sigma === 'number' ? new Float64Array(B).fill(sigma) : sigma;
    if (sig.length !== B) throw new ShapeError('sigma', `${B} values (one per row of x)`, `${sig.length} values`);
    for (let i = 0; i < B; i++) {
      const s = sig[i]!;
      if (!(Number.isFinite(s) && s >= 0)) throw new ValueError(`sigma[${i}]`, s, 'a finite number >= 0');
      if (s === 0 && this.singular) throw new ValueError(`sigma[${i}]`, s, '> 0 (the mixture has singular covariances)');
    }
    assertFinite(x.data, 'x');
    const K = this.comps.length;
    const logDensity = new Float64Array(B);
    const resp = new Float64Array(B * K);
    const denoised = new Float64Array(B * d);
    const score = new Float64Array(B * d);
    const trace = new Float64Array(B);
    const delta = new Float64Array(d);
    const z = new Float64Array(K * d); // per component: U^T (x - mu_k)
    const compTrace = new Float64Array(K);
    const logp = new Float64Array(K);
    const mk = new Float64Array(K * d); // per-component posterior means
    const sk = new Float64Array(K * d); // per-component scores
    const tmp = new Float64Array(d);
    for (let i = 0; i < B; i++) {
      const s2 = sig[i]! * sig[i]!;
      const xo = i * d;
      let maxLog = -Infinity;
      for (let k = 0; k < K; k++) {
        const c = this.comps[k]!;
        for (let j = 0; j < d; j++) delta[j] = x.data[xo + j]! - c.mean[j]!;
        const zk = z.subarray(k * d, (k + 1) * d);
        if (c.basis) {
          for (let j = 0; j < d; j++) {
            let s = 0;
            for (let r = 0; r < d; r++) s += c.basis[r * d + j]! * delta[r]!;
            zk[j] = s;
          }
        } else {
          zk.set(delta);
        }
        let quad = 0;
        let logdet = 0;
        let tr = 0;
        for (let j = 0; j < d; j++) {
          const v = c.lambda[j]! + s2;
          quad += (zk[j]! * zk[j]!) / v;
          logdet += log(v);
          tr += (c.lambda[j]! * s2) / v;
        }
        compTrace[k] = tr;
        logp[k] = c.logWeight - 0.5 * (quad + logdet + d * LOG_2PI);
        if (logp[k]! > maxLog) maxLog = logp[k]!;
      }
      let sum = 0;
      for (let k = 0; k < K; k++) sum += exp(logp[k]! - maxLog);
      logDensity[i] = maxLog + log(sum);
      for (let k = 0; k < K; k++) resp[i * K + k] = exp(logp[k]! - logDensity[i]!);
      // Per component: m_k = mu_k + Sigma_k C_k^{-1} (x - mu_k), s_k = -C_k^{-1} (x - mu_k), C_k = Sigma_k + sigma^2 I.
      for (let k = 0; k < K; k++) {
        const r = resp[i * K + k]!;
        if (r === 0) continue;
        const c = this.comps[k]!;
        const zk = z.subarray(k * d, (k + 1) * d);
        const m = mk.subarray(k * d, (k + 1) * d);
        const sc = sk.subarray(k * d, (k + 1) * d);
        for (let j = 0; j < d; j++) tmp[j] = zk[j]! / (c.lambda[j]! + s2);
        if (c.basis) {
          for (let a = 0; a < d; a++) {
            let sm = 0;
            let ss = 0;
            for (let j = 0; j < d; j++) {
              const u = c.basis[a * d + j]!;
              sm += u * c.lambda[j]! * tmp[j]!;
              ss += u * tmp[j]!;
            }
            m[a] = c.mean[a]! + sm;
            sc[a] = -ss;
          }
        } else {
          for (let j = 0; j < d; j++) {
            m[j] = c.mean[j]! + c.lambda[j]! * tmp[j]!;
            sc[j] = -tmp[j]!;
          }
        }
        for (let j = 0; j < d; j++) {
          denoised[xo + j]! += r * m[j]!;
          score[xo + j]! += r * sc[j]!;
        }
      }
      // Law of total variance: Tr Cov = sum_k r_k (Tr Cov_k + |m_k|^2) - |sum_k r_k m_k|^2.
      let tr = 0;
      for (let k = 0; k < K; k++) {
        const r = resp[i * K + k]!;
        if (r === 0) continue;
        let dev = 0;
        for (let j = 0; j < d; j++) dev += (mk[k * d + j]! - denoised[xo + j]!) ** 2;
        tr += r * (compTrace[k]! + dev);
      }
      trace[i] = tr;
    }
    return { logDensity, responsibilities: resp, denoised, score, posteriorTrace: trace };
  }

  /** Exact denoiser D(x; sigma) = E[x0 | x] per row, with the shape and dtype of `x`. */
  denoise(x: Tensor, sigma: Float64Array | number): Tensor {
    return like(x, this.evaluate(x, sigma).denoised);
  }

  /** Exact score grad_x log p_sigma(x) per row, with the shape and dtype of `x`. */
  score(x: Tensor, sigma: Float64Array | number): Tensor {
    return like(x, this.evaluate(x, sigma).score);
  }

  /** log p_sigma(x) per row. */
  logDensity(x: Tensor, sigma: Float64Array | number): Float64Array {
    return this.evaluate(x, sigma).logDensity;
  }

  /** The exact denoiser as a {@link Denoiser} (EDM convention), so any sampler runs on it. */
  denoiser(): Denoiser {
    return (x, sigma) => Promise.resolve(this.denoise(x, sigma));
  }
}

function like(x: Tensor, values: Float64Array): Tensor {
  return new Tensor(x.dtype === 'float64' ? values : Float32Array.from(values), x.shape);
}

function decompose(cov: number | ArrayLike<number>, d: number, argument: string): { lambda: Float64Array; basis: Float64Array | null } {
  if (typeof cov === 'number') {
    if (!(Number.isFinite(cov) && cov >= 0)) throw new ValueError(argument, cov, 'a finite variance >= 0');
    return { lambda: new Float64Array(d).fill(cov), basis: null };
  }
  assertFinite(cov, argument);
  if (cov.length === d) {
    const lambda = Float64Array.from(cov);
    if (lambda.some((v) => v < 0)) throw new ValueError(argument, Array.from(lambda), 'variances >= 0');
    return { lambda, basis: null };
  }
  if (cov.length !== d * d) throw new ShapeError(argument, `a number, [${d}] variances or a [${d}, ${d}] matrix`, `${cov.length} values`);
  let scale = 0;
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      scale = Math.max(scale, Math.abs(cov[i * d + j]!));
      if (Math.abs(cov[i * d + j]! - cov[j * d + i]!) > 1e-12 * Math.max(1, Math.abs(cov[i * d + j]!))) {
        throw new ValueError(argument, `entry (${i}, ${j})`, 'a symmetric matrix');
      }
    }
  }
  const { values, vectors } = symmetricEigen(cov, d);
  const tol = 1e-12 * scale * d;
  for (let j = 0; j < d; j++) {
    if (values[j]! < -tol) throw new ValueError(argument, values[j], 'a positive semi-definite matrix (eigenvalue >= 0)');
    // Round-off below the matrix's precision is a zero eigenvalue (a degenerate direction).
    if (Math.abs(values[j]!) <= tol) values[j] = 0;
  }
  return { lambda: values, basis: vectors };
}

function componentCovariance(c: Component, d: number): Float64Array {
  const out = new Float64Array(d * d);
  if (!c.basis) {
    for (let j = 0; j < d; j++) out[j * d + j] = c.lambda[j]!;
    return out;
  }
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let q = 0; q < d; q++) s += c.basis[i * d + q]! * c.lambda[q]! * c.basis[j * d + q]!;
      out[i * d + j] = s;
    }
  }
  return out;
}
