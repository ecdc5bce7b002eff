// A minimal WebAssembly binary assembler: enough of the instruction set (i32 arithmetic, f32/f64
// scalars, 128-bit SIMD f64x2 loads, stores, arithmetic, comparisons, f32<->f64 conversions,
// the integer lanes an exp() and a Philox generator need, shuffles, structured control flow) to write dense kernels as readable
// instruction lists, without a build step, a compiler or binary blobs. Instructions are written as
// [name, ...immediates] in stack-machine order. Shared by @phys/tensor (WasmBackend) and
// @phys/metrics (linear algebra kernels).
import { setFlagsFromString } from 'node:v8';

/** Value types. */
export const I32 = 0x7f;
export const F64 = 0x7c;
export const V128 = 0x7b;

type Op = readonly number[];

const OPS: Record<string, Op> = {
  block: [0x02],
  loop: [0x03],
  if: [0x04],
  else: [0x05],
  end: [0x0b],
  br: [0x0c],
  br_if: [0x0d],
  'local.get': [0x20],
  'local.set': [0x21],
  'local.tee': [0x22],
  'i32.const': [0x41],
  'f64.const': [0x44],
  'f64.load': [0x2b],
  'f64.store': [0x39],
  'i32.eqz': [0x45],
  'i32.lt_u': [0x49],
  'i32.ge_u': [0x4f],
  'i32.gt_u': [0x4b],
  'i32.add': [0x6a],
  'i32.sub': [0x6b],
  'i32.mul': [0x6c],
  'i32.and': [0x71],
  'i32.shl': [0x74],
  'f64.add': [0xa0],
  'f64.sub': [0xa1],
  'f64.mul': [0xa2],
  'v128.load': [0xfd, 0x00],
  'f32.load': [0x2a],
  'f32.store': [0x38],
  'i32.load': [0x28],
  'i64.const': [0x42],
  'i32.or': [0x72],
  'i32.shr_u': [0x76],
  'i32.eq': [0x46],
  'i32.ne': [0x47],
  'i32.lt_s': [0x48],
  'f64.lt': [0x63],
  'f64.gt': [0x64],
  'f64.ne': [0x62],
  'f64.div': [0xa3],
  'f64.min': [0xa4],
  'f64.max': [0xa5],
  'f64.sqrt': [0x9f],
  'f64.convert_i32_u': [0xb8],
  'f64.promote_f32': [0xbb],
  'f32.demote_f64': [0xb6],
  select: [0x1b],
  drop: [0x1a],
  return: [0x0f],
  'v128.load64_zero': [0xfd, 0x5d],
  'v128.load64_splat': [0xfd, 0x0a],
  'v128.store64_lane': [0xfd, 0x5b],
  'f64x2.const': [0xfd, 0x0c],
  'i64x2.splat': [0xfd, 0x12],
  'f64x2.replace_lane': [0xfd, 0x22],
  'f64x2.eq': [0xfd, 0x47],
  'f64x2.ne': [0xfd, 0x48],
  'f64x2.lt': [0xfd, 0x49],
  'f64x2.gt': [0xfd, 0x4a],
  'f64x2.le': [0xfd, 0x4b],
  'f64x2.ge': [0xfd, 0x4c],
  'v128.and': [0xfd, 0x4e],
  'v128.andnot': [0xfd, 0x4f],
  'v128.or': [0xfd, 0x50],
  'v128.bitselect': [0xfd, 0x52],
  'f32x4.demote_f64x2_zero': [0xfd, 0x5e],
  'f64x2.promote_low_f32x4': [0xfd, 0x5f],
  'f64x2.nearest': [0xfd, 0x94, 0x01],
  'i64x2.extend_low_i32x4_s': [0xfd, 0xc7, 0x01],
  'i64x2.shl': [0xfd, 0xcb, 0x01],
  'i64x2.add': [0xfd, 0xce, 0x01],
  'f64x2.abs': [0xfd, 0xec, 0x01],
  'f64x2.neg': [0xfd, 0xed, 0x01],
  'f32x4.add': [0xfd, 0xe4, 0x01],
  'f32x4.mul': [0xfd, 0xe6, 0x01],
  'f64x2.sqrt': [0xfd, 0xef, 0x01],
  'f64x2.div': [0xfd, 0xf3, 0x01],
  'f64x2.min': [0xfd, 0xf4, 0x01],
  'f64x2.max': [0xfd, 0xf5, 0x01],
  'i32x4.trunc_sat_f64x2_s_zero': [0xfd, 0xfc, 0x01],
  'v128.store': [0xfd, 0x0b],
  'v128.const': [0xfd, 0x0c],
  'f64x2.splat': [0xfd, 0x14],
  'f64x2.extract_lane': [0xfd, 0x21],
  'f64x2.add': [0xfd, 0xf0, 0x01],
  'f64x2.sub': [0xfd, 0xf1, 0x01],
  'f64x2.mul': [0xfd, 0xf2, 0x01],
  // Integer lanes of the Philox normal kernel (opcodes from the SIMD spec's BinarySIMD.md).
  'i32x4.const': [0xfd, 0x0c],
  'i8x16.shuffle': [0xfd, 0x0d],
  'i32x4.splat': [0xfd, 0x11],
  'v128.xor': [0xfd, 0x51],
  'i32x4.add': [0xfd, 0xae, 0x01],
  'i32x4.sub': [0xfd, 0xb1, 0x01],
  'i32x4.shl': [0xfd, 0xab, 0x01],
  'i32x4.shr_u': [0xfd, 0xad, 0x01],
  'i64x2.shr_u': [0xfd, 0xcd, 0x01],
  'i64x2.extmul_low_i32x4_u': [0xfd, 0xde, 0x01],
  'i64x2.extmul_high_i32x4_u': [0xfd, 0xdf, 0x01],
  'f64x2.convert_low_i32x4_u': [0xfd, 0xff, 0x01],
  'f64x2.convert_low_i32x4_s': [0xfd, 0xfe, 0x01],
};

/** An instruction: its name followed by immediates. */
export type Instr = readonly [string, ...number[]];

function uleb(value: number): number[] {
  const out: number[] = [];
  let n = value >>> 0;
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function sleb(value: number): number[] {
  const out: number[] = [];
  let n = value | 0;
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

function encode(code: readonly Instr[]): number[] {
  const out: number[] = [];
  for (const [name, ...imm] of code) {
    const op = OPS[name];
    if (!op) throw new Error(`wasm assembler: unknown instruction ${name}`);
    out.push(...op);
    switch (name) {
      case 'block':
      case 'loop':
      case 'if':
        out.push(0x40); // empty block type
        break;
      case 'br':
      case 'br_if':
      case 'local.get':
      case 'local.set':
      case 'local.tee':
      case 'f64x2.extract_lane':
        out.push(...uleb(imm[0]!));
        break;
      case 'i32.const':
      case 'i64.const': // small values only (|v| < 2^31): same signed LEB128 bytes
        out.push(...sleb(imm[0]!));
        break;
      case 'f64x2.replace_lane':
        out.push(imm[0]!);
        break;
      case 'f64x2.const': // two f64 lanes; one immediate splats
        out.push(...new Uint8Array(Float64Array.of(imm[0]!, imm[1] ?? imm[0]!).buffer));
        break;
      case 'f32.load':
      case 'f32.store':
      case 'i32.load':
        out.push(2, ...uleb(imm[0] ?? 0)); // align 2^2, offset
        break;
      case 'v128.load64_zero':
      case 'v128.load64_splat':
        out.push(3, ...uleb(imm[0] ?? 0));
        break;
      case 'v128.store64_lane':
        out.push(3, ...uleb(imm[0] ?? 0), imm[1] ?? 0); // memarg, lane
        break;
      case 'f64.const':
        out.push(...new Uint8Array(Float64Array.of(imm[0]!).buffer));
        break;
      case 'f64.load':
      case 'f64.store':
      case 'v128.load':
      case 'v128.store':
        out.push(3, ...uleb(imm[0] ?? 0)); // align 2^3, offset
        break;
      case 'v128.const':
        out.push(...new Array<number>(16).fill(0)); // zero vector
        break;
      case 'i32x4.const': // v128.const with four i32 lanes
        out.push(...new Uint8Array(Int32Array.of(imm[0]!, imm[1]!, imm[2]!, imm[3]!).buffer));
        break;
      case 'i8x16.shuffle': // 16 lane indices into the two operands' 32 bytes
        if (imm.length !== 16 || imm.some((l) => l < 0 || l > 31)) throw new Error('wasm assembler: i8x16.shuffle needs 16 lane indices in 0..31');
        out.push(...imm);
        break;
      default:
        break;
    }
  }
  return out;
}

/** One exported function. `locals` are [count, type] runs after the parameters. */
export interface FunctionDef {
  readonly name: string;
  readonly params: readonly number[];
  readonly locals: readonly (readonly [number, number])[];
  readonly code: readonly Instr[];
}

function vec(items: readonly (readonly number[])[]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function section(id: number, bytes: readonly number[]): number[] {
  return [id, ...uleb(bytes.length), ...bytes];
}

function name(s: string): number[] {
  const b = new TextEncoder().encode(s);
  return [...uleb(b.length), ...b];
}

/** Options of {@link assemble}: a shared memory import (for worker threads) needs a maximum. */
export interface AssembleOptions {
  /** Import `env.memory` as a shared memory with this maximum (64 KiB pages). */
  readonly sharedMaximumPages?: number;
}

/** A module importing `env.memory` and exporting `functions` (no results). */
export function assemble(functions: readonly FunctionDef[], options: AssembleOptions = {}): Uint8Array {
  const limits = options.sharedMaximumPages === undefined ? [0x00, 0x01] : [0x03, 0x01, ...uleb(options.sharedMaximumPages)];
  const types = functions.map((f) => [0x60, ...vec(f.params.map((t) => [t])), 0]);
  const bodies = functions.map((f) => {
    const body = [...vec(f.locals.map(([n, t]) => [...uleb(n), t])), ...encode(f.code), 0x0b];
    return [...uleb(body.length), ...body];
  });
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, ...limits]])),
    ...section(3, vec(functions.map((_, i) => uleb(i)))),
    ...section(7, vec(functions.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]))),
    ...section(10, vec(bodies)),
  ]);
}

// The WebAssembly JS API members phys uses (the ES2022 lib used for type checking declares none).
/** A WebAssembly linear memory. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
const wasmApi = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

function api(): WasmApi {
  if (!wasmApi) throw new Error('WebAssembly is not available in this JavaScript engine');
  return wasmApi;
}

/**
 * Compiles module bytes with V8's optimising compiler up front. Our kernels are few, small and each
 * call runs a long loop: V8's baseline compiler (Liftoff) would run them 2-2.5x slower, and a
 * running call never switches to the optimised code (measured in docs/fast-path.md). The flag is
 * restored right after this synchronous compile, so no other module is affected. Throws where
 * WebAssembly (or an instruction the module uses, e.g. SIMD) is unavailable.
 */
export function compileWasm(bytes: Uint8Array): object {
  const { Module } = api();
  setFlagsFromString('--no-liftoff');
  try {
    return new Module(bytes);
  } finally {
    setFlagsFromString('--liftoff');
  }
}

/**
 * A linear memory of `pages` 64 KiB pages (it grows on demand). With `sharedMaximumPages` it is a
 * shared memory (its buffer a SharedArrayBuffer, for worker threads) of at most that many pages, to
 * be imported by a module assembled with the same {@link AssembleOptions.sharedMaximumPages}.
 */
export function createWasmMemory(pages: number, sharedMaximumPages?: number): WasmMemory {
  const Memory = api().Memory;
  return sharedMaximumPages === undefined ? new Memory({ initial: pages }) : new Memory({ initial: pages, maximum: sharedMaximumPages, shared: true });
}

/** Instantiates a compiled module whose single import is `env.memory`; returns its exports. */
export function instantiateWasm(module: object, memory: WasmMemory): Record<string, unknown> {
  return new (api().Instance)(module, { env: { memory } }).exports;
}
