// A minimal WebAssembly binary assembler: enough of the instruction set (i32 arithmetic, f64 and
// 128-bit SIMD f64x2 loads, stores and arithmetic, structured control flow) to write the dense
// float64 kernels of this package as readable instruction lists, without a build step or binary
// blobs. Instructions are written as [name, ...immediates] in stack-machine order.

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
  'v128.store': [0xfd, 0x0b],
  'v128.const': [0xfd, 0x0c],
  'f64x2.splat': [0xfd, 0x14],
  'f64x2.extract_lane': [0xfd, 0x21],
  'f64x2.add': [0xfd, 0xf0, 0x01],
  'f64x2.sub': [0xfd, 0xf1, 0x01],
  'f64x2.mul': [0xfd, 0xf2, 0x01],
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
        out.push(...sleb(imm[0]!));
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

/** A module importing `env.memory` and exporting `functions` (no results). */
export function assemble(functions: readonly FunctionDef[]): Uint8Array {
  const types = functions.map((f) => [0x60, ...vec(f.params.map((t) => [t])), 0]);
  const bodies = functions.map((f) => {
    const body = [...vec(f.locals.map(([n, t]) => [...uleb(n), t])), ...encode(f.code), 0x0b];
    return [...uleb(body.length), ...body];
  });
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, 0x00, 0x01]])),
    ...section(3, vec(functions.map((_, i) => uleb(i)))),
    ...section(7, vec(functions.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]))),
    ...section(10, vec(bodies)),
  ]);
}
