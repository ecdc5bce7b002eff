// A Brownian path W(t) over [t0, t1] that is a fixed function of (seed, sample, t), built by
// Brownian-bridge bisection on the counter-based Philox streams: the increments seen by a sampler
// are those of one path whatever the step count (k-diffusion's BrownianTreeNoiseSampler), and
// sample i's path does not depend on the batch size.
import { Tensor, ValueError, getBackend, type DType, type PhiloxCall } from '@phys/tensor';
import type { NoiseSource } from './noise.js';

const U32 = 4294967296;

/** Options of {@link BrownianTreeNoise}. */
export interface BrownianTreeOptions {
  /** Philox key (a safe integer or bigint in [0, 2^64)). */
  seed: number | bigint;
  /** Low end of the path's interval, in sigma (k-diffusion: the smallest positive sigma of the schedule). */
  sigmaMin: number;
  /** High end of the path's interval (k-diffusion: the largest sigma). */
  sigmaMax: number;
  /** Global index of row 0 (a shard starting at sample k passes k). Default 0. */
  sampleOffset?: number;
  /** Independent stream id in [0, 2^26). Default 0. */
  stream?: number;
  /** Bisection depth (1..32): the path is exact Brownian on the dyadic grid of 2^depth cells, a bridge inside a cell. Default 24. */
  depth?: number;
  /** Map from sigma to the tree's time (k-diffusion's `transform`), increasing. Default identity. */
  transform?: (sigma: number) => number;
}

/**
 * k-diffusion's `BrownianTreeNoiseSampler` semantics on Philox: `draw(sigma, sigmaNext)` returns
 * (W(t') - W(t))/sqrt|t' - t| with t = transform(sigma), one standard normal per element, where W
 * is one Brownian path per sample. W(t0) = 0, W(t1) ~ N(0, t1 - t0); the midpoint of a dyadic cell
 * [a, b] is drawn from the bridge, W(m) = (W(a) + W(b))/2 + sqrt((b - a)/4) z, with z read from the
 * Philox counter (cell index, sample, stream, level), so every value is a pure function of its
 * position. Inside a leaf cell (width (t1 - t0) 2^-depth) W is the bridge mean plus one fixed
 * bridge draw scaled by sqrt((t - a)(b - t)/(b - a)); increments over intervals wider than a
 * cell are exactly Brownian.
 */
export class BrownianTreeNoise implements NoiseSource {
  private readonly k0: number;
  private readonly k1: number;
  private readonly t0: number;
  private readonly t1: number;
  private readonly depth: number;
  private readonly sampleOffset: number;
  private readonly streamBase: number;
  private readonly transform: (sigma: number) => number;

  constructor(options: BrownianTreeOptions) {
    const seed = options.seed;
    if (typeof seed === 'number' && !Number.isSafeInteger(seed)) throw new ValueError('seed', seed, 'a safe integer or a bigint');
    const s = BigInt(seed);
    if (s < 0n || s >= 1n << 64n) throw new ValueError('seed', seed, 'an integer in [0, 2^64)');
    this.k0 = Number(s & 0xffffffffn);
    this.k1 = Number(s >> 32n);
    this.transform = options.transform ?? ((v: number) => v);
    if (typeof this.transform !== 'function') throw new ValueError('transform', options.transform, 'a function of sigma');
    if (!(Number.isFinite(options.sigmaMin) && options.sigmaMin >= 0)) throw new ValueError('sigmaMin', options.sigmaMin, 'a finite noise level >= 0');
    if (!(Number.isFinite(options.sigmaMax) && options.sigmaMax > options.sigmaMin)) {
      throw new ValueError('sigmaMax', options.sigmaMax, `a finite noise level > sigmaMin = ${options.sigmaMin}`);
    }
    this.t0 = this.transform(options.sigmaMin);
    this.t1 = this.transform(options.sigmaMax);
    if (!(Number.isFinite(this.t0) && Number.isFinite(this.t1) && this.t1 > this.t0)) {
      throw new ValueError('transform', [this.t0, this.t1], 'finite values, increasing in sigma');
    }
    this.depth = options.depth ?? 24;
    if (!(Number.isInteger(this.depth) && this.depth >= 1 && this.depth <= 32)) throw new ValueError('depth', this.depth, 'an integer in [1, 32]');
    this.sampleOffset = options.sampleOffset ?? 0;
    if (!(Number.isInteger(this.sampleOffset) && this.sampleOffset >= 0 && this.sampleOffset < U32)) {
      throw new ValueError('sampleOffset', this.sampleOffset, 'an integer in [0, 2^32)');
    }
    const stream = options.stream ?? 0;
    if (!(Number.isInteger(stream) && stream >= 0 && stream < 2 ** 26)) throw new ValueError('stream', stream, 'an integer in [0, 2^26)');
    this.streamBase = stream * 64;
  }

  /** Philox counter words of the draw at tree `level` (0 root, 1..depth midpoints, depth + 1 leaf bridge), cell `index`. */
  private call(level: number, index: number): PhiloxCall {
    return { key0: this.k0, key1: this.k1, call: index >>> 0, sampleOffset: this.sampleOffset, stream: this.streamBase + level };
  }

  private time(sigma: number, argument: string): number {
    const t = this.transform(sigma);
    const slack = 1e-9 * (this.t1 - this.t0);
    if (!(t >= this.t0 - slack && t <= this.t1 + slack)) throw new ValueError(argument, sigma, `a noise level in [${this.t0}, ${this.t1}] (the tree's interval)`);
    return Math.min(Math.max(t, this.t0), this.t1);
  }

  /** Standard normals of tree `level` (0 root, 1..depth midpoints, depth + 1 leaf bridge), cell `index`, for a batch of `shape`. */
  private normals(level: number, index: number, shape: readonly number[]): Float64Array {
    const call: PhiloxCall = { key0: this.k0, key1: this.k1, call: index >>> 0, sampleOffset: this.sampleOffset, stream: this.streamBase + level };
    return getBackend().philoxNormal(Tensor.zeros(shape, 'float64'), call).data as Float64Array;
  }

  /** W(t) for a batch of `shape`, as float64 values. */
  private path(t: number, shape: readonly number[]): Float64Array {
    let a = this.t0;
    let b = this.t1;
    const wb = this.normals(0, 0, shape);
    const sRoot = Math.sqrt(b - a);
    for (let j = 0; j < wb.length; j++) wb[j]! *= sRoot;
    const wa = new Float64Array(wb.length);
    let index = 0;
    for (let level = 1; level <= this.depth; level++) {
      const m = a + (b - a) / 2;
      const z = this.normals(level, index, shape);
      const sd = Math.sqrt((b - a) / 4);
      const right = t >= m;
      const w = right ? wa : wb;
      for (let j = 0; j < w.length; j++) w[j] = (wa[j]! + wb[j]!) / 2 + sd * z[j]!;
      if (right) a = m;
      else b = m;
      index = 2 * index + (right ? 1 : 0);
    }
    const z = this.normals(this.depth + 1, index, shape);
    const u = (t - a) / (b - a);
    const sd = Math.sqrt(Math.max((t - a) * (b - t), 0) / (b - a));
    for (let j = 0; j < wa.length; j++) wa[j] = wa[j]! + u * (wb[j]! - wa[j]!) + sd * z[j]!;
    return wa;
  }

  /** W(t) at noise level `sigma` for a batch of `shape` (float64), e.g. to plot or test the path. */
  at(sigma: number, shape: readonly number[]): Tensor {
    return new Tensor(this.path(this.time(sigma, 'sigma'), shape), shape);
  }

  draw(sigma: number, sigmaNext: number, shape: readonly number[], dtype: DType): Tensor {
    const t = this.time(sigma, 'sigma');
    const tNext = this.time(sigmaNext, 'sigmaNext');
    if (t === tNext) throw new ValueError('sigmaNext', sigmaNext, `a noise level other than sigma = ${sigma}`);
    const w0 = this.path(t, shape);
    const w1 = this.path(tNext, shape);
    const scale = 1 / Math.sqrt(Math.abs(tNext - t));
    const out = Tensor.zeros(shape, dtype);
    for (let k = 0; k < w0.length; k++) out.data[k] = (w1[k]! - w0[k]!) * scale;
    return out;
  }
}
