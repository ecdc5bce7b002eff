// Shared machinery of every sampler: schedule validation, the checked denoiser call (NFE count,
// abort raced against the pending call, errors wrapped with the step and sigma, shape/NaN checks),
// onStep and trajectory recording.
import {
  PhysError,
  Tensor,
  ValueError,
  checkSignal,
  firstNonFinite,
  formatShape,
  getBackend,
  raceAbort,
  throwIfAborted,
  type Denoiser,
  type Random,
} from '@phys/tensor';
import type { SampleResult, SamplerOptions } from './types.js';

/** What is wrong with a sigma schedule. */
export type ScheduleProblem = 'empty' | 'too-short' | 'non-finite' | 'negative' | 'not-decreasing';

/**
 * A sigma schedule is unusable: empty or shorter than two levels, non-finite, negative, or not
 * strictly decreasing. `index` is the first offending position (-1 for length problems).
 */
export class ScheduleError extends ValueError {
  override name = 'ScheduleError';
  constructor(
    argument: string,
    readonly problem: ScheduleProblem,
    readonly index: number,
    value: unknown,
    expected: string,
  ) {
    super(argument, value, expected);
  }
}

/** What is wrong with a denoiser's output. */
export type DenoiserProblem = 'not-a-tensor' | 'shape' | 'non-finite';

/**
 * The denoiser returned something unusable (not a tensor, the wrong shape, NaN or Infinity). The
 * message names the sampler step (0-based, counted like `onStep`) and the noise level of the call.
 */
export class DenoiserOutputError extends PhysError {
  override name = 'DenoiserOutputError';
  constructor(
    readonly problem: DenoiserProblem,
    readonly step: number,
    readonly sigma: number,
    readonly detail: string,
  ) {
    super(`denoiser output at step ${step} (sigma = ${sigma}): ${detail}`);
  }
}

/**
 * The model (denoiser, PFGM field, ODE right-hand side) threw or rejected. Names the sampler step
 * (0-based, counted like `onStep`) and the noise level of the call; the original error is `cause`.
 */
export class DenoiserError extends PhysError {
  override name = 'DenoiserError';
  constructor(
    readonly step: number,
    readonly sigma: number,
    cause: unknown,
    what = 'denoiser',
    level = 'sigma',
  ) {
    super(`${what} failed at step ${step} (${level} = ${sigma}): ${cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)}`, { cause });
  }
}

/**
 * Calls `model()` and races it against `signal` (see `raceAbort` of @phys/tensor): an abort rejects
 * at once with the signal's reason even while the call is pending. An error of the call itself is
 * wrapped in {@link DenoiserError} naming `step` and `sigma` (kept as `cause`), unless the signal
 * was aborted meanwhile (then the signal's reason). Throws before calling if already aborted.
 */
export async function callModel<T>(model: () => T | PromiseLike<T>, signal: AbortSignal | undefined, step: number, sigma: number, what = 'denoiser', level = 'sigma'): Promise<T> {
  throwIfAborted(signal);
  let work: PromiseLike<T> | T;
  try {
    work = model();
  } catch (e) {
    throw new DenoiserError(step, sigma, e, what, level);
  }
  try {
    return await raceAbort(work, signal);
  } catch (e) {
    throwIfAborted(signal);
    throw new DenoiserError(step, sigma, e, what, level);
  }
}

/** Options of {@link validateSigmas}. */
export interface ValidateSigmasOptions {
  /** Minimum number of levels (default 2: one step). */
  minLength?: number;
  /** Whether the final level may be 0 (default true; only the last one can be, by monotonicity). */
  allowFinalZero?: boolean;
}

/**
 * Checks a noise-level schedule and returns it as a fresh Float64Array: at least `minLength`
 * finite, non-negative, strictly decreasing values (a trailing 0 allowed). Throws
 * {@link ScheduleError} naming `argument`, the offending index and value.
 */
export function validateSigmas(sigmas: ArrayLike<number>, argument = 'sigmas', options: ValidateSigmasOptions = {}): Float64Array {
  const minLength = options.minLength ?? 2;
  const allowFinalZero = options.allowFinalZero ?? true;
  if (sigmas.length === 0) throw new ScheduleError(argument, 'empty', -1, [], `a non-empty list of noise levels`);
  if (sigmas.length < minLength) {
    throw new ScheduleError(argument, 'too-short', -1, Array.from(sigmas), `at least ${minLength} noise levels`);
  }
  const s = Float64Array.from(sigmas);
  for (let i = 0; i < s.length; i++) {
    const v = s[i]!;
    if (!Number.isFinite(v)) throw new ScheduleError(`${argument}[${i}]`, 'non-finite', i, v, 'a finite noise level');
    if (v < 0) throw new ScheduleError(`${argument}[${i}]`, 'negative', i, v, 'a noise level >= 0');
    if (v === 0 && !(allowFinalZero && i === s.length - 1)) {
      throw new ScheduleError(`${argument}[${i}]`, 'negative', i, v, allowFinalZero ? 'a noise level > 0 (only the last may be 0)' : 'a noise level > 0');
    }
    if (i > 0 && !(v < s[i - 1]!)) {
      throw new ScheduleError(`${argument}[${i}]`, 'not-decreasing', i, v, `a value < ${argument}[${i - 1}] = ${s[i - 1]!} (strictly decreasing)`);
    }
  }
  return s;
}

/** Throws {@link ValueError} unless `x` is a batch tensor with at least one row and finite values. */
export function checkInitial(x: unknown, argument = 'x'): Tensor {
  if (!(x instanceof Tensor)) throw new ValueError(argument, x, 'a Tensor');
  if (x.rows === 0) throw new ValueError(`${argument}.shape`, x.shape, 'at least one row');
  const i = firstNonFinite(x.data);
  if (i >= 0) throw new ValueError(`${argument}[${i}]`, x.data[i], 'a finite value');
  return x;
}

/** Throws {@link ValueError} unless `rng` looks like a {@link Random} (stochastic samplers need one). */
export function checkRandom(rng: unknown, argument = 'rng'): Random {
  if (typeof rng !== 'object' || rng === null || typeof (rng as Partial<Random>).normal !== 'function') {
    throw new ValueError(argument, rng, 'a Random (e.g. new PhiloxRng(seed) or a ReplayRandom)');
  }
  return rng as Random;
}

/** Throws {@link ValueError} unless `value` is a finite number >= `min`. */
export function checkNumber(value: unknown, argument: string, min = -Infinity, max = Infinity): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    const range = max === Infinity ? (min === -Infinity ? 'a finite number' : `a finite number >= ${min}`) : `a number in [${min}, ${max}]`;
    throw new ValueError(argument, value, range);
  }
  return value;
}

/**
 * Standard normals shaped like `like` from `rng`: into a tensor from the backend's `zeros` (resident
 * on WasmBackend, so the noise is neither copied out nor back in) when the generator can fill a
 * given tensor, else its `normal`. The caller disposes it after use.
 */
export function drawNormal(rng: Random, like: Tensor): Tensor {
  return rng.normalInto ? rng.normalInto(getBackend().zeros(like.shape, like.dtype)) : rng.normal(like.shape, like.dtype);
}

/** A plain tensor holding the values of `x` (which may live in a backend's own memory). */
function plainCopy(x: Tensor): Tensor {
  return new Tensor(x.readData().slice(), x.shape);
}

/**
 * One sampler run: calls the denoiser (counting NFE, honouring the AbortSignal, checking the
 * output), reports progress through `onStep` and records the trajectory on request. Samplers and
 * ODE solvers share one `SamplerRun`, so Restart's inner solves count into the same NFE and steps.
 */
export class SamplerRun<C = unknown> {
  /** Denoiser evaluations so far. */
  nfe = 0;
  /** Steps finished so far (the index the next `step()` call reports). */
  steps = 0;
  private readonly trajectory: Tensor[] | undefined;
  private readonly trajectorySigmas: number[] | undefined;

  constructor(
    readonly denoiser: Denoiser<C>,
    readonly options: SamplerOptions<C>,
    private readonly x0: Tensor,
    sigma0: number,
  ) {
    if (typeof denoiser !== 'function') throw new ValueError('denoiser', denoiser, 'an async function (x, sigma, cond) => Tensor');
    if (options.onStep !== undefined && typeof options.onStep !== 'function') throw new ValueError('onStep', options.onStep, 'a function');
    checkSignal(options.signal, 'signal');
    if (options.trajectory) {
      this.trajectory = [plainCopy(x0)];
      this.trajectorySigmas = [sigma0];
    }
  }

  /** Throws the signal's reason if the run was aborted. */
  checkAbort(): void {
    throwIfAborted(this.options.signal);
  }

  /**
   * D(x; sigma) for every row (`sigma` a scalar or one level per row), counted as one NFE. The
   * pending call races the abort signal (rejecting with its reason at once on `abort()`); an error
   * of the denoiser becomes {@link DenoiserError} and a bad output {@link DenoiserOutputError},
   * both naming the current step and sigma.
   */
  async denoise(x: Tensor, sigma: number | Float64Array): Promise<Tensor> {
    const sigmas = typeof sigma === 'number' ? new Float64Array(x.rows).fill(sigma) : sigma;
    const sigmaShown = sigmas[0] ?? NaN;
    const out: unknown = await callModel(() => this.denoiser(x, sigmas, this.options.cond), this.options.signal, this.steps, sigmaShown);
    this.nfe++;
    if (!(out instanceof Tensor)) {
      throw new DenoiserOutputError('not-a-tensor', this.steps, sigmaShown, `expected a Tensor, got ${out === null ? 'null' : typeof out}`);
    }
    if (out.shape.length !== x.shape.length || out.shape.some((d, i) => d !== x.shape[i])) {
      throw new DenoiserOutputError('shape', this.steps, sigmaShown, `expected shape ${formatShape(x.shape)}, found ${formatShape(out.shape)}`);
    }
    const bad = getBackend().firstNonFinite(out);
    if (bad >= 0) {
      const row = Math.floor(bad / out.rowSize);
      throw new DenoiserOutputError('non-finite', this.steps, sigmas[row] ?? sigmaShown, `${String(out.data[bad])} at flat index ${bad} (row ${row})`);
    }
    return out;
  }

  /** Marks a finished step that reached `x` at noise level `sigma`: records it and calls `onStep`. */
  step(x: Tensor, sigma: number): void {
    if (this.trajectory) {
      this.trajectory.push(plainCopy(x));
      this.trajectorySigmas!.push(sigma);
    }
    const step = this.steps++;
    this.options.onStep?.({ step, sigma, nfe: this.nfe });
  }

  /**
   * The result for a final state that the sampler (or its solver) allocated with the backend's
   * `clone`/`zeros`: one in a backend's own memory (resident) is handed back as a plain copy and
   * released, so results are plain tensors on every backend and nothing the run allocated
   * outlives it. The initial state itself is returned as is.
   */
  finish(x: Tensor): SampleResult {
    if (x === this.x0 || Object.getPrototypeOf(x) === Tensor.prototype) return this.result(x);
    const plain = plainCopy(x);
    x.dispose();
    return this.result(plain);
  }

  /** The sampler's result for final state `x`. */
  result(x: Tensor): SampleResult {
    if (this.trajectory) return { x, nfe: this.nfe, trajectory: this.trajectory, trajectorySigmas: this.trajectorySigmas! };
    return { x, nfe: this.nfe };
  }
}
