# Reference for bench/fid.mjs: pytorch-fid's statistics and calculate_frechet_distance
# (np.mean, np.cov(rowvar=False), scipy.linalg.sqrtm with the eps retry), timed per stage.
import json
import os
import sys
import time

try:
    import numpy as np
    from scipy import linalg
except ImportError as e:  # reported as a skip by the JS side
    print(f"numpy/scipy missing: {e}", file=sys.stderr)
    sys.exit(3)


def frechet(mu1, sigma1, mu2, sigma2, eps=1e-6):
    # pytorch-fid fid_score.py::calculate_frechet_distance
    diff = mu1 - mu2
    covmean, _ = linalg.sqrtm(sigma1.dot(sigma2), disp=False)
    if not np.isfinite(covmean).all():
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = linalg.sqrtm((sigma1 + offset).dot(sigma2 + offset))
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            raise ValueError("Imaginary component {}".format(np.max(np.abs(covmean.imag))))
        covmean = covmean.real
    return diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean)


def main():
    folder, n, d = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    x = np.fromfile(os.path.join(folder, "x.f32"), dtype=np.float32).reshape(n, d)
    y = np.fromfile(os.path.join(folder, "y.f32"), dtype=np.float32).reshape(n, d)
    print(
        f"reference: numpy {np.__version__}, scipy {__import__('scipy').__version__}, "
        f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}, "
        f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', '(unset: all cores)')}, cores={os.cpu_count()}"
    )
    p0 = time.process_time()
    t0 = time.perf_counter()
    mu1, s1 = np.mean(x, axis=0), np.cov(x, rowvar=False)
    mu2, s2 = np.mean(y, axis=0), np.cov(y, rowvar=False)
    t1 = time.perf_counter()
    p1 = time.process_time()
    value = float(frechet(mu1, s1, mu2, s2))
    t2 = time.perf_counter()
    p2 = time.process_time()
    # np.mean of float32 activations accumulates in float32; the float64 mean isolates that effect.
    value64 = float(frechet(np.mean(x, axis=0, dtype=np.float64), s1, np.mean(y, axis=0, dtype=np.float64), s2))
    print(json.dumps({"label": "pytorch-fid procedure", "stats": t1 - t0, "fid": t2 - t1, "total": t2 - t0, "cpu_stats": p1 - p0, "cpu_fid": p2 - p1, "value": value, "value_mean64": value64}))


main()
