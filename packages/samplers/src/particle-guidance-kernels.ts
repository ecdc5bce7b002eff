// Similarity kernels of fixed-potential particle guidance (thesis Sec. 6.4, Eq. 6.4): for a group
// of n particles, the kernel matrix W[i, j] = k(x_i, x_j) and the repulsion
// R_i = -sum_j grad_{x_i} k(x_i, x_j), which the guidance scales into the score.
import { Tensor, ValueError, ShapeError, checkTensor, formatShape, getBackend, type Matrix64 } from '@phys/tensor';

const { exp, log, floor } = Math;

/** What a kernel (or a learned potential) sees of the sampler's state for one group of particles. */
export interface GuidanceContext<C = unknown> {
  /** Noise level of each row of the group. */
  readonly sigma: Float64Array;
  /** The denoiser's output D(x; sigma) for the same rows: the predicted clean samples x0. */
  readonly denoised: Tensor;
  /** The conditioning the sampler passed to the denoiser. */
  readonly cond?: C;
}

/** One group's kernel evaluation. */
export interface KernelEvaluation {
  /** `W[i, j] = k(x_i, x_j)` (row i with particle i's bandwidth), n x n, diagonal included. */
  readonly weights: Matrix64;
  /** `R_i = -sum_j grad_{x_i} k(x_i, x_j)`, shaped like the group's x (in x's space). */
  readonly repulsion: Tensor;
  /** Bandwidth `h_i` of each particle, for kernels that have one. */
  readonly bandwidth?: Float64Array;
}

/**
 * A similarity kernel over a group of particles (thesis Eq. 6.4). Build one with
 * {@link rbfKernel}, {@link userKernel} or {@link featureKernel}; particle guidance scales its
 * repulsion into the score.
 */
export interface ParticleKernel {
  /** Short description, e.g. `'rbf(median)'`. */
  readonly name: string;
  /** Weights and repulsion for the rows of `x` (one group of particles). */
  evaluate(x: Tensor, context: GuidanceContext): Promise<KernelEvaluation>;
}

/**
 * Bandwidth h of the RBF kernel exp(-|x_i - x_j|^2 / h):
 * - `'median'` (default): the reference's per-particle rule h_i = m_i^2 / log(n - 1), m_i the lower
 *   median of |x_i - x_j| over j != i (gcorso/particle-guidance, Stable Diffusion pipeline);
 * - `'median-svgd'`: the reference's SVGD variant, m_i over all j including i itself (distance 0)
 *   and h_i = m_i^2 / log n;
 * - a number: a fixed h;
 * - a function of sigma: h_i = f(sigma_i), e.g. `(s) => s` for the reference's 2-D notebook
 *   (h = sqrt(t) with t the variance).
 */
export type Bandwidth = 'median' | 'median-svgd' | number | ((sigma: number) => number);

/**
 * A group action on one particle (thesis App. B.4.2, conformer trick): returns the transformed
 * copy of `row` (a flat float64 sample). It must not modify `row`.
 */
export type GroupAction = (row: Float64Array) => Float64Array;

/** Which transformed copy of x_j an invariant kernel compares x_i with. */
export type ActionSelect = 'nearest' | 'farthest';

/** Options of {@link rbfKernel} and {@link rbfRepulsion}. */
export interface RbfOptions {
  /** Bandwidth rule (default `'median'`). */
  bandwidth?: Bandwidth;
  /**
   * Divisor used in place of log(n - 1) = 0 by the `'median'` rule when n = 2 (default 1, the
   * floor `max(log N, 1)` of the reference's 2-D notebook). The reference code itself divides by
   * 0 there, which makes h infinite: the kernel is 1 and the repulsion vanishes; pass 0 for that.
   */
  twoParticleDivisor?: number;
  /**
   * Period of each coordinate (a number for all, or one per coordinate; 0 or Infinity = not
   * periodic): differences are wrapped to [-p/2, p/2), e.g. 2*pi for angles (torsions in thesis
   * App. B.4.2, the radial kernel of the 2-D notebook). This is the invariant kernel under shifts
   * by whole periods, in closed form.
   */
  period?: number | ArrayLike<number>;
  /**
   * Group actions for an invariant kernel (thesis App. B.4.2): the distance of x_i to x_j is the
   * minimum of |x_i - A x_j| over A in `actions` plus the identity (always included), i.e. the
   * kernel is the maximum of k(x_i, A x_j). Use {@link permutationAction} for atom permutations.
   */
  actions?: readonly GroupAction[];
  /**
   * `'nearest'` (default) compares x_i with the closest transformed copy of x_j (largest kernel
   * value): duplicates up to a group action repel as strongly as exact duplicates. `'farthest'`
   * takes the smallest kernel value, the literal wording of thesis App. B.4.2
   * ("the minimum over the values of the kernel").
   */
  select?: ActionSelect;
}

/** Result of {@link rbfRepulsion}. */
export interface RbfEvaluation extends KernelEvaluation {
  readonly bandwidth: Float64Array;
  /** Squared (wrapped / invariant) distances `d_ij^2`, n x n. */
  readonly sqDist: Matrix64;
}

/** The group action permuting the entries of a flat sample: `(A x)[k] = x[perm[k]]`. */
export function permutationAction(perm: ArrayLike<number>): GroupAction {
  const p = Int32Array.from(perm);
  const seen = new Uint8Array(p.length);
  for (let k = 0; k < p.length; k++) {
    const v = p[k]!;
    if (!(v >= 0 && v < p.length) || seen[v]) throw new ValueError(`perm[${k}]`, perm[k], `a permutation of 0..${p.length - 1}`);
    seen[v] = 1;
  }
  return (row) => {
    if (row.length !== p.length) throw new ShapeError('row', `${p.length} values (the permutation's length)`, `${row.length} values`);
    const out = new Float64Array(p.length);
    for (let k = 0; k < p.length; k++) out[k] = row[p[k]!]!;
    return out;
  };
}

function checkRbfOptions(options: RbfOptions): void {
  const bw = options.bandwidth ?? 'median';
  if (typeof bw === 'number') {
    if (!(bw > 0 && Number.isFinite(bw))) throw new ValueError('bandwidth', bw, 'a finite number > 0');
  } else if (typeof bw !== 'function' && !['median', 'median-svgd'].includes(bw)) {
    throw new ValueError('bandwidth', bw, "'median', 'median-svgd', a number > 0 or a function of sigma");
  }
  const two = options.twoParticleDivisor ?? 1;
  if (!(two >= 0 && Number.isFinite(two))) throw new ValueError('twoParticleDivisor', two, 'a finite number >= 0 (0: the reference, h = Infinity)');
  if (![undefined, 'nearest', 'farthest'].includes(options.select)) {
    throw new ValueError('select', options.select, "'nearest' or 'farthest'");
  }
  if (options.actions !== undefined) {
    if (!Array.isArray(options.actions)) throw new ValueError('actions', options.actions, 'an array of functions');
    options.actions.forEach((a, k) => {
      if (typeof a !== 'function') throw new ValueError(`actions[${k}]`, a, 'a function (row) => transformed row');
    });
  }
}

function periods(period: number | ArrayLike<number> | undefined, d: number): Float64Array | undefined {
  if (period === undefined) return undefined;
  const p = new Float64Array(d);
  if (typeof period === 'number') p.fill(period);
  else {
    if (period.length !== d) throw new ShapeError('period', `one period per coordinate (${d})`, `${period.length} values`);
    p.set(period);
  }
  for (let k = 0; k < d; k++) {
    const v = p[k]!;
    if (!(v >= 0) || Number.isNaN(v)) throw new ValueError(`period[${k}]`, v, 'a number > 0 (0 or Infinity: not periodic)');
    if (v === Infinity) p[k] = 0;
  }
  return p.some((v) => v > 0) ? p : undefined;
}

/** Wraps a difference into [-p/2, p/2) like the reference's mod(d + 3p/2, p) - p/2 (numpy mod). */
function wrap(v: number, p: number): number {
  if (p === 0) return v;
  let r = (v + 1.5 * p) % p;
  if (r < 0) r += p;
  return r - 0.5 * p;
}

/** Lower median (torch.median) of `values` (sorted in place). */
function lowerMedian(values: Float64Array): number {
  values.sort();
  return values[floor((values.length - 1) / 2)]!;
}

/**
 * Per-particle bandwidth from squared distances (n x n, row-major) by rule `bw`; see {@link Bandwidth}.
 */
export function rbfBandwidth(sqDist: Matrix64, sigma: Float64Array | number, options: RbfOptions = {}): Float64Array {
  checkRbfOptions(options);
  const n = sqDist.rows;
  if (sqDist.cols !== n) throw new ShapeError('sqDist', `a square matrix`, `${n} x ${sqDist.cols}`);
  const bw = options.bandwidth ?? 'median';
  const h = new Float64Array(n);
  const sigmaOf = (i: number): number => (typeof sigma === 'number' ? sigma : sigma[i]!);
  if (typeof bw === 'number') return h.fill(bw);
  if (typeof bw === 'function') {
    for (let i = 0; i < n; i++) {
      const v = bw(sigmaOf(i));
      if (!(v >= 0 && Number.isFinite(v))) throw new ValueError(`bandwidth(${sigmaOf(i)})`, v, 'a finite number >= 0');
      h[i] = v;
    }
    return h;
  }
  if (n === 0) return h;
  // n = 1 has no pairs: h = 0, a finite bandwidth with the same kernel (1 on the diagonal) and
  // repulsion (0) as any other; the rule's own limit would be an undefined median.
  if (n === 1) return h.fill(0);
  const self = bw === 'median-svgd';
  const divisor = self ? log(n) : n === 2 ? (options.twoParticleDivisor ?? 1) : log(n - 1);
  const vals = new Float64Array(self ? n : n - 1);
  const D = sqDist.data;
  for (let i = 0; i < n; i++) {
    let m = 0;
    for (let j = 0; j < n; j++) if (self || j !== i) vals[m++] = D[i * n + j]!;
    const med = lowerMedian(vals);
    // divisor 0 (the reference at n = 2): h = Infinity, or the h -> 0 rule when the median is 0 too.
    h[i] = divisor === 0 ? (med > 0 ? Infinity : 0) : med / divisor;
  }
  return h;
}

/** Fills W[i, j] = exp(-d_ij^2 / h_i) and C[i, j] = 2 W_ij / h_i; h_i = 0 takes the h -> 0+ limit. */
function rbfWeights(d2: Float64Array, h: Float64Array, n: number): { w: Float64Array; c: Float64Array } {
  const w = new Float64Array(n * n);
  const c = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const hi = h[i]!;
    const o = i * n;
    if (!(1 / hi < Infinity)) {
      // h = 0, or so small (denormal) that 1/h overflows. Limit h -> 0+: k = 1 at distance 0 and 0 elsewhere; 2 k (x_i - x_j)/h -> 0 for every pair.
      for (let j = 0; j < n; j++) w[o + j] = d2[o + j]! === 0 ? 1 : 0;
      continue;
    }
    const inv = 1 / hi;
    for (let j = 0; j < n; j++) {
      const v = exp(-d2[o + j]! * inv);
      w[o + j] = v;
      // Flush weights below exp(-87.3) (float32 denormal range) to 0: they do not move a particle.
      c[o + j] = j === i || v < 1e-38 ? 0 : 2 * v * inv;
    }
  }
  return { w, c };
}

/**
 * The RBF kernel k(x_i, x_j) = exp(-d_ij^2 / h_i) over one group (the rows of `x`) and its
 * repulsion R_i = sum_j 2 k(x_i, x_j) (x_i - x_j) / h_i = -grad_{x_i} sum_j k(x_i, x_j) (h held
 * fixed), exactly the reference's `2 * weights * diff / h_t` summed over j (thesis Eq. 6.4 with
 * the kernel of App. B.4.2). d_ij is the Euclidean distance over the flattened sample, wrapped
 * per coordinate when `period` is set, and minimised over `actions` when given (then x_i - x_j
 * becomes x_i - A* x_j for the selected action A*). The diagonal is kept in `weights` (k = 1) and
 * contributes nothing to the repulsion.
 *
 * Rules at the edges: n = 1 gives W = [[1]], R = 0, h = 0. A bandwidth of 0 (the
 * `'median'` rule with half the other particles coinciding, or `'median-svgd'` at n = 2) takes
 * the h -> 0+ limit: k = 1 at distance 0, else 0, and no repulsion. Never NaN for finite inputs.
 */
export function rbfRepulsion(x: Tensor, sigma: Float64Array | number, options: RbfOptions = {}): RbfEvaluation {
  checkRbfOptions(options);
  checkTensor(x, 'x', { minRows: 1 });
  const n = x.rows;
  const d = x.rowSize;
  if (typeof sigma !== 'number' && sigma.length !== n) throw new ShapeError('sigma', `${n} values (one per row)`, `${sigma.length} values`);
  const per = periods(options.period, d);
  const actions = options.actions ?? [];
  const backend = getBackend();
  if (per === undefined && actions.length === 0) {
    // Euclidean: d^2 by the backend, R = weightedSum(C', x) with C'_ij = -C_ij, C'_ii = sum_j C_ij.
    const sqDist = backend.pairwiseSqDist(x, x);
    const h = rbfBandwidth(sqDist, sigma, options);
    const { w, c } = rbfWeights(sqDist.data, h, n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) {
        s += c[i * n + j]!;
        c[i * n + j] = -c[i * n + j]!;
      }
      c[i * n + i] = s;
    }
    const repulsion = backend.weightedSum({ data: c, rows: n, cols: n }, x);
    return { weights: { data: w, rows: n, cols: n }, repulsion, bandwidth: h, sqDist };
  }
  // General path (periodic and/or invariant): explicit float64 differences over pairs.
  const X = Float64Array.from(x.data);
  const farthest = options.select === 'farthest';
  const images: Float64Array[] = actions.map((act, a) => {
    const out = new Float64Array(n * d);
    for (let j = 0; j < n; j++) {
      const img = act(X.slice(j * d, (j + 1) * d));
      if (img.length !== d) throw new ShapeError(`actions[${a}](row ${j})`, `${d} values`, `${img.length} values`);
      out.set(img, j * d);
    }
    return out;
  });
  const sources = [X, ...images];
  const d2 = new Float64Array(n * n);
  const choice = new Int32Array(n * n);
  const diff = (src: Float64Array, i: number, j: number, k: number): number => {
    const v = X[i * d + k]! - src[j * d + k]!;
    return per === undefined ? v : wrap(v, per[k]!);
  };
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (j === i) continue; // a particle is compared with itself under the identity: d = 0
      let best = farthest ? -Infinity : Infinity;
      let arg = 0;
      for (let a = 0; a < sources.length; a++) {
        const src = sources[a]!;
        let s = 0;
        for (let k = 0; k < d; k++) {
          const v = diff(src, i, j, k);
          s += v * v;
        }
        if (farthest ? s > best : s < best) {
          best = s;
          arg = a;
        }
      }
      d2[i * n + j] = best;
      choice[i * n + j] = arg;
    }
  }
  const sqDist = { data: d2, rows: n, cols: n };
  const h = rbfBandwidth(sqDist, sigma, options);
  const { w, c } = rbfWeights(d2, h, n);
  const R = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const cij = c[i * n + j]!;
      if (cij === 0) continue;
      const src = sources[choice[i * n + j]!]!;
      for (let k = 0; k < d; k++) R[i * d + k]! += cij * diff(src, i, j, k);
    }
  }
  const repulsion = new Tensor(x.dtype === 'float64' ? R : Float32Array.from(R), x.shape);
  return { weights: { data: w, rows: n, cols: n }, repulsion, bandwidth: h, sqDist };
}

/**
 * The RBF similarity kernel of fixed-potential particle guidance (thesis Eq. 6.4, App. B.4.2):
 * k(x_i, x_j) = exp(-|x_i - x_j|^2 / h_i) with the reference's per-particle median bandwidth by
 * default; periodic coordinates and invariance under group actions are options. See
 * {@link rbfRepulsion} for the formulas and the edge rules.
 */
export function rbfKernel(options: RbfOptions = {}): ParticleKernel {
  checkRbfOptions(options);
  const bw = options.bandwidth ?? 'median';
  const label = typeof bw === 'function' ? 'h(sigma)' : String(bw);
  const extras = [options.period !== undefined ? 'periodic' : '', options.actions?.length ? `${options.actions.length} actions` : ''].filter(Boolean);
  return {
    name: `rbf(${[label, ...extras].join(', ')})`,
    evaluate: (x, context) => Promise.resolve(rbfRepulsion(x, context.sigma, options)),
  };
}

/**
 * A user pair kernel: returns k(a, b) at noise level `sigma` and, when `grad` is given, writes
 * grad_a k(a, b) into it (length of a row). `a` and `b` are flat float64 samples; do not keep them.
 */
export type PairKernelFunction = (a: Float64Array, b: Float64Array, sigma: number, grad?: Float64Array) => number;

/** Options of {@link userKernel}. */
export interface UserKernelOptions {
  /** Group actions for an invariant kernel: max (or min, `select: 'farthest'`) of k(x_i, A x_j) over A and the identity. */
  actions?: readonly GroupAction[];
  /** See {@link RbfOptions.select} (default `'nearest'`: the largest kernel value). */
  select?: ActionSelect;
  /** Name shown in errors and `ParticleKernel.name`. */
  name?: string;
}

/**
 * A particle-guidance kernel from a user function giving the value and gradient of k (thesis
 * Eq. 6.4 with any similarity kernel, e.g. the PFGM Green's function of Sec. 6.3.3). W[i, j] =
 * k(x_i, x_j) with the diagonal k(x_i, x_i); R_i = -sum_{j != i} grad_{x_i} k(x_i, x_j). With
 * `actions`, k'(x_i, x_j) = max over A of k(x_i, A x_j) (the invariant kernel of App. B.4.2), and
 * the gradient is that of the selected A. Costs n^2 calls of `k` per evaluation.
 */
export function userKernel(k: PairKernelFunction, options: UserKernelOptions = {}): ParticleKernel {
  if (typeof k !== 'function') throw new ValueError('kernel', k, 'a function (a, b, sigma, grad?) => number');
  checkRbfOptions({ actions: options.actions, select: options.select });
  const actions = options.actions ?? [];
  const farthest = options.select === 'farthest';
  const name = options.name ?? 'user';
  return {
    name,
    evaluate(x, context) {
      const n = x.rows;
      const d = x.rowSize;
      const X = Float64Array.from(x.data);
      const rows = Array.from({ length: n }, (_, j) => X.subarray(j * d, (j + 1) * d));
      const images = actions.map((act, a) =>
        rows.map((r, j) => {
          const img = act(r.slice());
          if (img.length !== d) throw new ShapeError(`actions[${a}](row ${j})`, `${d} values`, `${img.length} values`);
          return img;
        }),
      );
      const w = new Float64Array(n * n);
      const R = new Float64Array(n * d);
      const grad = new Float64Array(d);
      const value = (a: Float64Array, b: Float64Array, s: number, g?: Float64Array): number => {
        const v = k(a, b, s, g);
        if (!Number.isFinite(v)) throw new ValueError(`${name} kernel value`, v, 'a finite number');
        return v;
      };
      for (let i = 0; i < n; i++) {
        const s = context.sigma[i]!;
        for (let j = 0; j < n; j++) {
          if (j === i) {
            w[i * n + i] = value(rows[i]!, rows[i]!, s);
            continue;
          }
          let best = value(rows[i]!, rows[j]!, s);
          let arg: Float64Array = rows[j]!;
          for (const img of images) {
            const v = value(rows[i]!, img[j]!, s);
            if (farthest ? v < best : v > best) {
              best = v;
              arg = img[j]!;
            }
          }
          w[i * n + j] = best;
          grad.fill(0);
          value(rows[i]!, arg, s, grad);
          for (let q = 0; q < d; q++) {
            const g = grad[q]!;
            if (!Number.isFinite(g)) throw new ValueError(`${name} kernel gradient[${q}]`, g, 'a finite number');
            R[i * d + q]! -= g;
          }
        }
      }
      const repulsion = new Tensor(x.dtype === 'float64' ? R : Float32Array.from(R), x.shape);
      return Promise.resolve({ weights: { data: w, rows: n, cols: n }, repulsion });
    },
  };
}

/** Features of a batch: `[B, ...]` -> `[B, ...features]` (an `@phys/onnx` `FeatureExtractor` fits). */
export type FeatureMap = (x: Tensor) => Promise<Tensor>;

/** Vector-Jacobian product of a feature map: per row, J_f(x_i)^T v_i, shaped like `x`. */
export type FeatureVjp = (x: Tensor, cotangent: Tensor) => Promise<Tensor>;

/** Options of {@link featureKernel}. */
export interface FeatureKernelOptions {
  /** The feature map f (a user function, or `(await loadClassifier(file)).features` of @phys/onnx). */
  features: FeatureMap;
  /** J_f^T v; without it the gradient is taken by central finite differences (see `finiteDifference`). */
  vjp?: FeatureVjp;
  /** Where f is applied: `'denoised'` (default; the predicted x0 = D(x; sigma), as the reference) or `'x'`. */
  on?: 'denoised' | 'x';
  /** The RBF kernel on the features (default: per-particle median bandwidth). */
  kernel?: RbfOptions;
  /**
   * Central differences for J_f^T v when no `vjp` is given: per input coordinate q,
   * (f(u + s e_q) - f(u - s e_q)) . v / (2 s). `step` s defaults to 1e-3 (error O(s^2) plus the
   * feature map's rounding divided by s: suited to float32 models of inputs of order 1). All rows
   * and several coordinates go in one call, at most `maxRows` rows per call (default 1024), so
   * a sample of d values costs 2 d n / maxRows calls.
   */
  finiteDifference?: { step?: number; maxRows?: number };
}

function as2d(t: Tensor, rows: number, what: string): Tensor {
  if (!(t instanceof Tensor)) throw new ValueError(what, t, 'a Tensor');
  if (t.rows !== rows) throw new ShapeError(what, `${rows} rows`, formatShape(t.shape));
  return new Tensor(t.data instanceof Float64Array ? t.data : Float64Array.from(t.data), [rows, t.rowSize]);
}

/** J_f(u)^T v per row by central differences, batching coordinates up to `maxRows` rows per call. */
async function finiteDifferenceVjp(f: FeatureMap, u: Tensor, v: Tensor, step: number, maxRows: number): Promise<Tensor> {
  const n = u.rows;
  const d = u.rowSize;
  const F = v.rowSize;
  const U = Float64Array.from(u.data);
  const out = new Float64Array(n * d);
  const coordsPerCall = Math.max(1, floor(maxRows / (2 * n)));
  for (let q0 = 0; q0 < d; q0 += coordsPerCall) {
    const m = Math.min(coordsPerCall, d - q0);
    const batch = new Float64Array(2 * m * n * d);
    for (let c = 0; c < m; c++) {
      for (let sgn = 0; sgn < 2; sgn++) {
        const o = (2 * c + sgn) * n * d;
        batch.set(U, o);
        for (let i = 0; i < n; i++) batch[o + i * d + q0 + c]! += sgn === 0 ? step : -step;
      }
    }
    const input = new Tensor(u.dtype === 'float64' ? batch : Float32Array.from(batch), [2 * m * n, ...u.shape.slice(1)]);
    const fb = as2d(await f(input), 2 * m * n, 'features (finite differences)');
    if (fb.rowSize !== F) throw new ShapeError('features (finite differences)', `${F} features per row`, formatShape(fb.shape));
    const FB = fb.data;
    for (let c = 0; c < m; c++) {
      const plus = 2 * c * n * F;
      const minus = (2 * c + 1) * n * F;
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let k = 0; k < F; k++) s += (FB[plus + i * F + k]! - FB[minus + i * F + k]!) * v.data[i * F + k]!;
        out[i * d + q0 + c] = s / (2 * step);
      }
    }
  }
  return new Tensor(out, u.shape);
}

/**
 * The RBF kernel on features of the predicted clean samples (thesis App. B.4.2, "particle
 * guidance (feature)"; the reference's DINO variant): f_i = f(D(x_i; sigma)), W and the feature
 * repulsion R^f from {@link rbfRepulsion} on the f_i, carried back to x by the chain rule,
 * R_i = J_f(x0_i)^T R^f_i. As in the reference, the denoiser's noise prediction is held fixed, so
 * dx0/dx = I (EDM coordinates) and the thesis' gradient w.r.t. x0 is used as the gradient w.r.t. x.
 * With `vjp` the product is exact; otherwise central finite differences (2 d evaluations of f per
 * row, batched; see {@link FeatureKernelOptions.finiteDifference}).
 */
export function featureKernel(options: FeatureKernelOptions): ParticleKernel {
  const { features, vjp } = options;
  if (typeof features !== 'function') throw new ValueError('features', features, 'a function (x: Tensor) => Promise<Tensor>');
  if (vjp !== undefined && typeof vjp !== 'function') throw new ValueError('vjp', vjp, 'a function (x, cotangent) => Promise<Tensor>');
  const on = options.on ?? 'denoised';
  if (!['denoised', 'x'].includes(on)) throw new ValueError('on', on, "'denoised' or 'x'");
  const rbf = options.kernel ?? {};
  checkRbfOptions(rbf);
  const step = options.finiteDifference?.step ?? 1e-3;
  const maxRows = options.finiteDifference?.maxRows ?? 1024;
  if (!(step > 0 && Number.isFinite(step))) throw new ValueError('finiteDifference.step', step, 'a finite number > 0');
  if (!(Number.isInteger(maxRows) && maxRows >= 1)) throw new ValueError('finiteDifference.maxRows', maxRows, 'an integer >= 1');
  return {
    name: `feature(${vjp ? 'vjp' : 'finite differences'})`,
    async evaluate(x, context) {
      const n = x.rows;
      const input = on === 'x' ? x : context.denoised;
      const f = as2d(await features(input), n, 'features');
      const { weights, repulsion: rf, bandwidth } = rbfRepulsion(f, context.sigma, rbf);
      let r: Tensor;
      if (vjp) {
        r = await vjp(input, rf);
        if (!(r instanceof Tensor) || r.size !== x.size) throw new ShapeError('vjp output', formatShape(x.shape), r instanceof Tensor ? formatShape(r.shape) : typeof r);
      } else {
        r = await finiteDifferenceVjp(features, input, rf, step, maxRows);
      }
      const same = r.dtype === x.dtype && r.shape.length === x.shape.length && r.shape.every((v, k) => v === x.shape[k]);
      const repulsion = same ? r : new Tensor(x.dtype === 'float64' ? Float64Array.from(r.data) : Float32Array.from(r.data), x.shape);
      return { weights, repulsion, bandwidth };
    },
  };
}
