#!/usr/bin/python3
"""Sanity check of the shipped pair: sample with the trained denoiser (torch, EDM Heun from the
PFGM++ prior), then compare classifier-feature Frechet distances to the shipped test statistics
for the samples, real training images and uniform noise (features from the exported ONNX
classifier via onnxruntime-node). Uses scipy's sqrtm (reference only).

  /usr/bin/python3 tools/fashion/check_samples.py --run tools/fashion/runs/pfgmpp --n 256
"""

import argparse
import os
import sys

import numpy as np
import scipy.linalg
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import MODELS_DIR, load_split, run_with_onnxruntime_node  # noqa: E402
from train_pfgmpp import heun_sample, load_ckpt  # noqa: E402


def frechet(feats, mu2, sigma2):
    mu1, sigma1 = feats.mean(0), np.cov(feats, rowvar=False)
    covmean = scipy.linalg.sqrtm(sigma1 @ sigma2).real
    return float(((mu1 - mu2) ** 2).sum() + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--run", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "runs", "pfgmpp"))
    p.add_argument("--n", type=int, default=256)
    p.add_argument("--steps", type=int, default=18)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    torch.set_num_threads(args.threads)

    model, ckpt = load_ckpt(args.run)
    samples = heun_sample(model, args.n, args.steps, ckpt["config"]["D"], args.seed).clamp(-1, 1).numpy()
    stats = np.load(os.path.join(MODELS_DIR, "fashion-test-features.npz"))
    classifier = os.path.join(MODELS_DIR, "fashion-classifier.onnx")
    real = load_split("train")[0][:args.n]
    noise = (torch.rand((args.n, 1, 28, 28), generator=torch.Generator().manual_seed(3)) * 2 - 1).numpy()
    for name, arr in [("samples", samples), (f"train[:{args.n}]", real), ("uniform noise", noise)]:
        out = run_with_onnxruntime_node(classifier, {"x": arr}, ["logits", "features"])
        counts = np.bincount(out["logits"].argmax(1), minlength=10)
        fd = frechet(out["features"].astype(np.float64), stats["mu"], stats["sigma"])
        print(f"{name}: classifier-feature FD {fd:.2f}, predicted classes {counts.tolist()}")


if __name__ == "__main__":
    main()
