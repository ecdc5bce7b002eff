"""numpy reference for bench/fields.mjs: the same posterior-mean / STF-target work on the same inputs.

Usage: fields_ref.py <dir> <reps>; reads <dir>/cases.json and the raw float32 inputs it names,
writes <name>.out.f32 per case and prints JSON timings (best of reps, ms) to stdout.
"""
import json
import os
import sys
import time

try:
    import numpy as np
except ImportError:  # pragma: no cover
    print(json.dumps({"skip": "numpy not installed"}))
    sys.exit(0)


def log_kernel(d2, sig, n, D):
    if D is None:  # Gaussian (EDM): -|x-y|^2 / (2 sigma^2)
        return -d2 / (2.0 * sig * sig)
    return -0.5 * (n + D) * np.log1p(d2 / (sig * sig * D))  # PFGM++, r = sigma sqrt(D)


def posterior_mean(x, y, sig, D):
    n = x.shape[1]
    # |x|^2 + |y|^2 - 2 x y^T with a float32 GEMM, as numpy code does it; softmax in float64.
    d2 = (x * x).sum(1, dtype=np.float64)[:, None] + (y * y).sum(1, dtype=np.float64)[None, :] - 2.0 * (x @ y.T)
    np.maximum(d2, 0.0, out=d2)
    L = log_kernel(d2, sig[:, None], n, D)
    L -= L.max(1, keepdims=True)
    w = np.exp(L)
    w /= w.sum(1, keepdims=True)
    return w.astype(np.float32) @ y


def main():
    folder, reps = sys.argv[1], int(sys.argv[2])
    cases = json.load(open(os.path.join(folder, "cases.json")))
    out = {
        "numpy": np.__version__,
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE", "unset"),
        "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS", "unset"),
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "unset"),
        "ms": {},
    }
    for c in cases:
        B, n, N = c["B"], c["n"], c["N"]
        x = np.fromfile(os.path.join(folder, c["name"] + ".x.f32"), dtype=np.float32).reshape(B, N)
        y = np.fromfile(os.path.join(folder, c["name"] + ".y.f32"), dtype=np.float32).reshape(n, N)
        sig = np.fromfile(os.path.join(folder, c["name"] + ".sigma.f64"), dtype=np.float64)
        D = c.get("D")
        res = posterior_mean(x, y, sig, D)
        best = float("inf")
        for _ in range(reps):
            t = time.perf_counter()
            res = posterior_mean(x, y, sig, D)
            best = min(best, (time.perf_counter() - t) * 1000)
        res.astype(np.float32).tofile(os.path.join(folder, c["name"] + ".out.f32"))
        out["ms"][c["name"]] = best
    print(json.dumps(out))


if __name__ == "__main__":
    main()
