"""ONNX helpers shared by the training tools (tools/fashion, tools/disco): the phys.* metadata
writer and a cross-check that runs an exported model in onnxruntime-node from the repository's
node_modules (the runtime phys uses), so exports are compared with torch on the real runtime.

Run with Debian's interpreter (/usr/bin/python3: onnx, numpy). Nothing here is a runtime
dependency of any npm package.
"""

import json
import os
import subprocess
import tempfile

import numpy as np

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def set_metadata(onnx_path, props, output_shapes=None):
    """Writes string metadata_props into an ONNX file (our phys.* convention).

    output_shapes: optional {name: [dim, ...]} (str = symbolic, int = fixed) replacing the
    exporter's generated symbolic output dims (e.g. 'Adddenoised_dim_1') with the real ones.
    """
    import onnx

    model = onnx.load(onnx_path)
    for out in model.graph.output:
        if output_shapes and out.name in output_shapes:
            dims = out.type.tensor_type.shape.dim
            for d, v in zip(dims, output_shapes[out.name]):
                if isinstance(v, str):
                    d.dim_param = v
                else:
                    d.dim_value = v
    del model.metadata_props[:]
    for key, value in props.items():
        entry = model.metadata_props.add()
        entry.key = key
        entry.value = str(value)
    onnx.checker.check_model(model)
    onnx.save(model, onnx_path)


_NODE_CHECK = r"""
const fs = require('fs');
const ort = require(process.env.ORT_PATH);
const spec = JSON.parse(fs.readFileSync(process.argv[1], 'utf8'));
(async () => {
  const session = await ort.InferenceSession.create(spec.model, { intraOpNumThreads: 1 });
  const feeds = {};
  for (const inp of spec.inputs) {
    const buf = fs.readFileSync(inp.file);
    const data = inp.type === 'int64'
      ? BigInt64Array.from(new BigInt64Array(buf.buffer, buf.byteOffset, buf.byteLength / 8))
      : Float32Array.from(new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4));
    feeds[inp.name] = new ort.Tensor(inp.type, data, inp.shape);
  }
  const out = await session.run(feeds);
  const result = {};
  for (const name of spec.outputs) {
    const o = out[name];
    fs.writeFileSync(spec.dir + '/' + name + '.bin', Buffer.from(o.data.buffer, o.data.byteOffset, o.data.byteLength));
    result[name] = o.dims;
  }
  console.log(JSON.stringify(result));
})().catch((e) => { console.error(e); process.exit(1); });
"""


def run_with_onnxruntime_node(onnx_path, inputs, output_names):
    """Runs an ONNX model with onnxruntime-node from the repo's node_modules.

    inputs: dict name -> numpy array (int64 arrays stay int64, everything else becomes float32).
    Returns dict name -> float32 numpy array for each of output_names.
    """
    ort_path = os.path.join(REPO, "node_modules", "onnxruntime-node")
    with tempfile.TemporaryDirectory() as d:
        spec = {"model": onnx_path, "dir": d, "outputs": list(output_names), "inputs": []}
        for name, arr in inputs.items():
            typ = "int64" if np.asarray(arr).dtype == np.int64 else "float32"
            arr = np.ascontiguousarray(arr, dtype=np.int64 if typ == "int64" else np.float32)
            file = os.path.join(d, name + ".in.bin")
            arr.tofile(file)
            spec["inputs"].append({"name": name, "file": file, "shape": list(arr.shape), "type": typ})
        spec_path = os.path.join(d, "spec.json")
        with open(spec_path, "w") as f:
            json.dump(spec, f)
        env = dict(os.environ, ORT_PATH=ort_path)
        res = subprocess.run(["node", "-e", _NODE_CHECK, spec_path], env=env,
                             capture_output=True, text=True, check=True)
        dims = json.loads(res.stdout.strip().splitlines()[-1])
        return {name: np.fromfile(os.path.join(d, name + ".bin"), dtype=np.float32).reshape(dims[name])
                for name in output_names}
