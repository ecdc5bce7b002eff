# Torch/numpy reference for bench/particle-guidance.mjs: the reference pipeline's pixel guidance
# block (gcorso/particle-guidance pipeline_stable_diffusion_particle.py, non-SVGD branch, verbatim
# tensor ops: diff [n, n-1, d], torch.norm, per-row median, exp, weighted sum) on a float32
# [64, 3072] batch, and a numpy version using a GEMM for the distances. Prints one JSON line.
import json, os, sys, time
try:
    import numpy as np
    import torch
except ImportError as e:
    print(json.dumps({"skipped": str(e)}))
    sys.exit(0)

REPEATS = int(sys.argv[1]) if len(sys.argv) > 1 else 15
N, D = 64, 3072
torch.manual_seed(0)
latents = torch.randn(N, D)
sigma, coeff = 2.5, 1.0


def reference_block(latents):
    latents_vec = latents.view(len(latents), -1)
    diff = latents_vec.unsqueeze(1) - latents_vec.unsqueeze(0)
    diff = diff[~torch.eye(diff.shape[0], dtype=bool)].view(diff.shape[0], -1, diff.shape[-1])
    distance = torch.norm(diff, p=2, dim=-1, keepdim=True)
    num_images = latents_vec.shape[0]
    h_t = (distance.median(dim=1, keepdim=True)[0]) ** 2 / np.log(num_images - 1)
    weights = torch.exp(-(distance ** 2 / h_t))
    grad_phi = 2 * weights * diff / h_t * sigma * coeff
    return grad_phi.sum(dim=1).view_as(latents)


def numpy_gemm(x):
    sq = (x * x).sum(1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2.0 * (x @ x.T), 0.0)
    off = d2[~np.eye(N, dtype=bool)].reshape(N, N - 1)
    h = np.sort(off, 1)[:, (N - 2) // 2] / np.log(N - 1)
    c = 2.0 * np.exp(-d2 / h[:, None]) / h[:, None]
    np.fill_diagonal(c, 0.0)
    return sigma * coeff * (c.sum(1)[:, None] * x - c @ x)


def cpu_ms(fn, *args):
    for _ in range(2):
        fn(*args)
    ms, wall = [], []
    for _ in range(REPEATS):
        c0 = time.process_time()
        t0 = time.perf_counter()
        fn(*args)
        wall.append((time.perf_counter() - t0) * 1e3)
        ms.append((time.process_time() - c0) * 1e3)
    ms.sort()
    wall.sort()
    return ms[len(ms) // 2], wall[len(wall) // 2]


with torch.no_grad():
    ref = reference_block(latents)
    gemm = numpy_gemm(latents.numpy())
    agree = float(np.abs(ref.numpy() - gemm).max() / np.abs(ref.numpy()).max())
    t_ref = cpu_ms(reference_block, latents)
    t_np = cpu_ms(numpy_gemm, latents.numpy())

print(json.dumps({
    "torch": torch.__version__,
    "numpy": np.__version__,
    "threads": torch.get_num_threads(),
    "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"),
    "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
    "results": [
        {"name": "torch, reference block (diff [n, n-1, d])", "ms": t_ref[0], "wall_ms": t_ref[1]},
        {"name": "numpy, GEMM distances", "ms": t_np[0], "wall_ms": t_np[1], "max_rel_diff_vs_reference": agree},
    ],
}))
