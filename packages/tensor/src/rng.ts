import { getBackend } from './registry.js';
import { ValueError, ShapeError } from './errors.js';
import { RowStream, type PhiloxCall } from './philox-stream.js';
import { Tensor, formatShape, shapeSize, type DType } from './tensor.js';

// Module-level bindings: global `Math.*` lookups are slow inside vm contexts (jest's ESM runner).
const { sqrt } = Math;
const U32 = 4294967296;

/**
 * Everything stochastic code in phys asks of randomness. {@link PhiloxRng} implements it with a
 * counter-based generator; {@link ReplayRandom} hands out recorded draws (golden tests, replaying
 * a reference implementation). Row `r` of every returned batch is sample `r` of the batch.
 */
export interface Random {
  /** Standard normal draws, batch-first `shape` (float32 unless `dtype` says otherwise). */
  normal(shape: readonly number[], dtype?: DType): Tensor;
  /**
   * Optional: the draw `normal(out.shape, out.dtype)` would make, written into `out` (returned), so
   * a caller can reuse one tensor (e.g. one resident in the backend's memory) for every draw.
   */
  normalInto?(out: Tensor): Tensor;
  /** Uniform draws in the open interval (0, 1). */
  uniform(shape: readonly number[], dtype?: DType): Tensor;
  /** One Gamma(shape = `alpha`, scale 1) draw per row, in float64. */
  gamma(alpha: number, rows: number): Float64Array;
  /** One Beta(`a`, `b`) draw per row, in float64. */
  beta(a: number, b: number, rows: number): Float64Array;
  /** Uniformly distributed unit vectors: each row of `shape` has Euclidean norm 1. */
  direction(shape: readonly number[], dtype?: DType): Tensor;
}

/** Options of {@link PhiloxRng}. */
export interface PhiloxRngOptions {
  /**
   * Global index of row 0. A shard or chunk that starts at sample `k` passes `k` and draws
   * exactly what rows `k..` of one big batch would draw.
   */
  sampleOffset?: number;
  /** Independent stream id (e.g. one per purpose); default 0. */
  stream?: number;
}

/**
 * Seeded counter-based RNG on Philox4x32-10.
 *
 * Key = the 64-bit seed. Counter = (block, call, sample, stream): `call` counts the draw calls made
 * on this object, `sample` is `sampleOffset + row`, and `block` walks along one row's stream of
 * 32-bit words. Sample `i` therefore draws the same numbers whatever the batch size, the chunking
 * or the shard, as long as the sequence of calls is the same.
 */
export class PhiloxRng implements Random {
  readonly seed: bigint;
  readonly sampleOffset: number;
  readonly stream: number;
  private readonly k0: number;
  private readonly k1: number;
  private call = 0;

  constructor(seed: number | bigint, options: PhiloxRngOptions = {}) {
    if (typeof seed !== 'bigint' && !(typeof seed === 'number' && Number.isSafeInteger(seed))) throw new ValueError('seed', seed, 'a safe integer or a bigint');
    const s = BigInt(seed);
    if (s < 0n || s >= 1n << 64n) throw new ValueError('seed', seed, 'an integer in [0, 2^64)');
    const sampleOffset = options.sampleOffset ?? 0;
    const stream = options.stream ?? 0;
    if (!(Number.isInteger(sampleOffset) && sampleOffset >= 0 && sampleOffset < U32)) {
      throw new ValueError('sampleOffset', sampleOffset, 'an integer in [0, 2^32)');
    }
    if (!(Number.isInteger(stream) && stream >= 0 && stream < U32)) throw new ValueError('stream', stream, 'an integer in [0, 2^32)');
    this.seed = s;
    this.sampleOffset = sampleOffset;
    this.stream = stream;
    this.k0 = Number(s & 0xffffffffn);
    this.k1 = Number(s >> 32n);
  }

  /** Number of draw calls made so far (the `call` word of the next counter). */
  get calls(): number {
    return this.call;
  }

  /** A generator with the same seed and call position whose row 0 is global sample `sampleOffset`. */
  withSampleOffset(sampleOffset: number): PhiloxRng {
    const r = new PhiloxRng(this.seed, { sampleOffset, stream: this.stream });
    r.call = this.call;
    return r;
  }

  /** The counter words of the next draw call (and advances the call counter). */
  private nextCall(): PhiloxCall {
    const call = this.call;
    this.call = (this.call + 1) % U32;
    return { key0: this.k0, key1: this.k1, call, sampleOffset: this.sampleOffset, stream: this.stream };
  }

  /**
   * Standard normals by Box-Muller on each row's Philox words (see {@link PhiloxCall}), filled by
   * the active backend's {@link Backend.philoxNormal}: bit-identical on every backend.
   */
  normal(shape: readonly number[], dtype: DType = 'float32'): Tensor {
    return this.normalInto(Tensor.zeros(checkShape(shape), dtype));
  }

  /** {@link PhiloxRng.normal} into `out` (any tensor the active backend takes, e.g. from its `zeros`). */
  normalInto(out: Tensor): Tensor {
    return getBackend().philoxNormal(out, this.nextCall());
  }

  uniform(shape: readonly number[], dtype: DType = 'float32'): Tensor {
    const out = Tensor.zeros(checkShape(shape), dtype);
    const draw = this.nextCall();
    const rs = out.rowSize;
    for (let r = 0; r < out.rows; r++) {
      const s = new RowStream(draw, r);
      // float32: 24-bit uniforms, exactly representable and never 0 or 1; float64: 32-bit.
      if (dtype === 'float32') for (let j = 0; j < rs; j++) out.data[r * rs + j] = ((s.nextWord() >>> 8) + 0.5) / 16777216;
      else for (let j = 0; j < rs; j++) out.data[r * rs + j] = s.nextUniform();
    }
    return out;
  }

  gamma(alpha: number, rows: number): Float64Array {
    if (!(Number.isFinite(alpha) && alpha > 0)) throw new ValueError('alpha', alpha, 'a finite number > 0');
    checkRows(rows);
    const draw = this.nextCall();
    const out = new Float64Array(rows);
    for (let r = 0; r < rows; r++) out[r] = new RowStream(draw, r).gamma(alpha);
    return out;
  }

  beta(a: number, b: number, rows: number): Float64Array {
    if (!(Number.isFinite(a) && a > 0)) throw new ValueError('a', a, 'a finite number > 0');
    if (!(Number.isFinite(b) && b > 0)) throw new ValueError('b', b, 'a finite number > 0');
    checkRows(rows);
    const draw = this.nextCall();
    const out = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      const s = new RowStream(draw, r);
      const x = s.gamma(a);
      const y = s.gamma(b);
      out[r] = x / (x + y);
    }
    return out;
  }

  direction(shape: readonly number[], dtype: DType = 'float32'): Tensor {
    const out = this.normal(shape, dtype);
    normalizeRows(out);
    return out;
  }
}

/** Scales each row of `t` in place to unit Euclidean norm (accumulated in float64). */
export function normalizeRows(t: Tensor): void {
  const rs = t.rowSize;
  const d = t.data;
  for (let r = 0; r < t.rows; r++) {
    let s = 0;
    for (let j = r * rs; j < (r + 1) * rs; j++) s += d[j]! * d[j]!;
    const inv = 1 / sqrt(s);
    for (let j = r * rs; j < (r + 1) * rs; j++) d[j]! *= inv;
  }
}

function checkShape(shape: readonly number[]): readonly number[] {
  if (shape.length === 0 || shape.some((d) => !(Number.isInteger(d) && d >= 0))) {
    throw new ValueError('shape', shape, 'a non-empty list of non-negative integers');
  }
  return shape;
}

function checkRows(rows: number): void {
  if (!(Number.isInteger(rows) && rows >= 0)) throw new ValueError('rows', rows, 'a non-negative integer');
}

/** Recorded draws for {@link ReplayRandom}, consumed in order per kind. */
export interface ReplayDraws {
  normal?: ArrayLike<number>[];
  uniform?: ArrayLike<number>[];
  gamma?: ArrayLike<number>[];
  beta?: ArrayLike<number>[];
  direction?: ArrayLike<number>[];
}

/**
 * A {@link Random} that hands out recorded draws in order, one recorded array per call, and
 * throws when a call asks for a size the recording does not have or the recording runs out.
 * This is how phys replays the exact noise a reference implementation consumed.
 */
export class ReplayRandom implements Random {
  private readonly queues: Required<{ [K in keyof ReplayDraws]: ArrayLike<number>[] }>;
  private readonly used = { normal: 0, uniform: 0, gamma: 0, beta: 0, direction: 0 };

  constructor(draws: ReplayDraws) {
    this.queues = {
      normal: draws.normal ?? [],
      uniform: draws.uniform ?? [],
      gamma: draws.gamma ?? [],
      beta: draws.beta ?? [],
      direction: draws.direction ?? [],
    };
  }

  /** How many recorded arrays of `kind` are still unused. */
  remaining(kind: keyof ReplayDraws): number {
    return this.queues[kind].length - this.used[kind];
  }

  private take(kind: keyof ReplayDraws, size: number, shapeText: string): ArrayLike<number> {
    const i = this.used[kind];
    const q = this.queues[kind];
    if (i >= q.length) throw new ValueError(`replay.${kind}`, i, `at most ${q.length} recorded ${kind} draws`);
    const draw = q[i]!;
    if (draw.length !== size) throw new ShapeError(`replay.${kind}[${i}]`, `${size} values for ${shapeText}`, `${draw.length} values`);
    this.used[kind]++;
    return draw;
  }

  normal(shape: readonly number[], dtype: DType = 'float32'): Tensor {
    return Tensor.from(this.take('normal', shapeSize(shape), formatShape(shape)), shape, dtype);
  }
  uniform(shape: readonly number[], dtype: DType = 'float32'): Tensor {
    return Tensor.from(this.take('uniform', shapeSize(shape), formatShape(shape)), shape, dtype);
  }
  gamma(_alpha: number, rows: number): Float64Array {
    return Float64Array.from(this.take('gamma', rows, `${rows} rows`));
  }
  beta(_a: number, _b: number, rows: number): Float64Array {
    return Float64Array.from(this.take('beta', rows, `${rows} rows`));
  }
  direction(shape: readonly number[], dtype: DType = 'float32'): Tensor {
    return Tensor.from(this.take('direction', shapeSize(shape), formatShape(shape)), shape, dtype);
  }
}
