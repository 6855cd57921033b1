"""Synthetic results stores for the gate's tests: full schema-2 records, per-user values."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

from bench.results import ResultStore, RunRecord

REPO = Path(__file__).resolve().parents[2]
N_USERS = 400
USERS = np.arange(1, N_USERS + 1)


def base_values(seed: int) -> np.ndarray:
    """A baseline's per-user ndcg@10 for one seed: skewed in [0, 1] like real ndcg."""
    rng = np.random.default_rng(1000 + seed)
    return np.clip(rng.beta(0.6, 2.0, N_USERS), 0.0, 1.0)


def record(model: str, seed: int, *, run_id: str | None = None, **changes: Any) -> RunRecord:
    """A completed schema-2 record of ``model`` and ``seed``; keyword arguments override."""
    params = changes.pop("model_params", {})
    fields: dict[str, Any] = {
        "run_id": run_id or f"{model}-s{seed}",
        "status": "completed",
        "config": {
            "model": {"name": model, **params},
            "dataset": {"name": "ml-100k"},
            "split": {"name": "random_holdout", "ratios": [0.8, 0.1, 0.1]},
            "seed": seed,
        },
        "started_at": "2024-05-01T12:00:00.000+00:00",
        "ended_at": "2024-05-01T12:01:00.000+00:00",
        "model": model,
        "dataset": "ml-100k",
        "split": "random_holdout",
        "seed": seed,
        "dataset_fingerprint": "d" * 16,
        "split_fingerprint": f"split-{seed}",  # a random holdout: the split depends on the seed
        "preprocess": "none",
        "split_params": {"ratios": [0.8, 0.1, 0.1]},
        "protocol": "full",
        "test_history": "train_valid",
        "higher_is_better": {"ndcg@10": True, "recall@10": True},
        "tags": ("ml-100k", model),
        "group": "g1",
    }
    fields.update(changes)
    return RunRecord(**fields)


def per_user(values: np.ndarray, users: np.ndarray = USERS) -> pd.DataFrame:
    """A per-user table: ``user``, ``ndcg@10`` and a correlated ``recall@10``."""
    return pd.DataFrame(
        {"user": users, "ndcg@10": values, "recall@10": np.clip(values * 1.3, 0.0, 1.0)}
    )


def write_model(
    store: ResultStore,
    model: str,
    seeds: Iterable[int],
    values: Callable[[int], np.ndarray],
    *,
    prefix: str | None = None,
    **changes: Any,
) -> list[str]:
    """Write one completed run per seed (id ``<prefix or model>-s<seed>``) with ``values(seed)``
    as its per-user ndcg@10."""
    run_ids = []
    for seed in seeds:
        metrics = {"test": {"ndcg@10": float(np.mean(values(seed)))}}
        run_id = f"{prefix or model}-s{seed}"
        rec = record(model, seed, run_id=run_id, metrics=metrics, **changes)
        store.write(rec, {"test": per_user(values(seed))})
        run_ids.append(rec.run_id)
    return run_ids


def shifted(shift: float, noise: float = 0.0, salt: int = 0) -> Callable[[int], np.ndarray]:
    """Baseline values plus ``shift`` plus seeded Gaussian noise of sd ``noise``."""

    def values(seed: int) -> np.ndarray:
        rng = np.random.default_rng(2000 + seed + 100 * salt)
        return base_values(seed) + shift + noise * rng.standard_normal(N_USERS)

    return values


def standard_store(root: Path, candidate_shift: float, noise: float = 0.0) -> ResultStore:
    """``pop`` (the baseline) and ``cand`` (baseline + shift + noise), seeds 0, 1, 2."""
    store = ResultStore(root)
    write_model(store, "pop", (0, 1, 2), shifted(0.0))
    write_model(store, "cand", (0, 1, 2), shifted(candidate_shift, noise))
    return store


def snapshot(root: Path) -> dict[str, str]:
    """Path -> sha256 of every file under ``root`` (to prove nothing was modified)."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def gate_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m bench.compare *args``; capture text output."""
    env = {**os.environ, "WANDB_MODE": "disabled", "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "bench.compare", *args],
        cwd=cwd or REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def gate_main(capsys, *args: str) -> SimpleNamespace:
    """``bench.compare.cli.main(args)`` in this process, shaped like :func:`gate_cli`'s result."""
    from bench.compare.cli import main

    capsys.readouterr()  # drop earlier output
    code = main(list(args))
    out = capsys.readouterr()
    return SimpleNamespace(returncode=code, stdout=out.out, stderr=out.err)
