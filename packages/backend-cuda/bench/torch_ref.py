"""torch CUDA side of bench/bench.mjs: the same field and Heun loop, float32, timed the same way.

Prints one JSON line: torch version, device, fp32 peak (SMs x FP32 lanes per SM x 2 x max SM clock
from nvidia-smi), and best/median milliseconds per case. Without CUDA it prints {"skip": ...}.
"""
import json
import os
import subprocess
import sys
import time


def main():
    cfg = json.loads(sys.argv[1])
    try:
        import torch
    except ImportError as e:
        print(json.dumps({"skip": f"torch not importable: {e}"}))
        return
    # PHYS_TORCH_DEVICE=cpu runs the same code on the CPU (to check this script without a GPU)
    on_cpu = os.environ.get("PHYS_TORCH_DEVICE") == "cpu"
    if not on_cpu and not torch.cuda.is_available():
        print(json.dumps({"skip": "torch sees no CUDA device"}))
        return
    torch.backends.cuda.matmul.allow_tf32 = False  # plain float32 GEMM, like phys
    dev = torch.device("cpu" if on_cpu else "cuda")
    reps = int(cfg["reps"])
    sync = (lambda: None) if on_cpu else torch.cuda.synchronize

    def timed(run):
        run()
        sync()
        ms = []
        for _ in range(reps):
            t0 = time.perf_counter()
            run()
            sync()
            ms.append((time.perf_counter() - t0) * 1e3)
        ms.sort()
        return {"best": ms[0], "median": ms[len(ms) // 2]}

    if on_cpu:
        print(json.dumps({"torch": torch.__version__, "device": "cpu", "peak_fp32_tflops": None, **run_cases(torch, dev, cfg, timed)}))
        return
    props = torch.cuda.get_device_properties(0)
    out = {"torch": torch.__version__, "device": props.name}
    # FP32 lanes per SM: 64 on sm_80 (A100), 128 on sm_86/89/90 and newer
    lanes = 64 if (props.major, props.minor) == (8, 0) else 128
    try:
        mhz = float(subprocess.check_output(["nvidia-smi", "--query-gpu=clocks.max.sm", "--format=csv,noheader,nounits", "-i", "0"], text=True).strip())
        out["peak_fp32_tflops"] = props.multi_processor_count * lanes * 2 * mhz * 1e6 / 1e12
        out["peak_source"] = f"{props.multi_processor_count} SMs x {lanes} lanes x 2 x {mhz:.0f} MHz"
    except (OSError, subprocess.CalledProcessError, ValueError):
        out["peak_fp32_tflops"] = None
    out.update(run_cases(torch, dev, cfg, timed))
    print(json.dumps(out))


def run_cases(torch, dev, cfg, timed):
    out = {"field": {}, "heun": {}}
    g = torch.Generator(device=dev).manual_seed(0)
    for B, n, N in cfg["field"]:
        x = torch.randn(B, N, device=dev, generator=g)
        y = torch.randn(n, N, device=dev, generator=g)
        sigma = 0.5 * 160 ** (torch.arange(B, device=dev, dtype=torch.float64) / max(1, B - 1))
        coef = (-1 / (2 * sigma * sigma)).float()[:, None]

        def field():
            d = (x * x).sum(1, keepdim=True) + (y * y).sum(1)[None, :] - 2 * (x @ y.T)
            w = torch.softmax(d.clamp_min_(0) * coef, dim=1)
            lse_needed = torch.logsumexp(d * coef, dim=1)  # phys returns the log-normalisers too
            return w @ y, lse_needed

        out["field"][f"{B},{n},{N}"] = timed(field)
        del x, y

    h = cfg["heun"]
    B, N, steps = h["B"], h["N"], h["steps"]
    rho, smin, smax = 7.0, 0.002, 80.0
    t = [(smax ** (1 / rho) + i / (steps - 1) * (smin ** (1 / rho) - smax ** (1 / rho))) ** rho for i in range(steps)] + [0.0]
    fixed = torch.randn(B, N, device=dev, generator=g)
    x0 = torch.randn(B, N, device=dev, generator=g)

    def heun(check):
        x = x0.clone()
        for i in range(steps):
            tc, tn = t[i], t[i + 1]
            d = fixed
            if check:
                assert bool(torch.isfinite(d).all())
            dc = (x - d) / tc
            xe = x + (tn - tc) * dc
            if tn > 0:
                d2 = fixed
                if check:
                    assert bool(torch.isfinite(d2).all())
                x = x + (tn - tc) * (0.5 * dc + 0.5 * (xe - d2) / tn)
            else:
                x = xe
        return x

    out["heun"]["plain"] = timed(lambda: heun(False))
    out["heun"]["checked"] = timed(lambda: heun(True))
    return out


main()
