// The device arithmetic (native/kernel_math.h, the same source the CUDA kernels compile) built for
// the host with g++ and checked bit for bit against the TypeScript reference of @phys/tensor.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CpuBackend, PhiloxRng, Tensor, philox4x32, type PhiloxCall } from '@phys/tensor';
import { logUniform32, sinCos2Pi32 } from '../../tensor/src/normal-math.js';
import { fillPhiloxNormal } from '../../tensor/src/philox-stream.js';

const native = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'native');
let gxx = true;
try {
  execFileSync('g++', ['--version'], { stdio: 'ignore' });
} catch {
  gxx = false;
}
const describeHost = gxx ? describe : describe.skip;
if (!gxx) console.warn('host-math: g++ not found; the host build of the device arithmetic is not checked');

let binary = '';
let dir = '';
beforeAll(() => {
  if (!gxx) return;
  dir = mkdtempSync(path.join(tmpdir(), 'phys-cuda-host-'));
  binary = path.join(dir, 'host_test');
  execFileSync('g++', ['-std=c++17', '-O2', '-ffp-contract=off', '-o', binary, path.join(native, 'host_test.cc')], { stdio: 'inherit' });
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Runs requests through the host launcher; one array of output tokens per request. */
function host(requests: string[]): string[][] {
  const out = execFileSync(binary, { input: requests.join('\n') + '\n', encoding: 'utf8', maxBuffer: 1 << 28 });
  return out.split('\n').slice(0, requests.length).map((l) => l.trim().split(' ').filter(Boolean));
}

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);
/** The IEEE bits of a double as 16 hex digits (the launcher's number format). */
function hex(v: number): string {
  f64[0] = v;
  return u64[0]!.toString(16).padStart(16, '0');
}
const hexAll = (values: ArrayLike<number>): string[] => Array.from(values, hex);

const words = (() => {
  const r = new PhiloxRng(11).uniform([1, 3000], 'float64').data;
  const edge = [0, 1, 2, 3, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 0x40000000, 0xbfffffff, 0xc0000000, 0x3fffffff, 0x3504f333];
  // every power of two and its neighbours (the log's exponent boundaries, the quarter turns)
  for (let e = 0; e < 32; e++) edge.push(2 ** e, 2 ** e - 1, Math.min(2 ** e + 1, 0xffffffff));
  return [...edge, ...Array.from(r, (u) => Math.floor(u * 4294967296))];
})();

describeHost('kernel_math.h on the host equals the TypeScript reference bit for bit', () => {
  it('Philox4x32-10 rounds', () => {
    const reqs: string[] = [];
    const expected: string[][] = [];
    const w = new Uint32Array(4);
    for (let i = 0; i + 6 <= 600; i += 6) {
      const c = words.slice(i, i + 6);
      reqs.push(`philox ${c.join(' ')}`);
      philox4x32(w, c[0]!, c[1]!, c[2]!, c[3]!, c[4]!, c[5]!);
      expected.push(Array.from(w, String));
    }
    expect(host(reqs)).toEqual(expected);
  });

  it('the deterministic log and sin/cos of Box-Muller (normal-math.ts)', () => {
    const got = host(words.flatMap((w) => [`log ${w}`, `sincos ${w}`]));
    const pair = new Float64Array(2);
    const expected = words.flatMap((w) => {
      sinCos2Pi32(w, pair, 0);
      return [[hex(logUniform32(w))], hexAll(pair)];
    });
    expect(got).toEqual(expected);
  });

  it('Philox normals: whole fills in float32 and float64, odd rows, sample offsets that wrap past 2^32', () => {
    const draws: [PhiloxCall, number[]][] = [
      [{ key0: 5, key1: 6, call: 2, sampleOffset: 10, stream: 1 }, [3, 7]],
      [{ key0: 0xffffffff, key1: 0, call: 0, sampleOffset: 0xfffffffe, stream: 0xffffffff }, [4, 9]],
      [{ key0: 123456789, key1: 987654321, call: 77, sampleOffset: 0, stream: 3 }, [2, 1030]],
    ];
    for (const dtype of ['float32', 'float64'] as const) {
      const reqs: string[] = [];
      const expected: string[][] = [];
      for (const [d, shape] of draws) {
        reqs.push(`normal ${d.key0} ${d.key1} ${d.call} ${d.sampleOffset} ${d.stream} ${shape[0]} ${shape[1]} ${dtype === 'float64' ? 1 : 0}`);
        expected.push(hexAll(fillPhiloxNormal(Tensor.zeros(shape, dtype), d).data));
      }
      expect(host(reqs)).toEqual(expected);
    }
  });

  it('Philox uniforms: PhiloxRng.uniform (24-bit float32, 32-bit float64)', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const seed = 0x123456789abn;
      const rng = new PhiloxRng(seed, { sampleOffset: 4294967290, stream: 9 });
      rng.normal([1, 1]); // call 0; the uniforms below are call 1
      const ref = rng.uniform([8, 11], dtype);
      const [k0, k1] = [Number(seed & 0xffffffffn), Number(seed >> 32n)];
      const got = host([`uniform ${k0} ${k1} 1 4294967290 9 8 11 ${dtype === 'float64' ? 1 : 0}`]);
      expect(got).toEqual([hexAll(ref.data)]);
    }
  });

  it('fused linear combinations and scaleRows: every term count, per-row and scalar coefficients, signed zeros', () => {
    const cpu = new CpuBackend();
    const rng = new PhiloxRng(21);
    const rows = 3;
    const rs = 17;
    for (const dtype of ['float32', 'float64'] as const) {
      for (let K = 1; K <= 6; K++) {
        const xs = Array.from({ length: K }, () => rng.normal([rows, rs], dtype));
        xs[0]!.data[0] = -0; // -0 survives c x (+ d y) but not the generic 0 + ... loop
        xs[0]!.data[1] = 0;
        const coefs = Array.from({ length: K }, (_, k) => (k % 2 === 0 ? Float64Array.of(-1.5, 1 / 3, 7e-3) : 0.1 * (k + 1)));
        if (K >= 2) for (const x of xs.slice(1)) x.data[0] = 0;
        const terms = xs.map((x, k) => [coefs[k]!, x] as const);
        const ref = cpu.lincomb(terms);
        const mode = K === 2 || K === 3 ? 1 : 2;
        const req = [
          `lincomb ${mode} ${K} ${rows} ${rs} ${dtype === 'float64' ? 1 : 0}`,
          ...coefs.map((c) => (typeof c === 'number' ? 0 : 1)),
          ...coefs.flatMap((c) => (typeof c === 'number' ? [hex(c)] : hexAll(c))),
          ...xs.flatMap((x) => hexAll(x.data)),
        ].join(' ');
        const s = Float64Array.of(-2, 0.7, 1e-30);
        const scaled = cpu.scaleRows(xs[0]!, s);
        const scaleReq = [`lincomb 0 1 ${rows} ${rs} ${dtype === 'float64' ? 1 : 0} 1`, ...hexAll(s), ...hexAll(xs[0]!.data)].join(' ');
        expect(host([req, scaleReq])).toEqual([hexAll(ref.data), hexAll(scaled.data)]);
      }
    }
  });

  it('the GEMM-form distance and its cancellation guard (wasm/backend.ts pairwiseSqDist)', () => {
    // the reference: s = |x|^2 + |y|^2; v = s - 2 x.y; v > cancel s ? v : recompute directly
    const reference = (nx: number, ny: number, dot: number, cancel: number): string => {
      const s = nx + ny;
      const v = s - 2 * dot;
      return v > cancel * s ? hex(v) : 'direct';
    };
    const rng = new PhiloxRng(31).uniform([400, 3], 'float64').data;
    const cases: number[][] = [];
    for (let i = 0; i < 400; i++) {
      const nx = rng[3 * i]! * 100;
      const ny = rng[3 * i + 1]! * 100;
      // dot products from well apart to nearly equal points (v near and below the guard)
      const dot = ((nx + ny) / 2) * (1 - 10 ** (-1 - 8 * rng[3 * i + 2]!));
      for (const cancel of [2 ** -20, 2 ** -10]) cases.push([nx, ny, dot, cancel]);
    }
    cases.push([1, 1, 1, 2 ** -20], [0, 0, 0, 2 ** -20], [4, 9, 6, 2 ** -10]);
    const got = host(cases.map((c) => `dist ${c.map(hex).join(' ')}`));
    expect(got.map((t) => t[0])).toEqual(cases.map(([a, b, c, d]) => reference(a!, b!, c!, d!)));
    expect(got.filter((t) => t[0] === 'direct').length).toBeGreaterThan(10);
    expect(got.filter((t) => t[0] !== 'direct').length).toBeGreaterThan(10);
  });
});
