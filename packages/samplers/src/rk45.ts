import { PhysError, Tensor, ValueError, assertPositive, checkSignal, firstNonFinite, getBackend, raceAbort, throwIfAborted, type Denoiser } from '@phys/tensor';
import { SamplerRun, checkInitial, checkNumber } from './common.js';
import type { OdeSolver } from './ode.js';
import type { SampleResult, SamplerOptions } from './types.js';

/**
 * The right-hand side of an ODE system dy/dt = f(t, y) whose state is a list of batch-first
 * tensors (e.g. `[x]`, or `[x, z]` for PFGM, or `[x, logp]` for likelihoods). Returns one
 * derivative tensor per state tensor, same shapes.
 */
export type OdeFunction = (t: number, y: readonly Tensor[]) => Promise<readonly Tensor[]>;

/** What `onStep` of {@link integrateRk45} receives after each accepted step. */
export interface Rk45StepInfo {
  /** 0-based index of the accepted step. */
  readonly step: number;
  /** Time reached by the step. */
  readonly t: number;
  /** Size of the accepted step (signed). */
  readonly h: number;
  /** Evaluations of `f` so far. */
  readonly nfe: number;
  /** The state reached (do not modify). */
  readonly y: readonly Tensor[];
}

/** Options of {@link integrateRk45} (scipy `solve_ivp(method='RK45')` semantics). */
export interface Rk45Options {
  /** Relative tolerance (scipy default 1e-3). */
  rtol?: number;
  /** Absolute tolerance (scipy default 1e-6). */
  atol?: number;
  /** Largest allowed |h| (default Infinity). */
  maxStep?: number;
  /** Initial |h|; chosen by scipy's `select_initial_step` rule when omitted. */
  firstStep?: number;
  /** Evaluations of `f` after which the run fails with {@link IntegrationError} (default 100000). */
  maxNfe?: number;
  /** Cancels the run, even during a pending evaluation; rejects at once with the signal's reason. */
  signal?: AbortSignal;
  /** Called after every accepted step. */
  onStep?: (info: Rk45StepInfo) => void;
  /** Keep the state after every accepted step (starting with `y0`). */
  trajectory?: boolean;
}

/** What {@link integrateRk45} returns. */
export interface Rk45Result {
  /** State at `t1`. */
  readonly y: Tensor[];
  /** Evaluations of `f` (scipy's `nfev`: 2 + 6 per attempted step). */
  readonly nfe: number;
  /** Accepted steps. */
  readonly steps: number;
  /** Rejected step attempts. */
  readonly rejected: number;
  /** Times of the trajectory entries (t0, then each accepted step), when requested. */
  readonly ts?: number[];
  /** State after each accepted step, starting with `y0`, when requested. */
  readonly trajectory?: Tensor[][];
}

/** An adaptive integration could not finish (step size underflow, evaluation budget exhausted). */
export class IntegrationError extends PhysError {
  override name = 'IntegrationError';
  constructor(
    message: string,
    /** Time reached when the run stopped. */
    readonly t: number,
    /** Evaluations spent. */
    readonly nfe: number,
  ) {
    super(message);
  }
}

// Dormand-Prince 5(4) tableau (Dormand & Prince 1980; scipy.integrate.RK45).
const C = [0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1] as const;
const A: readonly (readonly number[])[] = [
  [],
  [1 / 5],
  [3 / 40, 9 / 40],
  [44 / 45, -56 / 15, 32 / 9],
  [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729],
  [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656],
];
const B = [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84] as const;
// Error weights: difference of the 5th- and embedded 4th-order solutions, incl. the FSAL stage.
const E = [-71 / 57600, 0, 71 / 16695, -71 / 1920, 17253 / 339200, -22 / 525, 1 / 40] as const;
const ERROR_ORDER = 4;
const ERROR_EXPONENT = -1 / (ERROR_ORDER + 1);
const SAFETY = 0.9;
const MIN_FACTOR = 0.2;
const MAX_FACTOR = 10;

const f64 = new Float64Array(1);
const i64 = new BigInt64Array(f64.buffer);

/** The neighbour of `t` towards `+Infinity` (direction > 0) or `-Infinity` (C `nextafter`). */
function nextAfter(t: number, direction: number): number {
  if (t === 0) return direction > 0 ? Number.MIN_VALUE : -Number.MIN_VALUE;
  f64[0] = t;
  i64[0] = i64[0]! + ((t > 0) === (direction > 0) ? 1n : -1n);
  return f64[0];
}

/**
 * scipy's RMS norm over every component of every tensor: sqrt(mean((v / scale)^2)) with
 * scale = atol + max(|a|, |b|) * rtol (`b` defaults to `a`), in one pass without temporaries.
 */
function rmsNorm(v: readonly Tensor[], a: readonly Tensor[], b: readonly Tensor[], rtol: number, atol: number): number {
  let s = 0;
  let n = 0;
  for (let k = 0; k < v.length; k++) {
    const vd = v[k]!.data;
    const ad = a[k]!.data;
    const bd = b[k]!.data;
    for (let j = 0; j < vd.length; j++) {
      const q = vd[j]! / (atol + Math.max(Math.abs(ad[j]!), Math.abs(bd[j]!)) * rtol);
      s += q * q;
    }
    n += vd.length;
  }
  return Math.sqrt(s / n);
}

function checkDerivatives(dy: readonly Tensor[], y: readonly Tensor[], t: number): void {
  if (dy.length !== y.length) throw new ValueError('f(t, y)', `${dy.length} tensors`, `${y.length} derivative tensors (one per state tensor) at t = ${t}`);
  dy.forEach((d, k) => {
    const s = y[k]!.shape;
    if (d.shape.length !== s.length || d.shape.some((v, i) => v !== s[i])) {
      throw new ValueError(`f(t, y)[${k}]`, `shape [${d.shape.join(', ')}]`, `shape [${s.join(', ')}] at t = ${t}`);
    }
  });
}

/**
 * Integrates dy/dt = f(t, y) from `t0` to `t1` (either direction) with the Dormand-Prince 5(4)
 * pair, exactly as scipy's `solve_ivp(method='RK45')` does: the same initial-step selection
 * (Hairer, Norsett & Wanner, Sec. II.4), error norm (RMS of err / (atol + max(|y|, |y_new|)*rtol)
 * over all components of the whole batch, so the batch shares one step size), step-size factors
 * (safety 0.9, within [0.2, 10], no growth right after a rejection) and FSAL evaluation count.
 * The PFGM paper samples with this solver (rtol = atol = 1e-4).
 */
export async function integrateRk45(f: OdeFunction, t0: number, t1: number, y0: readonly Tensor[], options: Rk45Options = {}): Promise<Rk45Result> {
  const { rtol = 1e-3, atol = 1e-6, maxStep = Infinity, maxNfe = 100_000, signal, onStep } = options;
  if (typeof f !== 'function') throw new ValueError('f', f, 'a function (t, y) => derivatives');
  checkSignal(signal, 'signal');
  if (!Number.isFinite(t0)) throw new ValueError('t0', t0, 'a finite number');
  if (!Number.isFinite(t1)) throw new ValueError('t1', t1, 'a finite number');
  if (y0.length === 0) throw new ValueError('y0', y0, 'at least one state tensor');
  if (!(Number.isFinite(rtol) && rtol > 0)) throw new ValueError('rtol', rtol, 'a finite number > 0');
  if (!(Number.isFinite(atol) && atol >= 0)) throw new ValueError('atol', atol, 'a finite number >= 0');
  if (!(maxStep > 0)) throw new ValueError('maxStep', maxStep, 'a number > 0');
  if (!(Number.isInteger(maxNfe) && maxNfe > 0) && maxNfe !== Infinity) throw new ValueError('maxNfe', maxNfe, 'a positive integer or Infinity');
  if (options.firstStep !== undefined) assertPositive(options.firstStep, 'firstStep');
  for (const [k, t] of y0.entries()) {
    const j = firstNonFinite(t.data);
    if (j >= 0) throw new ValueError(`y0[${k}]`, t.data[j], `finite values (flat index ${j})`);
  }

  const be = getBackend();
  let y = y0.map((t) => t.clone());
  const trajectory = options.trajectory ? [y.map((t) => t.clone())] : undefined;
  const ts = options.trajectory ? [t0] : undefined;
  if (t0 === t1) return { y, nfe: 0, steps: 0, rejected: 0, ...(trajectory && { trajectory, ts }) };

  let nfe = 0;
  let t = t0;
  const eval_ = async (tt: number, yy: readonly Tensor[]): Promise<readonly Tensor[]> => {
    throwIfAborted(signal);
    if (nfe >= maxNfe) throw new IntegrationError(`RK45 stopped at t = ${t} after ${nfe} evaluations (maxNfe = ${maxNfe})`, t, nfe);
    nfe++;
    // Raced against the signal; errors of f pass unchanged (rk45Sample's f wraps its denoiser calls).
    const dy = await raceAbort(f(tt, yy), signal);
    checkDerivatives(dy, yy, tt);
    return dy;
  };

  const direction = Math.sign(t1 - t0);
  const interval = Math.abs(t1 - t0);
  let fCur = await eval_(t, y);

  // scipy select_initial_step (Hairer, Norsett & Wanner, Sec. II.4), clamped to the interval.
  let hAbs: number;
  if (options.firstStep !== undefined) {
    hAbs = Math.min(options.firstStep, interval);
  } else {
    const d0 = rmsNorm(y, y, y, rtol, atol);
    const d1 = rmsNorm(fCur, y, y, rtol, atol);
    let h0 = d0 < 1e-5 || d1 < 1e-5 ? 1e-6 : (0.01 * d0) / d1;
    h0 = Math.min(h0, interval);
    const y1 = y.map((yt, k) => be.axpby(1, yt, h0 * direction, fCur[k]!));
    const f1 = await eval_(t + h0 * direction, y1);
    const diff = f1.map((ft, k) => be.axpby(1, ft, -1, fCur[k]!));
    const d2 = rmsNorm(diff, y, y, rtol, atol) / h0;
    const h1 = d1 <= 1e-15 && d2 <= 1e-15 ? Math.max(1e-6, h0 * 1e-3) : (0.01 / Math.max(d1, d2)) ** (1 / (ERROR_ORDER + 1));
    hAbs = Math.min(100 * h0, h1, interval, maxStep);
  }

  let steps = 0;
  let rejected = 0;
  const K: (readonly Tensor[])[] = new Array<readonly Tensor[]>(7);
  while (direction * (t1 - t) > 0) {
    const tPrev = t;
    const minStep = 10 * Math.abs(nextAfter(t, direction) - t);
    hAbs = Math.min(Math.max(hAbs, minStep), maxStep);
    let stepRejected = false;
    for (;;) {
      if (hAbs < minStep) {
        throw new IntegrationError(`RK45: required step size at t = ${t} is below the spacing of floating-point numbers`, t, nfe);
      }
      let tNew = t + hAbs * direction;
      if (direction * (tNew - t1) > 0) tNew = t1;
      const h = tNew - t;
      hAbs = Math.abs(h);

      // Dormand-Prince stages (scipy rk_step); K[6] is f at the new point (FSAL).
      K[0] = fCur;
      for (let s = 1; s < 6; s++) {
        const a = A[s]!;
        const ys = y.map((yt, k) => be.lincomb([[1, yt], ...a.map((aj, j) => [h * aj, K[j]![k]!] as const)]));
        K[s] = await eval_(t + C[s]! * h, ys);
      }
      const yNew = y.map((yt, k) => be.lincomb([[1, yt], ...B.map((bj, j) => [h * bj, K[j]![k]!] as const).filter(([c]) => c !== 0)]));
      K[6] = await eval_(tNew, yNew);

      const err = y.map((_, k) => be.lincomb(E.map((ej, j) => [h * ej, K[j]![k]!] as const).filter(([c]) => c !== 0)));
      const errorNorm = rmsNorm(err, y, yNew, rtol, atol);
      if (Number.isNaN(errorNorm)) {
        throw new IntegrationError(`RK45: non-finite state or derivative in the step from t = ${t} to ${tNew}`, t, nfe);
      }
      if (errorNorm < 1) {
        let factor = errorNorm === 0 ? MAX_FACTOR : Math.min(MAX_FACTOR, SAFETY * errorNorm ** ERROR_EXPONENT);
        if (stepRejected) factor = Math.min(1, factor);
        hAbs *= factor;
        y = yNew;
        fCur = K[6];
        t = tNew;
        break;
      }
      hAbs *= Math.max(MIN_FACTOR, SAFETY * errorNorm ** ERROR_EXPONENT);
      stepRejected = true;
      rejected++;
    }
    if (trajectory) {
      trajectory.push(y.map((yt) => yt.clone()));
      ts!.push(t);
    }
    onStep?.({ step: steps, t, h: t - tPrev, nfe, y });
    steps++;
  }
  return { y, nfe, steps, rejected, ...(trajectory && { trajectory, ts }) };
}

/** Options of {@link rk45Sample}. */
export interface Rk45SampleOptions<C = unknown> extends SamplerOptions<C> {
  /** Noise level of the initial `x` (the ODE starts here). */
  sigmaMax: number;
  /** Noise level where the ODE stops (> 0: the drift divides by sigma). */
  sigmaMin: number;
  /** Relative tolerance (default 1e-5, as score_sde's RK45 sampler). */
  rtol?: number;
  /** Absolute tolerance (default 1e-5). */
  atol?: number;
  /** Largest allowed step in sigma. */
  maxStep?: number;
  /** Initial step in sigma (scipy's rule when omitted). */
  firstStep?: number;
  /** Denoiser evaluations after which the run fails with {@link IntegrationError} (default 100000). */
  maxNfe?: number;
  /** After reaching `sigmaMin`, return D(x; sigmaMin) (one more NFE), as score_sde's `denoise`. */
  denoise?: boolean;
}

/**
 * Samples by integrating the probability-flow ODE dx/dsigma = (x - D(x; sigma))/sigma (thesis
 * Sec. 2.2: dx = -sigma' sigma grad log p dt after Eq. 2.6, with sigma(t) = t and the score
 * (D - x)/sigma^2) from `sigmaMax` down to `sigmaMin` with adaptive RK45
 * ({@link integrateRk45}). `x` is the prior sample at `sigmaMax`. Each accepted step is one
 * `onStep`; NFE counts every denoiser call (6 per attempted step, plus 2 to start).
 */
export async function rk45Sample<C = unknown>(denoiser: Denoiser<C>, x: Tensor, options: Rk45SampleOptions<C>): Promise<SampleResult> {
  checkInitial(x);
  const sigmaMax = checkNumber(options.sigmaMax, 'sigmaMax');
  const sigmaMin = checkNumber(options.sigmaMin, 'sigmaMin');
  if (!(sigmaMin > 0)) throw new ValueError('sigmaMin', sigmaMin, 'a noise level > 0 (the ODE divides by sigma)');
  if (!(sigmaMax > sigmaMin)) throw new ValueError('sigmaMax', sigmaMax, `a noise level > sigmaMin = ${sigmaMin}`);
  const run = new SamplerRun(denoiser, options, x, sigmaMax);
  const { maxStep, firstStep, maxNfe } = options;
  let out = await integratePfOde(run, x, sigmaMax, sigmaMin, {
    rtol: options.rtol ?? 1e-5,
    atol: options.atol ?? 1e-5,
    ...(maxStep !== undefined && { maxStep }),
    ...(firstStep !== undefined && { firstStep }),
    ...(maxNfe !== undefined && { maxNfe }),
  });
  if (options.denoise) {
    out = await run.denoise(out, sigmaMin);
    run.step(out, 0);
  }
  return run.result(out);
}

/** Adaptive RK45 on the PF-ODE through a shared run; each accepted step is one `run.step`. */
async function integratePfOde<C>(run: SamplerRun<C>, x: Tensor, sigmaFrom: number, sigmaTo: number, options: Rk45SolverOptions): Promise<Tensor> {
  const be = getBackend();
  const f: OdeFunction = async (sigma, [xs]) => {
    const d = await run.denoise(xs!, sigma);
    return [be.axpby(1 / sigma, xs!, -1 / sigma, d)];
  };
  const { rtol, atol, maxStep, firstStep, maxNfe } = options;
  const res = await integrateRk45(f, sigmaFrom, sigmaTo, [x], {
    ...(rtol !== undefined && { rtol }),
    ...(atol !== undefined && { atol }),
    ...(maxStep !== undefined && { maxStep }),
    ...(firstStep !== undefined && { firstStep }),
    ...(maxNfe !== undefined && { maxNfe }),
    ...(run.options.signal && { signal: run.options.signal }),
    onStep: ({ t, y }) => {
      run.step(y[0]!, t);
    },
  });
  return res.y[0]!;
}

/** Settings of {@link rk45Solver} (scipy defaults: rtol 1e-3, atol 1e-6). */
export type Rk45SolverOptions = Pick<Rk45Options, 'rtol' | 'atol' | 'maxStep' | 'firstStep' | 'maxNfe'>;

/**
 * Adaptive RK45 as an {@link OdeSolver} (e.g. Restart's `solver`): integrates the PF-ODE from
 * the first to the last positive level of the given schedule, choosing its own steps (the
 * intermediate levels are ignored); a final level of 0 is reached by an Euler step, which
 * lands exactly on D(x; sigma).
 */
export function rk45Solver(options: Rk45SolverOptions = {}): OdeSolver {
  return {
    name: 'rk45',
    async integrate<C>(run: SamplerRun<C>, x: Tensor, sigmas: Float64Array): Promise<Tensor> {
      const n = sigmas.length - 1;
      const last = sigmas[n]!;
      const end = last === 0 ? sigmas[n - 1]! : last;
      let y = sigmas[0]! > end ? await integratePfOde(run, x, sigmas[0]!, end, options) : x.clone();
      if (last === 0) {
        y = await run.denoise(y, end);
        run.step(y, 0);
      }
      return y;
    },
  };
}
