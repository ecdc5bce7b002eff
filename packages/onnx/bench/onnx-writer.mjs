// A minimal ONNX ModelProto writer for the bench (the tests use the fuller test/onnx-builder.ts).
// Writes float32 graphs with x [B, ...sample] and sigma [B] inputs; field numbers from onnx.proto3.

function varint(out, v) {
  let x = BigInt.asUintN(64, BigInt(v));
  while (x >= 0x80n) {
    out.push(Number((x & 0x7fn) | 0x80n));
    x >>= 7n;
  }
  out.push(Number(x));
}
const tag = (out, field, wire) => varint(out, field * 8 + wire);
const int = (out, field, v) => (tag(out, field, 0), varint(out, v));
function bytes(out, field, b) {
  tag(out, field, 2);
  varint(out, b.length);
  for (const x of b) out.push(x);
}
const str = (out, field, s) => bytes(out, field, new TextEncoder().encode(s));
const msg = (out, field, build) => {
  const inner = [];
  build(inner);
  bytes(out, field, inner);
};

function valueInfo(out, field, name, dims) {
  msg(out, field, (v) => {
    str(v, 1, name);
    msg(v, 2, (t) => msg(t, 1, (tt) => {
      int(tt, 1, 1); // float32
      msg(tt, 2, (shape) => {
        for (const d of dims) msg(shape, 1, (dim) => (typeof d === 'number' ? int(dim, 1, d) : str(dim, 2, d)));
      });
    }));
  });
}

function initializer(out, name, type, dims, values) {
  msg(out, 5, (t) => {
    for (const d of dims) int(t, 1, d);
    int(t, 2, type === 'int64' ? 7 : 1);
    str(t, 8, name);
    const raw = new Uint8Array(values.length * (type === 'int64' ? 8 : 4));
    const dv = new DataView(raw.buffer);
    values.forEach((v, i) => (type === 'int64' ? dv.setBigInt64(8 * i, BigInt(v), true) : dv.setFloat32(4 * i, v, true)));
    bytes(t, 9, raw);
  });
}

function node(out, op, inputs, outputs) {
  msg(out, 1, (n) => {
    for (const i of inputs) str(n, 1, i);
    for (const o of outputs) str(n, 2, o);
    str(n, 4, op);
  });
}

/**
 * `kind: 'affine'`: denoised = a*x + b*sigma + c (Reshape, Mul, Mul, Add, Add), the per-call
 * overhead model. `kind: 'identity'`: denoised = Identity(x) (sigma declared, unused), the copy
 * cost model. `metadata` becomes metadata_props.
 */
export function benchModel({ kind, sample, a = 1, b = 0, c = 0, metadata = {} }) {
  const out = [];
  int(out, 1, 8);
  msg(out, 7, (g) => {
    if (kind === 'identity') node(g, 'Identity', ['x'], ['denoised']);
    else {
      node(g, 'Reshape', ['sigma', 'bshape'], ['s_b']);
      node(g, 'Mul', ['x', 'a'], ['ax']);
      node(g, 'Mul', ['s_b', 'b'], ['bs']);
      node(g, 'Add', ['ax', 'bs'], ['axbs']);
      node(g, 'Add', ['axbs', 'c'], ['denoised']);
    }
    str(g, 2, 'bench');
    if (kind !== 'identity') {
      initializer(g, 'a', 'float32', [], [a]);
      initializer(g, 'b', 'float32', [], [b]);
      initializer(g, 'c', 'float32', [], [c]);
      initializer(g, 'bshape', 'int64', [1 + sample.length], [-1, ...sample.map(() => 1)]);
    }
    valueInfo(g, 11, 'x', ['B', ...sample]);
    valueInfo(g, 11, 'sigma', ['B']);
    valueInfo(g, 12, 'denoised', ['B', ...sample]);
  });
  msg(out, 8, (o) => (str(o, 1, ''), int(o, 2, 13)));
  for (const [k, v] of Object.entries(metadata)) msg(out, 14, (e) => (str(e, 1, k), str(e, 2, v)));
  return Uint8Array.from(out);
}
