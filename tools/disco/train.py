"""DisCo-Diff on the 2-D mixture of thesis Fig. 4.3: train, evaluate, export to ONNX.

Run with Debian's interpreter (torch, numpy, onnx), CPU, one thread:

    /usr/bin/python3 tools/disco/train.py            # train + export to examples/models/disco/

What it trains (thesis Ch. 4, App. B.2.1-B.2.2 "Gaussian Mixture Experiments"):
  * data: 8 Gaussians with std 0.2 on a circle of radius 3, 1000 points each (8000 points).
    The printed mu_7 duplicates mu_6 (a typo); we use the ring's missing point (-3/sqrt2, -3/sqrt2).
  * stage 1 (Alg. 5): encoder E_phi (3-layer MLP -> m*k logits) and latent-conditioned denoiser
    D_theta (4-layer MLP, EDM preconditioning) trained jointly on Eq. 4.1; z is a Gumbel-softmax
    sample with temperature 1 (soft relaxation, App. B.2.2); with probability 0.1 the latents are
    replaced by the null embedding (index k) for classifier-free guidance (Sec. 4.3.1).
  * stage 2 (Alg. 6): latents extracted with Gumbel-softmax temperature 0.01 (one-hot argmax) and
    an autoregressive prior p_psi(z_i | z_<i) fitted by maximum likelihood (Eq. 4.2).
  * baseline: the same denoiser MLP without the latent input, same optimiser, batch and steps.
  * EDM preconditioning (Karras et al. 2022, Table 1) with sigma_data = data std:
      c_skip = sd^2/(s^2+sd^2), c_out = s*sd/sqrt(s^2+sd^2), c_in = 1/sqrt(s^2+sd^2), c_noise = ln(s)/4,
    loss weight (s^2+sd^2)/(s*sd)^2, ln s ~ N(P_mean, P_std).
The thesis' toy model adds an analytic term (F(z) - x)/(t^2 + sigma_1^2) to its network output;
we do not: both denoisers are plain EDM-preconditioned MLPs, so the comparison isolates the latents.

ONNX files (metadata convention of @phys/onnx, `phys.*` metadata_props):
  disco-denoiser.onnx   x [B,2] f32, sigma [B] f32, z [B,m] i64 -> denoised [B,2]   (z = k: null)
  baseline-denoiser.onnx x [B,2] f32, sigma [B] f32 -> denoised [B,2]
  disco-prior.onnx      z_prefix [B,m] i64 -> logits [B,m,k]; logits[:, i] reads only z_prefix[:, :i]
  disco-encoder.onnx    x [B,2] f32 -> logits [B,m,k]
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
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
from onnx_tools import REPO, run_with_onnxruntime_node, set_metadata  # noqa: E402

OUT_DIR = os.path.join(REPO, "examples", "models", "disco")

RADIUS = 3.0
MODE_STD = 0.2
SIGMA_MIN = 0.002
SIGMA_MAX = 80.0
RHO = 7.0


def mixture_means():
    a = RADIUS / math.sqrt(2)
    # Thesis App. B.2.2, with mu_7 = (-3/sqrt2, -3/sqrt2) (the text repeats mu_6).
    return np.array([[RADIUS, 0], [-RADIUS, 0], [0, RADIUS], [0, -RADIUS],
                     [a, a], [a, -a], [-a, -a], [-a, a]], dtype=np.float64)


def make_dataset(seed, per_mode=1000):
    rng = np.random.default_rng(seed)
    mu = mixture_means()
    labels = np.repeat(np.arange(8), per_mode)
    x = mu[labels] + MODE_STD * rng.standard_normal((8 * per_mode, 2))
    return x.astype(np.float32), labels


SIGMA_DATA = float(round(math.sqrt(RADIUS ** 2 / 2 + MODE_STD ** 2), 4))  # per-coordinate data std


def mlp(sizes):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(nn.SiLU())
    return nn.Sequential(*layers)


class NoiseEmbedding(nn.Module):
    """Sinusoidal features of c_noise = ln(sigma)/4."""

    def __init__(self, dim=16):
        super().__init__()
        self.register_buffer("freqs", torch.exp(torch.linspace(0, math.log(32.0), dim // 2)))

    def forward(self, c_noise):
        a = c_noise[:, None] * self.freqs[None, :]
        return torch.cat([torch.sin(a), torch.cos(a)], dim=1)


class Denoiser(nn.Module):
    """D(x; sigma, z) = c_skip x + c_out F(c_in x, c_noise, emb(z)); m = 0 gives the baseline."""

    def __init__(self, m, k, hidden=128, emb_dim=16, noise_dim=16):
        super().__init__()
        self.m, self.k = m, k
        self.noise = NoiseEmbedding(noise_dim)
        # One table per latent position with k + 1 rows; row k is the null embedding (CFG).
        self.emb = nn.Parameter(torch.randn(m, k + 1, emb_dim) * 0.5) if m > 0 else None
        self.net = mlp([2 + noise_dim + m * emb_dim, hidden, hidden, hidden, 2])

    def precond(self, sigma):
        sd = SIGMA_DATA
        s2 = sigma ** 2 + sd ** 2
        return sd ** 2 / s2, sigma * sd / torch.sqrt(s2), 1 / torch.sqrt(s2), torch.log(sigma) / 4

    def forward_soft(self, x, sigma, zsoft):
        """zsoft: [B, m, k + 1] (rows on the simplex: Gumbel-softmax samples or one-hot, incl. null)."""
        c_skip, c_out, c_in, c_noise = self.precond(sigma)
        feats = [c_in[:, None] * x, self.noise(c_noise)]
        if self.m > 0:
            e = torch.einsum("bmk,mke->bme", zsoft, self.emb)
            feats.append(e.reshape(x.shape[0], -1))
        f = self.net(torch.cat(feats, dim=1))
        return c_skip[:, None] * x + c_out[:, None] * f

    def forward(self, x, sigma, z=None):
        """ONNX entry point: z int64 [B, m] with values in [0, k] (k = null latent)."""
        if self.m == 0:
            return self.forward_soft(x, sigma, None)
        onehot = (z.unsqueeze(-1) == torch.arange(self.k + 1).reshape(1, 1, -1)).to(x.dtype)
        return self.forward_soft(x, sigma, onehot)


class Encoder(nn.Module):
    """E_phi: clean x -> logits [B, m, k] (3-layer MLP)."""

    def __init__(self, m, k, hidden=64):
        super().__init__()
        self.m, self.k = m, k
        self.net = mlp([2, hidden, hidden, m * k])

    def forward(self, x):
        return self.net(x / SIGMA_DATA).reshape(x.shape[0], self.m, self.k)


class ARPrior(nn.Module):
    """p_psi(z_i | z_<i): position i reads the one-hot of z_<i through its own masked MLP.

    forward(z_prefix [B, m] int64) -> logits [B, m, k]; logits[:, i] depends only on z_prefix[:, :i]
    (entries at positions >= i are ignored, whatever their value).
    """

    def __init__(self, m, k, hidden=64):
        super().__init__()
        self.m, self.k = m, k
        self.heads = nn.ModuleList([mlp([max(i, 1) * k, hidden, k]) for i in range(m)])

    def forward(self, z_prefix):
        b = z_prefix.shape[0]
        onehot = (z_prefix.unsqueeze(-1) == torch.arange(self.k).reshape(1, 1, -1)).to(torch.float32)
        outs = []
        for i, head in enumerate(self.heads):
            if i == 0:
                inp = torch.zeros(b, self.k)
            else:
                inp = onehot[:, :i, :].reshape(b, i * self.k)
            outs.append(head(inp))
        return torch.stack(outs, dim=1)


def gumbel_softmax(logits, tau, gen):
    u = torch.rand(logits.shape, generator=gen).clamp(1e-10, 1 - 1e-7)
    g = -torch.log(-torch.log(u))
    return F.softmax((logits + g) / tau, dim=-1)


def edm_loss(model, y, zsoft, gen, p_mean, p_std):
    b = y.shape[0]
    sigma = torch.exp(p_mean + p_std * torch.randn(b, generator=gen))
    n = torch.randn(y.shape, generator=gen) * sigma[:, None]
    w = (sigma ** 2 + SIGMA_DATA ** 2) / (sigma * SIGMA_DATA) ** 2
    d = model.forward_soft(y + n, sigma, zsoft)
    return (w[:, None] * (d - y) ** 2).sum(1).mean()


def train_stage1(data, args, with_latents):
    """Alg. 5 (with_latents) or plain EDM training of the baseline (same network, steps, batch)."""
    gen = torch.Generator().manual_seed(args.seed + (0 if with_latents else 1))
    torch.manual_seed(args.seed + (0 if with_latents else 1))
    m = args.m if with_latents else 0
    den = Denoiser(m, args.k, hidden=args.hidden)
    enc = Encoder(args.m, args.k) if with_latents else None
    params = list(den.parameters()) + (list(enc.parameters()) if enc is not None else [])
    opt = torch.optim.Adam(params, lr=args.lr)
    ema = Denoiser(m, args.k, hidden=args.hidden)
    ema.load_state_dict(den.state_dict())
    y_all = torch.from_numpy(data)
    losses = []
    t0 = time.time()
    for step in range(args.steps):
        lr = args.lr * min(1.0, (step + 1) / 200) * (0.5 * (1 + math.cos(math.pi * step / args.steps)) * 0.9 + 0.1)
        for g in opt.param_groups:
            g["lr"] = lr
        idx = torch.randint(0, y_all.shape[0], (args.batch,), generator=gen)
        y = y_all[idx]
        zsoft = None
        if with_latents:
            # Alg. 5 l. 6: z ~ E_phi(y) by Gumbel-softmax with temperature tau = 1.
            zs = gumbel_softmax(enc(y), args.tau_train, gen)
            zsoft = torch.cat([zs, torch.zeros(args.batch, args.m, 1)], dim=-1)
            # Null latent with probability 0.1 (whole sequence), for latent CFG.
            drop = torch.rand(args.batch, generator=gen) < args.p_null
            null = torch.zeros_like(zsoft)
            null[..., args.k] = 1
            zsoft = torch.where(drop[:, None, None], null, zsoft)
        loss = edm_loss(den, y, zsoft, gen, args.p_mean, args.p_std)
        opt.zero_grad()
        loss.backward()
        opt.step()
        decay = min(args.ema, (1 + step) / (10 + step))
        with torch.no_grad():
            for pe, pm in zip(ema.parameters(), den.parameters()):
                pe.mul_(decay).add_(pm, alpha=1 - decay)
        losses.append(loss.item())
        if (step + 1) % args.log_every == 0:
            print(f"  [{'disco' if with_latents else 'baseline'}] step {step + 1:6d} "
                  f"loss {np.mean(losses[-args.log_every:]):.4f} wall {time.time() - t0:6.1f}s", flush=True)
    return ema.eval(), (enc.eval() if enc is not None else None), float(np.mean(losses[-args.log_every:])), time.time() - t0


def extract_latents(enc, data, tau, seed):
    """Alg. 6 l. 4: z ~ E_phi(y) by Gumbel-softmax with tau = 0.01, read as the argmax."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        zs = gumbel_softmax(enc(torch.from_numpy(data)), tau, gen)
    return zs.argmax(-1)


def train_prior(z, args):
    """Alg. 6: maximum likelihood (Eq. 4.2) with Adam. The latent data set is small (8000 x m), so
    every step uses all of it (minibatch noise at the end of training skews the mode weights)
    and the learning rate decays to 0 (cosine)."""
    torch.manual_seed(args.seed + 2)
    prior = ARPrior(args.m, args.k)
    opt = torch.optim.Adam(prior.parameters(), lr=1e-2)
    t0 = time.time()
    for step in range(args.prior_steps):
        for g in opt.param_groups:
            g["lr"] = 1e-2 * 0.5 * (1 + math.cos(math.pi * step / args.prior_steps))
        logits = prior(z)
        nll = F.cross_entropy(logits.reshape(-1, args.k), z.reshape(-1), reduction="sum") / z.shape[0]
        opt.zero_grad()
        nll.backward()
        opt.step()
    with torch.no_grad():
        logits = prior(z)
        nll = F.cross_entropy(logits.reshape(-1, args.k), z.reshape(-1), reduction="sum").item() / z.shape[0]
    return prior.eval(), nll, time.time() - t0


# ---------------------------------------------------------------- evaluation (for the log only)

def edm_sigmas(n):
    i = np.arange(n)
    t = (SIGMA_MAX ** (1 / RHO) + i / (n - 1) * (SIGMA_MIN ** (1 / RHO) - SIGMA_MAX ** (1 / RHO))) ** RHO
    return np.append(t, 0.0)


@torch.no_grad()
def heun(fn, x, n_steps):
    """EDM Heun (Alg. 7 l. 6-15): last step Euler. Returns final x and the trajectory."""
    t = edm_sigmas(n_steps)
    traj = [x]
    for i in range(n_steps):
        s = torch.full((x.shape[0],), t[i], dtype=torch.float32)
        d = (x - fn(x, s)) / t[i]
        xn = x + (t[i + 1] - t[i]) * d
        if t[i + 1] > 0:
            s1 = torch.full((x.shape[0],), t[i + 1], dtype=torch.float32)
            d1 = (xn - fn(xn, s1)) / t[i + 1]
            xn = x + (t[i + 1] - t[i]) * 0.5 * (d + d1)
        x = xn
        traj.append(x)
    return x, traj


def sliced_w1(a, b, n_proj=256, seed=0):
    rng = np.random.default_rng(seed)
    th = rng.uniform(0, math.pi, n_proj)
    dirs = np.stack([np.cos(th), np.sin(th)], 1)
    pa, pb = np.sort(a @ dirs.T, 0), np.sort(b @ dirs.T, 0)
    return float(np.abs(pa - pb).mean())


def mean_turn(traj):
    """Mean over samples of the summed turning of the discrete trajectory (for the log)."""
    xs = torch.stack(traj).numpy()
    d = np.diff(xs, axis=0)
    u = d / (np.linalg.norm(d, axis=-1, keepdims=True) + 1e-12)
    return float(np.linalg.norm(np.diff(u, axis=0), axis=-1).sum(0).mean())


def mode_stats(x, tag):
    """Per-mode diagnostics of generated samples: weight, centre offset, spread, outliers."""
    mu = mixture_means()
    d = np.linalg.norm(x[:, None, :] - mu[None], axis=-1)
    near = d.argmin(1)
    out = (d.min(1) > 1.0).mean()
    w = np.bincount(near, minlength=8) / len(x)
    offs, stds = [], []
    for j in range(8):
        xs = x[(near == j) & (d.min(1) < 1.0)]
        offs.append(np.linalg.norm(xs.mean(0) - mu[j]) if len(xs) else np.nan)
        stds.append(xs.std(0).mean() if len(xs) > 1 else np.nan)
    print(f"    {tag}: outliers {out:.4f}; weights {np.round(w, 3).tolist()}; centre offset mean {np.nanmean(offs):.4f} "
          f"max {np.nanmax(offs):.4f}; std mean {np.nanmean(stds):.4f} (data {MODE_STD})", flush=True)


def evaluate(den, base, prior, args, data):
    gen = torch.Generator().manual_seed(99)
    n = 2000
    with torch.no_grad():
        zseq = torch.zeros(n, args.m, dtype=torch.int64)
        for i in range(args.m):
            p = F.softmax(prior(zseq)[:, i], -1)
            zseq[:, i] = torch.multinomial(p, 1, generator=gen)[:, 0]
    x0 = torch.randn((n, 2), generator=gen) * SIGMA_MAX
    ref = data[np.random.default_rng(5).choice(data.shape[0], n, replace=False)].astype(np.float64)
    rows = {}
    for steps in (6, 12, 18, 35):
        xd, td = heun(lambda x, s: den(x, s, zseq), x0, steps)
        xb, tb = heun(lambda x, s: base(x, s), x0, steps)
        rows[steps] = {
            "nfe": 2 * steps - 1,
            "sw1_disco": sliced_w1(xd.numpy(), ref), "sw1_base": sliced_w1(xb.numpy(), ref),
            "turn_disco": mean_turn(td), "turn_base": mean_turn(tb),
        }
        print(f"  Heun {steps:2d} steps (NFE {2 * steps - 1:2d}): sliced W1 disco {rows[steps]['sw1_disco']:.4f} "
              f"base {rows[steps]['sw1_base']:.4f} | turning disco {rows[steps]['turn_disco']:.3f} "
              f"base {rows[steps]['turn_base']:.3f}", flush=True)
        if steps == 35:
            mode_stats(xd.numpy(), "disco")
            mode_stats(xb.numpy(), "base")
    return rows


# ---------------------------------------------------------------- export

def export(module, args_in, names_in, name_out, path, props, check_inputs):
    dyn = {n: {0: "batch"} for n in names_in}
    dyn[name_out] = {0: "batch"}
    torch.onnx.export(module, args_in, path, opset_version=17, input_names=names_in,
                      output_names=[name_out], dynamic_axes=dyn, do_constant_folding=True)
    set_metadata(path, props)
    with torch.no_grad():
        ref = module(*[torch.from_numpy(check_inputs[n]) for n in names_in]).numpy()
    got = run_with_onnxruntime_node(path, check_inputs, [name_out])[name_out]
    diff = float(np.abs(got - ref).max())
    print(f"  {os.path.basename(path)}: {os.path.getsize(path)} bytes, onnxruntime-node vs torch max |diff| {diff:.2e}")
    if not diff < 1e-4:
        raise SystemExit(f"ONNX export of {path} does not match torch")
    return diff


class _DenoiserWithZ(nn.Module):
    def __init__(self, den):
        super().__init__()
        self.den = den

    def forward(self, x, sigma, z):
        return self.den(x, sigma, z)


class _DenoiserNoZ(nn.Module):
    def __init__(self, den):
        super().__init__()
        self.den = den

    def forward(self, x, sigma):
        return self.den(x, sigma)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default=OUT_DIR)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--m", type=int, default=2, help="number of discrete latents (thesis toy: 1; see README)")
    p.add_argument("--k", type=int, default=4, help="codebook size (thesis toy: 8; see README)")
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--steps", type=int, default=4000)
    p.add_argument("--prior-steps", dest="prior_steps", type=int, default=600)
    p.add_argument("--batch", type=int, default=512)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--ema", type=float, default=0.999)
    p.add_argument("--p-mean", dest="p_mean", type=float, default=-0.4)
    p.add_argument("--p-std", dest="p_std", type=float, default=1.6)
    p.add_argument("--tau-train", dest="tau_train", type=float, default=1.0)
    p.add_argument("--tau-extract", dest="tau_extract", type=float, default=0.01)
    p.add_argument("--p-null", dest="p_null", type=float, default=0.1)
    p.add_argument("--log-every", dest="log_every", type=int, default=1000)
    p.add_argument("--no-export", dest="export", action="store_false")
    p.add_argument("--skip-baseline", dest="skip_baseline", action="store_true", help="(tuning only)")
    p.add_argument("--save", action="store_true", help="save the stage-1 torch weights to tools/disco/runs/ (tuning only)")
    args = p.parse_args()
    torch.set_num_threads(1)
    t_start = time.time()
    data, labels = make_dataset(args.seed)
    print(f"data: {data.shape[0]} points, sigma_data {SIGMA_DATA}; m={args.m} k={args.k}", flush=True)

    print("stage 1 (Alg. 5): encoder + latent-conditioned denoiser", flush=True)
    den, enc, loss_d, wall_d = train_stage1(data, args, True)
    if args.save:
        os.makedirs(os.path.join(HERE, "runs"), exist_ok=True)
        torch.save({"den": den.state_dict(), "enc": enc.state_dict(), "args": vars(args)}, os.path.join(HERE, "runs", "disco.pt"))
    print("baseline: same denoiser without latents", flush=True)
    if args.skip_baseline:
        base, loss_b, wall_b = (lambda x, s: x * 0), float("nan"), 0.0
    else:
        base, _, loss_b, wall_b = train_stage1(data, args, False)

    print("stage 2 (Alg. 6): latents at tau = 0.01, autoregressive prior", flush=True)
    z = extract_latents(enc, data, args.tau_extract, args.seed + 3)
    prior, nll, wall_p = train_prior(z, args)
    codes = z.numpy()
    flat = np.ravel_multi_index(codes.T, (args.k,) * args.m) if args.m > 1 else codes[:, 0]
    used = np.unique(flat)
    purity = 0.0
    for c in used:
        purity += np.bincount(labels[flat == c]).max()
    purity /= len(labels)
    ent = np.bincount(flat) / len(flat)
    ent = float(-(ent[ent > 0] * np.log(ent[ent > 0])).sum())
    print(f"  codes used {len(used)}; mode purity {purity:.4f}; empirical code entropy {ent:.4f} nats; "
          f"prior NLL {nll:.4f} nats/sequence", flush=True)

    print("evaluation (torch, for the log; the package's tests measure the shipped ONNX files)", flush=True)
    rows = evaluate(den, base, prior, args, data)
    wall = time.time() - t_start
    print(f"total wall {wall:.1f}s (stage 1 {wall_d:.1f}s, baseline {wall_b:.1f}s, prior {wall_p:.1f}s)")

    summary = {
        "seed": args.seed, "m": args.m, "k": args.k, "hidden": args.hidden, "steps": args.steps,
        "prior_steps": args.prior_steps, "batch": args.batch, "lr": args.lr, "p_mean": args.p_mean,
        "p_std": args.p_std, "tau_train": args.tau_train, "tau_extract": args.tau_extract,
        "p_null": args.p_null, "sigma_data": SIGMA_DATA, "final_loss_disco": loss_d,
        "final_loss_baseline": loss_b, "prior_nll": nll, "codes_used": int(len(used)),
        "mode_purity": purity, "wall_s": {"disco": wall_d, "baseline": wall_b, "prior": wall_p, "total": wall},
        "torch_eval": rows, "torch": torch.__version__,
    }
    if not args.export:
        print(json.dumps(summary, indent=1))
        return
    os.makedirs(args.out, exist_ok=True)
    common = {
        "phys.parameterization": "edm", "phys.kernel": "edm", "phys.sigma_data": SIGMA_DATA,
        "phys.sigma_min": SIGMA_MIN, "phys.sigma_max": SIGMA_MAX, "phys.image_shape": "2",
        "phys.input_x": "x", "phys.input_sigma": "sigma", "phys.output": "denoised",
    }
    prov = (f"tools/disco/train.py seed={args.seed} m={args.m} k={args.k} steps={args.steps} batch={args.batch} "
            f"(2-D 8-Gaussian mixture of thesis Fig. 4.3, EMA weights, {wall:.0f} s on 1 CPU thread)")
    rng = np.random.default_rng(7)
    xs = (rng.standard_normal((6, 2)) * 3).astype(np.float32)
    ss = np.array([0.002, 0.05, 0.5, 3.0, 20.0, 80.0], dtype=np.float32)
    zs = rng.integers(0, args.k + 1, (6, args.m)).astype(np.int64)
    print("export", flush=True)
    export(_DenoiserWithZ(den), (torch.from_numpy(xs), torch.from_numpy(ss), torch.from_numpy(zs)),
           ["x", "sigma", "z"], "denoised", os.path.join(args.out, "disco-denoiser.onnx"),
           {"phys.kind": "denoiser", **common, "phys.input_latents": "z", "phys.latents_m": args.m,
            "phys.latents_k": args.k, "phys.latents_null": args.k,
            "phys.provenance": prov + f" final_loss={loss_d:.4f}"},
           {"x": xs, "sigma": ss, "z": zs})
    export(_DenoiserNoZ(base), (torch.from_numpy(xs), torch.from_numpy(ss)), ["x", "sigma"], "denoised",
           os.path.join(args.out, "baseline-denoiser.onnx"),
           {"phys.kind": "denoiser", **common, "phys.provenance": prov + f" final_loss={loss_b:.4f} (baseline)"},
           {"x": xs, "sigma": ss})
    zp = rng.integers(0, args.k, (6, args.m)).astype(np.int64)
    export(prior, (torch.from_numpy(zp),), ["z_prefix"], "logits", os.path.join(args.out, "disco-prior.onnx"),
           {"phys.kind": "latent-prior", "phys.input_z_prefix": "z_prefix", "phys.output": "logits",
            "phys.latents_m": args.m, "phys.latents_k": args.k, "phys.prior_layout": "causal-all-positions",
            "phys.provenance": prov + f" prior_nll={nll:.4f}"},
           {"z_prefix": zp})
    export(enc, (torch.from_numpy(xs),), ["x"], "logits", os.path.join(args.out, "disco-encoder.onnx"),
           {"phys.kind": "latent-encoder", "phys.input_x": "x", "phys.output": "logits",
            "phys.latents_m": args.m, "phys.latents_k": args.k, "phys.provenance": prov},
           {"x": xs})
    with open(os.path.join(args.out, "training.json"), "w") as fh:
        json.dump(summary, fh, indent=1)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
