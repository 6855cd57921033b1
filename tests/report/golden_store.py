"""The fixed results store behind the golden-file tests (committed under ``data/golden_store``).

Regenerate with ``python tests/report/golden_store.py`` (deterministic: the same files each time).
One cell, random 8:1:1 split (its fingerprint changes with the seed), 40 users, 2 seeds:

- ``ease``: the baseline;
- ``itemknn``: better on ndcg@10 by about 0.05;
- ``pop``: worse on ndcg@10 by about 0.05 and recommends more popular items (arp@10, lower is
  better, is higher);
- ``bpr``: as good as the baseline (noise only), seed 0 only: its other seed is missing;
- one failed run.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from bench.results import ErrorInfo, ResultStore, RunRecord

HERE = Path(__file__).resolve().parent
STORE = HERE / "data" / "golden_store"
USERS = np.arange(40)
METRICS = ("ndcg@10", "recall@10", "arp@10")
DIRECTIONS = {"ndcg@10": True, "recall@10": True, "arp@10": False}
SHIFT = {
    "ease": (0.0, 0.0, 0.0),
    "itemknn": (0.05, 0.03, 0.0),
    "pop": (-0.05, -0.02, 40.0),
    "bpr": (0.0, 0.0, 0.0),
}
PARAMS = {"ease": {"l2": 500.0}, "itemknn": {"k": 50}, "pop": {}, "bpr": {"lr": 0.005}}


def per_user(model: str, seed: int) -> pd.DataFrame:
    """Per-user values: a shared user effect + the model's shift + noise (all seeded)."""
    base = np.random.default_rng(100 + seed)
    user_effect = base.uniform(0.1, 0.6, USERS.size)
    recall_effect = base.uniform(0.05, 0.5, USERS.size)
    arp_effect = base.uniform(50, 150, USERS.size)
    noise = np.random.default_rng(1000 * seed + sum(map(ord, model)))
    shift = SHIFT[model]
    frame = pd.DataFrame(
        {
            "user": USERS,
            "ndcg@10": np.clip(user_effect + shift[0] + noise.normal(0, 0.03, USERS.size), 0, 1),
            "recall@10": np.clip(
                recall_effect + shift[1] + noise.normal(0, 0.03, USERS.size), 0, 1
            ),
            "arp@10": arp_effect + shift[2] + noise.normal(0, 5, USERS.size),
        }
    )
    frame["head:ndcg@10"] = np.clip(frame["ndcg@10"] + 0.1, 0, 1)
    frame["tail:ndcg@10"] = np.where(USERS % 3 == 0, np.nan, frame["ndcg@10"] * 0.2)
    frame["head:recall@10"] = np.clip(frame["recall@10"] + 0.1, 0, 1)
    frame["tail:recall@10"] = np.where(USERS % 3 == 0, np.nan, frame["recall@10"] * 0.2)
    frame["user:n_train"] = (3 + USERS * 7 + seed) % 200
    frame["user:n_history"] = frame["user:n_train"] + 2
    frame["user:n_targets"] = 1 + USERS % 4
    frame["user:cold"] = (frame["user:n_train"] == 0).astype(np.int8)
    frame["user:score_ms"] = 0.01 * (1 + list(SHIFT).index(model))
    return frame


def record(model: str, seed: int, index: int) -> RunRecord:
    config = {
        "model": {"_target_": f"baselines.{model}.X", **PARAMS[model]},
        "dataset": {"name": "ml-100k"},
        "split": {"_target_": "bench.split.RandomHoldout", "ratios": [0.8, 0.1, 0.1]},
        "eval": {"metrics": list(METRICS)},
        "seed": seed,
    }
    overrides = [f"model={model}", *(f"model.{k}={v}" for k, v in PARAMS[model].items())]
    frame = per_user(model, seed)
    return RunRecord(
        run_id=f"20240501T1200{index:02d}-golden{index:02d}",
        status="completed",
        config=config,
        started_at=f"2024-05-01T12:{index:02d}:00+00:00",
        ended_at=f"2024-05-01T12:{index:02d}:30+00:00",
        model=model,
        dataset="ml-100k",
        split="random_holdout",
        seed=seed,
        dataset_fingerprint="69b01d5f42b0aaaa",
        split_fingerprint=f"split-seed{seed}",
        preprocess="none",
        split_params={"ratios": [0.8, 0.1, 0.1]},
        protocol="full",
        test_history="train_valid",
        higher_is_better=DIRECTIONS,
        git_commit="0123456789abcdef0123456789abcdef01234567",
        git_dirty=False,
        packages={"rankbench": "0.1.0", "torch": "2.13.0", "pytorch-lightning": "2.6.6"},
        python="3.11.7",
        fit_seconds=1.0 + index,
        eval_seconds=0.5,
        peak_rss_bytes=2**30,
        n_params=1000 * (1 + index % 3),
        metrics={"test": {m: float(frame[m].mean()) for m in METRICS}},
        command=f"python -m bench.train {' '.join(overrides)} seed={seed}",
        tags=("golden",),
    )


def build(root: Path = STORE) -> Path:
    """Write the store into ``root`` (replacing it)."""
    shutil.rmtree(root, ignore_errors=True)
    store = ResultStore(root)
    index = 0
    for model in SHIFT:
        for seed in (0, 1):
            if model == "bpr" and seed == 1:
                continue
            index += 1
            store.write(record(model, seed, index), {"test": per_user(model, seed)})
    failed = RunRecord(
        run_id="20240501T120900-golden99",
        status="failed",
        config={"model": {"_target_": "baselines.ials.X"}, "seed": 0},
        started_at="2024-05-01T12:09:00+00:00",
        ended_at="2024-05-01T12:09:05+00:00",
        model="ials",
        dataset="ml-100k",
        seed=0,
        error=ErrorInfo("RuntimeError", "factors diverged (loss is NaN)\nmore", "Traceback ..."),
        tags=("golden",),
    )
    store.write(failed)
    return root


if __name__ == "__main__":
    print(build(Path(sys.argv[1]) if len(sys.argv) > 1 else STORE))
