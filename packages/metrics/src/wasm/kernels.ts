// WebAssembly SIMD (f64x2) kernels for the float64 hot loops: the C += A B^T micro-kernel, the
// symmetric lower-triangle matrix-vector product and rank-2 update of Householder
// tridiagonalisation, and plane rotations of QL. Plain TypeScript versions of the same loops live in
// ../linalg.ts and are used when WebAssembly SIMD is unavailable (or disabled for testing).
import { wasmAssembler } from '@phys/tensor';

type FunctionDef = wasmAssembler.FunctionDef;
type Instr = wasmAssembler.Instr;
const { assemble, compileWasm, createWasmMemory, instantiateWasm, F64, I32, V128 } = wasmAssembler;
type WasmMemory = wasmAssembler.WasmMemory;

const get = (i: number): Instr => ['local.get', i];
const set = (i: number): Instr => ['local.set', i];
const i32 = (v: number): Instr => ['i32.const', v];

/** Counted loop skeleton: `for (idx = 0; idx < limit; idx += step) body`. */
function forLoop(idx: number, limit: Instr[], step: number, body: Instr[]): Instr[] {
  return [
    i32(0),
    set(idx),
    ['block'],
    ['loop'],
    get(idx),
    ...limit,
    ['i32.ge_u'],
    ['br_if', 1],
    ...body,
    get(idx),
    i32(step),
    ['i32.add'],
    set(idx),
    ['br', 0],
    ['end'],
    ['end'],
  ];
}

/**
 * gemm(a, b, c, mb, pb, kBytes, sa, sb, sc): C[i, j] += sum_k A[i, k] B[j, k] for i < mb (step 2),
 * j < pb (step 4), k < kBytes/8 (step 2); strides in bytes. 2 x 4 register tile of f64x2 sums.
 */
function gemmDef(): FunctionDef {
  const [a, b, c, mb, pb, kb, sa, sb, sc] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [i, j, k, a0, a1, b0, b1, b2, b3, cp] = [9, 10, 11, 12, 13, 14, 15, 16, 17, 18];
  const acc = (r: number, q: number): number => 19 + r * 4 + q;
  const [x0, x1, y] = [27, 28, 29];
  const bq = [b0, b1, b2, b3];
  const inner: Instr[] = [get(a0), get(k), ['i32.add'], ['v128.load', 0], set(x0), get(a1), get(k), ['i32.add'], ['v128.load', 0], set(x1)];
  for (let q = 0; q < 4; q++) {
    inner.push(get(bq[q]!), get(k), ['i32.add'], ['v128.load', 0], set(y));
    inner.push(get(acc(0, q)), get(x0), get(y), ['f64x2.mul'], ['f64x2.add'], set(acc(0, q)));
    inner.push(get(acc(1, q)), get(x1), get(y), ['f64x2.mul'], ['f64x2.add'], set(acc(1, q)));
  }
  const tile: Instr[] = [get(b), get(j), get(sb), ['i32.mul'], ['i32.add'], set(b0)];
  tile.push(get(b0), get(sb), ['i32.add'], set(b1), get(b1), get(sb), ['i32.add'], set(b2), get(b2), get(sb), ['i32.add'], set(b3));
  for (let r = 0; r < 2; r++) for (let q = 0; q < 4; q++) tile.push(['v128.const'], set(acc(r, q)));
  tile.push(...forLoop(k, [get(kb)], 16, inner));
  for (let r = 0; r < 2; r++) {
    for (let q = 0; q < 4; q++) {
      tile.push(get(c), get(i), i32(r), ['i32.add'], get(sc), ['i32.mul'], ['i32.add'], get(j), i32(q), ['i32.add'], i32(3), ['i32.shl'], ['i32.add'], ['local.tee', cp]);
      tile.push(get(cp), ['f64.load', 0], get(acc(r, q)), ['f64x2.extract_lane', 0], get(acc(r, q)), ['f64x2.extract_lane', 1], ['f64.add'], ['f64.add'], ['f64.store', 0]);
    }
  }
  const rows: Instr[] = [get(a), get(i), get(sa), ['i32.mul'], ['i32.add'], set(a0), get(a0), get(sa), ['i32.add'], set(a1), ...forLoop(j, [get(pb)], 4, tile)];
  return {
    name: 'gemm',
    params: [I32, I32, I32, I32, I32, I32, I32, I32, I32],
    locals: [
      [10, I32],
      [11, V128],
    ],
    code: forLoop(i, [get(mb)], 2, rows),
  };
}

/**
 * symv(a, lda, m, v, p): p[i] += sum_{j <= i} A[i, j] v[j] and p[j] += A[i, j] v[i] (j < i) for the
 * lower triangle of the m x m block at a (row stride lda bytes): p += A v for symmetric A.
 */
function symvDef(): FunctionDef {
  const [a, lda, m, v, p] = [0, 1, 2, 3, 4];
  const [i, row, j, jEven] = [5, 6, 7, 8];
  const [vi, s, aij] = [9, 10, 11];
  const [vi2, accv, a2] = [12, 13, 14];
  const inner: Instr[] = [
    get(row), get(j), ['i32.add'], ['v128.load', 0], set(a2),
    get(accv), get(a2), get(v), get(j), ['i32.add'], ['v128.load', 0], ['f64x2.mul'], ['f64x2.add'], set(accv),
    get(p), get(j), ['i32.add'],
    get(p), get(j), ['i32.add'], ['v128.load', 0], get(a2), get(vi2), ['f64x2.mul'], ['f64x2.add'],
    ['v128.store', 0],
  ];
  const body: Instr[] = [
    get(a), get(i), get(lda), ['i32.mul'], ['i32.add'], set(row),
    get(v), get(i), i32(3), ['i32.shl'], ['i32.add'], ['f64.load', 0], set(vi),
    get(vi), ['f64x2.splat'], set(vi2),
    ['v128.const'], set(accv),
    get(i), i32(-2), ['i32.and'], i32(3), ['i32.shl'], set(jEven),
    ...forLoop(j, [get(jEven)], 16, inner),
    get(accv), ['f64x2.extract_lane', 0], get(accv), ['f64x2.extract_lane', 1], ['f64.add'], set(s),
    // odd i: the element j = i - 1 (byte offset jEven) outside the pairs
    get(i), i32(1), ['i32.and'], ['if'],
    get(row), get(jEven), ['i32.add'], ['f64.load', 0], set(aij),
    get(s), get(aij), get(v), get(jEven), ['i32.add'], ['f64.load', 0], ['f64.mul'], ['f64.add'], set(s),
    get(p), get(jEven), ['i32.add'],
    get(p), get(jEven), ['i32.add'], ['f64.load', 0], get(aij), get(vi), ['f64.mul'], ['f64.add'],
    ['f64.store', 0],
    ['end'],
    // diagonal
    get(s), get(row), get(i), i32(3), ['i32.shl'], ['i32.add'], ['f64.load', 0], get(vi), ['f64.mul'], ['f64.add'], set(s),
    get(p), get(i), i32(3), ['i32.shl'], ['i32.add'],
    get(p), get(i), i32(3), ['i32.shl'], ['i32.add'], ['f64.load', 0], get(s), ['f64.add'],
    ['f64.store', 0],
  ];
  return {
    name: 'symv',
    params: [I32, I32, I32, I32, I32],
    locals: [
      [4, I32],
      [3, F64],
      [3, V128],
    ],
    code: forLoop(i, [get(m)], 1, body),
  };
}

/** syr2(a, lda, m, v, w): A[i, j] -= v[i] w[j] + w[i] v[j] for j <= i (lower triangle, m x m block). */
function syr2Def(): FunctionDef {
  const [a, lda, m, v, w] = [0, 1, 2, 3, 4];
  const [i, row, j, jEven] = [5, 6, 7, 8];
  const [vi, wi] = [9, 10];
  const [vi2, wi2] = [11, 12];
  const inner: Instr[] = [
    get(row), get(j), ['i32.add'],
    get(row), get(j), ['i32.add'], ['v128.load', 0],
    get(vi2), get(w), get(j), ['i32.add'], ['v128.load', 0], ['f64x2.mul'], ['f64x2.sub'],
    get(wi2), get(v), get(j), ['i32.add'], ['v128.load', 0], ['f64x2.mul'], ['f64x2.sub'],
    ['v128.store', 0],
  ];
  const body: Instr[] = [
    get(a), get(i), get(lda), ['i32.mul'], ['i32.add'], set(row),
    get(v), get(i), i32(3), ['i32.shl'], ['i32.add'], ['f64.load', 0], set(vi),
    get(w), get(i), i32(3), ['i32.shl'], ['i32.add'], ['f64.load', 0], set(wi),
    get(vi), ['f64x2.splat'], set(vi2),
    get(wi), ['f64x2.splat'], set(wi2),
    get(i), i32(1), ['i32.add'], i32(-2), ['i32.and'], i32(3), ['i32.shl'], set(jEven),
    ...forLoop(j, [get(jEven)], 16, inner),
    // even i: the diagonal j = i (byte offset jEven) is left over
    get(i), i32(1), ['i32.and'], ['i32.eqz'], ['if'],
    get(row), get(jEven), ['i32.add'],
    get(row), get(jEven), ['i32.add'], ['f64.load', 0],
    get(vi), get(wi), ['f64.mul'], ['f64.sub'],
    get(wi), get(vi), ['f64.mul'], ['f64.sub'],
    ['f64.store', 0],
    ['end'],
  ];
  return {
    name: 'syr2',
    params: [I32, I32, I32, I32, I32],
    locals: [
      [4, I32],
      [2, F64],
      [2, V128],
    ],
    code: forLoop(i, [get(m)], 1, body),
  };
}

/**
 * fused(a, lda, m, vs, ws, u, q): the rank-2 update of one Householder step followed, in the same
 * pass, by the next step's matrix-vector product: A[i, j] -= vs[i] ws[j] + ws[i] vs[j] (j <= i),
 * then q[i] += sum_{j <= i} A[i, j] u[j] and q[j] += A[i, j] u[i] (j < i) with the updated A.
 */
function fusedDef(): FunctionDef {
  const [a, lda, m, vs, ws, u, q] = [0, 1, 2, 3, 4, 5, 6];
  const [i, row, j, jEven] = [7, 8, 9, 10];
  const [vi, wi, ui, s, aij] = [11, 12, 13, 14, 15];
  const [vi2, wi2, ui2, accv, a2] = [16, 17, 18, 19, 20];
  const at = (base: number, off: number): Instr[] => [get(base), get(off), ['i32.add']];
  const updated = (off: number): Instr[] => [
    ...at(row, off), ['f64.load', 0],
    get(vi), ...at(ws, off), ['f64.load', 0], ['f64.mul'], ['f64.sub'],
    get(wi), ...at(vs, off), ['f64.load', 0], ['f64.mul'], ['f64.sub'],
  ];
  const inner: Instr[] = [
    ...at(row, j), ['v128.load', 0],
    get(vi2), ...at(ws, j), ['v128.load', 0], ['f64x2.mul'], ['f64x2.sub'],
    get(wi2), ...at(vs, j), ['v128.load', 0], ['f64x2.mul'], ['f64x2.sub'],
    set(a2),
    ...at(row, j), get(a2), ['v128.store', 0],
    get(accv), get(a2), ...at(u, j), ['v128.load', 0], ['f64x2.mul'], ['f64x2.add'], set(accv),
    ...at(q, j), ...at(q, j), ['v128.load', 0], get(a2), get(ui2), ['f64x2.mul'], ['f64x2.add'], ['v128.store', 0],
  ];
  const iByte: Instr[] = [get(i), i32(3), ['i32.shl']];
  const body: Instr[] = [
    get(a), get(i), get(lda), ['i32.mul'], ['i32.add'], set(row),
    get(vs), ...iByte, ['i32.add'], ['f64.load', 0], set(vi),
    get(ws), ...iByte, ['i32.add'], ['f64.load', 0], set(wi),
    get(u), ...iByte, ['i32.add'], ['f64.load', 0], set(ui),
    get(vi), ['f64x2.splat'], set(vi2),
    get(wi), ['f64x2.splat'], set(wi2),
    get(ui), ['f64x2.splat'], set(ui2),
    ['v128.const'], set(accv),
    get(i), i32(-2), ['i32.and'], i32(3), ['i32.shl'], set(jEven),
    ...forLoop(j, [get(jEven)], 16, inner),
    get(accv), ['f64x2.extract_lane', 0], get(accv), ['f64x2.extract_lane', 1], ['f64.add'], set(s),
    // odd i: the element j = i - 1 (byte offset jEven) outside the pairs
    get(i), i32(1), ['i32.and'], ['if'],
    ...updated(jEven), set(aij),
    ...at(row, jEven), get(aij), ['f64.store', 0],
    get(s), get(aij), ...at(u, jEven), ['f64.load', 0], ['f64.mul'], ['f64.add'], set(s),
    ...at(q, jEven), ...at(q, jEven), ['f64.load', 0], get(aij), get(ui), ['f64.mul'], ['f64.add'], ['f64.store', 0],
    ['end'],
    // diagonal j = i
    ...iByte, set(jEven),
    ...updated(jEven), set(aij),
    ...at(row, jEven), get(aij), ['f64.store', 0],
    get(s), get(aij), get(ui), ['f64.mul'], ['f64.add'], set(s),
    ...at(q, jEven), ...at(q, jEven), ['f64.load', 0], get(s), ['f64.add'], ['f64.store', 0],
  ];
  return {
    name: 'fused',
    params: [I32, I32, I32, I32, I32, I32, I32],
    locals: [
      [4, I32],
      [5, F64],
      [5, V128],
    ],
    code: forLoop(i, [get(m)], 1, body),
  };
}

/**
 * reflect(x, ldx, rows, v, m, tau): applies I - tau v v^T from the right to `rows` rows of length m
 * (row stride ldx bytes): x <- x - tau (x . v) v.
 */
function reflectDef(): FunctionDef {
  const [x, ldx, rows, v, m, tau] = [0, 1, 2, 3, 4, 5];
  const [r, xr, j, pairs, last] = [6, 7, 8, 9, 10];
  const [s, f] = [11, 12];
  const [accv, f2] = [13, 14];
  const at = (base: number, off: number): Instr[] => [get(base), get(off), ['i32.add']];
  const dot: Instr[] = [get(accv), ...at(xr, j), ['v128.load', 0], ...at(v, j), ['v128.load', 0], ['f64x2.mul'], ['f64x2.add'], set(accv)];
  const axpy: Instr[] = [...at(xr, j), ...at(xr, j), ['v128.load', 0], get(f2), ...at(v, j), ['v128.load', 0], ['f64x2.mul'], ['f64x2.sub'], ['v128.store', 0]];
  const body: Instr[] = [
    get(x), get(r), get(ldx), ['i32.mul'], ['i32.add'], set(xr),
    ['v128.const'], set(accv),
    ...forLoop(j, [get(pairs)], 16, dot),
    get(accv), ['f64x2.extract_lane', 0], get(accv), ['f64x2.extract_lane', 1], ['f64.add'], set(s),
    get(m), i32(1), ['i32.and'], ['if'],
    get(s), ...at(xr, last), ['f64.load', 0], ...at(v, last), ['f64.load', 0], ['f64.mul'], ['f64.add'], set(s),
    ['end'],
    get(tau), get(s), ['f64.mul'], set(f),
    get(f), ['f64x2.splat'], set(f2),
    ...forLoop(j, [get(pairs)], 16, axpy),
    get(m), i32(1), ['i32.and'], ['if'],
    ...at(xr, last), ...at(xr, last), ['f64.load', 0], get(f), ...at(v, last), ['f64.load', 0], ['f64.mul'], ['f64.sub'], ['f64.store', 0],
    ['end'],
  ];
  return {
    name: 'reflect',
    params: [I32, I32, I32, I32, I32, F64],
    locals: [
      [5, I32],
      [2, F64],
      [2, V128],
    ],
    code: [
      get(m), i32(-2), ['i32.and'], i32(3), ['i32.shl'], set(pairs),
      get(m), i32(1), ['i32.sub'], i32(3), ['i32.shl'], set(last),
      ...forLoop(r, [get(rows)], 1, body),
    ],
  };
}

/** rot(z0, z1, nBytes, c, s): (z0, z1) <- (c z0 - s z1, s z0 + c z1) over nBytes/8 (even) entries. */
function rotDef(): FunctionDef {
  const [z0, z1, nb, c, s] = [0, 1, 2, 3, 4];
  const k = 5;
  const [c2, s2, x0, x1] = [6, 7, 8, 9];
  const inner: Instr[] = [
    get(z0), get(k), ['i32.add'], ['v128.load', 0], set(x0),
    get(z1), get(k), ['i32.add'], ['v128.load', 0], set(x1),
    get(z1), get(k), ['i32.add'],
    get(s2), get(x0), ['f64x2.mul'], get(c2), get(x1), ['f64x2.mul'], ['f64x2.add'],
    ['v128.store', 0],
    get(z0), get(k), ['i32.add'],
    get(c2), get(x0), ['f64x2.mul'], get(s2), get(x1), ['f64x2.mul'], ['f64x2.sub'],
    ['v128.store', 0],
  ];
  return {
    name: 'rot',
    params: [I32, I32, I32, F64, F64],
    locals: [
      [1, I32],
      [4, V128],
    ],
    code: [get(c), ['f64x2.splat'], set(c2), get(s), ['f64x2.splat'], set(s2), ...forLoop(k, [get(nb)], 16, inner)],
  };
}

interface Exports {
  gemm(a: number, b: number, c: number, mb: number, pb: number, kBytes: number, sa: number, sb: number, sc: number): void;
  symv(a: number, lda: number, m: number, v: number, p: number): void;
  syr2(a: number, lda: number, m: number, v: number, w: number): void;
  rot(z0: number, z1: number, nBytes: number, c: number, s: number): void;
  fused(a: number, lda: number, m: number, vs: number, ws: number, u: number, q: number): void;
  reflect(x: number, ldx: number, rows: number, v: number, m: number, tau: number): void;
}

let instance: { exports: Exports; memory: WasmMemory } | null | undefined;
let enabled = true;
let top = 0;

function load(): { exports: Exports; memory: WasmMemory } | null {
  if (instance !== undefined) return instance;
  try {
    const memory = createWasmMemory(16);
    const module = compileWasm(assemble([gemmDef(), symvDef(), syr2Def(), rotDef(), fusedDef(), reflectDef()]));
    instance = { exports: instantiateWasm(module, memory) as unknown as Exports, memory };
  } catch {
    instance = null; // no WebAssembly SIMD: the TypeScript loops are used
  }
  return instance;
}

/** The SIMD kernels, or undefined when WebAssembly SIMD is unavailable or disabled. */
export function wasmKernels(): Exports | undefined {
  return enabled ? (load()?.exports ?? undefined) : undefined;
}

/** Turns the WebAssembly kernels off (true: on, the default). For tests comparing both paths. */
export function setWasmEnabled(on: boolean): void {
  enabled = on;
}

/**
 * Runs `fn` with a scratch allocator over the kernel memory: `alloc(n)` returns the byte offset of
 * n zeroed float64 slots (16-byte aligned); everything is released when `fn` returns. `heap()` is
 * the current Float64Array view (re-read it after allocating: growing replaces the buffer).
 */
export function withScratch<T>(fn: (alloc: (n: number) => number, heap: () => Float64Array) => T): T {
  const inst = load();
  if (!inst) throw new Error('WebAssembly SIMD kernels unavailable');
  const mark = top;
  const alloc = (n: number): number => {
    const off = (top + 15) & ~15;
    const end = off + n * 8;
    const need = end - inst.memory.buffer.byteLength;
    if (need > 0) inst.memory.grow(Math.ceil(need / 65536));
    new Float64Array(inst.memory.buffer, off, n).fill(0);
    top = end;
    return off;
  };
  try {
    return fn(alloc, () => new Float64Array(inst.memory.buffer));
  } finally {
    top = mark;
  }
}
