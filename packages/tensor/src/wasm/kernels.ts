// WebAssembly SIMD128 kernels of WasmBackend, written as instruction lists for ./assembler.ts and
// assembled at load (no compiler, no committed binary). Every kernel works on byte addresses in one
// imported memory, loops over whole rows / matrices inside WebAssembly (one call per operation, not
// per element) and computes in float64 (f64x2 lanes): float32 inputs are widened on load
// (f64x2.promote_low_f32x4) and rounded once on store, exactly like the plain TypeScript reference
// backend, which also computes every value in float64. No fused multiply-add exists in WebAssembly,
// so element-wise kernels round like the reference (bit-identical for lincomb of <= 3 terms).
import { COS, LG, LN2_HI, LN2_LO, SIN, TWO_PI } from '../normal-math.js';
import { PHILOX_M0, PHILOX_M1, PHILOX_W0, PHILOX_W1 } from '../philox.js';
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
 * nonfinite_{t}(x, blocks, out): the finiteness probe behind `firstNonFinite`. Sums v * 0 over
 * `blocks` blocks of 64 bytes (16 float32 or 8 float64 values) in four vector accumulators, in the
 * input's own precision, and stores the 16-byte sum of the accumulators at `out`: a lane is NaN
 * exactly when some value was NaN or +-Infinity (v * 0 is +-0 for every finite v).
 */
function nonFiniteDef(t: Elem): FunctionDef {
  const f = new Fn();
  const [x, blocks, out] = [f.param(I32), f.param(I32), f.param(I32)];
  const [p, end] = [f.local(I32), f.local(I32)];
  const acc = [f.local(V128), f.local(V128), f.local(V128), f.local(V128)];
  const zero = f.local(V128);
  const [vadd, vmul]: [Instr, Instr] = t === 'f32' ? [['f32x4.add'], ['f32x4.mul']] : [['f64x2.add'], ['f64x2.mul']];
  const body: Instr[] = acc.flatMap((a, k) => [get(a), get(p), ['v128.load', 16 * k] as Instr, get(zero), vmul, vadd, set(a)]);
  return f.def(`nonfinite_${t}`, [
    ['v128.const'], set(zero),
    ...acc.flatMap((a) => [['v128.const'] as Instr, set(a)]),
    get(x), get(blocks), i32(6), ['i32.shl'], ['i32.add'], set(end),
    ...loop(p, [get(x)], [get(end)], [i32(64)], body),
    get(out), get(acc[0]!), get(acc[1]!), vadd, get(acc[2]!), get(acc[3]!), vadd, vadd, ['v128.store', 0],
  ]);
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

const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);
/** i8x16.shuffle lanes: the high / low 32-bit halves of the four 64-bit lanes of (a, b). */
const HI32: Instr = ['i8x16.shuffle', ...range(4, 4), ...range(12, 4), ...range(20, 4), ...range(28, 4)];
const LO32: Instr = ['i8x16.shuffle', ...range(0, 4), ...range(8, 4), ...range(16, 4), ...range(24, 4)];
/** f64 lane 0 of a then lane 0 of b / lane 1 of a then lane 1 of b. */
const UNPACK_LO: Instr = ['i8x16.shuffle', ...range(0, 8), ...range(16, 8)];
const UNPACK_HI: Instr = ['i8x16.shuffle', ...range(8, 8), ...range(24, 8)];

/**
 * Inputs and outputs of one Box-Muller instance (two f64x2 lanes): `w1` the first words as f64,
 * `t2` the second words' reduced angles as odd integers 2 w + 1 - q 2^31 (f64), where q = round(4 u2)
 * mod 4, `odd` an all-ones mask where q is odd, `cosSign` / `sinSign` the sign bits to flip; the
 * code sets `cosOut` and `sinOut`.
 */
interface BoxMullerLanes {
  readonly w1: Instr[];
  readonly t2: Instr[];
  readonly odd: Instr[];
  readonly cosSign: Instr[];
  readonly sinSign: Instr[];
  readonly cosOut: number;
  readonly sinOut: number;
}

/**
 * Box-Muller on f64x2 lanes, the operations of normal-math.ts `boxMuller` in the same order (so
 * bit-identical to it; the angle's exact reduction comes in as `t2`, see {@link BoxMullerLanes}):
 * the code sets `cosOut` = r cos(2 pi u2) and `sinOut` = r sin(2 pi u2). `code` runs several instances statement by
 * statement, interleaved: each instance is one long dependency chain (division, square root,
 * Horner polynomials), and interleaving gives the CPU independent work within its reorder window.
 * `init` sets the constants (V8 rebuilds a v128 constant at every use; a local is loaded instead).
 */
function boxMullerV(f: Fn, instances: number): { init: Instr[]; code: (lanes: readonly BoxMullerLanes[]) => Instr[] } {
  const mant = f.local(V128);
  const consts = new Map<number, number>();
  const init: Instr[] = [['i32x4.const', -1, 0xfffff, -1, 0xfffff], set(mant)];
  const fv = (k: number): Instr => {
    const key = Object.is(k, -0) ? -Infinity : k;
    let l = consts.get(key);
    if (l === undefined) {
      l = f.local(V128);
      consts.set(key, l);
      init.push(['f64x2.const', k], set(l));
    }
    return get(l);
  };
  const [Lg1, Lg2, Lg3, Lg4, Lg5, Lg6, Lg7] = LG;
  const [S1, S2, S3, S4, S5, S6] = SIN;
  const [C1, C2, C3, C4, C5, C6] = COS;
  const mul = (a: Instr[], b: Instr[]): Instr[] => [...a, ...b, ['f64x2.mul']];
  const addv = (a: Instr[], b: Instr[]): Instr[] => [...a, ...b, ['f64x2.add']];
  const subv = (a: Instr[], b: Instr[]): Instr[] => [...a, ...b, ['f64x2.sub']];
  const g = (i: number): Instr[] => [get(i)];
  const c = (k: number): Instr[] => [fv(k)];
  const locals = Array.from({ length: instances }, () => {
    const [v, e, m, mask, fr, s, z, w, hfsq, rad] = many(10, () => f.local(V128));
    const [x, sn, cs] = many(3, () => f.local(V128));
    return { v, e, m, mask, fr, s, z, w, hfsq, rad, x, sn, cs };
  });
  type L = (typeof locals)[number] & BoxMullerLanes;
  const statements: ((l: L) => Instr[])[] = [
    // log u1 = k ln2 + log m, v = w1 + 0.5 = m 2^(k + 32), m in [sqrt(2)/2, sqrt(2)) (fdlibm e_log.c); local e holds k
    (l) => [...l.w1, fv(0.5), ['f64x2.add'], set(l.v)],
    // e - 32 from the exponent bits: (2^52 + biased exponent) - (2^52 + 1023 + 32), exact
    (l) => [get(l.v), i32(52), ['i64x2.shr_u'], fv(2 ** 52), ['v128.or'], fv(2 ** 52 + 1023 + 32), ['f64x2.sub'], set(l.e)],
    (l) => [get(l.v), get(mant), ['v128.and'], fv(1), ['v128.or'], set(l.m)],
    (l) => [get(l.m), fv(Math.SQRT2), ['f64x2.gt'], set(l.mask)],
    // m > sqrt(2): m = m - m/2 (exact), e + 1
    (l) => [get(l.m), get(l.m), fv(0.5), ['f64x2.mul'], get(l.mask), ['v128.and'], ['f64x2.sub'], set(l.m)],
    (l) => [get(l.e), get(l.mask), fv(1), ['v128.and'], ['f64x2.add'], set(l.e)],
    (l) => [get(l.m), fv(1), ['f64x2.sub'], set(l.fr)],
    (l) => [get(l.fr), fv(2), get(l.fr), ['f64x2.add'], ['f64x2.div'], set(l.s)],
    (l) => [get(l.s), get(l.s), ['f64x2.mul'], set(l.z)],
    (l) => [get(l.z), get(l.z), ['f64x2.mul'], set(l.w)],
    (l) => [...mul(mul(c(0.5), g(l.fr)), g(l.fr)), set(l.hfsq)],
    // R = t2 + t1 with t1 = w (Lg2 + w (Lg4 + w Lg6)), t2 = z (Lg1 + w (Lg3 + w (Lg5 + w Lg7))); kept in rad
    (l) => [
      ...addv(
        mul(g(l.z), addv(c(Lg1), mul(g(l.w), addv(c(Lg3), mul(g(l.w), addv(c(Lg5), mul(g(l.w), c(Lg7)))))))),
        mul(g(l.w), addv(c(Lg2), mul(g(l.w), addv(c(Lg4), mul(g(l.w), c(Lg6)))))),
      ),
      set(l.rad),
    ],
    // k ln2_hi - ((hfsq - (s (hfsq + R) + k ln2_lo)) - f), then r = sqrt(-2 log u1)
    (l) => [
      ...subv(mul(g(l.e), c(LN2_HI)), subv(subv(g(l.hfsq), addv(mul(g(l.s), addv(g(l.hfsq), g(l.rad))), mul(g(l.e), c(LN2_LO)))), g(l.fr))),
      fv(-2), ['f64x2.mul'], ['f64x2.sqrt'], set(l.rad),
    ],
    // angle: x = 2 pi (u2 - q/4) = (2 pi 2^-33) t2, the same rounding as normal-math.ts (t2 2^-33 is exact)
    (l) => [...l.t2, fv(TWO_PI * 2 ** -33), ['f64x2.mul'], set(l.x)],
    (l) => [get(l.x), get(l.x), ['f64x2.mul'], set(l.z)],
    (l) => [get(l.z), get(l.z), ['f64x2.mul'], set(l.w)],
    // sin x = x + z x (S1 + z ((S2 + z (S3 + z S4)) + z w (S5 + z S6))) (fdlibm k_sin.c)
    (l) => [
      ...addv(g(l.x), mul(mul(g(l.z), g(l.x)), addv(c(S1), mul(g(l.z), addv(
        addv(c(S2), mul(g(l.z), addv(c(S3), mul(g(l.z), c(S4))))),
        mul(mul(g(l.z), g(l.w)), addv(c(S5), mul(g(l.z), c(S6)))),
      ))))),
      get(l.rad), ['f64x2.mul'], set(l.sn),
    ],
    // cos x = a + ((1 - a) - z/2 + z r), a = 1 - z/2 (fdlibm k_cos.c); r kept in w, z/2 in hfsq, a in m
    (l) => [
      ...mul(g(l.z), addv(c(C1), mul(g(l.z), addv(c(C2), mul(g(l.z), c(C3)))))),
      ...mul(mul(g(l.w), g(l.w)), addv(c(C4), mul(g(l.z), addv(c(C5), mul(g(l.z), c(C6)))))),
      ['f64x2.add'], set(l.w),
    ],
    (l) => [fv(0.5), get(l.z), ['f64x2.mul'], set(l.hfsq)],
    (l) => [fv(1), get(l.hfsq), ['f64x2.sub'], set(l.m)],
    (l) => [...addv(g(l.m), addv(subv(subv(c(1), g(l.m)), g(l.hfsq)), mul(g(l.z), g(l.w)))), get(l.rad), ['f64x2.mul'], set(l.cs)],
    // rotate by q quarter turns: q = 1: (-s, c), 2: (-c, -s), 3: (s, -c), 0: (c, s)
    // swap = (s ^ c) & odd exchanges s and c where q is odd; then the sign flips
    (l) => [get(l.sn), get(l.cs), ['v128.xor'], ...l.odd, ['v128.and'], set(l.x)],
    (l) => [get(l.cs), get(l.x), ['v128.xor'], ...l.cosSign, ['v128.xor'], set(l.cosOut)],
    (l) => [get(l.sn), get(l.x), ['v128.xor'], ...l.sinSign, ['v128.xor'], set(l.sinOut)],
  ];
  const code = (lanes: readonly BoxMullerLanes[]): Instr[] => {
    if (lanes.length !== instances) throw new Error(`wasm kernels: ${instances} Box-Muller instances, got ${lanes.length}`);
    const ls = lanes.map((io, k) => ({ ...locals[k]!, ...io }));
    return statements.flatMap((st) => ls.flatMap((l) => st(l)));
  };
  for (const st of statements) st({ ...locals[0]!, w1: [], t2: [], odd: [], cosSign: [], sinSign: [], cosOut: 0, sinOut: 0 }); // registers every constant in init
  return { init, code };
}

/**
 * philoxnormal_{t}(out, rows, len, block0, call, sample0, stream, key0, key1, scratch): for each
 * row r < rows, writes `len` standard normals to out + r len: elements 4 block0 .. of the row's
 * stream, i.e. Box-Muller on the words of Philox4x32-10 blocks block0, block0 + 1, ... with
 * counter (block, call, sample0 + r, stream) and key (key0, key1), bit-identical to
 * philox-stream.ts `RowStream.nextNormal`. Philox runs on i32x4 lanes, one lane per block, four
 * consecutive blocks (16 normals) per step: the 32 x 32 -> 64-bit products come from
 * i64x2.extmul_{low,high}_i32x4_u and their halves are gathered by shuffles. A row's last partial
 * step goes through `scratch` (16 float64).
 */
function philoxNormalDef(t: Elem): FunctionDef {
  const f = new Fn();
  const [out, rows, len, block0, call, sample0, stream, key0, key1, scratch] = many(10, () => f.param(I32));
  const [r, p, n, i] = [f.local(I32), f.local(I32), f.local(I32), f.local(I32)];
  const [ctr, c1, c2, c3, k0, k1, ka, kb] = many(8, () => f.local(V128));
  const [x0, x1, x2, x3, pl, ph, hi0, lo0] = many(8, () => f.local(V128));
  const o = many(8, () => f.local(V128));
  const cs = many(8, () => f.local(V128));
  const { init, code: bm } = boxMullerV(f, 4);
  const [m0, m1, w0, w1] = many(4, () => f.local(V128));
  const es = esize(t);
  const splat = (v: Instr[]): Instr[] => [...v, ['i32x4.splat']];
  // Philox4x32-10 on 4 blocks: (x0, x1, x2, x3) <- (hi(M1 x2) ^ x1 ^ k0, lo(M1 x2), hi(M0 x0) ^ x3 ^ k1, lo(M0 x0))
  const philox: Instr[] = [get(ctr), set(x0), get(c1), set(x1), get(c2), set(x2), get(c3), set(x3), get(k0), set(ka), get(k1), set(kb)];
  for (let round = 0; round < 10; round++) {
    philox.push(
      get(x0), get(m0), ['i64x2.extmul_low_i32x4_u'], set(pl),
      get(x0), get(m0), ['i64x2.extmul_high_i32x4_u'], set(ph),
      get(pl), get(ph), HI32, set(hi0), get(pl), get(ph), LO32, set(lo0),
      get(x2), get(m1), ['i64x2.extmul_low_i32x4_u'], set(pl),
      get(x2), get(m1), ['i64x2.extmul_high_i32x4_u'], set(ph),
      get(pl), get(ph), HI32, get(x1), ['v128.xor'], get(ka), ['v128.xor'], set(x0),
      get(pl), get(ph), LO32, set(x1),
      get(hi0), get(x3), ['v128.xor'], get(kb), ['v128.xor'], set(x2),
      get(lo0), set(x3),
    );
    if (round < 9) philox.push(get(ka), get(w0), ['i32x4.add'], set(ka), get(kb), get(w1), ['i32x4.add'], set(kb));
  }
  // Words of blocks 0,1 (low) or 2,3 (high) as f64x2; pairs (x0, x1) and (x2, x3) of each block.
  const half = (x: number, h: number): Instr[] => (h === 0 ? [get(x)] : [get(x), get(x), ['i8x16.shuffle', ...range(8, 8), ...range(8, 8)]]);
  // Angle words, on i32x4 lanes: d = w + 2^29 (mod 2^32), q = d >> 30 = round(4 u2) mod 4,
  // t2 = 2 (d & (2^30 - 1)) - (2^30 - 1) = 2 w + 1 - q 2^31; flip masks from q.
  const [d, q, zero] = many(3, () => f.local(V128));
  const [t2, odd, cosSign, sinSign] = [many(2, () => f.local(V128)), many(2, () => f.local(V128)), many(2, () => f.local(V128)), many(2, () => f.local(V128))];
  const u32 = (v: number): Instr[] => [i32(v), ['i32x4.splat']];
  const angles: Instr[] = [['v128.const'], set(zero)];
  [x1, x3].forEach((x, k) => {
    angles.push(
      get(x), ...u32(1 << 29), ['i32x4.add'], set(d),
      get(d), i32(30), ['i32x4.shr_u'], set(q),
      get(d), ...u32((1 << 30) - 1), ['v128.and'], i32(1), ['i32x4.shl'], ...u32((1 << 30) - 1), ['i32x4.sub'], set(t2[k]!),
      get(zero), get(q), ...u32(1), ['v128.and'], ['i32x4.sub'], set(odd[k]!),
      get(q), ...u32(1), ['i32x4.add'], ...u32(2), ['v128.and'], i32(30), ['i32x4.shl'], set(cosSign[k]!),
      get(q), ...u32(2), ['v128.and'], i32(30), ['i32x4.shl'], set(sinSign[k]!),
    );
  });
  /** Dwords 2h, 2h + 1 of a mask widened to 64-bit lanes (all ones) or moved to the high dword (sign bits). */
  const wide = (m: number, h: number): Instr[] => [get(m), get(m), ['i8x16.shuffle', ...range(8 * h, 4), ...range(8 * h, 4), ...range(8 * h + 4, 4), ...range(8 * h + 4, 4)]];
  const high = (m: number, h: number): Instr[] => [get(zero), get(m), ['i8x16.shuffle', ...range(0, 4), ...range(16 + 8 * h, 4), ...range(0, 4), ...range(16 + 8 * h + 4, 4)]];
  // Four Box-Muller instances: pairs (x0, x1) and (x2, x3) of blocks 0,1 and of blocks 2,3.
  const lanes: BoxMullerLanes[] = [];
  for (let h = 0; h < 2; h++) {
    ([[x0, 0], [x2, 1]] as const).forEach(([a, k]) => {
      lanes.push({
        w1: [...half(a, h), ['f64x2.convert_low_i32x4_u']],
        t2: [...half(t2[k], h), ['f64x2.convert_low_i32x4_s']],
        odd: wide(odd[k], h),
        cosSign: high(cosSign[k], h),
        sinSign: high(sinSign[k], h),
        cosOut: cs[lanes.length * 2]!,
        sinOut: cs[lanes.length * 2 + 1]!,
      });
    });
  }
  const step: Instr[] = [...philox, ...angles, ...bm(lanes)];
  for (let h = 0; h < 2; h++) {
    const [cA, sA, cB, sB] = cs.slice(4 * h, 4 * h + 4) as [number, number, number, number];
    step.push(get(cA), get(sA), UNPACK_LO, set(o[4 * h]!), get(cB), get(sB), UNPACK_LO, set(o[4 * h + 1]!));
    step.push(get(cA), get(sA), UNPACK_HI, set(o[4 * h + 2]!), get(cB), get(sB), UNPACK_HI, set(o[4 * h + 3]!));
  }
  const storeAll: Instr[] = [];
  if (t === 'f64') for (let k = 0; k < 8; k++) storeAll.push(get(p), get(o[k]!), ['v128.store', 16 * k]);
  else for (let k = 0; k < 4; k++) storeAll.push(get(p), get(o[2 * k]!), ['f32x4.demote_f64x2_zero'], get(o[2 * k + 1]!), ['f32x4.demote_f64x2_zero'], UNPACK_LO, ['v128.store', 16 * k]);
  const tail: Instr[] = [];
  for (let k = 0; k < 8; k++) tail.push(get(scratch), get(o[k]!), ['v128.store', 16 * k]);
  tail.push(...loop(i, [i32(0)], [get(n)], [i32(1)], storeS(t, [get(p), get(i), i32(es), ['i32.mul'], ['i32.add']], [get(scratch), get(i), i32(3), ['i32.shl'], ['i32.add'], ['f64.load', 0]])));
  const row: Instr[] = [
    get(out), get(r), get(len), ['i32.mul'], i32(es), ['i32.mul'], ['i32.add'], set(p),
    get(len), set(n),
    ...splat([get(block0)]), ['i32x4.const', 0, 1, 2, 3], ['i32x4.add'], set(ctr),
    ...splat([get(sample0), get(r), ['i32.add']]), set(c2),
    ['block'], ['loop'],
    get(n), ['i32.eqz'], ['br_if', 1],
    ...step,
    get(n), i32(16), ['i32.ge_u'], ['if'],
    ...storeAll,
    get(p), i32(16 * es), ['i32.add'], set(p), get(n), i32(16), ['i32.sub'], set(n),
    ['else'],
    ...tail,
    i32(0), set(n),
    ['end'],
    get(ctr), i32(4), ['i32x4.splat'], ['i32x4.add'], set(ctr),
    ['br', 0], ['end'], ['end'],
  ];
  return f.def(`philoxnormal_${t}`, [
    ...init,
    i32(PHILOX_M0), ['i32x4.splat'], set(m0), i32(PHILOX_M1), ['i32x4.splat'], set(m1),
    i32(PHILOX_W0), ['i32x4.splat'], set(w0), i32(PHILOX_W1), ['i32x4.splat'], set(w1),
    ...splat([get(call)]), set(c1), ...splat([get(stream)]), set(c3), ...splat([get(key0)]), set(k0), ...splat([get(key1)]), set(k1),
    ...loop(r, [i32(0)], [get(rows)], [i32(1)], row),
  ]);
}

/** Every kernel of WasmBackend. */
export function kernelDefs(): FunctionDef[] {
  const defs: FunctionDef[] = [];
  for (const t of ['f32', 'f64'] as const) {
    for (let K = 1; K <= 4; K++) defs.push(lincombDef(K, t));
    defs.push(rowReduceDef(t, 'dot'), rowReduceDef(t, 'sum'), nonFiniteDef(t), gemmNtDef(t));
    for (const tb of ['f32', 'f64'] as const) defs.push(gemmNnDef(t, tb));
    defs.push(philoxNormalDef(t));
  }
  defs.push(distSmallDef(), softmaxDef());
  return defs;
}

/** The module bytes: every kernel, importing `env.memory` (shared when `sharedMaximumPages` is set). */
export function kernelModule(sharedMaximumPages?: number): Uint8Array {
  return assemble(kernelDefs(), sharedMaximumPages === undefined ? {} : { sharedMaximumPages });
}
