import { CpuBackend, PhiloxRng, Tensor, ValueError, WasmBackend, philox4x32, setBackend, type Backend, type DType, type PhiloxCall } from '../src/index.js';
import { boxMuller, cosKernel, logUniform32, sinCos2Pi32, sinKernel } from '../src/normal-math.js';
import { ksPValue, ksStatistic, moments, normalCdf } from '../../../test-support/stats.js';

// PhiloxRng normals: the deterministic log / sin / cos (src/normal-math.ts) against Math, the
// WebAssembly kernel bit-identical to the TypeScript reference, and the draws' distribution.
const cpu = new CpuBackend();
const wasm = new WasmBackend({ minElements: 0 });
const U32 = 2 ** 32;

/** |a - b| in units of the last place of b (float64). */
function ulps(a: number, b: number): number {
  if (a === b) return 0;
  const ulp = 2 ** (Math.floor(Math.log2(Math.abs(b))) - 52);
  return Math.abs(a - b) / ulp;
}

/** Words spread over [0, 2^32): every w < 4096, both sides of each power of two, and a dense stride. */
function sampleWords(stride: number): number[] {
  const ws: number[] = [];
  for (let w = 0; w < 4096; w++) ws.push(w);
  for (let k = 12; k <= 32; k++) for (let d = -3; d <= 3; d++) ws.push(Math.min(U32 - 1, 2 ** k + d));
  for (let w = 4096; w < U32; w += stride) ws.push(w);
  ws.push(U32 - 1);
  return ws;
}

describe('deterministic log and sin/cos of the Box-Muller transform', () => {
  it('logUniform32(w) = log((w + 0.5) / 2^32) within 1 ulp of Math.log, including w = 0, 1, 2^32 - 1', () => {
    let worst = 0;
    for (const w of sampleWords(4099)) worst = Math.max(worst, ulps(logUniform32(w), Math.log((w + 0.5) / U32)));
    expect(worst).toBeLessThanOrEqual(1);
    expect(ulps(logUniform32(0), -33 * Math.LN2)).toBeLessThanOrEqual(1);
    expect(logUniform32(U32 - 1)).toBeLessThan(0);
    expect(Math.abs(logUniform32(U32 - 1) + 0.5 / U32)).toBeLessThan(1e-20);
  });

  it('the sin/cos kernels are within 1 ulp of Math.sin/cos on |x| <= pi/4', () => {
    let worst = 0;
    for (let i = -20000; i <= 20000; i++) {
      const x = (i / 20000) * (Math.PI / 4);
      if (x !== 0) worst = Math.max(worst, ulps(sinKernel(x), Math.sin(x)));
      worst = Math.max(worst, ulps(cosKernel(x), Math.cos(x)));
    }
    expect(worst).toBeLessThanOrEqual(1);
  });

  it('sinCos2Pi32(w) = (cos, sin)(2 pi (w + 0.5) / 2^32) within 2 ulps of the exact values', () => {
    // Reference: the reduced argument t = u - q/4 is exact; 2 pi t = x + dx with x = fl(2 pi t) and
    // dx from an error-free product (Dekker) plus the low part of 2 pi; first order in dx suffices.
    const TWO_PI_HI = 6.283185307179586;
    const TWO_PI_LO = 2.4492935982947064e-16;
    const split = (a: number): [number, number] => {
      const c = 134217729 * a;
      const hi = c - (c - a);
      return [hi, a - hi];
    };
    const out = new Float64Array(2);
    let worst = 0;
    for (const w of sampleWords(65537)) {
      const u = (w + 0.5) / U32;
      const q = Math.round(4 * u);
      const t = u - q / 4;
      const x = TWO_PI_HI * t;
      const [ah, al] = split(TWO_PI_HI);
      const [bh, bl] = split(t);
      const dx = ah * bh - x + ah * bl + al * bh + al * bl + TWO_PI_LO * t;
      const s = Math.sin(x) + Math.cos(x) * dx;
      const c = Math.cos(x) - Math.sin(x) * dx;
      const [cr, sr] = [[c, s], [-s, c], [-c, -s], [s, -c]][q & 3]!;
      sinCos2Pi32(w, out, 0);
      worst = Math.max(worst, ulps(out[0]!, cr!), ulps(out[1]!, sr!));
    }
    expect(worst).toBeLessThanOrEqual(2);
  });

  it('boxMuller gives (r cos, r sin) with r = sqrt(-2 log u1) on a known pair', () => {
    const out = new Float64Array(2);
    boxMuller(0x80000000, 0x40000000, out, 0); // u1 ~ 1/2, u2 ~ 1/4: (~0, ~r)
    const r = Math.sqrt(-2 * Math.log((0x80000000 + 0.5) / U32));
    expect(Math.abs(out[0]! + r * Math.sin((2 * Math.PI * 0.5) / U32))).toBeLessThan(1e-15);
    expect(ulps(out[1]!, r)).toBeLessThanOrEqual(2);
  });
});

/** The layout PhiloxRng promises, computed directly from philox4x32 and boxMuller. */
function expectedNormals(rows: number, rowSize: number, d: PhiloxCall, dtype: DType): Tensor {
  const out = Tensor.zeros([rows, rowSize], dtype);
  const words = new Uint32Array(4);
  const pair = new Float64Array(2);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < rowSize; j += 4) {
      philox4x32(words, j / 4, d.call, (d.sampleOffset + r) >>> 0, d.stream, d.key0, d.key1);
      for (let h = 0; h < 4 && j + h < rowSize; h += 2) {
        boxMuller(words[h]!, words[h + 1]!, pair, 0);
        out.data[r * rowSize + j + h] = pair[0]!;
        if (j + h + 1 < rowSize) out.data[r * rowSize + j + h + 1] = pair[1]!;
      }
    }
  }
  return out;
}

const sameBits = (a: Tensor, b: Tensor): boolean => a.data.every((v, i) => Object.is(v, b.data[i]));

describe.each(['float32', 'float64'] as DType[])('philoxNormal (%s)', (dtype) => {
  const draws: PhiloxCall[] = [
    { key0: 0, key1: 0, call: 0, sampleOffset: 0, stream: 0 },
    { key0: 42, key1: 0, call: 3, sampleOffset: 17, stream: 1 },
    { key0: 0xffffffff, key1: 0xffffffff, call: 0xffffffff, sampleOffset: 0xfffffffb, stream: 0xffffffff }, // seed 2^64 - 1, counters near 2^32 (sample wraps)
    { key0: 0x9e3779b9, key1: 12345, call: 0x80000000, sampleOffset: 0x7ffffffe, stream: 7 },
  ];

  it('follows the documented stream layout on both backends (rows 1..9, row sizes 1..37)', () => {
    for (const d of draws) {
      for (let rows = 1; rows <= 9; rows += 2) {
        for (let rs = 1; rs <= 37; rs++) {
          const ref = expectedNormals(rows, rs, d, dtype);
          for (const be of [cpu, wasm] as Backend[]) {
            const got = be.philoxNormal(Tensor.zeros([rows, rs], dtype), d);
            if (!sameBits(got, ref)) throw new Error(`${be.name}: rows ${rows}, row size ${rs}, draw ${JSON.stringify(d)} differ`);
          }
        }
      }
    }
  });

  it('WasmBackend equals CpuBackend bit for bit over many seeds, calls, offsets and streams', () => {
    for (let i = 0; i < 60; i++) {
      const d: PhiloxCall = { key0: (i * 0x2545f491) >>> 0, key1: (i * 0x9e3779b9) >>> 0, call: i % 7, sampleOffset: (i * 977) >>> 0, stream: i % 3 };
      const shape = [1 + (i % 9), 1 + ((i * 7) % 37), 1 + (i % 2)];
      expect(sameBits(wasm.philoxNormal(Tensor.zeros(shape, dtype), d), cpu.philoxNormal(Tensor.zeros(shape, dtype), d))).toBe(true);
    }
  });

  it('splits large fills into kernel calls without changing a bit (many short rows; rows longer than a call)', () => {
    const d = draws[3]!;
    const fast = new WasmBackend();
    for (const shape of [[3001, 37], [2, 65536 * 2 + 6]]) {
      expect(sameBits(fast.philoxNormal(Tensor.zeros(shape, dtype), d), cpu.philoxNormal(Tensor.zeros(shape, dtype), d))).toBe(true);
    }
  });

  it('PhiloxRng.normal and direction give the same tensors whichever backend is active', () => {
    const draw = (): Tensor[] => {
      const rng = new PhiloxRng(2n ** 64n - 1n, { sampleOffset: 2 ** 32 - 3, stream: 5 });
      return [rng.normal([7, 13], dtype), rng.direction([5, 3], dtype), rng.normal([4], dtype)];
    };
    setBackend(cpu);
    const a = draw();
    setBackend(wasm);
    const b = draw();
    setBackend(cpu);
    a.forEach((t, i) => {
      expect(sameBits(t, b[i]!)).toBe(true);
    });
  });
});

describe('philoxNormal arguments', () => {
  it.each([cpu, wasm] as Backend[])('rejects counter words that are not uint32 (%#)', (be) => {
    const d = { key0: 1, key1: 0, call: 0, sampleOffset: 0, stream: 0 };
    expect(() => be.philoxNormal(Tensor.zeros([2, 2]), { ...d, call: -1 })).toThrow(ValueError);
    expect(() => be.philoxNormal(Tensor.zeros([2, 2]), { ...d, stream: 2 ** 32 })).toThrow(/draw.stream/);
    expect(() => be.philoxNormal(Tensor.zeros([2, 2]), { ...d, key1: 0.5 })).toThrow(/draw.key1/);
  });
});

describe('distribution of the draws (WasmBackend, seed 2024, n = 400k)', () => {
  it('passes KS against N(0, 1) with mean, variance, skewness, kurtosis and tail mass in their 4-sigma bands', () => {
    setBackend(wasm);
    const z = new PhiloxRng(2024).normal([800, 500], 'float64').data;
    setBackend(cpu);
    const n = z.length;
    const { mean, variance } = moments(z);
    let m3 = 0;
    let m4 = 0;
    let tail = 0;
    for (const v of z) {
      m3 += v ** 3;
      m4 += v ** 4;
      if (Math.abs(v) > 3) tail++;
    }
    m3 /= n;
    m4 /= n;
    const pTail = 2 * (1 - normalCdf(3)); // 0.0027
    expect(Math.abs(mean)).toBeLessThan(4 / Math.sqrt(n));
    expect(Math.abs(variance - 1)).toBeLessThan(4 * Math.sqrt(2 / n));
    expect(Math.abs(m3)).toBeLessThan(4 * Math.sqrt(15 / n)); // Var(z^3) = 15
    expect(Math.abs(m4 - 3)).toBeLessThan(4 * Math.sqrt(96 / n)); // Var(z^4) = 105 - 9
    expect(Math.abs(tail / n - pTail)).toBeLessThan(4 * Math.sqrt((pTail * (1 - pTail)) / n));
    expect(ksPValue(ksStatistic(z, normalCdf), n)).toBeGreaterThan(0.01);
  });
});
