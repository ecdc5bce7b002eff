// Conditional trajectory families of seed 000 (Sec. 4.3, Eq. 10: "linear type, distribution type
// and curve type"), written as the interpolants of rectified flow / conditional flow matching
// and stochastic interpolants: x_t = a(t) x0 + b(t) x1, x0 a data point at t = 0, x1 a prior
// draw at t = 1. Every family here has a(0) = b(1) = 1, a(1) = b(0) = 0 and b/a increasing, so
// sigma(t) = b(t)/a(t) maps it onto the EDM frame x~ = x/a = x0 + sigma x1 (see path-convert.ts).
import { ValueError } from '@phys/tensor';

/** a(t), b(t) of x_t = a x0 + b x1 and their time derivatives at one t. */
export interface PathCoefficients {
  /** Weight of the data point x0. */
  readonly a: number;
  /** Weight of the prior draw x1. */
  readonly b: number;
  /** da/dt. */
  readonly da: number;
  /** db/dt. */
  readonly db: number;
}

/**
 * A family of conditional trajectories t -> a(t) x0 + b(t) x1 on t in [0, 1] (t = 0 data,
 * t = 1 prior). The conditional velocity is a'(t) x0 + b'(t) x1, the flow-matching training
 * target. Families differ in a, b only; the prior is chosen separately (path-prior.ts).
 */
export interface TrajectoryPath {
  /** Short id, e.g. `'straight'`, `'trig(theta=1.5708)'`, `'segments(ON=4, trig(theta=1.5708))'`. */
  readonly name: string;
  /**
   * Times in (0, 1) where a', b' jump (the knots of a multi-segment path; empty for smooth
   * families). Natural-time samplers put a step boundary on each.
   */
  readonly knots: readonly number[];
  /**
   * a, b, a', b' at `t` in [0, 1]. At a knot the derivatives are those of the segment below t,
   * the one a sampler integrating from t = 1 down to 0 enters.
   */
  coefficients(t: number): PathCoefficients;
  /** sigma(t) = b(t)/a(t): 0 at t = 0, increasing, Infinity at t = 1. */
  sigma(t: number): number;
  /** The inverse of {@link TrajectoryPath.sigma}: t in [0, 1] for sigma in [0, Infinity]. */
  tOfSigma(sigma: number): number;
}

/** Throws unless `t` is a number in [0, 1]. */
export function checkTime(t: number, argument = 't'): void {
  if (typeof t !== 'number' || !(t >= 0 && t <= 1)) throw new ValueError(argument, t, 'a time in [0, 1]');
}

function checkSigmaArg(sigma: number): void {
  if (typeof sigma !== 'number' || !(sigma >= 0)) throw new ValueError('sigma', sigma, 'a noise level >= 0 (Infinity allowed)');
}

/** sigma = b/a with the endpoints exact. */
function ratio(a: number, b: number): number {
  return a === 0 ? Infinity : b / a;
}

/**
 * The straight line x_t = (1 - t) x0 + t x1 (seed 000 "one-sample straight line"; rectified flow,
 * conditional flow matching). Conditional velocity x1 - x0, constant: one Euler step from any t
 * lands exactly on x0. sigma = t/(1 - t), t = sigma/(1 + sigma).
 */
export function straightPath(): TrajectoryPath {
  return STRAIGHT;
}

const STRAIGHT: TrajectoryPath = {
  name: 'straight',
  knots: [],
  coefficients(t) {
    checkTime(t);
    return { a: 1 - t, b: t, da: -1, db: 1 };
  },
  sigma(t) {
    checkTime(t);
    return ratio(1 - t, t);
  },
  tOfSigma(sigma) {
    checkSigmaArg(sigma);
    return sigma === Infinity ? 1 : sigma / (1 + sigma);
  },
};

/**
 * The trigonometric curve family (seed 000 "curve type"): spherical interpolation
 * a(t) = sin((1 - t) theta)/sin(theta), b(t) = sin(t theta)/sin(theta) with the shape parameter
 * theta in (0, pi). theta = pi/2 is the trigonometric interpolant a = cos(pi t/2),
 * b = sin(pi t/2) of stochastic interpolants; theta -> 0 tends to the straight line. For
 * theta > 0 the conditional trajectory is an elliptic arc in the plane of x0 and x1 (a + b != 1
 * off the endpoints), so it is curved unless x0 and x1 are collinear with the origin.
 * sigma(t) = sin(t theta)/sin((1 - t) theta), inverted in closed form:
 * t theta = atan2(sigma sin(theta), 1 + sigma cos(theta)).
 */
export function trigPath(options: { theta?: number } = {}): TrajectoryPath {
  const theta = options.theta ?? Math.PI / 2;
  if (typeof theta !== 'number' || !(theta > 0 && theta < Math.PI)) throw new ValueError('theta', theta, 'an angle in (0, pi)');
  const s = Math.sin(theta);
  return {
    name: `trig(theta=${+theta.toPrecision(6)})`,
    knots: [],
    coefficients(t) {
      checkTime(t);
      const u = (1 - t) * theta;
      const v = t * theta;
      return { a: t === 1 ? 0 : Math.sin(u) / s, b: t === 0 ? 0 : Math.sin(v) / s, da: (-theta * Math.cos(u)) / s, db: (theta * Math.cos(v)) / s };
    },
    sigma(t) {
      checkTime(t);
      if (t === 1) return Infinity;
      return Math.sin(t * theta) / Math.sin((1 - t) * theta);
    },
    tOfSigma(sigma) {
      checkSigmaArg(sigma);
      if (sigma === Infinity) return 1;
      return Math.min(1, Math.atan2(sigma * s, 1 + sigma * Math.cos(theta)) / theta);
    },
  };
}

/**
 * The quadratic Bezier family (seed 000 "curve type", polynomial form): control point
 * c = lambda (x0 + x1)/2, so x_t = (1-t)^2 x0 + 2t(1-t) c + t^2 x1, i.e.
 * a(t) = (1-t)^2 + lambda t(1-t), b(t) = t^2 + lambda t(1-t). lambda = 1 is the straight line;
 * lambda < 1 bends the trajectory towards the origin, lambda > 1 away from it. lambda > 0 keeps
 * b/a increasing (d(b/a)/ds = (lambda s^2 + 2s + lambda)/(1 + lambda s)^2 with s = t/(1-t)) and
 * a'(1) = -lambda != 0, which the velocity -> denoiser conversion at t = 1 needs.
 */
export function bezierPath(options: { lambda?: number } = {}): TrajectoryPath {
  const lambda = options.lambda ?? 0.5;
  if (typeof lambda !== 'number' || !(lambda > 0) || !Number.isFinite(lambda)) throw new ValueError('lambda', lambda, 'a finite number > 0');
  const coeff = (t: number): PathCoefficients => {
    const u = 1 - t;
    return { a: u * u + lambda * t * u, b: t * t + lambda * t * u, da: -2 * u + lambda * (1 - 2 * t), db: 2 * t + lambda * (1 - 2 * t) };
  };
  const sigma = (t: number): number => {
    const c = coeff(t);
    return ratio(c.a, c.b);
  };
  return {
    name: `bezier(lambda=${+lambda.toPrecision(6)})`,
    knots: [],
    coefficients(t) {
      checkTime(t);
      return coeff(t);
    },
    sigma(t) {
      checkTime(t);
      return sigma(t);
    },
    tOfSigma(s) {
      checkSigmaArg(s);
      return invertMonotone(sigma, s);
    },
  };
}

/** t in [0, 1] with f(t) = target for an increasing f with f(0) = 0, f(1) = Infinity (bisection to float64 resolution). */
function invertMonotone(f: (t: number) => number, target: number): number {
  if (target === 0) return 0;
  if (target === Infinity) return 1;
  let lo = 0;
  let hi = 1;
  for (let it = 0; it < 200 && hi - lo > 0; it++) {
    const mid = 0.5 * (lo + hi);
    if (mid === lo || mid === hi) break;
    if (f(mid) < target) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

/**
 * Seed 000's "multi-sample linear superposition" with ON straight lines (Sec. 4.3 Fig. 3c,
 * Sec. 5.1-5.2, Table 2), constructed as the piecewise-linear interpolant of a curve family:
 * ON straight segments whose ON + 1 knots t_k = k/ON lie on `base` (default the trigonometric
 * curve, theta = pi/2). a and b are the linear interpolants of the base's a, b between knots,
 * so each segment is a straight line between two points of the base trajectory, ON = 1 is the
 * straight line x0 -> x1 and ON -> infinity recovers the base curve ("the curve can be
 * approximated by using a multi-sample straight line", Sec. 5.2; least-squares superposition of
 * linear terms, Sec. 5.1). The velocity jumps at the knots, so samplers spend steps per segment
 * and NFE grows with ON, as in Table 2. sigma = b/a is a ratio of linear functions on each
 * segment, increasing between increasing knot values, and is inverted per segment in closed
 * form. docs/force-fields.md lists the constructions this one was chosen over.
 */
export function segmentedPath(options: { segments: number; base?: TrajectoryPath }): TrajectoryPath {
  const on = options.segments;
  if (!(Number.isInteger(on) && on >= 1)) throw new ValueError('segments', on, 'an integer ON >= 1');
  const base = options.base ?? trigPath();
  const A = new Float64Array(on + 1);
  const B = new Float64Array(on + 1);
  const S = new Float64Array(on + 1);
  for (let k = 0; k <= on; k++) {
    const c = base.coefficients(k / on);
    A[k] = c.a;
    B[k] = c.b;
    S[k] = ratio(c.a, c.b);
  }
  A[0] = 1;
  B[0] = 0;
  A[on] = 0;
  B[on] = 1;
  S[0] = 0;
  S[on] = Infinity;
  // Knots computed as k/ON may land a rounding above k/ON * ON = k: shrink by 1e-12 so a knot
  // belongs to the segment below it.
  const segmentOf = (t: number): number => Math.max(0, Math.min(on - 1, Math.ceil(t * on - 1e-12) - 1));
  const coeff = (t: number): PathCoefficients => {
    const k = segmentOf(t);
    const da = (A[k + 1]! - A[k]!) * on;
    const db = (B[k + 1]! - B[k]!) * on;
    const dt = t - k / on;
    if (t === 1) return { a: 0, b: 1, da, db };
    return { a: A[k]! + dt * da, b: B[k]! + dt * db, da, db };
  };
  const knots: number[] = [];
  for (let k = 1; k < on; k++) knots.push(k / on);
  return {
    name: `segments(ON=${on}, ${base.name})`,
    knots,
    coefficients(t) {
      checkTime(t);
      return coeff(t);
    },
    sigma(t) {
      checkTime(t);
      const c = coeff(t);
      return ratio(c.a, c.b);
    },
    tOfSigma(sigma) {
      checkSigmaArg(sigma);
      if (sigma === 0) return 0;
      if (sigma === Infinity) return 1;
      let k = 0;
      while (k < on - 1 && S[k + 1]! < sigma) k++;
      // B_k + u dB = sigma (A_k + u dA) on segment k, u = t - k/ON.
      const da = (A[k + 1]! - A[k]!) * on;
      const db = (B[k + 1]! - B[k]!) * on;
      const u = (sigma * A[k]! - B[k]!) / (db - sigma * da);
      return Math.min(1, Math.max(0, k / on + u));
    },
  };
}
