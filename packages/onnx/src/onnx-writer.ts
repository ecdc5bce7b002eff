// A small ONNX writer: encodes ModelProto bytes by hand (protobuf wire format, field numbers from
// onnx/onnx.proto3). Enough for the graphs phys builds at run time (the GEMM engine of ./gemm.ts)
// and for tests and benches: tensors, value infos, nodes with int/ints/float attributes,
// initializers, opsets and metadata_props.

/** Protobuf wire-format writer. */
class Writer {
  private parts: Uint8Array[] = [];
  private small: number[] = [];

  private flush(): void {
    if (this.small.length > 0) {
      this.parts.push(Uint8Array.from(this.small));
      this.small = [];
    }
  }

  varint(v: number | bigint): this {
    let x = BigInt.asUintN(64, BigInt(v));
    while (x >= 0x80n) {
      this.small.push(Number((x & 0x7fn) | 0x80n));
      x >>= 7n;
    }
    this.small.push(Number(x));
    return this;
  }

  tag(field: number, wire: number): this {
    return this.varint(field * 8 + wire);
  }

  int(field: number, v: number): this {
    return this.tag(field, 0).varint(v);
  }

  bytes(field: number, b: Uint8Array): this {
    this.tag(field, 2).varint(b.length);
    this.flush();
    this.parts.push(b);
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }

  message(field: number, w: Writer): this {
    return this.bytes(field, w.finish());
  }

  float(field: number, v: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.tag(field, 5);
    for (const x of b) this.small.push(x);
    return this;
  }

  finish(): Uint8Array {
    this.flush();
    const n = this.parts.reduce((a, p) => a + p.length, 0);
    const out = new Uint8Array(n);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}

/** ONNX `TensorProto.DataType` codes of the element types phys writes. */
export const ONNX_DTYPES = { float32: 1, int64: 7, float64: 11, int32: 6, float16: 10 } as const;
export type OnnxElemType = keyof typeof ONNX_DTYPES;

/** A dimension: a number (fixed), a string (symbolic) or null (unknown). */
export type OnnxDim = number | string | null;

/** A graph input or output. */
export interface OnnxValueInfo {
  name: string;
  type: OnnxElemType;
  /** undefined: no shape declared. */
  shape?: OnnxDim[];
}

/** A constant tensor of the graph. */
export interface OnnxInitializer {
  name: string;
  type: 'float32' | 'float64' | 'int64';
  dims: number[];
  values: number[];
}

/** One operator node. */
export interface OnnxNodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs?: Record<string, number | number[]>;
  /** Integer attributes (AttributeProto.INT); numbers in `attrs` are floats unless listed here. */
  intAttrs?: string[];
}

/** A whole model: one graph, its opset and metadata. */
export interface OnnxModelSpec {
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  nodes: OnnxNodeSpec[];
  initializers?: OnnxInitializer[];
  metadata?: Record<string, string>;
  opset?: number;
  irVersion?: number;
  /** Extra bytes appended to the graph as an initializer (to make a model "large"). */
  padBytes?: number;
  /** Graph name (default `phys`). */
  name?: string;
  /** producer_name (default `phys`). */
  producer?: string;
}

function valueInfo(v: OnnxValueInfo): Writer {
  const tensorType = new Writer().int(1, ONNX_DTYPES[v.type]);
  if (v.shape !== undefined) {
    const shape = new Writer();
    for (const d of v.shape) {
      const dim = new Writer();
      if (typeof d === 'number') dim.int(1, d);
      else if (typeof d === 'string') dim.string(2, d);
      shape.message(1, dim);
    }
    tensorType.message(2, shape);
  }
  const typeProto = new Writer().message(1, tensorType);
  return new Writer().string(1, v.name).message(2, typeProto);
}

function tensor(init: OnnxInitializer): Writer {
  const w = new Writer();
  for (const d of init.dims) w.int(1, d);
  w.int(2, ONNX_DTYPES[init.type]);
  w.string(8, init.name);
  const n = init.values.length;
  const raw = new Uint8Array(n * (init.type === 'float32' ? 4 : 8));
  const dv = new DataView(raw.buffer);
  init.values.forEach((v, i) => {
    if (init.type === 'float32') dv.setFloat32(4 * i, v, true);
    else if (init.type === 'float64') dv.setFloat64(8 * i, v, true);
    else dv.setBigInt64(8 * i, BigInt(v), true);
  });
  w.bytes(9, raw);
  return w;
}

function node(n: OnnxNodeSpec, i: number): Writer {
  const w = new Writer();
  for (const x of n.inputs) w.string(1, x);
  for (const x of n.outputs) w.string(2, x);
  w.string(3, `n${i}_${n.op}`);
  w.string(4, n.op);
  for (const [name, value] of Object.entries(n.attrs ?? {})) {
    const a = new Writer().string(1, name);
    const isInt = n.intAttrs?.includes(name) ?? false;
    if (Array.isArray(value)) {
      for (const v of value) a.int(8, v); // ints
      a.int(20, 7); // INTS
    } else if (isInt) {
      a.int(3, value).int(20, 2); // INT
    } else {
      a.float(2, value).int(20, 1); // FLOAT
    }
    w.message(5, a);
  }
  return w;
}

/** Encodes an ONNX `ModelProto` (IR version 8 and opset 13 unless the spec says otherwise). */
export function encodeOnnxModel(spec: OnnxModelSpec): Uint8Array {
  const graph = new Writer();
  spec.nodes.forEach((n, i) => graph.message(1, node(n, i)));
  graph.string(2, spec.name ?? 'phys');
  for (const init of spec.initializers ?? []) graph.message(5, tensor(init));
  if (spec.padBytes !== undefined && spec.padBytes > 0) {
    graph.message(5, new Writer().int(1, spec.padBytes / 4).int(2, ONNX_DTYPES.float32).string(8, 'unused_padding').bytes(9, new Uint8Array(spec.padBytes)));
  }
  for (const v of spec.inputs) graph.message(11, valueInfo(v));
  for (const v of spec.outputs) graph.message(12, valueInfo(v));
  const model = new Writer();
  model.int(1, spec.irVersion ?? 8);
  model.string(2, spec.producer ?? 'phys');
  model.string(3, '0');
  model.message(7, graph);
  model.message(8, new Writer().string(1, '').int(2, spec.opset ?? 13));
  for (const [k, v] of Object.entries(spec.metadata ?? {})) model.message(14, new Writer().string(1, k).string(2, v));
  return model.finish();
}

