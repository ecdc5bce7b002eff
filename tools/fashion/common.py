"""Shared helpers for the Fashion-MNIST tools: data loading, a tiny PNG writer,
ONNX metadata and an onnxruntime-node cross-check.

Run with Debian's interpreter (/usr/bin/python3: torch, numpy, onnx). Nothing here is
a runtime dependency of any npm package.
"""

import gzip
import json
import os
import struct
import subprocess
import tempfile
import zlib

import numpy as np

DATA_DIR = os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
MODELS_DIR = os.path.join(REPO, "packages", "cli", "models")

CLASSES = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
]


def _read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack(">I", data[:4])[0]
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_split(split):
    """Returns (images float32 [n,1,28,28] in [-1, 1], labels int64 [n]) for 'train' or 't10k'."""
    images = _read_idx(os.path.join(DATA_DIR, f"{split}-images-idx3-ubyte.gz"))
    labels = _read_idx(os.path.join(DATA_DIR, f"{split}-labels-idx1-ubyte.gz"))
    x = images.astype(np.float32)[:, None, :, :] / 127.5 - 1.0
    return x, labels.astype(np.int64)


def write_png_gray(path, img_u8):
    """Writes an 8-bit grayscale PNG (img_u8: uint8 [H, W]) with zlib only."""
    img_u8 = np.ascontiguousarray(img_u8, dtype=np.uint8)
    h, w = img_u8.shape
    raw = b"".join(b"\x00" + img_u8[i].tobytes() for i in range(h))

    def chunk(tag, payload):
        return (struct.pack(">I", len(payload)) + tag + payload
                + struct.pack(">I", zlib.crc32(tag + payload) & 0xFFFFFFFF))

    png = (b"\x89PNG\r\n\x1a\n"
           + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw, 9))
           + chunk(b"IEND", b""))
    with open(path, "wb") as f:
        f.write(png)


def save_grid(path, images, ncol=8, pad=2, scale=2):
    """images: array [n,1,28,28] in [-1, 1] -> PNG grid (upscaled by `scale`, nearest)."""
    images = np.asarray(images, dtype=np.float32)
    n, _, h, w = images.shape
    nrow = (n + ncol - 1) // ncol
    grid = np.zeros((nrow * (h + pad) + pad, ncol * (w + pad) + pad), dtype=np.uint8)
    u8 = np.clip((images[:, 0] + 1.0) * 127.5 + 0.5, 0, 255).astype(np.uint8)
    for k in range(n):
        r, c = divmod(k, ncol)
        grid[pad + r * (h + pad):pad + r * (h + pad) + h, pad + c * (w + pad):pad + c * (w + pad) + w] = u8[k]
    if scale > 1:
        grid = grid.repeat(scale, axis=0).repeat(scale, axis=1)
    write_png_gray(path, grid)


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
    const data = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
    feeds[inp.name] = new ort.Tensor('float32', Float32Array.from(data), inp.shape);
  }
  const out = await session.run(feeds);
  const result = {};
  for (const name of spec.outputs) {
    fs.writeFileSync(spec.dir + '/' + name + '.bin', Buffer.from(out[name].data.buffer));
    result[name] = out[name].dims;
  }
  console.log(JSON.stringify(result));
})().catch((e) => { console.error(e); process.exit(1); });
"""


def run_with_onnxruntime_node(onnx_path, inputs, output_names):
    """Runs an ONNX model with onnxruntime-node from the repo's node_modules.

    inputs: dict name -> float32 numpy array. Returns dict name -> numpy array.
    """
    ort_path = os.path.join(REPO, "node_modules", "onnxruntime-node")
    with tempfile.TemporaryDirectory() as d:
        spec = {"model": onnx_path, "dir": d, "outputs": output_names, "inputs": []}
        for name, arr in inputs.items():
            arr = np.ascontiguousarray(arr, dtype=np.float32)
            file = os.path.join(d, name + ".in.bin")
            arr.tofile(file)
            spec["inputs"].append({"name": name, "file": file, "shape": list(arr.shape)})
        spec_path = os.path.join(d, "spec.json")
        with open(spec_path, "w") as f:
            json.dump(spec, f)
        env = dict(os.environ, ORT_PATH=ort_path)
        res = subprocess.run(["node", "-e", _NODE_CHECK, spec_path], env=env,
                             capture_output=True, text=True, check=True)
        dims = json.loads(res.stdout.strip().splitlines()[-1])
        return {name: np.fromfile(os.path.join(d, name + ".bin"), dtype=np.float32).reshape(dims[name])
                for name in output_names}
