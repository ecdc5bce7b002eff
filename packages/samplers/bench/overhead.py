# Torch reference for bench/overhead.mjs: the same loops (NVlabs/edm generate.py style), float32
# 64 x 3072, a denoiser that returns one precomputed tensor. Prints one JSON line.
import json, os, sys, time
try:
    import numpy as np
    import torch
except ImportError as e:
    print(json.dumps({"skipped": str(e)})); sys.exit(0)

REPEATS = int(sys.argv[1]) if len(sys.argv) > 1 else 15
B, N, STEPS = 64, 3072, 18
torch.manual_seed(0)
fixed = torch.randn(B, N)
x0 = torch.randn(B, N)
net = lambda x, t: fixed

def edm_steps(n, smin=0.002, smax=80, rho=7):
    i = torch.arange(n, dtype=torch.float64)
    t = (smax ** (1 / rho) + i / (n - 1) * (smin ** (1 / rho) - smax ** (1 / rho))) ** rho
    return torch.cat([t, torch.zeros(1, dtype=torch.float64)])

T = edm_steps(STEPS)

def heun(x, churn=0.0, second=True):
    for i, (t_cur, t_next) in enumerate(zip(T[:-1], T[1:])):
        t_cur, t_next = float(t_cur), float(t_next)
        gamma = min(churn / STEPS, 2 ** 0.5 - 1) if churn > 0 else 0.0
        t_hat = t_cur + gamma * t_cur
        x_hat = x + (t_hat ** 2 - t_cur ** 2) ** 0.5 * torch.randn_like(x) if gamma > 0 else x
        d_cur = (x_hat - net(x_hat, t_hat)) / t_hat
        x_next = x_hat + (t_next - t_hat) * d_cur
        if second and t_next > 0:
            d_prime = (x_next - net(x_next, t_next)) / t_next
            x_next = x_hat + (t_next - t_hat) * (0.5 * d_cur + 0.5 * d_prime)
        x = x_next
    return x

def em(x):
    for t, tn in zip(T[:-1], T[1:]):
        t, tn = float(t), float(tn)
        den = net(x, t)
        if tn > 0:
            h = t - tn
            x = x + 2 * h / t * (den - x) + (2 * t * h) ** 0.5 * torch.randn_like(x)
        else:
            x = den
    return x

def restart(x):
    # main Heun loop with one level [3, 2, 0.14, 0.30] (reference restart_sampler, churn off)
    idx = int(torch.argmin((T - 0.14).abs()))
    def step(x, t_cur, t_next):
        d = (x - net(x, t_cur)) / t_cur
        xn = x + (t_next - t_cur) * d
        if t_next > 0:
            xn = x + (t_next - t_cur) * (0.5 * d + 0.5 * (xn - net(xn, t_next)) / t_next)
        return xn
    for i in range(STEPS):
        x = step(x, float(T[i]), float(T[i + 1]))
        if i + 1 == idx:
            inner = [0.30, 0.2067, float(T[idx])]
            for _ in range(2):
                x = x + torch.randn_like(x) * (inner[0] ** 2 - inner[-1] ** 2) ** 0.5
                for a, b in zip(inner[:-1], inner[1:]):
                    x = step(x, a, b)
    return x

cases = [
    ("euler", STEPS, lambda: heun(x0, second=False)),
    ("heun", STEPS, lambda: heun(x0)),
    ("edm churn (S_churn 40, all steps churned)", STEPS, lambda: heun(x0, churn=40.0)),
    ("euler-maruyama", STEPS, lambda: em(x0)),
    ("restart [3,2,0.14,0.30], gamma 0 (24 steps incl. 2 jumps)", STEPS + 6, lambda: restart(x0)),
]
results = []
with torch.no_grad():
    for name, steps, fn in cases:
        fn()
        ms, wall = [], []
        for _ in range(REPEATS):
            c0, t0 = time.process_time(), time.perf_counter()
            fn()
            wall.append((time.perf_counter() - t0) * 1000); ms.append((time.process_time() - c0) * 1000)
        med = sorted(ms)[len(ms) // 2]
        results.append({"name": name, "total_ms": med, "per_step_ms": med / steps, "wall_per_step_ms": sorted(wall)[len(wall) // 2] / steps})
def cpu_ms(fn, reps=REPEATS):
    fn(); fn()
    ms = []
    for _ in range(reps):
        c0 = time.process_time(); fn(); ms.append((time.process_time() - c0) * 1000)
    return sorted(ms)[len(ms) // 2]
y = torch.randn(B, N)
parts = [
    {"name": "x + h * (x - den) / t (Euler update, 3 ops)", "ms": cpu_ms(lambda: x0 + 0.1 * ((x0 - fixed) / 2.0))},
    {"name": "torch.randn_like(x)", "ms": cpu_ms(lambda: torch.randn_like(x0))},
]
print(json.dumps({"parts": parts, "torch": torch.__version__, "threads": torch.get_num_threads(),
                  "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE", "(unset)"),
                  "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "(unset)"), "results": results}))
