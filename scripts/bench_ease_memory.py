"""EASE fit: wall time and peak memory of the old path against the in-place one.

Each variant runs in a fresh subprocess (so its ``VmHWM`` is its own) on the binary matrix of
an interactions CSV (e.g. from ``scripts/make_longtail_dataset.py``), leaving out each user's
last interaction as leave-last-out does:

- ``old``: the fit of RankBench before the in-place rewrite (dense float64 Gram,
  ``torch.linalg.inv``, ``-P / diag(P)``, cast to float32), copied here as the reference;
- ``float64`` / ``float32``: :class:`baselines.ease.EASE` with ``model.dtype``.

It prints, per variant, the fit's wall and CPU time (CPU time is the steadier number on a
shared machine), the process's peak RSS and its growth during the fit, and the memory
estimate; then the largest difference between every two variants' ``B`` (sampled rows).

Usage:
    python scripts/make_longtail_dataset.py --out /tmp/longtail/interactions.csv
    python scripts/bench_ease_memory.py /tmp/longtail/interactions.csv --threads 1
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def _rss(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {key} in /proc/self/status")


def load_matrix(csv: Path) -> Any:
    """Binary float32 CSR of the CSV without each user's last interaction (by timestamp)."""
    import pandas as pd
    import scipy.sparse as sp

    frame = pd.read_csv(csv).sort_values(["user_id", "timestamp"])
    frame = frame[frame.duplicated("user_id", keep="last")]  # drop each user's last item
    users = pd.factorize(frame["user_id"])[0]
    items, n_items = frame["item_id"].to_numpy(), int(pd.read_csv(csv)["item_id"].max()) + 1
    data = np.ones(len(frame), dtype=np.float32)
    return sp.csr_matrix((data, (users, items)), shape=(users.max() + 1, n_items))


def old_fit(X: Any, l2: float) -> Any:
    """``EASE.fit`` as it was before the in-place rewrite (git show f9ee47f:baselines/ease.py)."""
    import torch

    B = torch.zeros(X.shape[1], X.shape[1])  # the registered buffer
    gram = (X.T @ X).toarray().astype(np.float64)
    G = torch.from_numpy(gram).to(B.device)
    G.diagonal().add_(l2)
    P = torch.linalg.inv(G)
    B_new = -P / torch.diagonal(P).unsqueeze(0)
    B_new.fill_diagonal_(0.0)
    B.copy_(B_new.to(B.dtype))
    return B


def child(csv: Path, variant: str, l2: float, sample: Path, threads: int | None) -> None:
    sys.path.insert(0, str(ROOT))
    import torch

    if threads:
        torch.set_num_threads(threads)

    from bench.rankers import TrainingData
    from bench.rankers.batch import TrainMatrix

    X = load_matrix(csv)
    n_users, n_items = X.shape
    before = _rss("VmRSS")
    estimate = None
    start, cpu = time.perf_counter(), time.process_time()
    with torch.no_grad():
        if variant == "old":
            B = old_fit(X, l2)
        else:
            from baselines.ease import EASE

            ease = EASE(n_users=n_users, n_items=n_items, l2=l2, dtype=variant)
            counts = torch.from_numpy(np.asarray(X.sum(0)).ravel().astype(np.float64))
            data = TrainingData(X, counts, n_users, n_items, seed=0, time_ordered=True)
            estimate = ease.estimate_memory(data).n_bytes
            ease.fit(TrainMatrix(X, counts))
            B = ease.B
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    np.save(sample, B[:: max(1, n_items // 500)].numpy())
    print(json.dumps({
        "variant": variant, "n_users": n_users, "n_items": n_items, "nnz": int(X.nnz),
        "fit_s": wall, "fit_cpu_s": cpu, "peak_rss_gb": _rss("VmHWM") / 1e9,
        "fit_growth_gb": (_rss("VmHWM") - before) / 1e9,
        "estimate_gb": None if estimate is None else estimate / 1e9,
        "threads": torch.get_num_threads(),
    }))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv", type=Path)
    parser.add_argument("--variants", nargs="+", default=["old", "float64", "float32"])
    parser.add_argument("--l2", type=float, default=500.0)
    parser.add_argument("--threads", type=int, default=None, help="torch / LAPACK threads")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--sample", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.csv, args.child, args.l2, args.sample, args.threads)
        return
    samples: dict[str, np.ndarray] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for variant in args.variants:
            sample = Path(tmp) / f"{variant}.npy"
            command = [sys.executable, __file__, str(args.csv), "--l2", str(args.l2),
                       "--child", variant, "--sample", str(sample)]  # fmt: skip
            if args.threads:
                command += ["--threads", str(args.threads)]
            wall = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            wall = time.perf_counter() - wall
            if done.returncode != 0:
                print(f"{variant}: failed (exit {done.returncode}): {done.stderr.strip()[-300:]}")
                continue
            result = json.loads(done.stdout.strip().splitlines()[-1])
            samples[variant] = np.load(sample)
            est = result["estimate_gb"]
            print(
                f"{variant:8s} items={result['n_items']:,} nnz={result['nnz']:,} "
                f"fit={result['fit_s']:.1f}s (cpu {result['fit_cpu_s']:.1f}s) process={wall:.1f}s "
                f"peak_rss={result['peak_rss_gb']:.2f}GB "
                f"fit_growth={result['fit_growth_gb']:.2f}GB "
                f"estimate={'-' if est is None else f'{est:.2f}GB'} threads={result['threads']}",
                flush=True,
            )
    names = list(samples)
    for i, first in enumerate(names):  # B's sampled rows, every pair of variants
        for second in names[i + 1 :]:
            diff = float(np.abs(samples[first] - samples[second]).max())
            print(f"max|B_{first} - B_{second}| = {diff:.2e} (sampled rows of B)")


if __name__ == "__main__":
    main()
