// Log-likelihood by the instantaneous change of variables along an ODE (Chen et al. 2018; the
// likelihood of seed 001 Sec. 4.4 and the diffusion ODE): for dx/dt = f(x, t),
// log p_{t0}(x(t0)) = log p_{t1}(x(t1)) + int_{t0}^{t1} div f(x(t), t) dt, with the divergence
// estimated by Hutchinson's trace estimator eps^T (df/dx) eps, E[eps eps^T] = I, the probes fixed
// along the path (as the reference `likelihood.py`), and the ODE solved by RK45 on (x, delta).
import { pfgmKernel } from '@phys/kernels';
import { PhysError, Tensor, ValueError, checkSignal, getBackend, type Denoiser, type Random } from '@phys/tensor';
import { SamplerRun, callModel, checkInitial, checkNumber, checkRandom } from './common.js';
import { pfgmDrift, type NormalizedField, type PfgmDriftOptions } from './pfgm.js';
import { integrateRk45, type OdeFunction } from './rk45.js';
import type { SamplerOptions } from './types.js';

/** Distribution of Hutchinson probe entries: +-1 (Rademacher, lower variance) or N(0, 1). */
export type HutchinsonProbe = 'rademacher' | 'gaussian';

/**
 * A denoiser with its Jacobian-vector product: D(x; sigma) and (dD/dx) v, e.g. from forward-mode
 * autodiff of a network. Supplying it replaces the finite-difference divergence.
 */
export type DenoiserJvp<C = unknown> = (x: Tensor, sigma: Float64Array, v: Tensor, cond?: C) => Promise<{ value: Tensor; jvp: Tensor }>;

/** Options shared by the likelihood estimators. */
export interface LikelihoodOptions<C = unknown> extends Omit<SamplerOptions<C>, 'trajectory'> {
  /** Source of the probe vectors (drawn once per call and kept along the path). */
  rng: Random;
  /** Probe distribution (default `'rademacher'`, the reference default). */
  probe?: HutchinsonProbe;
  /** Independent probes per row, averaged (default 1). Each adds evaluations per ODE evaluation. */
  probes?: number;
  /** Finite-difference step relative to the noise level: central differences at x +- h eps, h = fdStep * sigma (default 1e-3). */
  fdStep?: number;
  /** RK45 relative tolerance (default 1e-5, the reference). */
  rtol?: number;
  /** RK45 absolute tolerance (default 1e-5, the reference). */
  atol?: number;
  /** RK45 evaluation budget (default 100000). */
  maxNfe?: number;
  /**
   * Added to bits/dim, e.g. 7 for 8-bit data scaled to [-1, 1] with uniform dequantisation (the
   * reference's `offset = 7 - inverse_scaler(-1)` hack): log2(256/2) = 7. Default 0.
   */
  bitsPerDimOffset?: number;
}

/** What a likelihood estimator returns (per row). */
export interface LikelihoodResult {
  /** Estimated log-density of each row, in nats. */
  readonly logDensity: Float64Array;
  /** -logDensity / (N ln 2) + offset, N the row size. */
  readonly bitsPerDim: Float64Array;
  /** The end point of the ODE (the latent on the prior side). */
  readonly latent: Tensor;
  /** log-density of the prior at the latent. */
  readonly priorLogDensity: Float64Array;
  /** The integrated divergence, logDensity - priorLogDensity. */
  readonly deltaLogDensity: Float64Array;
  /** Model evaluations (denoiser or field calls, finite-difference calls included). */
  readonly nfe: number;
}

/** Options of {@link odeLogLikelihood}. */
export interface OdeLikelihoodOptions<C = unknown> extends LikelihoodOptions<C> {
  /** Noise level of the data end (> 0; the density estimated is that of the data convolved with N(0, sigmaMin^2)). */
  sigmaMin: number;
  /** Noise level of the prior end. */
  sigmaMax: number;
  /** D(x; sigma) with its JVP; when given, the denoiser argument is not called. */
  jvp?: DenoiserJvp<C>;
  /** log p_{sigmaMax} at the latent; default N(0, sigmaMax^2 I) (Gaussian kernel with sigmaMax >> data scale). */
  priorLogDensity?: (latent: Tensor, sigmaMax: number) => Float64Array;
}

/** The estimated divergence ran into a non-finite value. */
export class LikelihoodError extends PhysError {
  override name = 'LikelihoodError';
}

function drawProbes(rng: Random, x: Tensor, kind: HutchinsonProbe, count: number): Tensor[] {
  return Array.from({ length: count }, () => {
    if (kind === 'gaussian') return rng.normal(x.shape, x.dtype);
    const u = rng.uniform(x.shape, 'float64');
    const out = Tensor.zeros(x.shape, x.dtype);
    for (let j = 0; j < u.size; j++) out.data[j] = u.data[j]! < 0.5 ? -1 : 1;
    return out;
  });
}

function checkCommon<C>(options: LikelihoodOptions<C>): { rng: Random; kind: HutchinsonProbe; probes: number; fdStep: number } {
  const rng = checkRandom(options.rng);
  const kind: string = options.probe ?? 'rademacher';
  if (kind !== 'rademacher' && kind !== 'gaussian') throw new ValueError('probe', kind, "'rademacher' or 'gaussian'");
  const probes = options.probes ?? 1;
  if (!(Number.isInteger(probes) && probes >= 1)) throw new ValueError('probes', probes, 'an integer >= 1');
  const fdStep = checkNumber(options.fdStep ?? 1e-3, 'fdStep', Number.MIN_VALUE);
  return { rng, kind, probes, fdStep };
}

/**
 * Solves the augmented ODE d(x, delta)/dt = (f, div f) from t0 to t1 and assembles the result.
 * `driftAndDiv` returns f(x, t) and the Hutchinson divergence estimate per row.
 */
async function changeOfVariables<C>(
  x: Tensor,
  t0: number,
  t1: number,
  driftAndDiv: (x: Tensor, t: number) => Promise<{ drift: Tensor; div: Float64Array }>,
  prior: (latent: Tensor) => Float64Array,
  options: LikelihoodOptions<C>,
  onStep: (t: number, x: Tensor) => void,
  nfe: () => number,
): Promise<LikelihoodResult> {
  const f: OdeFunction = async (t, [xs]) => {
    const { drift, div } = await driftAndDiv(xs!, t);
    for (let r = 0; r < div.length; r++) {
      if (!Number.isFinite(div[r])) throw new LikelihoodError(`divergence estimate is ${String(div[r])} for row ${r} at t = ${t}`);
    }
    return [drift, Tensor.from(div, [div.length, 1], x.dtype)];
  };
  const delta0 = Tensor.zeros([x.rows, 1], x.dtype);
  const res = await integrateRk45(f, t0, t1, [x, delta0], {
    rtol: options.rtol ?? 1e-5,
    atol: options.atol ?? 1e-5,
    ...(options.maxNfe !== undefined && { maxNfe: options.maxNfe }),
    ...(options.signal && { signal: options.signal }),
    onStep: ({ t, y }) => {
      onStep(t, y[0]!);
    },
  });
  const latent = res.y[0]!;
  const deltaLogDensity = Float64Array.from(res.y[1]!.data);
  const priorLogDensity = prior(latent);
  if (priorLogDensity.length !== x.rows) throw new ValueError('priorLogDensity', priorLogDensity.length, `${x.rows} values (one per row)`);
  const logDensity = priorLogDensity.map((p, r) => p + deltaLogDensity[r]!);
  const n = x.rowSize;
  const offset = options.bitsPerDimOffset ?? 0;
  const bitsPerDim = logDensity.map((lp) => -lp / (n * Math.LN2) + offset);
  return { logDensity, bitsPerDim, latent, priorLogDensity, deltaLogDensity, nfe: nfe() };
}

/** log N(x; 0, sigma^2 I) per row. */
export function gaussianPriorLogDensity(latent: Tensor, sigma: number): Float64Array {
  const n = latent.rowSize;
  return getBackend()
    .rowNormSq(latent)
    .map((r2) => -0.5 * n * Math.log(2 * Math.PI * sigma * sigma) - r2 / (2 * sigma * sigma));
}

/**
 * Log-likelihood of data under the probability-flow ODE dx/dsigma = (x - D(x; sigma))/sigma
 * (thesis Sec. 2.2), integrated from `sigmaMin` (data) to `sigmaMax` (prior):
 * div f = (N - tr dD/dx)/sigma, with tr dD/dx ~ eps^T (dD/dx) eps by Hutchinson, the JVP taken
 * from `options.jvp` or by central differences (D(x + h eps) - D(x - h eps))/(2h), h = fdStep * sigma.
 * Returns the log-density of p_{sigmaMin} (data convolved with N(0, sigmaMin^2 I)) and bits/dim.
 *
 * NFE: per ODE evaluation 1 + 2 * probes denoiser calls (finite differences) or `probes` JVP calls.
 */
export async function odeLogLikelihood<C = unknown>(denoiser: Denoiser<C>, x: Tensor, options: OdeLikelihoodOptions<C>): Promise<LikelihoodResult> {
  checkInitial(x);
  const { rng, kind, probes, fdStep } = checkCommon(options);
  const sigmaMin = checkNumber(options.sigmaMin, 'sigmaMin');
  const sigmaMax = checkNumber(options.sigmaMax, 'sigmaMax');
  if (!(sigmaMin > 0)) throw new ValueError('sigmaMin', sigmaMin, 'a noise level > 0 (the ODE divides by sigma)');
  if (!(sigmaMax > sigmaMin)) throw new ValueError('sigmaMax', sigmaMax, `a noise level > sigmaMin = ${sigmaMin}`);
  const jvp = options.jvp;
  if (jvp !== undefined && typeof jvp !== 'function') throw new ValueError('jvp', jvp, 'an async function (x, sigma, v, cond) => { value, jvp }');
  const be = getBackend();
  // With a JVP the denoiser is only a name holder; route every call through a checked run anyway.
  const run = new SamplerRun<C>(denoiser, { ...options, trajectory: false }, x, sigmaMin);
  const eps = drawProbes(rng, x, kind, probes);
  const n = x.rowSize;

  const driftAndDiv = async (xs: Tensor, sigma: number): Promise<{ drift: Tensor; div: Float64Array }> => {
    const trace = new Float64Array(xs.rows);
    let d: Tensor | undefined;
    for (const e of eps) {
      let jv: Tensor;
      if (jvp) {
        run.checkAbort();
        const out = await jvp(xs, new Float64Array(xs.rows).fill(sigma), e, options.cond);
        run.nfe++;
        d ??= out.value;
        jv = out.jvp;
      } else {
        const h = fdStep * sigma;
        const plus = await run.denoise(be.axpby(1, xs, h, e), sigma);
        const minus = await run.denoise(be.axpby(1, xs, -h, e), sigma);
        jv = be.axpby(1 / (2 * h), plus, -1 / (2 * h), minus);
      }
      const q = be.rowDot(e, jv);
      for (let r = 0; r < q.length; r++) trace[r]! += q[r]! / eps.length;
    }
    d ??= await run.denoise(xs, sigma);
    if (d.shape.length !== xs.shape.length || d.shape.some((v, i) => v !== xs.shape[i])) {
      throw new ValueError('jvp(...).value', d.shape, `shape [${xs.shape.join(', ')}]`);
    }
    return { drift: be.axpby(1 / sigma, xs, -1 / sigma, d), div: trace.map((tr) => (n - tr) / sigma) };
  };
  const prior = options.priorLogDensity ?? gaussianPriorLogDensity;
  return changeOfVariables(
    x,
    sigmaMin,
    sigmaMax,
    driftAndDiv,
    (latent) => prior(latent, sigmaMax),
    options,
    (t, xs) => {
      run.step(xs, t);
    },
    () => run.nfe,
  );
}

/** Options of {@link pfgmLogLikelihood}. */
export interface PfgmLikelihoodOptions<C = unknown> extends LikelihoodOptions<C>, PfgmDriftOptions {
  /** z of the data end (default 1e-3, the reference `eps`). */
  zMin?: number;
  /** z of the prior hyperplane (default 40). */
  zMax?: number;
}

/**
 * Log-likelihood under PFGM's forward ODE (seed 001 Sec. 4.4): integrates dx/dt' = z v_x/(v_z + 1e-5)
 * in t' = log z from log zMin to log zMax, with the Hutchinson divergence of that drift by central
 * differences (h = fdStep * z), and the prior density of `pfgmKernel({ zMax }).priorLogDensity` (@phys/kernels) on the
 * z = zMax hyperplane. Returns the density of the data-side distribution on the z = zMin hyperplane.
 * NFE: per ODE evaluation 1 + 2 * probes field calls.
 */
export async function pfgmLogLikelihood<C = unknown>(field: NormalizedField<C>, x: Tensor, options: PfgmLikelihoodOptions<C>): Promise<LikelihoodResult> {
  checkInitial(x);
  if (typeof field !== 'function') throw new ValueError('field', field, 'an async function (x, z, cond) => { vx, vz }');
  const { rng, kind, probes, fdStep } = checkCommon(options);
  checkSignal(options.signal, 'signal');
  const zMax = checkNumber(options.zMax ?? 40, 'zMax');
  const zMin = checkNumber(options.zMin ?? 1e-3, 'zMin');
  if (!(zMin > 0)) throw new ValueError('zMin', zMin, "a number > 0 (t' = log z)");
  if (!(zMax > zMin)) throw new ValueError('zMax', zMax, `a number > zMin = ${zMin}`);
  const be = getBackend();
  const eps = drawProbes(rng, x, kind, probes);
  let nfe = 0;
  let steps = 0;
  const drift = async (xs: Tensor, z: number): Promise<Tensor> => {
    const zs = new Float64Array(xs.rows).fill(z);
    const v = await callModel(() => field(xs, zs, options.cond), options.signal, steps, z, 'field', 'z');
    nfe++;
    const out = pfgmDrift(v, zs, options);
    const j = getBackend().firstNonFinite(out);
    if (j >= 0) throw new LikelihoodError(`PFGM drift is ${String(out.data[j])} at flat index ${j} (step ${steps}, z = ${z})`);
    return out;
  };
  const driftAndDiv = async (xs: Tensor, t: number): Promise<{ drift: Tensor; div: Float64Array }> => {
    const z = Math.exp(t);
    const g = await drift(xs, z);
    const div = new Float64Array(xs.rows);
    const h = fdStep * z;
    for (const e of eps) {
      const plus = await drift(be.axpby(1, xs, h, e), z);
      const minus = await drift(be.axpby(1, xs, -h, e), z);
      const q = be.rowDot(e, be.axpby(1 / (2 * h), plus, -1 / (2 * h), minus));
      for (let r = 0; r < q.length; r++) div[r]! += q[r]! / eps.length;
    }
    return { drift: g, div };
  };
  return changeOfVariables(
    x,
    Math.log(zMin),
    Math.log(zMax),
    driftAndDiv,
    (latent) => pfgmKernel({ zMax }).priorLogDensity(latent),
    options,
    (t) => {
      options.onStep?.({ step: steps++, sigma: Math.exp(t), nfe });
    },
    () => nfe,
  );
}
