"""Throughput of `phys sample` next to the same network and sampler in PyTorch, same CPU, same run.

The PyTorch side is tools/fashion's EDMPrecond(UNet) with the shipped ONNX file's weights loaded
into it (the initializers carry the state_dict names), checked against onnxruntime-node on one
batch, so both sides run one network. Sampler: EDM's deterministic Heun (Algorithm 1), 18 steps
(NFE 35), batch 64, from the PFGM++ D=128 prior. phys runs as the user would run it:
`phys sample --seeds 0-(n-1) --outdir DIR --sampler heun --steps 18` (process start, model load,
PNG writing included), with the default fixed-shape micro-batches (64 rows), with 16, and with
`--micro-batch off` (their cost). PyTorch runs twice, each in its own process: stock, and with glibc's malloc
tuned (MALLOC_MMAP_THRESHOLD_ etc., OPENBLAS_NUM_THREADS=1; stock Debian torch otherwise pays page
faults on every large tensor). Prints one JSON line per run and a summary.

Usage: /usr/bin/python3 tools/fashion/bench_throughput.py [--n 1000] [--threads 2] [--repeats 1]
Run from the repository root after `npm run build`.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

TUNED = {
    "MALLOC_MMAP_THRESHOLD_": "16777216",
    "MALLOC_TRIM_THRESHOLD_": "4294967296",
    "MALLOC_TOP_PAD_": "67108864",
    "OPENBLAS_NUM_THREADS": "1",
}


def torch_model(onnx_path):
    import onnx
    import torch
    from onnx import numpy_helper
    from train_pfgmpp import build_model

    graph = onnx.load(onnx_path).graph
    weights = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in graph.initializer}
    # The exporter turns GroupNorm into InstanceNormalization then Mul (weight) and Add (bias) by
    # anonymous initializers [C, 1, 1]: name them after the node's scope (/net/down0/norm1/Mul).
    for node in graph.node:
        if node.op_type in ("Mul", "Add") and node.name.endswith(("/Mul", "/Add")) and "norm" in node.name:
            key = node.name.strip("/").rsplit("/", 1)[0].replace("/", ".") + (".weight" if node.op_type == "Mul" else ".bias")
            anon = [i for i in node.input if i.startswith("onnx::") and i in weights]
            if len(anon) == 1:
                weights[key] = weights[anon[0]].reshape(-1)
    ch = (weights["net.conv_in.weight"].shape[0], weights["net.down1.conv1.weight"].shape[0], weights["net.down2.conv1.weight"].shape[0])
    model = build_model({"channels": list(ch), "emb_dim": weights["net.mlp.0.weight"].shape[0], "dropout": 0.0})
    state = model.state_dict()
    weights.setdefault("net.fourier.freqs", state["net.fourier.freqs"])  # a constant of the architecture
    missing = [k for k in state if k not in weights]
    if missing:
        raise SystemExit(f"{onnx_path}: no initializer for {missing[:5]} ({len(missing)} in all)")
    model.load_state_dict({k: weights[k] for k in state})
    model.eval()
    return model


def run_torch(args):
    """Child process: times torch's Heun on n samples; prints one JSON line."""
    import numpy as np
    import torch
    from common import run_with_onnxruntime_node
    from train_pfgmpp import heun_sample

    torch.set_num_threads(args.threads)
    model = torch_model(args.onnx)
    # One network: torch's D(x; sigma) against onnxruntime-node's on the same batch.
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(8, 1, 28, 28, generator=gen) * 5
    sigma = torch.tensor([80.0, 20, 5, 1, 0.5, 0.1, 0.02, 0.002])
    with torch.no_grad():
        ours = model(x, sigma).numpy()
    ort = run_with_onnxruntime_node(args.onnx, {"x": x.numpy(), "sigma": sigma.numpy()}, ["denoised"])["denoised"]
    max_diff = float(np.abs(ours - ort).max())
    if max_diff > 1e-4:
        raise SystemExit(f"torch and onnxruntime disagree: max |diff| {max_diff}")
    heun_sample(model, args.batch, 2, 128, 0)  # warm-up
    t0 = time.perf_counter()
    done = 0
    while done < args.n:
        b = min(args.batch, args.n - done)
        heun_sample(model, b, 18, 128, done)
        done += b
    wall = time.perf_counter() - t0
    print(json.dumps({"side": "torch", "tuned": args.tuned, "threads": args.threads, "n": args.n, "wall_s": wall, "images_per_s": args.n / wall, "check_max_abs_diff_vs_ort": max_diff}))


def run_phys(args, outdir, extra):
    node = shutil.which("node")
    cmd = [node, os.path.join(REPO, "packages", "cli", "bin", "phys.js"), "sample", "--seeds", f"0-{args.n - 1}", "--outdir", outdir,
           "--sampler", "heun", "--steps", "18", "--batch-size", str(args.batch), "--quiet", "--json"] + extra + args.phys_args
    t0 = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=REPO).stdout
    wall = time.perf_counter() - t0
    report = json.loads(out)
    return {"side": "phys", "args": " ".join(cmd[2:]), "n": args.n, "wall_s": wall, "images_per_s": args.n / wall, "micro_batch": report["microBatch"]}


def loadavg():
    return " ".join(f"{v:.1f}" for v in os.getloadavg())


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=1000)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=1)
    p.add_argument("--onnx", default=os.path.join(REPO, "packages", "cli", "models", "fashion-pfgmpp-d128.onnx"))
    p.add_argument("--phys-args", nargs=argparse.REMAINDER, default=[], help="extra phys sample options (last)")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--tuned", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        run_torch(args)
        return
    rows = []
    for r in range(args.repeats):
        for side in ("phys", "phys-micro-16", "phys-micro-off", "torch-stock", "torch-tuned"):
            before = loadavg()
            if side.startswith("phys"):
                extra = {"phys": [], "phys-micro-16": ["--micro-batch", "16"], "phys-micro-off": ["--micro-batch", "off"]}[side]
                with tempfile.TemporaryDirectory() as d:
                    row = {"variant": side, **run_phys(args, os.path.join(d, "out"), extra)}
            else:
                tuned = side == "torch-tuned"
                env = {**os.environ, **(TUNED if tuned else {})}
                cmd = [sys.executable, os.path.abspath(__file__), "--child", "--n", str(args.n), "--batch", str(args.batch), "--threads", str(args.threads), "--onnx", args.onnx]
                out = subprocess.run(cmd + (["--tuned"] if tuned else []), check=True, capture_output=True, text=True, env=env).stdout
                row = json.loads(out.strip().splitlines()[-1])
            row.update({"repeat": r, "load_before": before, "load_after": loadavg()})
            rows.append(row)
            print(json.dumps(row), flush=True)
    phys = [x["images_per_s"] for x in rows if x.get("variant") == "phys"]
    for label, tuned in (("stock", False), ("tuned", True)):
        torch_ips = [x["images_per_s"] for x in rows if x["side"] == "torch" and x["tuned"] == tuned]
        ratios = [a / b for a, b in zip(phys, torch_ips)]
        print(f"phys {min(phys):.2f}-{max(phys):.2f} images/s, torch {label} {min(torch_ips):.2f}-{max(torch_ips):.2f} images/s, phys/torch {min(ratios):.2f}-{max(ratios):.2f}")


from common import REPO  # noqa: E402

if __name__ == "__main__":
    main()
