# numpy / torch doing the same work as bench/fast-path.mjs (same shapes, float32 data, EDM
# posterior mean d = |x|^2 + |y|^2 - 2 x y^T, softmax of -d / (2 sigma^2), W Y), medians of wall
# times. Prints one JSON object. Thread settings come from the environment (stated by the caller).
import json, os, sys, time
try:
    import numpy as np
except ImportError:
    print(json.dumps({"skip": "numpy missing"})); sys.exit(0)
try:
    import torch
except ImportError:
    torch = None

REPS = int(os.environ.get("REPS_PY", "7"))
def med(f, reps=REPS):
    f()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter(); f(); ts.append((time.perf_counter() - t0) * 1e3)
    return sorted(ts)[len(ts) // 2]

rng = np.random.default_rng(0)
out = {"numpy": {}, "numpy64": {}, "torch": {}, "config": {
    "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE", "(unset)"),
    "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "(unset)"),
    "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "(unset)"),
    "torch_threads": torch.get_num_threads() if torch else None,
    "numpy": np.__version__, "torch": torch.__version__ if torch else None}}

def field_np(x, y, s):
    d = (x * x).sum(1)[:, None] + (y * y).sum(1)[None, :] - 2 * (x @ y.T)
    l = -d / (2 * s[:, None] ** 2)
    l -= l.max(1, keepdims=True)
    w = np.exp(l); w /= w.sum(1, keepdims=True)
    return w @ y

def field_t(x, y, s):
    d = torch.cdist(x, y).square_()
    w = torch.softmax(-d / (2 * s[:, None] ** 2), dim=1)
    return w @ y

for B, n, N in [(128, 4096, 3072), (256, 2000, 20), (1024, 1024, 2)]:
    x = rng.standard_normal((B, N), dtype=np.float32); y = rng.standard_normal((n, N), dtype=np.float32)
    s = np.full(B, 1.0, dtype=np.float32) * np.float32(np.sqrt(N) / 4)
    key = f"field {B}x{n}x{N}"
    out["numpy"][key] = med(lambda: field_np(x, y, s))
    if torch:
        with torch.no_grad():
            tx, ty, ts = map(torch.from_numpy, (x, y, s))
            out["torch"][key] = med(lambda: field_t(tx, ty, ts))
    d_np = lambda: (x * x).sum(1)[:, None] + (y * y).sum(1)[None, :] - 2 * (x @ y.T)
    out["numpy"][f"pairwiseSqDist {B}x{n}x{N}"] = med(d_np)
    # The same in float64 (float64 GEMMs, the accuracy phys keeps): the equal-precision reference.
    x64, y64, s64 = x.astype(np.float64), y.astype(np.float64), s.astype(np.float64)
    out["numpy64"][key] = med(lambda: field_np(x64, y64, s64))
    out["numpy64"][f"pairwiseSqDist {B}x{n}x{N}"] = med(lambda: (x64 * x64).sum(1)[:, None] + (y64 * y64).sum(1)[None, :] - 2 * (x64 @ y64.T))
    if torch:
        out["torch"][f"pairwiseSqDist {B}x{n}x{N}"] = med(lambda: torch.cdist(tx, ty).square_())

# Heun loop, 18 steps, 64 x 3072, trivial denoiser (returns a fixed tensor), updates in place.
B, N, steps = 64, 3072, 18
x0 = rng.standard_normal((B, N), dtype=np.float32); den = rng.standard_normal((B, N), dtype=np.float32)
sig = [80 * (1 - i / steps) ** 7 + 0.002 for i in range(steps)] + [0.0]
def heun_np():
    x = x0.copy(); xe = np.empty_like(x); d = np.empty_like(x)
    for i in range(steps):
        t, tn = sig[i], sig[i + 1]
        np.subtract(x, den, out=d); d /= t
        if tn > 0:
            np.multiply(d, tn - t, out=xe); xe += x
            d2 = (xe - den) / tn
            d += d2; d *= 0.5 * (tn - t); x += d
        else:
            d *= tn - t; x += d
    return x
out["numpy"]["heun 64x3072 18 steps"] = med(heun_np)
if torch:
    tx0, tden = torch.from_numpy(x0), torch.from_numpy(den)
    def heun_t():
        x = tx0.clone()
        for i in range(steps):
            t, tn = sig[i], sig[i + 1]
            d = (x - tden) / t
            if tn > 0:
                xe = x + (tn - t) * d
                d2 = (xe - tden) / tn
                x.add_(d + d2, alpha=0.5 * (tn - t))
            else:
                x.add_(d, alpha=tn - t)
        return x
    with torch.no_grad():
        out["torch"]["heun 64x3072 18 steps"] = med(heun_t)

# 20M standard normals (float32), fused axpby on 64 x 3072.
g = np.random.default_rng(1)
out["numpy"]["normals 20M"] = med(lambda: g.standard_normal(20_000_000, dtype=np.float32), 3)
if torch:
    out["torch"]["normals 20M"] = med(lambda: torch.randn(20_000_000), 3)
a = rng.standard_normal((B, N), dtype=np.float32); b = rng.standard_normal((B, N), dtype=np.float32); o = np.empty_like(a)
def axpby_np():
    np.multiply(a, np.float32(0.7), out=o); np.add(o, np.float32(0.3) * b, out=o)
out["numpy"]["axpby 64x3072"] = med(axpby_np, 51)
if torch:
    ta, tb = torch.from_numpy(a), torch.from_numpy(b); to = torch.empty_like(ta)
    out["torch"]["axpby 64x3072"] = med(lambda: torch.add(ta * 0.7, tb, alpha=0.3, out=to), 51)
print(json.dumps(out))
