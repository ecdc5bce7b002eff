"""A small velocity (flow-matching) model on a 2-D mixture: train, evaluate, export to ONNX.

Run with Debian's interpreter (torch, numpy, onnx), CPU, one thread:

    /usr/bin/python3 tools/flow2d/train.py          # train + export examples/models/flow2d/

What it trains (seed 000 "one-sample straight line", i.e. rectified flow / conditional flow
matching): data x0 from 8 Gaussians with std 0.2 on a circle of radius 3 (the mixture of
tools/disco, `ringMixture({ count: 8, radius: 3, std: 0.2 })` in @phys/fields), prior
x1 ~ N(0, I), straight path x_t = (1 - t) x0 + t x1, t ~ U(0, 1), target velocity x1 - x0,
loss |v(x_t, t) - (x1 - x0)|^2. Network: MLP on (x, t, sin/cos(pi k t), k = 1..4), 3 hidden
layers of 128, SiLU. Adam, cosine learning-rate decay.

ONNX file (metadata convention of @phys/onnx):
  flow2d-straight.onnx  x [B,2] f32, t [B] f32 -> velocity [B,2]
  phys.kind=denoiser, phys.parameterization=velocity, phys.path=straight, phys.prior=gaussian(1)
"""

import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
from onnx_tools import REPO, run_with_onnxruntime_node, set_metadata  # noqa: E402

OUT_DIR = os.path.join(REPO, "examples", "models", "flow2d")
RADIUS = 3.0
MODE_STD = 0.2
COUNT = 8


def mixture_means():
    a = 2 * math.pi * np.arange(COUNT) / COUNT
    return np.stack([RADIUS * np.cos(a), RADIUS * np.sin(a)], axis=1)


def sample_data(n, gen):
    means = torch.from_numpy(mixture_means()).float()
    k = torch.randint(0, COUNT, (n,), generator=gen)
    return means[k] + MODE_STD * torch.randn(n, 2, generator=gen)


class VelocityNet(nn.Module):
    def __init__(self, width=128, freqs=4):
        super().__init__()
        self.freqs = freqs
        d_in = 2 + 1 + 2 * freqs
        self.net = nn.Sequential(
            nn.Linear(d_in, width), nn.SiLU(),
            nn.Linear(width, width), nn.SiLU(),
            nn.Linear(width, width), nn.SiLU(),
            nn.Linear(width, 2),
        )
        self.register_buffer("k", math.pi * torch.arange(1, freqs + 1, dtype=torch.float32))

    def forward(self, x, t):
        tt = t.reshape(-1, 1)
        ang = tt * self.k.reshape(1, -1)
        return self.net(torch.cat([x, tt, torch.sin(ang), torch.cos(ang)], dim=1))


def euler_sample(model, x1, steps):
    x = x1.clone()
    ts = torch.linspace(1, 0, steps + 1)
    with torch.no_grad():
        for i in range(steps):
            t = torch.full((x.shape[0],), float(ts[i]))
            x = x + (ts[i + 1] - ts[i]) * model(x, t)
    return x


def mode_stats(x):
    means = torch.from_numpy(mixture_means()).float()
    d = torch.cdist(x, means)
    dist, k = d.min(dim=1)
    counts = torch.bincount(k, minlength=COUNT).tolist()
    return {"mean_dist_to_mode": float(dist.mean()), "within_3std": float((dist < 3 * MODE_STD).float().mean()), "mode_counts": counts}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=4000)
    ap.add_argument("--batch", type=int, default=1024)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=OUT_DIR)
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    model = VelocityNet()
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.steps)
    t0 = time.time()
    ema = None
    for step in range(args.steps):
        x0 = sample_data(args.batch, gen)
        x1 = torch.randn(args.batch, 2, generator=gen)
        t = torch.rand(args.batch, generator=gen)
        xt = (1 - t[:, None]) * x0 + t[:, None] * x1
        loss = ((model(xt, t) - (x1 - x0)) ** 2).sum(dim=1).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        ema = float(loss) if ema is None else 0.99 * ema + 0.01 * float(loss)
        if step % 1000 == 0 or step == args.steps - 1:
            print(f"step {step:5d}  loss(ema) {ema:.4f}  {time.time() - t0:.1f}s", flush=True)
    train_s = time.time() - t0
    model.eval()
    evals = {}
    for steps in (1, 2, 4, 8, 32, 128):
        g = torch.Generator().manual_seed(1)
        evals[steps] = mode_stats(euler_sample(model, torch.randn(4000, 2, generator=g), steps))
        print(f"Euler {steps:3d} steps: {evals[steps]}")

    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "flow2d-straight.onnx")
    xs = torch.randn(4, 2)
    ts = torch.tensor([0.9, 0.5, 0.25, 0.01])
    torch.onnx.export(model, (xs, ts), path, opset_version=17, input_names=["x", "t"], output_names=["velocity"],
                      dynamic_axes={"x": {0: "B"}, "t": {0: "B"}, "velocity": {0: "B"}}, do_constant_folding=True)
    provenance = (f"tools/flow2d/train.py --steps {args.steps} --batch {args.batch} --lr {args.lr} --seed {args.seed}; "
                  f"straight-path flow matching on 8 Gaussians (radius {RADIUS}, std {MODE_STD}); final loss(ema) {ema:.4f}; "
                  f"{train_s:.0f} s on one CPU thread")
    set_metadata(path, {
        "phys.kind": "denoiser",
        "phys.parameterization": "velocity",
        "phys.path": "straight",
        "phys.prior": "gaussian(1)",
        "phys.image_shape": "2",
        "phys.value_range": "-4,4",
        "phys.input_x": "x",
        "phys.input_t": "t",
        "phys.output": "velocity",
        "phys.provenance": provenance,
    }, output_shapes={"velocity": ["B", 2]})
    check = {"x": np.random.default_rng(0).standard_normal((16, 2)).astype(np.float32),
             "t": np.linspace(0.02, 1, 16).astype(np.float32)}
    with torch.no_grad():
        ref = model(torch.from_numpy(check["x"]), torch.from_numpy(check["t"])).numpy()
    got = run_with_onnxruntime_node(path, check, ["velocity"])["velocity"]
    diff = float(np.abs(got - ref).max())
    print(f"{os.path.basename(path)}: {os.path.getsize(path)} bytes, onnxruntime-node vs torch max |diff| {diff:.2e}")
    if not diff < 1e-4:
        raise SystemExit("ONNX export does not match torch")
    with open(os.path.join(args.out, "flow2d-train.json"), "w") as f:
        json.dump({"provenance": provenance, "train_seconds": train_s, "final_loss_ema": ema,
                   "torch_euler": {str(k): v for k, v in evals.items()}, "onnx_vs_torch_max_abs": diff}, f, indent=1)


if __name__ == "__main__":
    main()
