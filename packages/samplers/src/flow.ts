// Natural-time samplers of velocity models (flow matching, rectified flow, the trajectory paths
// of seed 000): dx/dt = v(x, t) from the prior at t = 1 down to the data at t = 0. The same
// models run on every sigma sampler through `velocityDenoiser` of @phys/kernels.
import { ValueError, getBackend, type Tensor } from '@phys/tensor';
import type { TrajectoryPath, VelocityModel } from '@phys/kernels';
import { SamplerRun, checkInitial, checkNumber, validateSigmas } from './common.js';
import { integrateRk45, type OdeFunction, type Rk45Options } from './rk45.js';
import type { SampleResult, SamplerOptions } from './types.js';

/** The one-step rule of {@link flowSample}. */
export type FlowSolver = 'euler' | 'heun' | 'midpoint';

/** Options of {@link flowSample}. In `onStep` and `trajectorySigmas`, `sigma` holds the time t. */
export interface FlowSampleOptions<C = unknown> extends SamplerOptions<C> {
  /**
   * `'euler'` (1 evaluation per step), `'heun'` (2, the last step to t = 0 is Euler as in EDM:
   * an empirical field is discontinuous at t = 0, NFE = 2N - 1) or `'midpoint'` (2, never
   * evaluates t = 0). Default `'euler'`.
   */
  solver?: FlowSolver;
}

/**
 * Time grid from 1 down to 0 with `stepsPerSegment` uniform steps on each segment between the
 * knots of `path` (`path.knots`; a smooth path is one segment), so every step of a
 * multi-segment path sees one constant conditional velocity. Steps = stepsPerSegment x segments.
 */
export function flowTimes(stepsPerSegment: number, path?: TrajectoryPath): Float64Array {
  if (!(Number.isInteger(stepsPerSegment) && stepsPerSegment >= 1)) throw new ValueError('stepsPerSegment', stepsPerSegment, 'an integer >= 1');
  const edges = [1, ...[...(path?.knots ?? [])].sort((p, q) => q - p), 0];
  const out: number[] = [1];
  for (let s = 0; s + 1 < edges.length; s++) {
    const hi = edges[s]!;
    const lo = edges[s + 1]!;
    for (let k = 1; k <= stepsPerSegment; k++) out.push(k === stepsPerSegment ? lo : hi + ((lo - hi) * k) / stepsPerSegment);
  }
  return Float64Array.from(out);
}

/**
 * Integrates dx/dt = v(x, t) through the decreasing times `ts` (from 1 or below, ending at 0 or
 * above) with a fixed-step rule. `x` is the state at `ts[0]` (at t = 1: `prior.sample(...)`).
 *
 * @throws ScheduleError for times outside [0, 1] or not strictly decreasing;
 *   DenoiserOutputError when the model returns the wrong shape or NaN (its messages say sigma for t)
 */
export async function flowSample<C = unknown>(velocity: VelocityModel<C>, x: Tensor, ts: ArrayLike<number>, options: FlowSampleOptions<C> = {}): Promise<SampleResult> {
  checkInitial(x);
  const t = validateSigmas(ts, 'ts');
  if (t[0]! > 1) throw new ValueError('ts[0]', t[0], 'a time <= 1');
  const solver = options.solver ?? 'euler';
  if (!['euler', 'heun', 'midpoint'].includes(solver)) throw new ValueError('solver', solver, "'euler', 'heun' or 'midpoint'");
  const run = new SamplerRun(velocity, options, x, t[0]!);
  const be = getBackend();
  let y = x.clone();
  for (let i = 0; i + 1 < t.length; i++) {
    const t0 = t[i]!;
    const t1 = t[i + 1]!;
    const h = t1 - t0;
    const v = await run.denoise(y, t0);
    if (solver === 'euler' || (solver === 'heun' && t1 === 0)) {
      y = be.axpby(1, y, h, v, y);
    } else if (solver === 'heun') {
      const ye = be.axpby(1, y, h, v);
      const ve = await run.denoise(ye, t1);
      y = be.lincomb([[1, y], [h / 2, v], [h / 2, ve]], y);
    } else {
      const ym = be.axpby(1, y, h / 2, v);
      const vm = await run.denoise(ym, t0 + h / 2);
      y = be.axpby(1, y, h, vm, y);
    }
    run.step(y, t1);
  }
  return run.result(y);
}

/** Options of {@link flowRk45Sample}. */
export interface FlowRk45Options<C = unknown> extends SamplerOptions<C>, Pick<Rk45Options, 'rtol' | 'atol' | 'maxStep' | 'firstStep' | 'maxNfe'> {
  /** Start time (default 1). */
  tStart?: number;
  /** End time (default 0; an empirical field is discontinuous at t = 0, so 1e-3 or so is safer). */
  tEnd?: number;
}

/**
 * Adaptive RK45 (scipy semantics, {@link integrateRk45}) on dx/dt = v(x, t) from `tStart` to
 * `tEnd`. NFE counts every model call; `onStep` fires per accepted step with `sigma` = t.
 */
export async function flowRk45Sample<C = unknown>(velocity: VelocityModel<C>, x: Tensor, options: FlowRk45Options<C> = {}): Promise<SampleResult> {
  checkInitial(x);
  const tStart = checkNumber(options.tStart ?? 1, 'tStart', 0, 1);
  const tEnd = checkNumber(options.tEnd ?? 0, 'tEnd', 0, 1);
  if (!(tEnd < tStart)) throw new ValueError('tEnd', tEnd, `a time < tStart = ${tStart}`);
  const run = new SamplerRun(velocity, options, x, tStart);
  const f: OdeFunction = async (t, [y]) => [await run.denoise(y!, t)];
  const { rtol = 1e-5, atol = 1e-5, maxStep, firstStep, maxNfe } = options;
  const res = await integrateRk45(f, tStart, tEnd, [x], {
    rtol,
    atol,
    ...(maxStep !== undefined && { maxStep }),
    ...(firstStep !== undefined && { firstStep }),
    ...(maxNfe !== undefined && { maxNfe }),
    ...(options.signal && { signal: options.signal }),
    onStep: ({ t, y }) => {
      run.step(y[0]!, t);
    },
  });
  return run.result(res.y[0]!);
}
