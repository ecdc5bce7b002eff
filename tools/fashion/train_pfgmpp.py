#!/usr/bin/python3
"""Train a small U-Net denoiser on Fashion-MNIST with the PFGM++ objective (D = 128),
sample from it with EDM's Heun sampler, and export it to ONNX with the phys.* metadata.

  /usr/bin/python3 tools/fashion/train_pfgmpp.py train  --run tools/fashion/runs/pfgmpp --minutes 32   # then --resume --threads 2 --minutes 49: shipped, 3134 steps
  /usr/bin/python3 tools/fashion/train_pfgmpp.py sample --run tools/fashion/runs/pfgmpp --steps 18
  /usr/bin/python3 tools/fashion/train_pfgmpp.py export --run tools/fashion/runs/pfgmpp

Equations (thesis = /work/shared/seeds/002_*.txt, REFERENCE-NOTES "EDM" and "PFGM++"):
  * EDM preconditioning (Karras et al. 2022, Table 1), sigma_data = 0.5:
      c_skip = sd^2/(s^2+sd^2), c_out = s*sd/sqrt(s^2+sd^2), c_in = 1/sqrt(s^2+sd^2),
      c_noise = ln(s)/4; D(x; s) = c_skip x + c_out F(c_in x; c_noise).
  * Training sigma: ln s ~ N(P_mean = -1.2, P_std = 1.2), loss weight (s^2+sd^2)/(s*sd)^2.
  * PFGM++ perturbation kernel (thesis: p_r(x|y) proportional to 1/(|x-y|^2 + r^2)^((N+D)/2)),
    hyper-parameters transferred from EDM by r = sigma*sqrt(D):
      u ~ Beta(N/2, D/2) clipped to [1e-3, 1-1e-3], R = r*sqrt(u/(1-u+1e-8) + 1e-8),
      x = y + R*g/|g|, g ~ N(0, I_N).  The network still receives sigma, not r.
  * Prior: u ~ Beta(N/2, D/2), R = sqrt(u/(1-u))*sigma_max*sqrt(D), x_T = R*g/|g|.
  * Sampling: EDM Heun (Karras et al. Alg. 1) in sigma, rho = 7 schedule, last step Euler.
"""

import argparse
import copy
import json
import math
import os
import signal
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import MODELS_DIR, load_split, run_with_onnxruntime_node, save_grid, set_metadata  # noqa: E402

SIGMA_DATA = 0.5
SIGMA_MIN = 0.002
SIGMA_MAX = 80.0
P_MEAN, P_STD = -1.2, 1.2
N_DIM = 28 * 28


# ----------------------------------------------------------------------------- network

class FourierEmbedding(nn.Module):
    """Sinusoidal embedding of the scalar c_noise (DDPM++-style positional embedding)."""

    def __init__(self, dim, max_positions=10000):
        super().__init__()
        half = dim // 2
        freqs = torch.exp(-math.log(max_positions) * torch.arange(half, dtype=torch.float32) / half)
        self.register_buffer("freqs", freqs)

    def forward(self, t):
        # Scale c_noise = ln(sigma)/4 (range about -1.6..1.1) so the frequencies are exercised.
        args = (t * 250.0)[:, None] * self.freqs[None, :]
        return torch.cat([torch.cos(args), torch.sin(args)], dim=1)


class ResBlock(nn.Module):
    def __init__(self, cin, cout, emb_dim, groups=8, dropout=0.0):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.emb = nn.Linear(emb_dim, 2 * cout)
        self.norm2 = nn.GroupNorm(groups, cout)
        self.drop = nn.Dropout(dropout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        nn.init.zeros_(self.conv2.weight)
        nn.init.zeros_(self.conv2.bias)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x, emb):
        h = self.conv1(F.silu(self.norm1(x)))
        scale, shift = self.emb(emb)[:, :, None, None].chunk(2, dim=1)
        h = self.norm2(h) * (1 + scale) + shift
        h = self.conv2(self.drop(F.silu(h)))
        return (h + self.skip(x)) / math.sqrt(2)


class SelfAttention(nn.Module):
    def __init__(self, ch, groups=8):
        super().__init__()
        self.norm = nn.GroupNorm(groups, ch)
        self.qkv = nn.Conv2d(ch, 3 * ch, 1)
        self.proj = nn.Conv2d(ch, ch, 1)
        nn.init.zeros_(self.proj.weight)
        nn.init.zeros_(self.proj.bias)

    def forward(self, x):
        b, c, h, w = x.shape
        q, k, v = self.qkv(self.norm(x)).reshape(b, 3, c, h * w).unbind(1)
        attn = torch.softmax(torch.einsum("bci,bcj->bij", q, k) * (1.0 / math.sqrt(self.qkv.out_channels // 3)), dim=-1)
        out = torch.einsum("bij,bcj->bci", attn, v).reshape(b, c, h, w)
        return (x + self.proj(out)) / math.sqrt(2)


class UNet(nn.Module):
    """F_theta: 28x28 -> 14x14 -> 7x7 U-Net, one residual block per level each way,
    self-attention at 7x7, conditioned on an embedding of c_noise."""

    def __init__(self, ch=(32, 64, 64), emb_dim=128, dropout=0.0):
        super().__init__()
        self.fourier = FourierEmbedding(32)
        self.mlp = nn.Sequential(nn.Linear(32, emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim), nn.SiLU())
        c0, c1, c2 = ch
        self.conv_in = nn.Conv2d(1, c0, 3, padding=1)
        self.down0 = ResBlock(c0, c0, emb_dim, dropout=dropout)           # 28
        self.ds0 = nn.Conv2d(c0, c0, 3, stride=2, padding=1)               # 28 -> 14
        self.down1 = ResBlock(c0, c1, emb_dim, dropout=dropout)           # 14
        self.ds1 = nn.Conv2d(c1, c1, 3, stride=2, padding=1)               # 14 -> 7
        self.down2 = ResBlock(c1, c2, emb_dim, dropout=dropout)           # 7
        self.mid1 = ResBlock(c2, c2, emb_dim, dropout=dropout)
        self.attn = SelfAttention(c2)
        self.mid2 = ResBlock(c2, c2, emb_dim, dropout=dropout)
        self.up2 = ResBlock(c2 + c2, c2, emb_dim, dropout=dropout)        # 7, then nearest x2
        self.up1 = ResBlock(c2 + c1, c1, emb_dim, dropout=dropout)        # 14
        self.us0 = nn.Conv2d(c1, c0, 1)                                    # 1x1 at 14, then nearest x2
        self.up0 = ResBlock(c0 + c0, c0, emb_dim, dropout=dropout)        # 28
        self.norm_out = nn.GroupNorm(8, c0)
        self.conv_out = nn.Conv2d(c0, 1, 3, padding=1)
        nn.init.zeros_(self.conv_out.weight)
        nn.init.zeros_(self.conv_out.bias)

    def forward(self, x, c_noise):
        emb = self.mlp(self.fourier(c_noise))
        h0 = self.down0(self.conv_in(x), emb)
        h1 = self.down1(self.ds0(h0), emb)
        h2 = self.down2(self.ds1(h1), emb)
        h = self.mid2(self.attn(self.mid1(h2, emb)), emb)
        h = self.up2(torch.cat([h, h2], 1), emb)
        h = F.interpolate(h, scale_factor=2.0, mode="nearest")
        h = self.up1(torch.cat([h, h1], 1), emb)
        h = F.interpolate(self.us0(h), scale_factor=2.0, mode="nearest")
        h = self.up0(torch.cat([h, h0], 1), emb)
        return self.conv_out(F.silu(self.norm_out(h)))


class EDMPrecond(nn.Module):
    """D(x; sigma) = c_skip x + c_out F(c_in x; c_noise) (EDM Table 1, sigma_data = 0.5)."""

    def __init__(self, net, sigma_data=SIGMA_DATA):
        super().__init__()
        self.net = net
        self.sigma_data = sigma_data

    def forward(self, x, sigma):
        sd = self.sigma_data
        s = sigma.reshape(-1, 1, 1, 1)
        c_skip = sd ** 2 / (s ** 2 + sd ** 2)
        c_out = s * sd / torch.sqrt(s ** 2 + sd ** 2)
        c_in = 1.0 / torch.sqrt(s ** 2 + sd ** 2)
        c_noise = torch.log(sigma.reshape(-1)) / 4.0
        return c_skip * x + c_out * self.net(c_in * x, c_noise)


# ----------------------------------------------------------------------------- PFGM++ pieces

def sample_beta(a, b, n, gen):
    """u ~ Beta(a, b) via two gammas, on a seeded generator."""
    ga = torch._standard_gamma(torch.full((n,), float(a)), generator=gen)
    gb = torch._standard_gamma(torch.full((n,), float(b)), generator=gen)
    return ga / (ga + gb)


def pfgmpp_perturb(y, sigma, D, gen):
    """x = y + R g/|g| with r = sigma sqrt(D), R^2/r^2 ~ BetaPrime(N/2, D/2) (REFERENCE-NOTES PFGM++)."""
    b = y.shape[0]
    r = sigma * math.sqrt(D)
    u = sample_beta(N_DIM / 2.0, D / 2.0, b, gen).clamp(1e-3, 1 - 1e-3)
    R = r * torch.sqrt(u / (1 - u + 1e-8) + 1e-8)
    g = torch.randn(y.shape, generator=gen)
    g = g / g.reshape(b, -1).norm(dim=1).reshape(b, 1, 1, 1)
    return y + R.reshape(b, 1, 1, 1) * g


def pfgmpp_prior(n, D, gen, sigma_max=SIGMA_MAX):
    """x_T = R g/|g|, R = sqrt(u/(1-u)) sigma_max sqrt(D), u ~ Beta(N/2, D/2) (no clip)."""
    u = sample_beta(N_DIM / 2.0, D / 2.0, n, gen)
    R = torch.sqrt(u / (1 - u)) * sigma_max * math.sqrt(D)
    g = torch.randn((n, 1, 28, 28), generator=gen)
    g = g / g.reshape(n, -1).norm(dim=1).reshape(n, 1, 1, 1)
    return R.reshape(n, 1, 1, 1) * g


def edm_schedule(steps, sigma_min=SIGMA_MIN, sigma_max=SIGMA_MAX, rho=7.0):
    i = torch.arange(steps, dtype=torch.float64)
    t = (sigma_max ** (1 / rho) + i / (steps - 1) * (sigma_min ** (1 / rho) - sigma_max ** (1 / rho))) ** rho
    return torch.cat([t, torch.zeros(1, dtype=torch.float64)])


@torch.no_grad()
def heun_sample(model, n, steps, D, seed):
    """EDM Algorithm 1 (deterministic Heun, no churn), from the PFGM++ prior; NFE = 2*steps - 1."""
    gen = torch.Generator().manual_seed(seed)
    t = edm_schedule(steps)
    x = pfgmpp_prior(n, D, gen).to(torch.float64)
    for i in range(steps):
        t_cur, t_next = t[i], t[i + 1]
        den = model(x.float(), torch.full((n,), float(t_cur))).to(torch.float64)
        d = (x - den) / t_cur
        x_next = x + (t_next - t_cur) * d
        if t_next > 0:
            den2 = model(x_next.float(), torch.full((n,), float(t_next))).to(torch.float64)
            d2 = (x_next - den2) / t_next
            x_next = x + (t_next - t_cur) * (0.5 * d + 0.5 * d2)
        x = x_next
    return x.float()


# ----------------------------------------------------------------------------- commands

def build_model(args_or_cfg):
    cfg = args_or_cfg if isinstance(args_or_cfg, dict) else vars(args_or_cfg)
    return EDMPrecond(UNet(ch=tuple(cfg["channels"]), emb_dim=cfg["emb_dim"], dropout=cfg["dropout"]))


def load_ckpt(run):
    ckpt = torch.load(os.path.join(run, "ckpt.pt"), map_location="cpu")
    model = build_model(ckpt["config"])
    model.load_state_dict(ckpt["ema"])
    model.eval()
    return model, ckpt


def cmd_train(args):
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    os.makedirs(args.run, exist_ok=True)
    gen = torch.Generator().manual_seed(args.seed)

    x_train, _ = load_split("train")
    data = torch.from_numpy(x_train)
    n_data = data.shape[0]

    model = build_model(args)
    ema = copy.deepcopy(model).eval()
    for p in ema.parameters():
        p.requires_grad_(False)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, betas=(0.9, 0.999), eps=1e-8)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"params {n_params}  D {args.D}  batch {args.batch}  lr {args.lr}", flush=True)

    step, elapsed_before, loss_hist = 0, 0.0, []
    ckpt_path = os.path.join(args.run, "ckpt.pt")
    if args.resume and os.path.exists(ckpt_path):
        ckpt = torch.load(ckpt_path, map_location="cpu")
        model.load_state_dict(ckpt["model"])
        ema.load_state_dict(ckpt["ema"])
        opt.load_state_dict(ckpt["opt"])
        gen.set_state(ckpt["gen"])
        step, elapsed_before, loss_hist = ckpt["step"], ckpt["wall_s"], ckpt["loss_hist"]
        print(f"resumed at step {step}", flush=True)

    stop = {"flag": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(flag=True))
    signal.signal(signal.SIGINT, lambda *_: stop.update(flag=True))

    def save():
        torch.save({
            "model": model.state_dict(), "ema": ema.state_dict(), "opt": opt.state_dict(),
            "gen": gen.get_state(), "step": step, "wall_s": elapsed_before + (time.time() - t0),
            "loss_hist": loss_hist, "config": {k: v for k, v in vars(args).items() if k != "func"},
        }, ckpt_path + ".tmp")
        os.replace(ckpt_path + ".tmp", ckpt_path)

    t0 = time.time()
    perm, pos = torch.randperm(n_data, generator=gen), 0
    running = []
    while step < args.max_steps and not stop["flag"]:
        if elapsed_before + time.time() - t0 > args.minutes * 60:
            break
        if pos + args.batch > n_data:
            perm, pos = torch.randperm(n_data, generator=gen), 0
        y = data[perm[pos:pos + args.batch]]
        pos += args.batch
        if args.flip:
            flip = torch.rand(y.shape[0], generator=gen) < 0.5
            y = torch.where(flip[:, None, None, None], y.flip(3), y)

        # EDM log-normal sigma; PFGM++ perturbation with r = sigma*sqrt(D).
        sigma = torch.exp(torch.randn(y.shape[0], generator=gen) * P_STD + P_MEAN)
        x = pfgmpp_perturb(y, sigma, args.D, gen)
        weight = ((sigma ** 2 + SIGMA_DATA ** 2) / (sigma * SIGMA_DATA) ** 2).reshape(-1, 1, 1, 1)
        loss = (weight * (model(x, sigma) - y) ** 2).mean()

        lr = args.lr * min(1.0, (step + 1) / args.warmup)
        for g in opt.param_groups:
            g["lr"] = lr
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        opt.step()

        # EMA with a short warm-up (the run is only a few thousand steps).
        decay = min(args.ema, (1 + step) / (10 + step))
        with torch.no_grad():
            for pe, pm in zip(ema.parameters(), model.parameters()):
                pe.mul_(decay).add_(pm, alpha=1 - decay)
        step += 1
        running.append(loss.item())
        if step % args.log_every == 0:
            mean = float(np.mean(running))
            loss_hist.append((step, mean))
            running = []
            wall = elapsed_before + time.time() - t0
            print(f"step {step:6d}  loss {mean:.4f}  lr {lr:.2e}  wall {wall:7.1f}s  "
                  f"{wall / step:.3f}s/step", flush=True)
        if step % args.ckpt_every == 0:
            save()
    save()
    wall = elapsed_before + time.time() - t0
    print(f"done: step {step}  wall {wall:.1f}s  last logged loss "
          f"{loss_hist[-1][1] if loss_hist else float('nan'):.4f}", flush=True)


def cmd_sample(args):
    torch.set_num_threads(args.threads)
    model, ckpt = load_ckpt(args.run)
    t0 = time.time()
    x = heun_sample(model, args.n, args.steps, ckpt["config"]["D"], args.seed)
    out = args.out or os.path.join(args.run, f"samples_step{ckpt['step']}_heun{args.steps}.png")
    save_grid(out, x.clamp(-1, 1).numpy())
    np.save(out[:-4] + ".npy", x.numpy())
    print(f"step {ckpt['step']}: {args.n} samples, {args.steps} Heun steps in {time.time() - t0:.1f}s, "
          f"range [{x.min():.2f}, {x.max():.2f}] -> {out}")


def cmd_export(args):
    torch.set_num_threads(args.threads)
    model, ckpt = load_ckpt(args.run)
    cfg = ckpt["config"]
    os.makedirs(os.path.dirname(args.onnx), exist_ok=True)
    gen = torch.Generator().manual_seed(1234)
    x = torch.randn((4, 1, 28, 28), generator=gen)
    sigma = torch.tensor([0.002, 0.3, 2.5, 80.0])
    x = x * sigma.reshape(-1, 1, 1, 1)
    torch.onnx.export(
        model, (x, sigma), args.onnx, opset_version=args.opset,
        input_names=["x", "sigma"], output_names=["denoised"],
        dynamic_axes={"x": {0: "batch"}, "sigma": {0: "batch"}, "denoised": {0: "batch"}},
        do_constant_folding=True,
    )
    final_loss = ckpt["loss_hist"][-1][1]
    props = {
        "phys.kind": "denoiser",
        "phys.parameterization": "edm",
        "phys.kernel": "pfgmpp",
        "phys.D": str(cfg["D"]),
        "phys.sigma_data": str(SIGMA_DATA),
        "phys.sigma_min": str(SIGMA_MIN),
        "phys.sigma_max": "80",
        "phys.image_shape": "1,28,28",
        "phys.value_range": "-1,1",
        "phys.input_x": "x",
        "phys.input_sigma": "sigma",
        "phys.output": "denoised",
        "phys.provenance": (
            f"tools/fashion/train_pfgmpp.py seed={cfg['seed']} steps={ckpt['step']} batch={cfg['batch']} "
            f"final_loss={final_loss:.4f} (EMA weights, Fashion-MNIST train 60k, PFGM++ D={cfg['D']}, "
            f"{ckpt['wall_s'] / 60:.1f} min wall, {cfg['threads']} torch thread(s) on a shared 2-core CPU)"
        ),
    }
    set_metadata(args.onnx, props, output_shapes={"denoised": ["batch", 1, 28, 28]})
    print(json.dumps(props, indent=1))
    print(f"wrote {args.onnx} ({os.path.getsize(args.onnx)} bytes)")

    # Cross-check with onnxruntime-node on a batch other than the export batch.
    xb = torch.randn((6, 1, 28, 28), generator=gen)
    sb = torch.tensor([0.002, 0.05, 0.5, 3.0, 20.0, 80.0])
    xb = (torch.rand((6, 1, 28, 28), generator=gen) * 2 - 1) + xb * sb.reshape(-1, 1, 1, 1)
    with torch.no_grad():
        ref = model(xb, sb).numpy()
    got = run_with_onnxruntime_node(os.path.abspath(args.onnx), {"x": xb.numpy(), "sigma": sb.numpy()},
                                    ["denoised"])["denoised"]
    diff = float(np.abs(got - ref).max())
    print(f"onnxruntime-node vs torch: max abs diff {diff:.3e} (shape {got.shape})")
    if not diff < 1e-4:
        raise SystemExit("ONNX export does not match torch")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(required=True)
    t = sub.add_parser("train")
    t.add_argument("--run", default=os.path.join(os.path.dirname(__file__), "runs", "pfgmpp"))
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--D", type=int, default=128)
    t.add_argument("--channels", type=int, nargs=3, default=[16, 48, 64])
    t.add_argument("--emb-dim", dest="emb_dim", type=int, default=128)
    t.add_argument("--dropout", type=float, default=0.0)
    t.add_argument("--batch", type=int, default=64)
    t.add_argument("--lr", type=float, default=6e-4)
    t.add_argument("--warmup", type=int, default=200)
    t.add_argument("--clip", type=float, default=1.0)
    t.add_argument("--ema", type=float, default=0.999)
    t.add_argument("--flip", action="store_true")
    t.add_argument("--max-steps", dest="max_steps", type=int, default=100000)
    t.add_argument("--minutes", type=float, default=32.0, help="stop (and checkpoint) after this wall time")
    t.add_argument("--log-every", dest="log_every", type=int, default=50)
    t.add_argument("--ckpt-every", dest="ckpt_every", type=int, default=250)
    t.add_argument("--resume", action="store_true")
    t.add_argument("--threads", type=int, default=1, help="1 is faster on an oversubscribed 2-core machine")
    t.set_defaults(func=cmd_train)
    s = sub.add_parser("sample")
    s.add_argument("--run", default=os.path.join(os.path.dirname(__file__), "runs", "pfgmpp"))
    s.add_argument("--n", type=int, default=64)
    s.add_argument("--steps", type=int, default=18)
    s.add_argument("--seed", type=int, default=1)
    s.add_argument("--out", default=None)
    s.add_argument("--threads", type=int, default=2)
    s.set_defaults(func=cmd_sample)
    e = sub.add_parser("export")
    e.add_argument("--run", default=os.path.join(os.path.dirname(__file__), "runs", "pfgmpp"))
    e.add_argument("--onnx", default=os.path.join(MODELS_DIR, "fashion-pfgmpp-d128.onnx"))
    e.add_argument("--opset", type=int, default=17)
    e.add_argument("--threads", type=int, default=2)
    e.set_defaults(func=cmd_export)
    args = p.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
