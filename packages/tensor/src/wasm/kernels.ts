// WebAssembly SIMD128 kernels of WasmBackend, written as instruction lists for ./assembler.ts and
// assembled at load (no compiler, no committed binary). Every kernel works on byte addresses in one
// imported memory, loops over whole rows / matrices inside WebAssembly (one call per operation, not
// per element) and computes in float64 (f64x2 lanes): float32 inputs are widened on load
// (f64x2.promote_low_f32x4) and rounded once on store, exactly like the plain TypeScript reference
// backend, which also computes every value in float64. No fused multiply-add exists in WebAssembly,
// so element-wise kernels round like the reference (bit-identical for lincomb of <= 3 terms).
import { assemble, F64, I32, V128, type FunctionDef, type Instr } from './assembler.js';

/** Element type of a kernel argument. */
export type Elem = 'f32' | 'f64';

const esize = (t: Elem): number => (t === 'f32' ? 4 : 8);
const get = (i: number): Instr => ['local.get', i];
const set = (i: number): Instr => ['local.set', i];
const tee = (i: number): Instr => ['local.tee', i];
const i32 = (v: number): Instr => ['i32.const', v];
const f64 = (v: number): Instr => ['f64.const', v];
const add = (ptr: number, plus: Instr[]): Instr[] => [get(ptr), ...plus, ['i32.add']];

type Many = [number, number, number, number, number, number, number, number, number, number];
/** `n` (<= 10) indices from `make`, typed for destructuring. */
const many = (n: number, make: () => number): Many => Array.from({ length: n }, make) as Many;

/** Local-variable bookkeeping for one function: parameters first, then locals. */
class Fn {
  private readonly params: number[] = [];
  private readonly locals: number[] = [];
  param(t: number): number {
    if (this.locals.length > 0) throw new Error('wasm kernels: parameters after locals');
    return this.params.push(t) - 1;
  }
  local(t: number): number {
    return this.params.length + this.locals.push(t) - 1;
  }
  def(name: string, code: Instr[]): FunctionDef {
    return { name, params: this.params, locals: this.locals.map((t) => [1, t] as const), code };
  }
}

/** `for (idx = start; idx < limit; idx += step) body` (unsigned compare). */
function loop(idx: number, start: Instr[], limit: Instr[], step: Instr[], body: Instr[]): Instr[] {
  return [
    ...start, set(idx),
    ['block'], ['loop'],
    get(idx), ...limit, ['i32.ge_u'], ['br_if', 1],
    ...body,
    get(idx), ...step, ['i32.add'], set(idx),
    ['br', 0], ['end'], ['end'],
  ];
}

/** Two consecutive elements at `addr` as f64x2. */
function loadV(t: Elem, addr: Instr[]): Instr[] {
  return t === 'f64' ? [...addr, ['v128.load', 0]] : [...addr, ['v128.load64_zero', 0], ['f64x2.promote_low_f32x4']];
}
/** One element at `addr` as f64. */
function loadS(t: Elem, addr: Instr[]): Instr[] {
  return t === 'f64' ? [...addr, ['f64.load', 0]] : [...addr, ['f32.load', 0], ['f64.promote_f32']];
}
/** Stores the f64x2 `value` as two elements at `addr` (rounded to float32 for f32). */
function storeV(t: Elem, addr: Instr[], value: Instr[]): Instr[] {
  return t === 'f64' ? [...addr, ...value, ['v128.store', 0]] : [...addr, ...value, ['f32x4.demote_f64x2_zero'], ['v128.store64_lane', 0, 0]];
}
function storeS(t: Elem, addr: Instr[], value: Instr[]): Instr[] {
  return t === 'f64' ? [...addr, ...value, ['f64.store', 0]] : [...addr, ...value, ['f32.demote_f64'], ['f32.store', 0]];
}
const hsum = (v: number): Instr[] => [get(v), ['f64x2.extract_lane', 0], get(v), ['f64x2.extract_lane', 1], ['f64.add']];

/**
 * lincomb{K}_{t}(out, x_1..x_K, coefs, rows, len): out[r, :] = sum_k coefs[r*K + k] x_k[r, :],
 * summed left to right like the reference. `coefs` is float64.
 */
function lincombDef(K: number, t: Elem): FunctionDef {
  const f = new Fn();
  const out = f.param(I32);
  const xs = Array.from({ length: K }, () => f.param(I32));
  const [coefs, rows, len] = [f.param(I32), f.param(I32), f.param(I32)];
  const [r, p, end, base, rowBytes] = [f.local(I32), f.local(I32), f.local(I32), f.local(I32), f.local(I32)];
  const cs = xs.map(() => f.local(F64));
  const cv = xs.map(() => f.local(V128));
  const es = esize(t);
  const sumV: Instr[] = [];
  const sumS: Instr[] = [];
  xs.forEach((x, k) => {
    sumV.push(get(cv[k]!), ...loadV(t, add(x, [get(p)])), ['f64x2.mul']);
    sumS.push(get(cs[k]!), ...loadS(t, add(x, [get(p)])), ['f64.mul']);
    if (k > 0) {
      sumV.push(['f64x2.add']);
      sumS.push(['f64.add']);
    }
  });
  const row: Instr[] = [];
  xs.forEach((_, k) => {
    row.push(get(coefs), get(r), i32(K * 8), ['i32.mul'], ['i32.add'], ['f64.load', k * 8], tee(cs[k]!), ['f64x2.splat'], set(cv[k]!));
  });
  row.push(get(r), get(rowBytes), ['i32.mul'], set(base));
  row.push(get(base), get(len), i32(-2), ['i32.and'], i32(es), ['i32.mul'], ['i32.add'], set(end));
  row.push(...loop(p, [get(base)], [get(end)], [i32(2 * es)], storeV(t, add(out, [get(p)]), sumV)));
  row.push(get(len), i32(1), ['i32.and'], ['if'], get(end), set(p), ...storeS(t, add(out, [get(p)]), sumS), ['end']);
  return f.def(`lincomb${K}_${t}`, [get(len), i32(es), ['i32.mul'], set(rowBytes), ...loop(r, [i32(0)], [get(rows)], [i32(1)], row)]);
}

/** rowdot_{t}(x, y, out, rows, len): out[r] = <x_r, y_r> (float64 out). rowsum when y = 0 is passed as -1. */
function rowReduceDef(t: Elem, kind: 'dot' | 'sum'): FunctionDef {
  const f = new Fn();
  const [x, y, out, rows, len] = [f.param(I32), f.param(I32), f.param(I32), f.param(I32), f.param(I32)];
  const [r, p, end, base] = [f.local(I32), f.local(I32), f.local(I32), f.local(I32)];
  const [acc] = [f.local(V128)];
  const [s] = [f.local(F64)];
  const es = esize(t);
  const termV = kind === 'dot' ? [...loadV(t, add(x, [get(p)])), ...loadV(t, add(y, [get(p)])), ['f64x2.mul'] as Instr] : loadV(t, add(x, [get(p)]));
  const termS = kind === 'dot' ? [...loadS(t, add(x, [get(p)])), ...loadS(t, add(y, [get(p)])), ['f64.mul'] as Instr] : loadS(t, add(x, [get(p)]));
  const row: Instr[] = [
    ['v128.const'], set(acc),
    get(r), get(len), ['i32.mul'], i32(es), ['i32.mul'], set(base),
    get(base), get(len), i32(-2), ['i32.and'], i32(es), ['i32.mul'], ['i32.add'], set(end),
    ...loop(p, [get(base)], [get(end)], [i32(2 * es)], [get(acc), ...termV, ['f64x2.add'], set(acc)]),
    ...hsum(acc), set(s),
    get(len), i32(1), ['i32.and'], ['if'], get(end), set(p), get(s), ...termS, ['f64.add'], set(s), ['end'],
    get(out), get(r), i32(3), ['i32.shl'], ['i32.add'], get(s), ['f64.store', 0],
  ];
  return f.def(`row${kind}_${t}`, loop(r, [i32(0)], [get(rows)], [i32(1)], row));
}

/**
 * gemmnt_{t}(a, b, c, M, P, K, sa, sb, sc): C[i, j] += sum_k A[i, k] B[j, k] (C float64) for
 * i < M (M even), j < P (P multiple of 4), k < K (K even); strides in bytes. A 2 x 4 tile of f64x2
 * partial sums stays in registers while k runs.
 */
function gemmNtDef(t: Elem): FunctionDef {
  const f = new Fn();
  const [a, b, c, M, P, K, sa, sb, sc] = many(9, () => f.param(I32));
  const [i, j, k, kEnd, a0, a1, cp] = many(7, () => f.local(I32));
  const bq = [f.local(I32), f.local(I32), f.local(I32), f.local(I32)];
  const acc = many(8, () => f.local(V128));
  const [x0, x1, y] = [f.local(V128), f.local(V128), f.local(V128)];
  const es = esize(t);
  const inner: Instr[] = [...loadV(t, add(a0, [get(k)])), set(x0), ...loadV(t, add(a1, [get(k)])), set(x1)];
  for (let q = 0; q < 4; q++) {
    inner.push(...loadV(t, add(bq[q]!, [get(k)])), set(y));
    inner.push(get(acc[q]!), get(x0), get(y), ['f64x2.mul'], ['f64x2.add'], set(acc[q]!));
    inner.push(get(acc[4 + q]!), get(x1), get(y), ['f64x2.mul'], ['f64x2.add'], set(acc[4 + q]!));
  }
  const tile: Instr[] = [get(b), get(j), get(sb), ['i32.mul'], ['i32.add'], set(bq[0]!)];
  for (let q = 1; q < 4; q++) tile.push(get(bq[q - 1]!), get(sb), ['i32.add'], set(bq[q]!));
  for (const v of acc) tile.push(['v128.const'], set(v));
  tile.push(...loop(k, [i32(0)], [get(kEnd)], [i32(2 * es)], inner));
  for (let rr = 0; rr < 2; rr++) {
    for (let q = 0; q < 4; q++) {
      const v = acc[rr * 4 + q]!;
      tile.push(get(c), get(i), i32(rr), ['i32.add'], get(sc), ['i32.mul'], ['i32.add'], get(j), i32(q), ['i32.add'], i32(3), ['i32.shl'], ['i32.add'], tee(cp));
      tile.push(get(cp), ['f64.load', 0], ...hsum(v), ['f64.add'], ['f64.store', 0]);
    }
  }
  const rowsCode: Instr[] = [get(a), get(i), get(sa), ['i32.mul'], ['i32.add'], tee(a0), get(sa), ['i32.add'], set(a1), ...loop(j, [i32(0)], [get(P)], [i32(4)], tile)];
  return f.def(`gemmnt_${t}`, [get(K), i32(es), ['i32.mul'], set(kEnd), ...loop(i, [i32(0)], [get(M)], [i32(2)], rowsCode)]);
}

/**
 * gemmnn_{ta}{tb}(a, b, c, M, N, K, sa, sb, sc): C[i, j] += sum_k A[i, k] B[k, j] (C float64) for
 * i < M (M even), j < N (N multiple of 8), any K. A 2 x 8 tile of C stays in registers; each k
 * broadcasts A[i, k] and streams two f64x2 of B per row.
 */
function gemmNnDef(ta: Elem, tb: Elem): FunctionDef {
  const f = new Fn();
  const [a, b, c, M, N, K, sa, sb, sc] = many(9, () => f.param(I32));
  const [i, j, k, pa0, pa1, pb, c0, c1] = many(8, () => f.local(I32));
  const acc = many(8, () => f.local(V128));
  const [s0, s1, y] = [f.local(V128), f.local(V128), f.local(V128)];
  const ea = esize(ta);
  const eb = esize(tb);
  const inner: Instr[] = [
    ...loadS(ta, [get(pa0)]), ['f64x2.splat'], set(s0),
    ...loadS(ta, [get(pa1)]), ['f64x2.splat'], set(s1),
  ];
  for (let q = 0; q < 4; q++) {
    inner.push(...loadV(tb, add(pb, [i32(q * 2 * eb)])), set(y));
    inner.push(get(acc[q]!), get(s0), get(y), ['f64x2.mul'], ['f64x2.add'], set(acc[q]!));
    inner.push(get(acc[4 + q]!), get(s1), get(y), ['f64x2.mul'], ['f64x2.add'], set(acc[4 + q]!));
  }
  inner.push(get(pa0), i32(ea), ['i32.add'], set(pa0), get(pa1), i32(ea), ['i32.add'], set(pa1), get(pb), get(sb), ['i32.add'], set(pb));
  const tile: Instr[] = [
    get(c), get(i), get(sc), ['i32.mul'], ['i32.add'], get(j), i32(3), ['i32.shl'], ['i32.add'], tee(c0), get(sc), ['i32.add'], set(c1),
  ];
  for (let q = 0; q < 4; q++) {
    tile.push(get(c0), ['v128.load', q * 16], set(acc[q]!), get(c1), ['v128.load', q * 16], set(acc[4 + q]!));
  }
  tile.push(
    get(a), get(i), get(sa), ['i32.mul'], ['i32.add'], tee(pa0), get(sa), ['i32.add'], set(pa1),
    get(b), get(j), i32(eb), ['i32.mul'], ['i32.add'], set(pb),
    ...loop(k, [i32(0)], [get(K)], [i32(1)], inner),
  );
  for (let q = 0; q < 4; q++) tile.push(get(c0), get(acc[q]!), ['v128.store', q * 16], get(c1), get(acc[4 + q]!), ['v128.store', q * 16]);
  return f.def(`gemmnn_${ta}${tb}`, loop(i, [i32(0)], [get(M)], [i32(2)], loop(j, [i32(0)], [get(N)], [i32(8)], tile)));
}

/**
 * distsmall(x, yt, out, B, np, N): out[i, j] = sum_q (x[i, q] - yt[q, j])^2 for j < np (multiple
 * of 4), all float64; `yt` is the reference set transposed ([N, np]) so the kernel runs along the
 * references (vectorised over j; for small dimension N). Sums in q order, like the reference.
 */
function distSmallDef(): FunctionDef {
  const f = new Fn();
  const [x, yt, out, B, np, N] = many(6, () => f.param(I32));
  const [i, j, q, px, pq, po] = many(6, () => f.local(I32));
  const [xs, d, acc0, acc1] = [f.local(V128), f.local(V128), f.local(V128), f.local(V128)];
  const inner: Instr[] = [
    get(px), get(q), i32(3), ['i32.shl'], ['i32.add'], ['v128.load64_splat', 0], set(xs),
    get(xs), get(pq), ['v128.load', 0], ['f64x2.sub'], set(d), get(acc0), get(d), get(d), ['f64x2.mul'], ['f64x2.add'], set(acc0),
    get(xs), get(pq), ['v128.load', 16], ['f64x2.sub'], set(d), get(acc1), get(d), get(d), ['f64x2.mul'], ['f64x2.add'], set(acc1),
    get(pq), get(np), i32(3), ['i32.shl'], ['i32.add'], set(pq),
  ];
  const cols: Instr[] = [
    ['v128.const'], set(acc0), ['v128.const'], set(acc1),
    get(yt), get(j), i32(3), ['i32.shl'], ['i32.add'], set(pq),
    ...loop(q, [i32(0)], [get(N)], [i32(1)], inner),
    get(po), get(j), i32(3), ['i32.shl'], ['i32.add'], get(acc0), ['v128.store', 0],
    get(po), get(j), i32(3), ['i32.shl'], ['i32.add'], get(acc1), ['v128.store', 16],
  ];
  const rows: Instr[] = [
    get(x), get(i), get(N), ['i32.mul'], i32(3), ['i32.shl'], ['i32.add'], set(px),
    get(out), get(i), get(np), ['i32.mul'], i32(3), ['i32.shl'], ['i32.add'], set(po),
    ...loop(j, [i32(0)], [get(np)], [i32(4)], cols),
  ];
  return f.def('distsmall', loop(i, [i32(0)], [get(B)], [i32(1)], rows));
}

// exp(x) for x <= 0 on f64x2 lanes: x = k ln2 + r (Cody-Waite, |r| <= ln2/2), e^r by its Taylor
// polynomial of degree 13 (truncation < 5e-18 relative), times 2^k built in the exponent bits.
// Lanes below -708 (where e^x is subnormal, costly and < 3.3e-308) and -Infinity give exactly 0.
const LN2_HI = 6.93147180369123816490e-1;
const LN2_LO = 1.90821492927058770002e-10;
const EXP_FLUSH = -708;
function expV(f: Fn): (x: Instr[]) => Instr[] {
  const [xv, kv, rv, pv] = [f.local(V128), f.local(V128), f.local(V128), f.local(V128)];
  const coef: number[] = [];
  let fact = 1;
  for (let n = 0; n <= 13; n++) {
    if (n > 0) fact *= n;
    coef.push(1 / fact);
  }
  return (x) => {
    const code: Instr[] = [...x, set(xv)];
    code.push(get(xv), ['f64x2.const', Math.LOG2E], ['f64x2.mul'], ['f64x2.nearest'], set(kv));
    code.push(get(xv), get(kv), ['f64x2.const', LN2_HI], ['f64x2.mul'], ['f64x2.sub'], get(kv), ['f64x2.const', LN2_LO], ['f64x2.mul'], ['f64x2.sub'], set(rv));
    code.push(['f64x2.const', coef[13]!], set(pv));
    for (let n = 12; n >= 0; n--) code.push(get(pv), get(rv), ['f64x2.mul'], ['f64x2.const', coef[n]!], ['f64x2.add'], set(pv));
    code.push(
      get(pv),
      get(kv), ['i32x4.trunc_sat_f64x2_s_zero'], ['i64x2.extend_low_i32x4_s'], ['i64.const', 1023], ['i64x2.splat'], ['i64x2.add'], i32(52), ['i64x2.shl'],
      ['f64x2.mul'],
      get(xv), ['f64x2.const', EXP_FLUSH], ['f64x2.lt'], ['v128.andnot'],
    );
    return code;
  };
}

/**
 * softmax(data, rows, cols, stats): per row of the float64 matrix, m = max, e = exp(x - m) (flushed
 * to 0 below exp(-708)), s = sum e, data = e / s (as e * (1/s), like the reference); writes
 * stats[2r] = m and stats[2r+1] = s. Rows whose max is -Infinity or NaN are left untouched.
 */
function softmaxDef(): FunctionDef {
  const f = new Fn();
  const [data, rows, cols, stats] = [f.param(I32), f.param(I32), f.param(I32), f.param(I32)];
  const [r, p, base, end] = [f.local(I32), f.local(I32), f.local(I32), f.local(I32)];
  const [mv, e, acc] = [f.local(V128), f.local(V128), f.local(V128)];
  const [m, s, inv] = [f.local(F64), f.local(F64), f.local(F64)];
  const exp = expV(f);
  const odd: Instr[] = [get(cols), i32(1), ['i32.and']];
  const row: Instr[] = [
    get(data), get(r), get(cols), ['i32.mul'], i32(3), ['i32.shl'], ['i32.add'], set(base),
    get(base), get(cols), i32(-2), ['i32.and'], i32(3), ['i32.shl'], ['i32.add'], set(end),
    ['f64x2.const', -Infinity], set(mv),
    ...loop(p, [get(base)], [get(end)], [i32(16)], [get(mv), get(p), ['v128.load', 0], ['f64x2.max'], set(mv)]),
    get(mv), ['f64x2.extract_lane', 0], get(mv), ['f64x2.extract_lane', 1], ['f64.max'], set(m),
    ...odd, ['if'], get(m), get(end), ['f64.load', 0], ['f64.max'], set(m), ['end'],
    get(stats), get(r), i32(4), ['i32.shl'], ['i32.add'], get(m), ['f64.store', 0],
    get(m), f64(-Infinity), ['f64.gt'], ['if'],
    ['v128.const'], set(acc),
    ...loop(p, [get(base)], [get(end)], [i32(16)], [
      get(p), ...exp([get(p), ['v128.load', 0], get(m), ['f64x2.splat'], ['f64x2.sub']]), tee(e), ['v128.store', 0],
      get(acc), get(e), ['f64x2.add'], set(acc),
    ]),
    ...hsum(acc), set(s),
    ...odd, ['if'],
    get(end), ...exp([get(end), ['f64.load', 0], get(m), ['f64.sub'], ['f64x2.splat']]), ['f64x2.extract_lane', 0], tee(inv), ['f64.store', 0],
    get(s), get(inv), ['f64.add'], set(s),
    ['end'],
    get(stats), get(r), i32(4), ['i32.shl'], ['i32.add'], get(s), ['f64.store', 8],
    f64(1), get(s), ['f64.div'], set(inv),
    ...loop(p, [get(base)], [get(end)], [i32(16)], [get(p), get(p), ['v128.load', 0], get(inv), ['f64x2.splat'], ['f64x2.mul'], ['v128.store', 0]]),
    ...odd, ['if'], get(end), get(end), ['f64.load', 0], get(inv), ['f64.mul'], ['f64.store', 0], ['end'],
    ['end'],
  ];
  return f.def('softmax', loop(r, [i32(0)], [get(rows)], [i32(1)], row));
}

/** Every kernel of WasmBackend. */
export function kernelDefs(): FunctionDef[] {
  const defs: FunctionDef[] = [];
  for (const t of ['f32', 'f64'] as const) {
    for (let K = 1; K <= 4; K++) defs.push(lincombDef(K, t));
    defs.push(rowReduceDef(t, 'dot'), rowReduceDef(t, 'sum'), gemmNtDef(t));
    for (const tb of ['f32', 'f64'] as const) defs.push(gemmNnDef(t, tb));
  }
  defs.push(distSmallDef(), softmaxDef());
  return defs;
}

/** The module bytes: every kernel, importing `env.memory` (shared when `sharedMaximumPages` is set). */
export function kernelModule(sharedMaximumPages?: number): Uint8Array {
  return assemble(kernelDefs(), sharedMaximumPages === undefined ? {} : { sharedMaximumPages });
}
