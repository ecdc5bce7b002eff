import { ShapeError, ValueError, assertInteger, formatShape, getBackend, type Denoiser, type Tensor } from '@phys/tensor';
import { exactWasserstein } from './wasserstein.js';
import { rowsOf, sameRowSize } from './util.js';

/** A {@link Denoiser} wrapped to count its evaluations. */
export interface CountingDenoiser<C> {
  /** Pass this to the sampler. */
  readonly denoiser: Denoiser<C>;
  /** Number of function evaluations (calls; one call evaluates a whole batch): the NFE. */
  readonly nfe: number;
  /** Rows evaluated over all calls (NFE x batch when every call sees the full batch). */
  readonly rowEvaluations: number;
  /** The noise levels of every call, in order (the first row's sigma of each call). */
  readonly sigmas: readonly number[];
  /** Sets the counters back to zero. */
  reset(): void;
}

/**
 * NFE accounting: wraps `denoiser` so that every call is counted. NFE is the number of network
 * evaluations per sample, i.e. the number of calls when each call evaluates the whole batch.
 */
export function countEvaluations<C>(denoiser: Denoiser<C>): CountingDenoiser<C> {
  let nfe = 0;
  let rows = 0;
  const sigmas: number[] = [];
  const wrapped: Denoiser<C> = (x, sigma, cond) => {
    nfe++;
    rows += x.rows;
    sigmas.push(sigma[0] ?? Number.NaN);
    return denoiser(x, sigma, cond);
  };
  return {
    denoiser: wrapped,
    get nfe() {
      return nfe;
    },
    get rowEvaluations() {
      return rows;
    },
    sigmas,
    reset() {
      nfe = 0;
      rows = 0;
      sigmas.length = 0;
    },
  };
}

/** Result of {@link modeCoverage}. */
export interface ModeCoverage {
  /** Modes with at least `minCount` samples assigned. */
  readonly covered: number;
  /** Samples assigned to each mode (nearest center, within `radius`). */
  readonly counts: Int32Array;
  /** Samples farther than `radius` from every center. */
  readonly unassigned: number;
}

/**
 * Mode-coverage count for a mixture: each sample goes to its nearest mode center, and only when it
 * lies within `radius` of it (default: no limit); a mode is covered when it received at least
 * `minCount` samples (default 1). This is the "number of modes recovered" of the thesis' 2-D mixture
 * experiment for particle guidance (App. B.4.2, Fig. B.20; Table A.1), whose modes are disjoint bins.
 */
export function modeCoverage(samples: Tensor, centers: Tensor, options: { radius?: number; minCount?: number } = {}): ModeCoverage {
  const radius = options.radius ?? Infinity;
  const minCount = options.minCount ?? 1;
  if (!(radius > 0)) throw new ValueError('radius', radius, 'a number > 0');
  assertInteger(minCount, 'minCount', 1);
  const [n] = rowsOf(samples, 'samples');
  const [k] = rowsOf(centers, 'centers');
  sameRowSize(centers, samples, 'centers', 'samples');
  const d2 = getBackend().pairwiseSqDist(samples, centers).data;
  const r2 = radius * radius;
  const counts = new Int32Array(k);
  let unassigned = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (d2[i * k + j]! < d2[i * k + best]!) best = j;
    if (d2[i * k + best]! <= r2) counts[best]!++;
    else unassigned++;
  }
  let covered = 0;
  for (let j = 0; j < k; j++) if (counts[j]! >= minCount) covered++;
  return { covered, counts, unassigned };
}

/**
 * Expected number of distinct modes hit by `samples` i.i.d. draws from `modes` equiprobable modes:
 * N (1 - ((N - 1)/N)^x) (thesis App. A.3.6, Fig. B.18). The optimum is min(x, N).
 */
export function expectedModesIid(modes: number, samples: number): number {
  assertInteger(modes, 'modes', 1);
  assertInteger(samples, 'samples', 0);
  return modes * -Math.expm1(samples * Math.log1p(-1 / modes));
}

/** The three W1 errors of thesis Sec. 5.4.1 (Theorem 4 and Fig. 5.2). */
export interface RestartErrorDecomposition {
  /** W1(p_0^Sampler, p_0): generated versus data. */
  readonly total: number;
  /** W1(p_0^Sampler, q_0^Sampler): generated versus the same sampler started from the true p_{t_max}. */
  readonly contracted: number;
  /** W1(q_0^Sampler, p_0): the auxiliary run versus data. */
  readonly additional: number;
}

/**
 * Restart error decomposition of thesis Sec. 5.4.1: total error W1(p, data), contracted error
 * W1(p, q) and additional sampling error W1(q, data), where `generated` ~ p_0^Sampler is the
 * sampler's output, `auxiliary` ~ q_0^Sampler is the same sampler (same noise) started at t_max
 * from the true marginal p_{t_max}, and `data` ~ p_0. Each W1 is exact (minimum weight matching,
 * App. B.3.2), so the three sets must have equal sizes. total <= contracted + additional holds
 * (triangle inequality).
 */
export function restartErrorDecomposition(sets: { generated: Tensor; auxiliary: Tensor; data: Tensor }): RestartErrorDecomposition {
  const { generated, auxiliary, data } = sets;
  for (const [name, t] of [
    ['auxiliary', auxiliary],
    ['data', data],
  ] as const) {
    if (t.rows !== generated.rows || t.rowSize !== generated.rowSize) {
      throw new ShapeError(name, `${formatShape(generated.shape)} (like generated)`, formatShape(t.shape));
    }
  }
  return {
    total: exactWasserstein(generated, data).distance,
    contracted: exactWasserstein(generated, auxiliary).distance,
    additional: exactWasserstein(auxiliary, data).distance,
  };
}

/**
 * Pareto frontier as the thesis draws it (App. B.3.2): sort points by `x` and keep those whose `y`
 * is a strict prefix minimum. Returns indices into `points`, in frontier order.
 */
export function paretoFrontier(points: readonly { readonly x: number; readonly y: number }[]): number[] {
  const order = points.map((_, i) => i).sort((a, b) => points[a]!.x - points[b]!.x || points[a]!.y - points[b]!.y);
  const out: number[] = [];
  let best = Infinity;
  for (const i of order) {
    if (points[i]!.y < best) {
      best = points[i]!.y;
      out.push(i);
    }
  }
  return out;
}
