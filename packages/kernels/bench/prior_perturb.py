"""numpy reference for bench/prior-perturb.mjs: the PFGM++ prior and training perturbation as the
reference code samples them (np.random.beta for the radius, Gaussian directions), float32 output.
Prints one JSON line: samples/s for each (op, D)."""
import json
import os
import sys
import time

try:
    import numpy as np
except ImportError:
    print(json.dumps({"skip": "numpy missing"}))
    sys.exit(0)

N = int(sys.argv[1]) if len(sys.argv) > 1 else 3072
B = int(sys.argv[2]) if len(sys.argv) > 2 else 256
REPS = int(sys.argv[3]) if len(sys.argv) > 3 else 10
rng = np.random.default_rng(0)


def prior(D, sigma_max=80.0):
    u = rng.beta(N / 2.0, D / 2.0, size=B)
    R = np.sqrt(u / (1 - u)) * sigma_max * np.sqrt(D)
    g = rng.standard_normal((B, N), dtype=np.float32)
    return (g / np.linalg.norm(g, axis=1, keepdims=True)) * R[:, None].astype(np.float32)


def perturb(y, sigma, D):
    r = sigma * np.sqrt(D)
    u = np.clip(rng.beta(N / 2.0, D / 2.0, size=B), 1e-3, 1 - 1e-3)
    R = r * np.sqrt(u / (1 - u + 1e-8) + 1e-8)
    g = rng.standard_normal((B, N), dtype=np.float32)
    return y + (g / np.linalg.norm(g, axis=1, keepdims=True)) * R[:, None].astype(np.float32)


def rate(fn):
    fn()
    best = float("inf")
    for _ in range(REPS):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return B / best


y = rng.standard_normal((B, N), dtype=np.float32)
sigma = np.exp(-1.2 + 1.2 * rng.standard_normal(B))
out = {"numpy": np.__version__, "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE", "(unset)"),
       "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "(unset)"), "rates": {}}
for D in (128, 2048, 3072000):
    out["rates"][f"prior D={D}"] = rate(lambda: prior(D))
    out["rates"][f"perturb D={D}"] = rate(lambda: perturb(y, sigma, D))
print(json.dumps(out))
