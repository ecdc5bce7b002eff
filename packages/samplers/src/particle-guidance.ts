// Particle guidance (thesis Ch. 6): a batch is sampled jointly and the gradient of a
// permutation-invariant log-potential log Phi_t(x_1..x_n) is added to every sample's score
// (Eq. 6.1). It is composed into a Denoiser, so every sampler of this package runs it unchanged.
import { NonFiniteError, Tensor, ValueError, ShapeError, checkTensor, formatShape, getBackend, type Denoiser } from '@phys/tensor';
import { rbfKernel, type GuidanceContext, type KernelEvaluation, type ParticleKernel } from './particle-guidance-kernels.js';

const { sqrt } = Math;

/**
 * Guidance strength alpha(sigma) in score units: the guidance adds alpha(sigma) T_i to the score
 * of particle i, where T_i is the guidance term (the kernel repulsion for particle guidance, the
 * SVGD direction for {@link svgdGuidance}, grad log Phi for a learned potential). A number is a
 * constant strength. See {@link referenceScale}, {@link thesisScale}, {@link gatedScale}.
 */
export type GuidanceScale = number | ((sigma: number) => number);

/**
 * The joint guidance term of a batch. {@link withParticleGuidance} turns it into a Denoiser.
 */
export interface ParticleGuidance<C = unknown> {
  /** Short description, e.g. `'particle(rbf(median))'`. */
  readonly name: string;
  /**
   * g_i = grad_{x_i} log Phi_t (score units) for every row of `x`, given the denoiser's output
   * `denoised` at the per-row noise levels `sigma`; `null` when it is zero for every row (e.g. gated
   * off at this sigma, or a batch of one).
   */
  gradient(x: Tensor, sigma: Float64Array, denoised: Tensor, cond?: C): Promise<Tensor | null>;
}

/** Options shared by the guidance builders. */
export interface GroupOptions {
  /**
   * Rows interact only within consecutive groups of this many rows (default: the whole batch is
   * one group). E.g. 4 images per prompt for 100 prompts in one batch of 400: `groupSize: 4`.
   * The batch size must be a multiple of it.
   */
  groupSize?: number;
}

/** Options of {@link particleGuidance}. */
export interface ParticleGuidanceOptions extends GroupOptions {
  /** Similarity kernel (default {@link rbfKernel} with the reference's per-particle median bandwidth). */
  kernel?: ParticleKernel;
  /** alpha(sigma) of thesis Eq. 6.4 (required; see {@link GuidanceScale}). */
  scale: GuidanceScale;
}

/** Options of {@link svgdGuidance}. */
export interface SvgdGuidanceOptions extends GroupOptions {
  /** Kernel (default {@link rbfKernel} with `bandwidth: 'median-svgd'`: diagonal kept, h = m^2 / log n). */
  kernel?: ParticleKernel;
  /** Strength (required); the reference's is `referenceScale(coeff, { variant: 'svgd' })`. */
  scale: GuidanceScale;
  /** `'none'` (default, the reference code) or `'n-1'` (thesis Eq. 6.2's 1/(n - 1)). */
  normalize?: 'none' | 'n-1';
}

/** Options of {@link learnedPotentialGuidance}. */
export interface LearnedPotentialOptions<C = unknown> extends GroupOptions {
  /**
   * The learned model's joint potential gradient: for the rows of one group at noise levels
   * `sigma`, grad_{x_i} log Phi_theta(x_1..x_n; sigma) per row, shaped like `x` (thesis Sec. 6.5).
   * An ONNX model with inputs `x [B, ...]`, `sigma [B]` and that gradient as output loads with
   * `loadDenoiser(file, { parameterization: 'edm', chunkSize })` of @phys/onnx (chunkSize >= the
   * group size, so a group is one call) and is such a function as it is.
   */
  gradient?: (x: Tensor, sigma: Float64Array, cond?: C) => Promise<Tensor>;
  /**
   * Alternatively log Phi_theta of one group (a number); its gradient is then taken by central
   * differences (2 n d calls per evaluation, step `step`): for small problems and checks.
   */
  logPotential?: (x: Tensor, sigma: Float64Array, cond?: C) => Promise<number>;
  /** Central-difference step for `logPotential` (default 1e-4). */
  step?: number;
  /** gamma(sigma) multiplying grad log Phi (default 1: the learned potential is used as trained). */
  scale?: GuidanceScale;
}

function scaleFunction(scale: GuidanceScale, argument = 'scale'): (sigma: number) => number {
  if (typeof scale === 'number') {
    if (!Number.isFinite(scale)) throw new ValueError(argument, scale, 'a finite number or a function of sigma');
    return () => scale;
  }
  if (typeof scale !== 'function') throw new ValueError(argument, scale, 'a finite number or a function of sigma');
  return (sigma) => {
    const v = scale(sigma);
    if (!Number.isFinite(v)) throw new ValueError(`${argument}(${sigma})`, v, 'a finite number');
    return v;
  };
}

function checkGroupSize(groupSize: number | undefined): void {
  if (groupSize !== undefined && !(Number.isInteger(groupSize) && groupSize >= 1)) throw new ValueError('groupSize', groupSize, 'an integer >= 1');
}

/** Splits rows into groups of `groupSize` (default all rows); throws unless it divides the batch. */
function groups(rows: number, groupSize: number | undefined): number {
  const g = groupSize ?? rows;
  if (rows % g !== 0) throw new ShapeError('x', `a batch whose size is a multiple of groupSize = ${g}`, `${rows} rows`);
  return g;
}

/** Per-row alpha(sigma_i); `null` when all are 0. */
function rowScales(alpha: (s: number) => number, sigma: Float64Array): Float64Array | null {
  const a = new Float64Array(sigma.length);
  let any = false;
  for (let i = 0; i < sigma.length; i++) {
    a[i] = alpha(sigma[i]!);
    if (a[i] !== 0) any = true;
  }
  return any ? a : null;
}

function checkInputs(x: Tensor, sigma: Float64Array, denoised: Tensor): void {
  if (sigma.length !== x.rows) throw new ShapeError('sigma', `${x.rows} values (one per row)`, `${sigma.length} values`);
  if (denoised.shape.length !== x.shape.length || denoised.shape.some((v, k) => v !== x.shape[k])) {
    throw new ShapeError('denoised', formatShape(x.shape), formatShape(denoised.shape));
  }
}

/**
 * Fixed-potential particle guidance (thesis Eq. 6.4): log Phi_t = -(alpha_t / 2) sum_{i,j} k_t(x_i, x_j),
 * so the score of particle i gains g_i = alpha(sigma_i) R_i with R_i = -grad_{x_i} sum_j k(x_i, x_j)
 * (the kernel's repulsion). With the default median-bandwidth RBF kernel and
 * `scale: referenceScale(coeff)` this is the reference Stable Diffusion pipeline's pixel guidance.
 *
 * Rule for a batch (group) of one: no other particle, no guidance (g = 0). For n = 2 see
 * {@link RbfOptions.twoParticleDivisor}.
 */
export function particleGuidance(options: ParticleGuidanceOptions): ParticleGuidance {
  const kernel = options.kernel ?? rbfKernel();
  if (typeof kernel !== 'object' || typeof (kernel as Partial<ParticleKernel>).evaluate !== 'function') {
    throw new ValueError('kernel', kernel, 'a ParticleKernel (rbfKernel(), userKernel(...), featureKernel(...))');
  }
  const alpha = scaleFunction(options.scale);
  checkGroupSize(options.groupSize);
  return {
    name: `particle(${kernel.name})`,
    async gradient(x, sigma, denoised, cond) {
      checkInputs(x, sigma, denoised);
      const g = groups(x.rows, options.groupSize);
      const a = rowScales(alpha, sigma);
      if (a === null || g === 1) return null;
      const out = Tensor.zeros(x.shape, x.dtype);
      await forEachGroup(kernel, { x, sigma, denoised, cond }, g, a, (start, end, ag, { repulsion }) => {
        getBackend().scaleRows(repulsion.reshape([g, ...x.shape.slice(1)]), ag, out.sliceRows(start, end));
      });
      return out;
    },
  };
}

/**
 * The group loop of the fixed-potential guidances: for each group of `g` rows whose scales `a` are
 * not all 0, evaluates `kernel` on the group (its repulsion checked) and hands it to `body` with
 * the group's rows `[start, end)` and scales.
 */
async function forEachGroup(
  kernel: ParticleKernel,
  batch: { x: Tensor; sigma: Float64Array; denoised: Tensor; cond: unknown },
  g: number,
  a: Float64Array,
  body: (start: number, end: number, ag: Float64Array, evaluation: KernelEvaluation) => void,
): Promise<void> {
  const { x, sigma, denoised, cond } = batch;
  for (let start = 0; start < x.rows; start += g) {
    const end = start + g;
    const ag = a.subarray(start, end);
    if (ag.every((v) => v === 0)) continue;
    const context: GuidanceContext = { sigma: sigma.subarray(start, end), denoised: denoised.sliceRows(start, end), cond };
    const evaluation = await kernel.evaluate(x.sliceRows(start, end), context);
    checkTerm(evaluation.repulsion, g, x.rowSize, `${kernel.name} repulsion`);
    body(start, end, ag, evaluation);
  }
}

function checkTerm(t: Tensor, rows: number, rowSize: number, what: string): void {
  if (!(t instanceof Tensor) || t.rows !== rows || t.rowSize !== rowSize) {
    throw new ShapeError(what, `${rows} rows of ${rowSize} values`, t instanceof Tensor ? formatShape(t.shape) : typeof t);
  }
}

/**
 * The SVGD variant of the guidance term (thesis Eq. 6.2/6.3; the reference pipeline's `svgd`
 * branch), for comparison: phi_i = sum_j k(x_i, x_j) s_j + R_i with s_j = (D_j - x_j)/sigma_j^2
 * the score of particle j and the diagonal kept (the default kernel's median includes the zero
 * self-distance and divides by log n); the score gains alpha(sigma_i) phi_i (divided by n - 1 with
 * `normalize: 'n-1'`). The score smoothing over neighbours is what makes SVGD images blurry
 * (thesis Sec. 6.4.2). A group of one gets no guidance.
 */
export function svgdGuidance(options: SvgdGuidanceOptions): ParticleGuidance {
  const kernel = options.kernel ?? rbfKernel({ bandwidth: 'median-svgd' });
  const alpha = scaleFunction(options.scale);
  const normalize = options.normalize ?? 'none';
  if (!['none', 'n-1'].includes(normalize)) throw new ValueError('normalize', normalize, "'none' or 'n-1'");
  checkGroupSize(options.groupSize);
  return {
    name: `svgd(${kernel.name})`,
    async gradient(x, sigma, denoised, cond) {
      checkInputs(x, sigma, denoised);
      const g = groups(x.rows, options.groupSize);
      const a = rowScales(alpha, sigma);
      if (a === null || g === 1) return null;
      if (normalize === 'n-1') for (let i = 0; i < a.length; i++) a[i]! /= g - 1;
      const backend = getBackend();
      // Scores s_j = (D_j - x_j) / sigma_j^2 of every row.
      const inv = new Float64Array(sigma.length);
      for (let i = 0; i < sigma.length; i++) inv[i] = 1 / (sigma[i]! * sigma[i]!);
      const negInv = inv.map((v) => -v);
      const scores = backend.lincomb([[inv, denoised], [negInv, x]]);
      const out = Tensor.zeros(x.shape, x.dtype);
      await forEachGroup(kernel, { x, sigma, denoised, cond }, g, a, (start, end, ag, { weights, repulsion }) => {
        if (weights.rows !== g || weights.cols !== g) throw new ShapeError(`${kernel.name} weights`, `${g} x ${g}`, `${weights.rows} x ${weights.cols}`);
        const smoothed = backend.weightedSum(weights, scores.sliceRows(start, end));
        backend.lincomb([[ag, smoothed], [ag, repulsion.reshape(smoothed.shape)]], out.sliceRows(start, end));
      });
      return out;
    },
  };
}

/**
 * Learned-potential particle guidance (thesis Sec. 6.5): a model Phi_theta(x_1..x_n; t) trained
 * by Eq. 6.6 supplies grad_{x_i} log Phi_t for the whole group, added to the score with weight
 * gamma(sigma) (default 1). Give the gradient model (`gradient`, e.g. ONNX) or the scalar log
 * potential (`logPotential`, differentiated numerically). Unlike the fixed potentials, a group of
 * one is passed to the model too (a learned potential may act on single particles, Eq. 6.7).
 */
export function learnedPotentialGuidance<C = unknown>(options: LearnedPotentialOptions<C>): ParticleGuidance<C> {
  const { gradient, logPotential } = options;
  if ((gradient === undefined) === (logPotential === undefined)) {
    throw new ValueError('options', Object.keys(options), 'exactly one of `gradient` or `logPotential`');
  }
  if (gradient !== undefined && typeof gradient !== 'function') throw new ValueError('gradient', gradient, 'a function (x, sigma, cond) => Promise<Tensor>');
  if (logPotential !== undefined && typeof logPotential !== 'function') throw new ValueError('logPotential', logPotential, 'a function (x, sigma, cond) => Promise<number>');
  const step = options.step ?? 1e-4;
  if (!(step > 0 && Number.isFinite(step))) throw new ValueError('step', step, 'a finite number > 0');
  const gamma = scaleFunction(options.scale ?? 1);
  checkGroupSize(options.groupSize);
  const numericGradient = async (x: Tensor, sigma: Float64Array, cond?: C): Promise<Tensor> => {
    const X = Float64Array.from(x.data);
    const out = new Float64Array(X.length);
    const at = async (values: Float64Array): Promise<number> => {
      const v = await logPotential!(new Tensor(x.dtype === 'float64' ? values : Float32Array.from(values), x.shape), sigma, cond);
      if (!Number.isFinite(v)) throw new ValueError('logPotential', v, 'a finite number');
      return v;
    };
    for (let k = 0; k < X.length; k++) {
      const x0 = X[k]!;
      X[k] = x0 + step;
      const up = await at(X);
      X[k] = x0 - step;
      const down = await at(X);
      X[k] = x0;
      out[k] = (up - down) / (2 * step);
    }
    return new Tensor(out, x.shape);
  };
  return {
    name: gradient ? 'learned(gradient)' : 'learned(logPotential, finite differences)',
    async gradient(x, sigma, denoised, cond) {
      checkInputs(x, sigma, denoised);
      const g = groups(x.rows, options.groupSize);
      const a = rowScales(gamma, sigma);
      if (a === null) return null;
      const out = Tensor.zeros(x.shape, x.dtype);
      for (let start = 0; start < x.rows; start += g) {
        const end = start + g;
        const ag = a.subarray(start, end);
        if (ag.every((v) => v === 0)) continue;
        const xs = x.sliceRows(start, end);
        const sg = sigma.slice(start, end);
        const grad = gradient ? await gradient(xs, sg, cond) : await numericGradient(xs, sg, cond);
        checkTerm(grad, g, x.rowSize, 'learned potential gradient');
        const bad = grad.data.findIndex((v) => !Number.isFinite(v));
        if (bad >= 0) throw new ValueError(`learned potential gradient[${bad}]`, grad.data[bad], 'a finite value');
        getBackend().scaleRows(grad.reshape(xs.shape), ag, out.sliceRows(start, end));
      }
      return out;
    },
  };
}

/**
 * Composes particle guidance into a denoiser (thesis Eq. 6.1): the returned Denoiser outputs
 * D'(x; sigma) = D(x; sigma) + sigma^2 g(x, sigma), with g = grad log Phi_t from `guidance`. Since
 * the score is (D - x)/sigma^2, this adds exactly g to the score wherever a sampler uses it, so
 * every sampler of this package (Euler, Heun, RK45, DPM-Solver, EDM churn, Euler-Maruyama,
 * predictor-corrector, DDIM, Restart) runs particle guidance unchanged and at the same NFE.
 *
 * Mapping to the reference (gcorso/particle-guidance, DDIM with eta = 0): there the guidance is
 * subtracted from the predicted noise, eps' = eps - grad_phi with grad_phi = sigma coeff R. With
 * D = x - sigma eps (EDM coordinates) that is D' = D + sigma grad_phi = D + sigma^2 coeff R: the
 * same update with alpha = coeff ({@link referenceScale}). The reference works in the VP-scaled
 * latents x_vp = sqrt(abar) x; its kernel weights are scale-free but R_vp = R / sqrt(abar), which
 * `referenceScale(coeff, { space: 'vp' })` reproduces exactly (alpha = coeff sqrt(1 + sigma^2)).
 *
 * Strength per sampler: in the reverse SDE (Euler-Maruyama with betaScale 1, predictor-corrector)
 * the drift gains g^2 alpha R as in Eq. 6.4; in the probability-flow ODE it gains half of it
 * (the thesis' ODE form in App. B.4.2 carries the same 1/2).
 *
 * Every call evaluates the whole batch jointly: the wrapped denoiser must see all particles of a
 * group in one call (the samplers of this package do; do not chunk a group across calls).
 */
export function withParticleGuidance<C = unknown>(denoiser: Denoiser<C>, guidance: ParticleGuidance<C>): Denoiser<C> {
  if (typeof denoiser !== 'function') throw new ValueError('denoiser', denoiser, 'a Denoiser (x, sigma, cond) => Promise<Tensor>');
  if (typeof guidance !== 'object' || typeof (guidance as Partial<ParticleGuidance>).gradient !== 'function') {
    throw new ValueError('guidance', guidance, 'a ParticleGuidance (particleGuidance(...), svgdGuidance(...), learnedPotentialGuidance(...))');
  }
  return async (x, sigma, cond) => {
    checkTensor(x, 'x');
    const denoised = await denoiser(x, sigma, cond);
    if (!(denoised instanceof Tensor)) return denoised; // the sampler reports the bad output
    const g = await guidance.gradient(x, sigma, denoised, cond);
    if (g === null) return denoised;
    const s2 = new Float64Array(sigma.length);
    for (let i = 0; i < sigma.length; i++) s2[i] = sigma[i]! * sigma[i]!;
    const out = getBackend().lincomb([[1, denoised], [s2, g.reshape(denoised.shape)]], Tensor.zeros(denoised.shape, denoised.dtype));
    const bad = getBackend().firstNonFinite(out);
    if (bad >= 0) throw new NonFiniteError('guided denoiser output', bad, out.data[bad]!, 'D + sigma^2 alpha R overflowed');
    return out;
  };
}

/** Options of {@link referenceScale}. */
export interface ReferenceScaleOptions {
  /**
   * Which reference branch: `'pixel'` (default; alpha = coeff, active for sigma >= 1),
   * `'feature'` (the DINO branch: grad_phi = coeff J^T R^f without sigma, so alpha = coeff / sigma,
   * active for sigma > 3) or `'svgd'` (grad_phi = coeff phi, alpha = coeff / sigma, active for
   * sigma >= 1).
   */
  variant?: 'pixel' | 'feature' | 'svgd';
  /** Gate threshold (default 1, or 3 for `'feature'`): no guidance below it (at or below it for `'feature'`). */
  sigmaMin?: number;
  /** No guidance above this noise level (default Infinity). */
  sigmaMax?: number;
  /**
   * `'edm'` (default): the sampler's x is the space the reference's kernel acts in. `'vp'`: the
   * reference acts on VP latents x_vp = x / sqrt(1 + sigma^2) while our samplers (DDIM included)
   * move x in EDM coordinates; alpha gains the factor sqrt(1 + sigma^2) = 1/sqrt(abar) so the
   * trajectories coincide (not available for `'svgd'`, whose two terms scale differently).
   */
  space?: 'edm' | 'vp';
}

/**
 * The reference implementation's strength as alpha(sigma) in score units. The reference subtracts
 * grad_phi = sigma coeff R from the predicted noise (pixel); dividing by sigma turns predicted-noise
 * units into score units, so alpha = coeff, switched off below sigma = 1 (`if sigma < 1: coeff = 0`).
 */
export function referenceScale(coeff: number, options: ReferenceScaleOptions = {}): (sigma: number) => number {
  if (!Number.isFinite(coeff)) throw new ValueError('coeff', coeff, 'a finite number');
  const variant = options.variant ?? 'pixel';
  if (!['pixel', 'feature', 'svgd'].includes(variant)) throw new ValueError('variant', variant, "'pixel', 'feature' or 'svgd'");
  const space = options.space ?? 'edm';
  if (!['edm', 'vp'].includes(space)) throw new ValueError('space', space, "'edm' or 'vp'");
  if (space === 'vp' && variant === 'svgd') throw new ValueError('space', space, "'edm' for the svgd variant");
  const sigmaMin = options.sigmaMin ?? (variant === 'feature' ? 3 : 1);
  const sigmaMax = options.sigmaMax ?? Infinity;
  if (!(sigmaMin >= 0)) throw new ValueError('sigmaMin', sigmaMin, 'a number >= 0');
  if (!(sigmaMax >= sigmaMin)) throw new ValueError('sigmaMax', sigmaMax, `a number >= sigmaMin = ${sigmaMin}`);
  const strict = variant === 'feature';
  return (sigma) => {
    if (strict ? !(sigma > sigmaMin) : sigma < sigmaMin) return 0;
    if (sigma > sigmaMax) return 0;
    const base = variant === 'pixel' ? coeff : coeff / sigma;
    return space === 'vp' ? base * sqrt(1 + sigma * sigma) : base;
  };
}

/**
 * The thesis' strength alpha_t = alpha sigma^power (Eq. 6.4's alpha t with sigma(t) = t: power 1;
 * App. B.4.2 uses 30 sigma^2 in pixel space and 8 sigma in feature space).
 */
export function thesisScale(alpha: number, options: { power?: number } = {}): (sigma: number) => number {
  if (!Number.isFinite(alpha)) throw new ValueError('alpha', alpha, 'a finite number');
  const power = options.power ?? 1;
  if (!Number.isFinite(power)) throw new ValueError('power', power, 'a finite number');
  return (sigma) => alpha * sigma ** power;
}

/** `scale` where sigmaMin <= sigma <= sigmaMax, else 0 (guidance only in a band of noise levels). */
export function gatedScale(scale: GuidanceScale, options: { sigmaMin?: number; sigmaMax?: number }): (sigma: number) => number {
  const f = scaleFunction(scale);
  const lo = options.sigmaMin ?? 0;
  const hi = options.sigmaMax ?? Infinity;
  if (!(lo >= 0)) throw new ValueError('sigmaMin', lo, 'a number >= 0');
  if (!(hi >= lo)) throw new ValueError('sigmaMax', hi, `a number >= sigmaMin = ${lo}`);
  return (sigma) => (sigma >= lo && sigma <= hi ? f(sigma) : 0);
}
