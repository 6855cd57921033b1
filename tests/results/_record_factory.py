"""A fully populated RunRecord for the results tests (a module, so spawned workers import it)."""

from __future__ import annotations

from typing import Any

from bench.results.record import RunRecord

START = "2024-05-01T12:00:00.000+00:00"
END = "2024-05-01T12:05:30.500+00:00"


def build_record(run_id: str = "run-1", **changes: Any) -> RunRecord:
    """A fully populated completed record; keyword arguments override fields."""
    fields: dict[str, Any] = {
        "run_id": run_id,
        "status": "completed",
        "config": {"model": {"name": "ease", "l2": 0.5}, "dataset": {"name": "ml-100k"}, "seed": 7},
        "started_at": START,
        "ended_at": END,
        "model": "ease",
        "dataset": "ml-100k",
        "split": "leave_last_out",
        "seed": 7,
        "dataset_fingerprint": "d" * 16,
        "split_fingerprint": "s" * 16,
        "git_commit": "a" * 40,
        "git_dirty": False,
        "packages": {"torch": "2.13.0", "wandb": None},
        "python": "3.11.9",
        "wall_seconds": 330.5,
        "fit_seconds": 300.25,
        "eval_seconds": 20.0,
        "peak_rss_bytes": 2**30,
        "peak_cuda_bytes": None,
        "n_params": 1682 * 1682,
        "metrics": {"valid": {"ndcg@10": 0.31}, "test": {"ndcg@10": 0.29, "recall@20": 0.4}},
        "command": "python -m bench.cli.train model=ease seed=7",
        "tags": ("baseline", "ease"),
        "group": "sweep-a",
        "extra": {"best_epoch": 3},
    }
    fields.update(changes)
    return RunRecord(**fields)
