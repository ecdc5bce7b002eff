// The onnxruntime GEMM engine's worker thread (public InferenceSession.run, the caller waiting in
// Atomics.wait): a process holding an engine exits on its own, and many calls of changing shapes
// and types on one engine (buffers handed back and reused, one session per type combination)
// agree with a plain triple loop.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createOrtGemm } from '../src/index.js';

const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));

beforeAll(() => {
  if (!existsSync(dist)) throw new Error(`build @phys/onnx first: ${dist} is missing (npx turbo run build --filter=@phys/onnx)`);
});

function reference(a: ArrayLike<number>, b: ArrayLike<number>, m: number, n: number, k: number, transB: boolean): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * k + p]! * b[transB ? j * k + p : p * n + j]!;
      c[i * n + j] = s;
    }
  }
  return c;
}

describe('createOrtGemm worker', () => {
  it('lets a process holding an engine exit on its own after a call', () => {
    const script = [
      `import { createOrtGemm } from ${JSON.stringify(dist)};`,
      'const e = createOrtGemm({ threads: 1 });',
      'const c = e.gemm(Float64Array.of(1, 2, 3, 4), Float64Array.of(5, 6, 7, 8), 2, 2, 2, false);',
      'console.log(e.name, Array.from(c).join(","));',
    ].join('\n');
    // execFileSync throws if the child has not exited after 60 s (a worker keeping it alive).
    const stdout = execFileSync(process.execPath, ['--input-type=module', '-e', script], { timeout: 60_000, encoding: 'utf8' });
    expect(stdout.trim()).toBe('ort1 19,22,43,50');
  });

  it('serves calls of changing shapes and types on one engine (float64 graphs: within 1e-13)', () => {
    const engine = createOrtGemm({ threads: 2 });
    let seed = 1;
    const rand = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
    const cases: [number, number, number, boolean, 'f32' | 'f64'][] = [
      [3, 5, 7, true, 'f32'],
      [40, 33, 65, false, 'f64'],
      [2, 2, 2, true, 'f64'],
      [17, 64, 129, true, 'f32'],
      [3, 5, 7, false, 'f32'],
    ];
    for (const [m, n, k, transB, t] of cases) {
      const make = (len: number): Float32Array | Float64Array => (t === 'f32' ? Float32Array.from({ length: len }, () => rand()) : Float64Array.from({ length: len }, () => rand()));
      const a = make(m * k);
      const b = make(n * k);
      const norms = transB ? { a: new Float64Array(m), b: new Float64Array(n) } : undefined;
      const c = engine.gemm(a, b, m, n, k, transB, norms);
      const want = reference(a, b, m, n, k, transB);
      expect(c.length).toBe(m * n);
      for (let i = 0; i < m * n; i++) expect(Math.abs(c[i]! - want[i]!)).toBeLessThanOrEqual(1e-13 * k);
      if (norms) {
        for (let i = 0; i < m; i++) expect(norms.a[i]).toBeCloseTo(reference(a, a, m, m, k, true)[i * m + i]!, 12);
        for (let j = 0; j < n; j++) expect(norms.b[j]).toBeCloseTo(reference(b, b, n, n, k, true)[j * n + j]!, 12);
      }
    }
  });
});
