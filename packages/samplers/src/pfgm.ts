// PFGM (D = 1, seed 001 / thesis Ch. 7): the backward ODE anchored by the augmented variable z
// (Sec. 3.3, Eq. 6) in t' = log z, d(x, z) = (v_x v_z^{-1} z, z) dt', its forward ODE (Sec. 4.4,
// data -> latent), and the solvers of the reference code (Newbeeer/Poisson_flow): forward Euler
// and improved Euler on a linspace(log z_max, log z_min, N + 1) grid, and RK45 on (x, z) jointly.
import { PhysError, Tensor, ValueError, checkSignal, firstNonFinite, formatShape, getBackend } from '@phys/tensor';
import { callModel, checkInitial, checkNumber } from './common.js';
import { integrateRk45, type OdeFunction, type Rk45Options } from './rk45.js';
import type { SampleResult, SamplerOptions } from './types.js';

/** The predicted normalized Poisson field at augmented points (x, z): x-part and z-part. */
export interface NormalizedFieldValue {
  /** v_x, same shape as the input `x`. */
  readonly vx: Tensor;
  /** v_z, one value per row. */
  readonly vz: Float64Array;
}

/**
 * A PFGM normalized-field model (seed 001, Alg. 1: f_theta ~ -sqrt(N) E/(|E| + gamma) in N + 1
 * dimensions): given a batch `x` `[B, ...]` and one z per row, returns (v_x, v_z). A trained
 * network, or an exact field over a point set (e.g. from @phys/fields).
 */
export type NormalizedField<C = unknown> = (x: Tensor, z: Float64Array, cond?: C) => Promise<NormalizedFieldValue>;

/** What is wrong with a normalized field's output. */
export type FieldProblem = 'not-an-object' | 'shape' | 'non-finite';

/** A normalized field returned something unusable; names the step and the z of the call. */
export class FieldOutputError extends PhysError {
  override name = 'FieldOutputError';
  constructor(
    readonly problem: FieldProblem,
    readonly step: number,
    readonly z: number,
    readonly detail: string,
  ) {
    super(`normalized field output at step ${step} (z = ${z}): ${detail}`);
  }
}

/** The v_z substitution and drift settings of the backward/forward ODE. */
export interface PfgmDriftOptions {
  /**
   * Below this z the predicted v_z is replaced by the one implied by |v_x| (seed 001 App. B.2.3;
   * reference `sampling.z_exp`: CIFAR-10 5, CelebA 1, LSUN 0.1). Default 5.
   */
  zExp?: number;
  /** gamma of the field normalisation (default 5); 0 disables the substitution, as in the reference. */
  gamma?: number;
}

/**
 * dx/dt' of the PFGM ODE in t' = log z (seed 001 Eq. 6): z v_x/(v_z + 1e-5) per row. Below
 * `zExp` (and for gamma > 0) v_z is first replaced, as the reference code does:
 * n1 = |v_x|/sqrt(N), xn = sqrt((gamma n1/(1 - n1))^2 + z^2), v_z = -sqrt(N) z/(xn + gamma)
 * (the thesis App. B.5.2 places gamma inside the square root instead).
 *
 * @param field The field's output at (x, z).
 * @param z One z per row (the point where the field was evaluated).
 */
export function pfgmDrift(field: NormalizedFieldValue, z: Float64Array, options: PfgmDriftOptions = {}): Tensor {
  const { zExp, gamma } = driftSettings(options);
  const { vx } = field;
  const rows = vx.rows;
  const n = vx.rowSize;
  const sqrtN = Math.sqrt(n);
  const norms = getBackend().rowNorm(vx);
  const coef = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const zr = z[r]!;
    let vz = field.vz[r]!;
    if (zr < zExp && gamma > 0) {
      const n1 = norms[r]! / sqrtN;
      const xn = Math.hypot((gamma * n1) / (1 - n1), zr);
      vz = (-sqrtN * zr) / (xn + gamma);
    }
    coef[r] = zr / (vz + 1e-5);
  }
  return getBackend().scaleRows(vx, coef);
}

function driftSettings(options: PfgmDriftOptions): { zExp: number; gamma: number } {
  const zExp = options.zExp ?? 5;
  if (!(zExp >= 0)) throw new ValueError('zExp', zExp, 'a number >= 0 (Infinity: always substitute)');
  return { zExp, gamma: checkNumber(options.gamma ?? 5, 'gamma', 0) };
}

/** Which integrator a PFGM ODE uses. */
export type PfgmSolver = 'euler' | 'improved-euler' | 'rk45';

/** Options of {@link pfgmSample} and {@link pfgmEncode}. */
export interface PfgmOdeOptions<C = unknown> extends SamplerOptions<C>, PfgmDriftOptions {
  /** Integrator (default `'rk45'`, the paper's default). */
  solver?: PfgmSolver;
  /** Steps of the Euler / improved-Euler grid (default 100). */
  steps?: number;
  /** Starting z of the backward ODE (CIFAR-10: 40). Default 40. */
  zMax?: number;
  /** Terminal z of the backward ODE (the reference's `eps`). Default 1e-3. */
  zMin?: number;
  /** RK45 relative tolerance (default 1e-4, the reference). */
  rtol?: number;
  /** RK45 absolute tolerance (default 1e-4, the reference). */
  atol?: number;
  /** RK45 evaluation budget (default 100000). */
  maxNfe?: number;
  /**
   * Copies of z per row in the joint RK45 state (they only weigh z in the error norm). Default:
   * H*W for image batches `[B, C, H, W]`, as the reference appends z as one extra channel;
   * 1 otherwise.
   */
  zComponents?: number;
}

/** Field calls with NFE count, abort, output checks, onStep (sigma = z) and trajectory. */
class FieldRun<C> {
  nfe = 0;
  steps = 0;
  private readonly trajectory: Tensor[] | undefined;
  private readonly trajectoryZ: number[] | undefined;

  constructor(
    private readonly field: NormalizedField<C>,
    private readonly options: PfgmOdeOptions<C>,
    x0: Tensor,
    z0: number,
  ) {
    if (typeof field !== 'function') throw new ValueError('field', field, 'an async function (x, z, cond) => { vx, vz }');
    checkSignal(options.signal, 'signal');
    if (options.trajectory) {
      this.trajectory = [x0.clone()];
      this.trajectoryZ = [z0];
    }
  }

  async drift(x: Tensor, z: number, drift: PfgmDriftOptions): Promise<Tensor> {
    const zs = new Float64Array(x.rows).fill(z);
    const out: unknown = await callModel(() => this.field(x, zs, this.options.cond), this.options.signal, this.steps, z, 'field', 'z');
    this.nfe++;
    const fail = (problem: FieldProblem, detail: string): never => {
      throw new FieldOutputError(problem, this.steps, z, detail);
    };
    if (typeof out !== 'object' || out === null) return fail('not-an-object', `expected { vx, vz }, got ${out === null ? 'null' : typeof out}`);
    const { vx, vz } = out as Partial<NormalizedFieldValue>;
    if (!(vx instanceof Tensor)) return fail('not-an-object', 'vx is not a Tensor');
    if (vx.shape.length !== x.shape.length || vx.shape.some((d, i) => d !== x.shape[i])) {
      return fail('shape', `vx: expected shape ${formatShape(x.shape)}, found ${formatShape(vx.shape)}`);
    }
    if (!(vz instanceof Float64Array) || vz.length !== x.rows) return fail('shape', `vz: expected a Float64Array of ${x.rows} values`);
    const bx = firstNonFinite(vx.data);
    if (bx >= 0) return fail('non-finite', `vx: ${String(vx.data[bx])} at flat index ${bx}`);
    const bz = firstNonFinite(vz);
    if (bz >= 0) return fail('non-finite', `vz: ${String(vz[bz])} at row ${bz}`);
    return pfgmDrift({ vx, vz }, zs, drift);
  }

  step(x: Tensor, z: number): void {
    if (this.trajectory) {
      this.trajectory.push(x.clone());
      this.trajectoryZ!.push(z);
    }
    const step = this.steps++;
    this.options.onStep?.({ step, sigma: z, nfe: this.nfe });
  }

  result(x: Tensor): SampleResult {
    if (this.trajectory) return { x, nfe: this.nfe, trajectory: this.trajectory, trajectorySigmas: this.trajectoryZ! };
    return { x, nfe: this.nfe };
  }
}

/** Integrates x from z = exp(tFrom) to z = exp(tTo) (either direction) in t' = log z. */
async function integratePfgm<C>(field: NormalizedField<C>, x: Tensor, tFrom: number, tTo: number, options: PfgmOdeOptions<C>): Promise<SampleResult> {
  checkInitial(x);
  const solver: string = options.solver ?? 'rk45';
  if (solver !== 'euler' && solver !== 'improved-euler' && solver !== 'rk45') {
    throw new ValueError('solver', solver, "'euler', 'improved-euler' or 'rk45'");
  }
  const drift = driftSettings(options);
  const run = new FieldRun(field, options, x, Math.exp(tFrom));
  const be = getBackend();

  if (solver === 'rk45') {
    // The reference integrates x and z jointly (z as an extra image channel, dz/dt' = z = e^{t'},
    // the field evaluated at z = e^{t'}); z's copies enter scipy's error norm.
    const zComponents = options.zComponents ?? (x.shape.length === 4 ? x.shape[2]! * x.shape[3]! : 1);
    if (!(Number.isInteger(zComponents) && zComponents >= 1)) throw new ValueError('zComponents', zComponents, 'an integer >= 1');
    const f: OdeFunction = async (t, [xs, zs]) => {
      const dz = Tensor.zeros(zs!.shape, zs!.dtype);
      dz.data.fill(Math.exp(t));
      return [await run.drift(xs!, Math.exp(t), drift), dz];
    };
    const z0 = Tensor.zeros([x.rows, zComponents], x.dtype);
    z0.data.fill(Math.exp(tFrom));
    const rk: Rk45Options = {
      rtol: options.rtol ?? 1e-4,
      atol: options.atol ?? 1e-4,
      ...(options.maxNfe !== undefined && { maxNfe: options.maxNfe }),
      ...(options.signal && { signal: options.signal }),
      onStep: ({ t, y }) => {
        run.step(y[0]!, Math.exp(t));
      },
    };
    const res = await integrateRk45(f, tFrom, tTo, [x, z0], rk);
    return run.result(res.y[0]!);
  }

  const steps = options.steps ?? 100;
  if (!(Number.isInteger(steps) && steps >= 1)) throw new ValueError('steps', steps, 'an integer >= 1');
  // t_i = linspace(tFrom, tTo, N + 1); the batch shares z_i = exp(t_i).
  const ts = Array.from({ length: steps + 1 }, (_, i) => (i === steps ? tTo : tFrom + (i / steps) * (tTo - tFrom)));
  const xs = x.clone();
  for (let i = 0; i < steps; i++) {
    const t = ts[i]!;
    const tNext = ts[i + 1]!;
    const d = await run.drift(xs, Math.exp(t), drift);
    // Forward Euler in t' with the exact step of dz = z dt': x += drift (e^{dt} - 1), an Euler step in z.
    const dt = Math.expm1(tNext - t);
    if (solver === 'euler' || i === steps - 1) {
      be.axpby(1, xs, dt, d, xs);
    } else {
      // Improved Euler (reference `improved_euler`): second evaluation at (x + drift dt, t_{i+1})
      // with factor 1 - e^{t_i - t_{i+1}}; the last step is plain Euler, so NFE = 2N - 1.
      const xe = be.axpby(1, xs, dt, d);
      const d2 = await run.drift(xe, Math.exp(tNext), drift);
      be.lincomb([[1, xs], [0.5 * dt, d], [-0.5 * Math.expm1(t - tNext), d2]], xs);
    }
    run.step(xs, Math.exp(tNext));
  }
  return run.result(xs);
}

function zRange(options: { zMax?: number; zMin?: number }): { zMax: number; zMin: number } {
  const zMax = checkNumber(options.zMax ?? 40, 'zMax');
  const zMin = checkNumber(options.zMin ?? 1e-3, 'zMin');
  if (!(zMin > 0)) throw new ValueError('zMin', zMin, 'a number > 0 (t\' = log z)');
  if (!(zMax > zMin)) throw new ValueError('zMax', zMax, `a number > zMin = ${zMin}`);
  return { zMax, zMin };
}

/**
 * Samples PFGM with the backward ODE anchored by z (seed 001 Sec. 3.3, Eq. 6): from the prior
 * sample `x` on the z = zMax hyperplane, integrate dx/dt' = z v_x/(v_z + 1e-5) over
 * t' = log z from log zMax down to log zMin. `onStep` and the trajectory report z as `sigma`.
 *
 * NFE: RK45 counts every field call (2 + 6 per attempted step, like scipy's `nfev`); Euler N;
 * improved Euler 2N - 1.
 *
 * @throws FieldOutputError when the field returns the wrong shape or NaN (naming step and z).
 */
export async function pfgmSample<C = unknown>(field: NormalizedField<C>, x: Tensor, options: PfgmOdeOptions<C> = {}): Promise<SampleResult> {
  const { zMax, zMin } = zRange(options);
  return integratePfgm(field, x, Math.log(zMax), Math.log(zMin), options);
}

/**
 * The forward ODE of PFGM (seed 001 Sec. 4.4): maps data `x` (at z = zMin) to its latent on the
 * z = zMax hyperplane by integrating the same ODE from log zMin up to log zMax. The inverse of
 * {@link pfgmSample} up to discretisation error.
 */
export async function pfgmEncode<C = unknown>(field: NormalizedField<C>, x: Tensor, options: PfgmOdeOptions<C> = {}): Promise<SampleResult> {
  const { zMax, zMin } = zRange(options);
  return integratePfgm(field, x, Math.log(zMin), Math.log(zMax), options);
}
