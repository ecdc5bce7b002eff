import { CpuBackend, PhiloxRng, WasmBackend, getBackend, setBackend } from '@phys/tensor';
import { expectClose } from '../../../test-support/golden.js';
import { choleskyInPlace, congruenceLower, gemmABt, symmetricEigen, symmetricEigenvalues, transpose, tridiagonalize } from '../src/linalg.js';

function randomSpd(n: number, seed: number, rank = n): Float64Array {
  const x = new PhiloxRng(seed).normal([rank, n], 'float64').data;
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let r = 0; r < rank; r++) out[i * n + j] = out[i * n + j]! + x[r * n + i]! * x[r * n + j]!;
  return out;
}

function matmul(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) for (let j = 0; j < n; j++) out[i * n + j] = out[i * n + j]! + a[i * n + k]! * b[k * n + j]!;
  return out;
}

describe('dense float64 linear algebra', () => {
  test('Cholesky reproduces S = L L^T and reports the failing pivot of a singular matrix', () => {
    for (const n of [1, 2, 7, 33]) {
      const s = randomSpd(n, n, n + 3);
      const L = s.slice();
      expect(choleskyInPlace(L, n, 0)).toBe(-1);
      expectClose(matmul(L, transpose(L, n, n), n), s, 1e-12, 1e-12, `L L^T (n=${n})`);
    }
    const sing = randomSpd(6, 3, 4);
    expect(choleskyInPlace(sing.slice(), 6, 6 * 2 ** -52 * 20)).toBe(4);
  });

  test('gemmABt with odd sizes, accumulation and the lower-only mode', () => {
    const rng = new PhiloxRng(2);
    const A = rng.normal([7, 5], 'float64').data as Float64Array;
    const B = rng.normal([9, 5], 'float64').data as Float64Array;
    const C = new Float64Array(63).fill(1);
    gemmABt(A, B, C, 7, 9, 5, { accumulate: true });
    for (let i = 0; i < 7; i++) for (let j = 0; j < 9; j++) {
      let s = 1;
      for (let k = 0; k < 5; k++) s += A[i * 5 + k]! * B[j * 5 + k]!;
      expect(C[i * 9 + j]).toBeCloseTo(s, 13);
    }
    const S = new Float64Array(49);
    gemmABt(A, A, S, 7, 7, 5, { lowerOnly: true });
    for (let i = 0; i < 7; i++) for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = 0; k < 5; k++) s += A[i * 5 + k]! * A[j * 5 + k]!;
      expect(S[i * 7 + j]).toBeCloseTo(s, 13);
    }
  });

  test('L^T S L by the blocked triangular products equals the naive product', () => {
    const n = 37;
    const L = randomSpd(n, 5);
    expect(choleskyInPlace(L, n, 0)).toBe(-1);
    const S = randomSpd(n, 6);
    const naive = matmul(matmul(transpose(L, n, n), S, n), L, n);
    expectClose(congruenceLower(L, S, n), naive, 1e-12, 1e-10, 'L^T S L');
  });

  test('eigenvalues: trace, Frobenius norm, known spectra, and S v = l v', () => {
    // Known spectrum: Q diag(l) Q^T with a random orthogonal Q (Householder product).
    const n = 40;
    const lam = Array.from({ length: n }, (_, i) => (i % 5 === 0 ? 0 : i * 0.37 - 3));
    const rng = new PhiloxRng(8);
    let Q: Float64Array = new Float64Array(n * n);
    for (let i = 0; i < n; i++) Q[i * n + i] = 1;
    for (let h = 0; h < 3; h++) {
      const v = rng.direction([1, n], 'float64').data;
      const H = new Float64Array(n * n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) H[i * n + j] = (i === j ? 1 : 0) - 2 * v[i]! * v[j]!;
      Q = matmul(Q, H, n);
    }
    const D = new Float64Array(n * n);
    lam.forEach((l, i) => (D[i * n + i] = l));
    const S = matmul(matmul(Q, D, n), transpose(Q, n, n), n);
    const got = symmetricEigenvalues(S, n);
    expectClose(got, [...lam].sort((a, b) => a - b), 0, 1e-12, 'eigenvalues');
    const { values, vectors } = symmetricEigen(S, n);
    for (let k = 0; k < n; k++) {
      const v = vectors.subarray(k * n, (k + 1) * n);
      for (let i = 0; i < n; i++) {
        let sv = 0;
        for (let j = 0; j < n; j++) sv += S[i * n + j]! * v[j]!;
        expect(Math.abs(sv - values[k]! * v[i]!)).toBeLessThan(1e-12);
      }
      let nn = 0;
      for (let i = 0; i < n; i++) nn += v[i]! ** 2;
      expect(nn).toBeCloseTo(1, 13);
    }
  });

  test('eigenvalues of diagonal, 1x1, 2x2 and already-tridiagonal matrices', () => {
    expect(Array.from(symmetricEigenvalues(Float64Array.from([3]), 1))).toEqual([3]);
    const e2 = symmetricEigenvalues(Float64Array.from([2, 1, 1, 2]), 2);
    expectClose(e2, [1, 3], 1e-15, 1e-15, '2x2');
    const n = 50;
    const T = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      T[i * n + i] = 2;
      if (i > 0) T[i * n + i - 1] = T[(i - 1) * n + i] = -1;
    }
    // Eigenvalues of the 1-D Laplacian: 2 - 2 cos(k pi/(n+1)).
    const exact = Array.from({ length: n }, (_, k) => 2 - 2 * Math.cos(((k + 1) * Math.PI) / (n + 1))).sort((a, b) => a - b);
    expectClose(symmetricEigenvalues(T, n), exact, 0, 1e-13, 'Laplacian');
  });
});

describe('WebAssembly SIMD kernels (the WasmBackend of @phys/tensor) agree with the TypeScript loops (any other backend)', () => {
  const initial = getBackend();
  const wasm = new WasmBackend();
  afterEach(() => {
    setBackend(initial);
  });

  function both<T>(f: () => T): [T, T] {
    setBackend(wasm);
    const a = f();
    setBackend(new CpuBackend());
    const b = f();
    setBackend(initial);
    return [a, b];
  }

  test('the kernels come with the WebAssembly backend, and a scratch session nests', () => {
    const fresh = new WasmBackend();
    const inner = fresh.withScratch(({ alloc }) => {
      const first = alloc(3);
      return [first, fresh.withScratch((s) => s.alloc(1)), alloc(1)];
    });
    // Scratch blocks are blocks of the backend's heap (64-byte size classes): 3 float64 take one
    // block, the next starts 64 bytes on, and the inner session's block is released when it returns
    // (and taken again by the next request)
    expect(inner).toEqual([0, 64, 64]);
  });

  test('gemmABt: odd sizes, strides, alpha, accumulate, lower-only and triangular starts (1e-13)', () => {
    const rng = new PhiloxRng(31);
    const A = rng.normal([71 * 40], 'float64').data as Float64Array;
    const B = rng.normal([53 * 40], 'float64').data as Float64Array;
    // Row i of U is zero before column i (what a triangular start relies on).
    const U = A.slice();
    for (let i = 0; i < 71; i++) U.fill(0, i * 40, i * 40 + Math.min(i, 40));
    const C0 = rng.normal([71 * 60], 'float64').data as Float64Array;
    const cases = [
      { m: 67, p: 53, K: 37, opts: { lda: 40, ldb: 40, ldc: 60, alpha: -0.5, accumulate: true } },
      { m: 53, p: 53, K: 33, opts: { lda: 40, ldb: 40, ldc: 60, lowerOnly: true, accumulate: true } },
      { m: 53, p: 53, K: 40, opts: { lda: 40, ldb: 40, ldc: 60, start: (i: number) => Math.min(i, 39) } },
    ];
    for (const { m, p, K, opts } of cases) {
      const [w, j] = both(() => {
        const C = C0.slice();
        gemmABt(opts.start ? U : A, opts.lowerOnly ? A : B, C, m, p, K, opts);
        return C;
      });
      for (let i = 0; i < m; i++) {
        for (let c = 0; c < (opts.lowerOnly ? i + 1 : p); c++) expect(Math.abs(w[i * 60 + c]! - j[i * 60 + c]!)).toBeLessThan(1e-13);
      }
    }
  });

  test('Cholesky, tridiagonalisation and QL with vectors at n = 150 (1e-12)', () => {
    const n = 150;
    const S = randomSpd(n, 12, n + 20);
    const [lw, lj] = both(() => {
      const L = S.slice();
      expect(choleskyInPlace(L, n, 0)).toBe(-1);
      return L;
    });
    expectClose(lw, lj, 1e-12, 1e-12, 'L');
    const [ew, ej] = both(() => symmetricEigen(S, n));
    expectClose(ew.values, ej.values, 1e-12, 1e-10, 'eigenvalues');
    // Eigenvectors agree up to sign.
    for (let k = 0; k < n; k += 17) {
      const a = ew.vectors.subarray(k * n, (k + 1) * n);
      const b = ej.vectors.subarray(k * n, (k + 1) * n);
      const sign = Math.sign(a.reduce((s, x, i) => s + x * b[i]!, 0));
      for (let i = 0; i < n; i++) expect(Math.abs(a[i]! - sign * b[i]!)).toBeLessThan(1e-9);
    }
    const [tw, tj] = both(() => tridiagonalize(S.slice(), n));
    // The tridiagonal entries accumulate rounding over the n steps (summation order differs).
    expectClose(tw.diag, tj.diag, 1e-9, 1e-9, 'diag');
    expectClose(tw.off, tj.off, 1e-9, 1e-9, 'off');
  });
});
