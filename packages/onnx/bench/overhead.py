"""Python reference for bench/overhead.mjs: per-call cost of the same tiny op graph in torch eager
(x*a + sigma.reshape(-1,1,1,1)*b + c), and numpy copy / float64->float32 conversion of the same
sizes. Threads: torch.set_num_threads(1) and 2; OPENBLAS_CORETYPE as set in the environment."""
import os
import sys
import time

try:
    import numpy as np
except ImportError:
    print("python reference skipped: numpy missing")
    sys.exit(0)


def median_us(fn, inner=200, reps=21, warmup=20):
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        samples.append((time.perf_counter() - t0) / inner * 1e6)
    samples.sort()
    return samples[0]  # best repetition, as the JS bench (shared cores)


def fmt(us):
    return f"{us / 1000:.2f} ms" if us >= 1000 else f"{us:.1f} us"


print(f"-- python {sys.version.split()[0]}, numpy {np.__version__}, OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', 'unset')}")
try:
    import torch

    x = torch.full((1, 1, 2, 2), 0.5)
    s = torch.ones(1)
    for threads in (1, 2):
        torch.set_num_threads(threads)

        @torch.no_grad()
        def f():
            return x * 1.0 + s.reshape(-1, 1, 1, 1) * 0.5 + 0.0

        print(f"{('tiny graph, torch eager (' + str(threads) + ' thread' + ('s' if threads > 1 else '') + ')'):64} {fmt(median_us(f)):>10}")
except ImportError:
    print("torch missing: tiny-graph reference skipped")

for B in (64, 256, 1024):
    n = B * 784
    x32 = np.sin(np.arange(n, dtype=np.float32))
    x64 = x32.astype(np.float64)
    dst = np.empty_like(x32)
    inner = 5 if B >= 1024 else 20
    print(f"-- batch {B} x 784")
    print(f"{'  numpy copy (np.copyto)':64} {fmt(median_us(lambda: np.copyto(dst, x32), inner=inner)):>10}")
    print(f"{'  numpy float64 -> float32 (np.copyto casting)':64} {fmt(median_us(lambda: np.copyto(dst, x64, casting='same_kind'), inner=inner)):>10}")
