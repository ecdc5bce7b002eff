// The per-row word streams of PhiloxRng and the reference (TypeScript) normal fill that every
// backend's `philoxNormal` must reproduce bit for bit.
import { ValueError } from './errors.js';
import { boxMuller } from './normal-math.js';
import { philox4x32 } from './philox.js';
import type { Tensor, TensorData } from './tensor.js';

const U32 = 4294967296;
const { exp, log, sqrt } = Math;

/**
 * Where one draw call of a {@link PhiloxRng} reads its words: row `r` of the call uses the
 * Philox4x32-10 blocks with counter `(block, call, sampleOffset + r (mod 2^32), stream)` for
 * block = 0, 1, 2, ... and key `(key0, key1)` (the seed's low and high 32 bits). Every field is a
 * uint32.
 */
export interface PhiloxCall {
  readonly key0: number;
  readonly key1: number;
  readonly call: number;
  readonly sampleOffset: number;
  readonly stream: number;
}

const isU32 = (v: number): boolean => Number.isInteger(v) && v >= 0 && v < U32;

/** Throws {@link ValueError} unless every word of `draw` is a uint32. */
export function checkPhiloxCall(draw: PhiloxCall): void {
  for (const k of ['key0', 'key1', 'call', 'sampleOffset', 'stream'] as const) {
    if (!isU32(draw[k])) throw new ValueError(`draw.${k}`, draw[k], 'an integer in [0, 2^32)');
  }
}

/** One row's unbounded sequence of 32-bit words for one call: Philox blocks 0, 1, 2, ... */
export class RowStream {
  private readonly buf = new Uint32Array(4);
  private readonly pair = new Float64Array(2);
  private block = 0;
  private pos = 4;
  private hasSpare = false;
  private readonly sample: number;

  constructor(
    private readonly draw: PhiloxCall,
    row: number,
  ) {
    this.sample = (draw.sampleOffset + row) >>> 0;
  }

  nextWord(): number {
    if (this.pos === 4) {
      const d = this.draw;
      philox4x32(this.buf, this.block++, d.call, this.sample, d.stream, d.key0, d.key1);
      this.pos = 0;
    }
    return this.buf[this.pos++]!;
  }

  /** Uniform in (0, 1) with 32-bit resolution, as float64. */
  nextUniform(): number {
    return (this.nextWord() + 0.5) / U32;
  }

  /**
   * Standard normal by Box-Muller on consecutive word pairs (first r cos, then r sin), with the
   * deterministic log/sin/cos of ./normal-math.ts.
   */
  nextNormal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.pair[1]!;
    }
    const w1 = this.nextWord();
    boxMuller(w1, this.nextWord(), this.pair, 0);
    this.hasSpare = true;
    return this.pair[0]!;
  }

  fillNormal(out: TensorData, start: number, count: number): void {
    for (let j = 0; j < count; j++) out[start + j] = this.nextNormal();
  }

  /** Gamma(alpha, 1) by Marsaglia and Tsang (2000); alpha < 1 through Gamma(alpha + 1) * U^(1/alpha). */
  gamma(alpha: number): number {
    if (alpha < 1) {
      const g = this.gamma(alpha + 1);
      return g * exp(log(this.nextUniform()) / alpha);
    }
    const d = alpha - 1 / 3;
    const c = 1 / sqrt(9 * d);
    for (;;) {
      const x = this.nextNormal();
      const t = 1 + c * x;
      if (t <= 0) continue;
      const v = t * t * t;
      const u = this.nextUniform();
      if (log(u) < 0.5 * x * x + d - d * v + d * log(v)) return d * v;
    }
  }
}

/**
 * The reference normal fill: row `r` of `out` gets the first `out.rowSize` normals of
 * `new RowStream(draw, r)` (an odd row length drops the last sine). Returns `out`.
 */
export function fillPhiloxNormal(out: Tensor, draw: PhiloxCall): Tensor {
  const rs = out.rowSize;
  for (let r = 0; r < out.rows; r++) new RowStream(draw, r).fillNormal(out.data, r * rs, rs);
  return out;
}
