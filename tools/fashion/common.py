"""Shared helpers for the Fashion-MNIST tools: data loading and a tiny PNG writer; the ONNX
metadata writer and the onnxruntime-node cross-check come from tools/onnx_tools.py.

Run with Debian's interpreter (/usr/bin/python3: torch, numpy, onnx). Nothing here is
a runtime dependency of any npm package.
"""

import gzip
import os
import struct
import sys
import zlib

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from onnx_tools import REPO, run_with_onnxruntime_node, set_metadata  # noqa: E402,F401  (re-exported)

DATA_DIR = os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")
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
