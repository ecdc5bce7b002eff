#!/usr/bin/python3
"""Train a small CNN classifier on Fashion-MNIST whose penultimate features serve as the
feature extractor of a classifier-feature Frechet distance ("Fashion-MNIST CNN FD", not FID),
export it to ONNX with the phys.* metadata, and write the test-set feature statistics in
pytorch-fid's .npz format (keys mu [F], sigma [F, F], float64).

  /usr/bin/python3 tools/fashion/train_classifier.py --epochs 4
"""

import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import MODELS_DIR, load_split, run_with_onnxruntime_node, set_metadata  # noqa: E402

FEATURES = 128


class SmallCNN(nn.Module):
    """conv(32)-pool-conv(64)-pool-conv(64) -> 128 features (ReLU) -> 10 logits."""

    def __init__(self, features=FEATURES, dropout=0.3):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(32)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(64)
        self.conv3 = nn.Conv2d(64, 64, 3, padding=1)
        self.bn3 = nn.BatchNorm2d(64)
        self.fc = nn.Linear(64 * 7 * 7, features)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(features, 10)

    def forward(self, x):
        h = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)     # 28 -> 14
        h = F.max_pool2d(F.relu(self.bn2(self.conv2(h))), 2)     # 14 -> 7
        h = F.relu(self.bn3(self.conv3(h)))
        feats = F.relu(self.fc(h.flatten(1)))
        return self.head(self.drop(feats)), feats


class WithFeatureSubset(nn.Module):
    """Export wrapper: logits from the full model, features restricted to the units in `keep`."""

    def __init__(self, model, keep):
        super().__init__()
        self.model = model
        self.register_buffer("keep", torch.as_tensor(keep, dtype=torch.int64))

    def forward(self, x):
        logits, feats = self.model(x)
        return logits, feats.index_select(1, self.keep)


@torch.no_grad()
def evaluate(model, x, y, batch=1000):
    model.eval()
    correct, feats = 0, []
    for i in range(0, x.shape[0], batch):
        logits, f = model(x[i:i + batch])
        correct += int((logits.argmax(1) == y[i:i + batch]).sum())
        feats.append(f)
    return correct / x.shape[0], torch.cat(feats).double().numpy()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--run", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "runs", "classifier"))
    p.add_argument("--onnx", default=os.path.join(MODELS_DIR, "fashion-classifier.onnx"))
    p.add_argument("--stats", default=os.path.join(MODELS_DIR, "fashion-test-features.npz"))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--opset", type=int, default=17)
    p.add_argument("--export-only", dest="export_only", action="store_true",
                   help="skip training; re-export the checkpoint in --run")
    args = p.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    os.makedirs(args.run, exist_ok=True)

    x_train, y_train = (torch.from_numpy(a) for a in load_split("train"))
    x_test, y_test = (torch.from_numpy(a) for a in load_split("t10k"))
    model = SmallCNN()
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    steps_per_epoch = x_train.shape[0] // args.batch
    total = steps_per_epoch * args.epochs
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=total, pct_start=0.15)

    t0, step = time.time(), 0
    if args.export_only:
        ckpt = torch.load(os.path.join(args.run, "ckpt.pt"), map_location="cpu")
        model.load_state_dict(ckpt["model"])
        step, final_loss, wall = ckpt["steps"], ckpt["final_loss"], ckpt["wall_s"]
        args.seed, args.epochs, args.batch = (ckpt["config"][k] for k in ("seed", "epochs", "batch"))
    for epoch in range(0 if args.export_only else args.epochs):
        model.train()
        perm = torch.randperm(x_train.shape[0], generator=gen)
        running = []
        for i in range(steps_per_epoch):
            idx = perm[i * args.batch:(i + 1) * args.batch]
            xb, yb = x_train[idx], y_train[idx]
            # Light augmentation: horizontal flips (clothing is left-right symmetric enough).
            flip = torch.rand(xb.shape[0], generator=gen) < 0.5
            xb = torch.where(flip[:, None, None, None], xb.flip(3), xb)
            logits, _ = model(xb)
            loss = F.cross_entropy(logits, yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            running.append(loss.item())
            if step % 100 == 0:
                print(f"epoch {epoch} step {step}/{total} loss {np.mean(running[-100:]):.4f} "
                      f"wall {time.time() - t0:.0f}s", flush=True)
        acc, _ = evaluate(model, x_test, y_test)
        print(f"epoch {epoch}: test accuracy {acc:.4f}", flush=True)
    acc, feats = evaluate(model, x_test, y_test)
    if not args.export_only:
        wall = time.time() - t0
        final_loss = float(np.mean(running[-100:]))
        torch.save({"model": model.state_dict(), "config": vars(args), "acc": acc, "wall_s": wall,
                    "final_loss": final_loss, "steps": step}, os.path.join(args.run, "ckpt.pt"))
    print(f"final: test accuracy {acc:.4f}, train loss {final_loss:.4f}, {step} steps, {wall:.0f}s", flush=True)

    # Units that never fire on the 60k training images (dead ReLUs) are dropped from the exported
    # features: they carry nothing and would make the reference covariance exactly singular.
    # Logits still use every unit, so they are unchanged.
    _, train_feats = evaluate(model, x_train, y_train)
    keep = np.nonzero(train_feats.max(axis=0) > 0)[0]
    print(f"{FEATURES - keep.size} of {FEATURES} penultimate units never fire on the training set; "
          f"exporting {keep.size} features", flush=True)
    exported = WithFeatureSubset(model, keep).eval()
    feats = feats[:, keep]

    # Test-set feature statistics, pytorch-fid layout: mu = mean, sigma = np.cov(rowvar=False).
    mu = feats.mean(axis=0)
    sigma = np.cov(feats, rowvar=False)
    os.makedirs(os.path.dirname(args.stats), exist_ok=True)
    np.savez(args.stats, mu=mu.astype(np.float64), sigma=sigma.astype(np.float64))
    print(f"wrote {args.stats}: mu {mu.shape}, sigma {sigma.shape}, "
          f"{int((np.abs(feats).sum(0) == 0).sum())} always-zero features")

    # ONNX export: x [B,1,28,28] in [-1, 1] -> logits [B,10], features [B,F].
    example = x_test[:4]
    torch.onnx.export(exported, (example,), args.onnx, opset_version=args.opset,
                      input_names=["x"], output_names=["logits", "features"],
                      dynamic_axes={"x": {0: "batch"}, "logits": {0: "batch"}, "features": {0: "batch"}},
                      do_constant_folding=True)
    props = {
        "phys.kind": "classifier",
        "phys.image_shape": "1,28,28",
        "phys.value_range": "-1,1",
        "phys.input_x": "x",
        "phys.output_logits": "logits",
        "phys.output_features": "features",
        "phys.provenance": (
            f"tools/fashion/train_classifier.py seed={args.seed} epochs={args.epochs} steps={step} "
            f"batch={args.batch} final_loss={final_loss:.4f} test_accuracy={acc:.4f} "
            f"(Fashion-MNIST train 60k; features = the {keep.size} live units of the {FEATURES}-d penultimate ReLU layer)"
        ),
    }
    set_metadata(args.onnx, props)
    print(json.dumps(props, indent=1))
    print(f"wrote {args.onnx} ({os.path.getsize(args.onnx)} bytes)")

    xb = x_test[100:107]
    with torch.no_grad():
        ref_logits, ref_feats = exported(xb)
    got = run_with_onnxruntime_node(os.path.abspath(args.onnx), {"x": xb.numpy()}, ["logits", "features"])
    diff = max(float(np.abs(got["logits"] - ref_logits.numpy()).max()),
               float(np.abs(got["features"] - ref_feats.numpy()).max()))
    print(f"onnxruntime-node vs torch: max abs diff {diff:.3e}")
    if not diff < 1e-4:
        raise SystemExit("ONNX export does not match torch")


if __name__ == "__main__":
    main()
