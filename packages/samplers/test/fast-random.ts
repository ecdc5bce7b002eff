// Test-only Random for the heavy statistical tests. Jest runs tests inside a vm context, where every
// `Math.*` global lookup in a hot loop costs ~15x (measured: 2e6 Math.log calls 1.7 s vs 0.13 s
// with a module-level binding), and PhiloxRng draws about 30k normals/s there. This generator
// (xoshiro128**, Box-Muller) binds its Math functions once. Samplers are RNG-agnostic; the golden
// and small tests use PhiloxRng/ReplayRandom.
import { Tensor, shapeSize, type DType, type Random } from '@phys/tensor';

const { log, sqrt, cos, sin, exp, imul, PI } = Math;

export class FastRandom implements Random {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spare = NaN;

  constructor(seed: number) {
    // splitmix32 seeding
    let z = seed >>> 0;
    const next = (): number => {
      z = (z + 0x9e3779b9) >>> 0;
      let t = z ^ (z >>> 16);
      t = imul(t, 0x21f0aaad);
      t ^= t >>> 15;
      t = imul(t, 0x735a2d97);
      return (t ^ (t >>> 15)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
  }

  private word(): number {
    const r = imul(rotl(imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return r;
  }

  private u(): number {
    return (this.word() + 0.5) / 4294967296;
  }

  private n(): number {
    if (this.spare === this.spare) {
      const z = this.spare;
      this.spare = NaN;
      return z;
    }
    const r = sqrt(-2 * log(this.u()));
    const th = 2 * PI * this.u();
    this.spare = r * sin(th);
    return r * cos(th);
  }

  private g(alpha: number): number {
    if (alpha < 1) return this.g(alpha + 1) * exp(log(this.u()) / alpha);
    const d = alpha - 1 / 3;
    const c = 1 / sqrt(9 * d);
    for (;;) {
      const x = this.n();
      const t = 1 + c * x;
      if (t <= 0) continue;
      const v = t * t * t;
      if (log(this.u()) < 0.5 * x * x + d - d * v + d * log(v)) return d * v;
    }
  }

  normal(shape: readonly number[], dtype: DType = 'float32'): Tensor {
    const t = Tensor.zeros(shape, dtype);
    for (let i = 0; i < t.data.length; i++) t.data[i] = this.n();
    return t;
  }

  uniform(shape: readonly number[], dtype: DType = 'float32'): Tensor {
    const t = Tensor.zeros(shape, dtype);
    for (let i = 0; i < t.data.length; i++) t.data[i] = this.u();
    return t;
  }

  gamma(alpha: number, rows: number): Float64Array {
    return Float64Array.from({ length: rows }, () => this.g(alpha));
  }

  beta(a: number, b: number, rows: number): Float64Array {
    return Float64Array.from({ length: rows }, () => {
      const x = this.g(a);
      return x / (x + this.g(b));
    });
  }

  direction(shape: readonly number[], dtype: DType = 'float32'): Tensor {
    const t = this.normal(shape, dtype);
    const rs = shapeSize(shape.slice(1));
    for (let r = 0; r < t.rows; r++) {
      let s = 0;
      for (let j = r * rs; j < (r + 1) * rs; j++) s += t.data[j]! * t.data[j]!;
      const inv = 1 / sqrt(s);
      for (let j = r * rs; j < (r + 1) * rs; j++) t.data[j]! *= inv;
    }
    return t;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
