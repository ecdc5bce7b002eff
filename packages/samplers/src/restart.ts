// Restart sampling (thesis Ch. 5, Alg. 9; Xu et al. 2023), following the reference
// implementation Newbeeer/diffusion_restart_sampling benchmarks/generate_restart.py.
import { ValueError, type Denoiser, type Random, type Tensor } from '@phys/tensor';
import { edmKernel, type Kernel } from '@phys/kernels';
import { SamplerRun, checkInitial, checkNumber, checkRandom, validateSigmas } from './common.js';
import { churnHeunSolver, type OdeSolver } from './ode.js';
import type { SampleResult, SamplerOptions } from './types.js';

/** One Restart level (thesis Alg. 9 line 1): N_restart steps, K repetitions, interval [t_min, t_max]. */
export interface RestartLevel {
  /** N_restart: points of the inner EDM schedule, i.e. N_restart - 1 inner steps (the reference code; Alg. 9 writes N_restart). */
  readonly nRestart: number;
  /** K: number of Restart repetitions. */
  readonly k: number;
  /** t_min as configured (snapped to the nearest main level before use). */
  readonly tMin: number;
  /** t_max (not snapped). */
  readonly tMax: number;
}

/**
 * Restart levels in any accepted form: the reference's JSON string or object
 * `{"0": [N_restart, K, t_min, t_max], ...}`, an array of such quadruples, or {@link RestartLevel}s.
 */
export type RestartConfig =
  | string
  | Readonly<Record<string, readonly number[]>>
  | readonly (readonly number[] | RestartLevel)[];

function checkLevel(q: readonly number[], where: string): RestartLevel {
  if (q.length !== 4) throw new ValueError(where, q, '[N_restart, K, t_min, t_max]');
  const [nRestart, k, tMin, tMax] = q as [number, number, number, number];
  if (!(Number.isInteger(nRestart) && nRestart >= 2)) throw new ValueError(`${where}[0] (N_restart)`, nRestart, 'an integer >= 2');
  if (!(Number.isInteger(k) && k >= 0)) throw new ValueError(`${where}[1] (K)`, k, 'an integer >= 0');
  if (!(Number.isFinite(tMin) && tMin >= 0)) throw new ValueError(`${where}[2] (t_min)`, tMin, 'a finite noise level >= 0');
  if (!(Number.isFinite(tMax) && tMax > tMin)) throw new ValueError(`${where}[3] (t_max)`, tMax, `a finite noise level > t_min = ${tMin}`);
  return { nRestart, k, tMin, tMax };
}

/**
 * Parses a Restart configuration (see {@link RestartConfig}) into levels, in the configuration's
 * order (for an object, JavaScript's key order: integer keys ascending, as the reference's
 * `"0", "1", ...`). Throws {@link ValueError} naming the level for malformed entries.
 */
export function parseRestartConfig(config: RestartConfig): RestartLevel[] {
  let c: unknown = config;
  if (typeof c === 'string') {
    if (c.trim() === '') return [];
    try {
      c = JSON.parse(c);
    } catch {
      throw new ValueError('levels', config, 'a JSON object {"0": [N_restart, K, t_min, t_max], ...}');
    }
  }
  if (Array.isArray(c)) {
    return c.map((q: unknown, i) => {
      if (Array.isArray(q)) return checkLevel(q as number[], `levels[${i}]`);
      const l = q as Partial<RestartLevel>;
      return checkLevel([l.nRestart ?? NaN, l.k ?? NaN, l.tMin ?? NaN, l.tMax ?? NaN], `levels[${i}]`);
    });
  }
  if (typeof c === 'object' && c !== null) {
    return Object.entries(c as Record<string, unknown>).map(([key, q]) => {
      if (!Array.isArray(q)) throw new ValueError(`levels["${key}"]`, q, '[N_restart, K, t_min, t_max]');
      return checkLevel(q as number[], `levels["${key}"]`);
    });
  }
  throw new ValueError('levels', config, 'a Restart configuration (JSON string, object or array of levels)');
}

/** A level placed on the main schedule. */
export interface SnappedRestartLevel extends RestartLevel {
  /** Index i of the main level t_i that t_min snapped to; Restart runs after main step i - 1. */
  readonly index: number;
  /** The snapped t_min = t_index. */
  readonly tMinSnapped: number;
}

/**
 * Snaps each level's t_min to the nearest main level (thesis Alg. 9 line 2): argmin_i |t_i - t_min|,
 * first index on ties; a later level snapped to the same index replaces the earlier one (the
 * reference's dict). Levels snapped to index 0 never run. Returned in index order.
 */
export function snapRestartLevels(sigmas: ArrayLike<number>, levels: readonly RestartLevel[]): SnappedRestartLevel[] {
  const byIndex = new Map<number, SnappedRestartLevel>();
  for (const level of levels) {
    let best = 0;
    for (let i = 1; i < sigmas.length; i++) if (Math.abs(sigmas[i]! - level.tMin) < Math.abs(sigmas[best]! - level.tMin)) best = i;
    byIndex.set(best, { ...level, index: best, tMinSnapped: sigmas[best]! });
  }
  return [...byIndex.values()].sort((a, b) => a.index - b.index);
}

/**
 * The inner schedule of a Restart interval: EDM rho-schedule (thesis Alg. 8) of `n` points from
 * `tMax` down to `tMin` (no trailing 0), computed in float32 arithmetic as the reference does
 * (`torch.arange(dtype=torch.float)`), so the visited noise levels match it bit for bit.
 */
export function restartSchedule(tMin: number, tMax: number, n: number, rho = 7): Float64Array {
  if (!(Number.isInteger(n) && n >= 2)) throw new ValueError('n', n, 'an integer >= 2');
  const f = Math.fround;
  const a = tMax ** (1 / rho);
  const diff = f(tMin ** (1 / rho) - a);
  const fa = f(a);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = f(f(fa + f(f(i / (n - 1)) * diff)) ** rho);
  return out;
}

/**
 * NFE of a Restart run with Heun: 2 N_main - 1 + sum_levels K (2 (N_restart - 1)), minus K for a
 * level snapped to t = 0 (its last inner step is an Euler step). `sigmas` is the main schedule.
 */
export function restartNfe(sigmas: ArrayLike<number>, levels: RestartConfig): number {
  const s = validateSigmas(sigmas);
  const steps = s.length - 1;
  let nfe = s[steps] === 0 ? 2 * steps - 1 : 2 * steps;
  for (const l of snapRestartLevels(s, parseRestartConfig(levels))) {
    if (l.index === 0) continue;
    nfe += l.k * (2 * (l.nRestart - 1) - (l.tMinSnapped === 0 ? 1 : 0));
  }
  return nfe;
}

/** Options of {@link restartSample}. Defaults are those of the reference's published runs (hyperparam.py). */
export interface RestartOptions<C = unknown> extends SamplerOptions<C> {
  /** Restart levels, e.g. `'{"0": [3, 2, 0.14, 0.30]}'` or a preset's `levels`. */
  levels: RestartConfig;
  /** Noise source for the forward jumps and churn (a `PhiloxRng`, or a `ReplayRandom`). */
  rng: Random;
  /** Perturbation kernel whose `forward` makes the Restart forward jump (default `edmKernel()`; PFGM++ kernels work as is). */
  kernel?: Kernel;
  /** S_churn of the main backward process (default 0). */
  sChurn?: number;
  /** Churn only where S_min <= sigma <= S_max (default 0.01). */
  sMin?: number;
  /** Default 1. */
  sMax?: number;
  /** S_noise: scales the forward-jump noise and the churn noise (default 1; ImageNet 1.003). */
  sNoise?: number;
  /** EDM churn gamma inside Restart intervals, within [S_min, S_max] (default 0.05, the reference CLI's). */
  restartGamma?: number;
  /** rho of the inner EDM schedules (default 7). */
  rho?: number;
  /**
   * ODE solver for the main and inner backward processes. Default: Heun with EDM churn (the
   * reference). Another solver (Euler, RK45, DPM-Solver) runs without churn.
   */
  solver?: OdeSolver;
  /** Draw churn noise at every Heun step even where gamma = 0, as the reference does (to replay recorded noise). Default false. */
  noiseEveryStep?: boolean;
  /**
   * Largest number of denoiser evaluations the run may take ({@link restartNfe} with the default
   * solver), checked before the first call (default 100000, as RK45's `maxNfe`): a level such as
   * `[1e9, 1, 0.14, 0.3]` is refused at once instead of running until killed. Raise it to allow
   * longer runs (Infinity: no limit).
   */
  maxNfe?: number;
}

/**
 * Restart sampling (thesis Alg. 9). Runs the main backward process over `sigmas`; after the main
 * step that reaches a level's snapped t_min it repeats K times: a forward jump from t_min to t_max by
 * the kernel's own transition (`kernel.forward`, Gaussian x + sqrt(t_max^2 - t_min^2) S_noise eps
 * for EDM/VP, the N+D-dimensional move for PFGM++), then N_restart - 1 solver steps back to t_min
 * on an EDM rho-schedule (computed in float32, {@link restartSchedule}). Any number of levels.
 * The forward jump counts as a step for `onStep` and the trajectory.
 *
 * @param x x_T at `sigmas[0]` (e.g. `kernel.prior(shape, 80, rng)`); not modified.
 * @param sigmas Main schedule, strictly decreasing, usually `edmSchedule({ steps })` ending in 0.
 * @example
 * ```ts
 * import { restartSample, restartPresets } from '@phys/samplers';
 * import { edmSchedule, edmKernel } from '@phys/kernels';
 * const p = restartPresets['cifar10-edm'];
 * const { x, nfe } = await restartSample(denoiser, xT, edmSchedule({ steps: p.steps }), { ...p, rng });
 * ```
 */
export async function restartSample<C = unknown>(
  denoiser: Denoiser<C>,
  x0: Tensor,
  sigmas: ArrayLike<number>,
  options: RestartOptions<C>,
): Promise<SampleResult> {
  checkInitial(x0);
  const s = validateSigmas(sigmas);
  const rng = checkRandom(options.rng);
  const kernel = options.kernel ?? edmKernel();
  const sChurn = checkNumber(options.sChurn ?? 0, 'sChurn', 0);
  const sMin = checkNumber(options.sMin ?? 0.01, 'sMin', 0);
  const sMax = options.sMax ?? 1;
  if (!(sMax >= sMin)) checkNumber(sMax, 'sMax', sMin);
  const sNoise = checkNumber(options.sNoise ?? 1, 'sNoise', 0);
  const restartGamma = checkNumber(options.restartGamma ?? 0.05, 'restartGamma', 0);
  const rho = checkNumber(options.rho ?? 7, 'rho', Number.MIN_VALUE);
  const noiseEveryStep = options.noiseEveryStep ?? false;
  const levels = snapRestartLevels(s, parseRestartConfig(options.levels)).filter((l) => l.index > 0);
  const maxNfe = options.maxNfe ?? 100_000;
  if (!(maxNfe > 0) || (!Number.isInteger(maxNfe) && maxNfe !== Infinity)) throw new ValueError('maxNfe', maxNfe, 'a positive integer or Infinity');
  const nfe = restartNfe(s, levels);
  if (nfe > maxNfe) throw new ValueError('levels', options.levels, `levels that need at most maxNfe = ${maxNfe} denoiser evaluations (these need ${nfe}; raise maxNfe to allow it)`);
  for (const l of levels) {
    if (!(l.tMax > l.tMinSnapped)) {
      throw new ValueError(`levels (t_max of the level at t_min = ${l.tMin})`, l.tMax, `a value > the snapped t_min = ${l.tMinSnapped}`);
    }
  }

  const steps = s.length - 1;
  const gammaMain = Math.min(sChurn / steps, Math.SQRT2 - 1);
  const mainSolver =
    options.solver ??
    churnHeunSolver({ gamma: (t) => (sMin <= t && t <= sMax ? gammaMain : 0), sNoise, rng, noiseEveryStep });
  const innerSolver =
    options.solver ??
    churnHeunSolver({ gamma: (t) => (sMin <= t && t <= sMax ? restartGamma : 0), sNoise, rng, noiseEveryStep, round: Math.fround });

  const run = new SamplerRun(denoiser, options, x0, s[0]!);
  let x: Tensor = x0;
  /** Moves to the next state, releasing the previous one (solvers and the kernel's forward never modify their input). */
  const advance = (next: Tensor): void => {
    if (x !== x0 && x !== next) x.dispose();
    x = next;
  };
  let start = 0;
  for (const level of levels) {
    // Main backward process up to t_min (Alg. 9 lines 4-5).
    advance(await mainSolver.integrate(run, x, s.subarray(start, level.index + 1)));
    start = level.index;
    const inner = restartSchedule(level.tMinSnapped, level.tMax, level.nRestart, rho);
    for (let k = 0; k < level.k; k++) {
      // Restart forward process (Alg. 9 lines 10-11) by the kernel's transition, then backward (lines 12-15).
      run.checkAbort();
      advance(kernel.forward(x, inner[inner.length - 1]!, inner[0]!, rng, sNoise));
      run.step(x, inner[0]!);
      advance(await innerSolver.integrate(run, x, inner));
    }
  }
  if (start < steps) advance(await mainSolver.integrate(run, x, s.subarray(start)));
  return x === x0 ? run.result(x0.clone()) : run.finish(x);
}
