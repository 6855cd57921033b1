"""Helpers for the suite's tests: tiny suite files on real ML-100K, the CLI in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from bench.results import ResultStore, RunRecord
from bench.suite import SuiteConfig, load_config

#: Tiny models: pop (closed form) and a two-epoch BPR (the gradient path: checkpoints, restore).
POP = ["model=pop"]
BPR = ["model=bpr", "model.embedding_dim=8", "model.lr=0.01", "trainer.max_epochs=2"]
CELL = ["dataset=ml-100k", "split=random_holdout", "eval.metrics=[ndcg@10,recall@10]"]


def write_suite(
    path: Path,
    models: dict[str, list[str]] | None = None,
    seeds: tuple[int, ...] = (0,),
    cells: dict[str, object] | None = None,
    **extra: object,
) -> Path:
    """A suite file at ``path`` (default: ML-100K random holdout, pop, seed 0)."""
    models = models or {"pop": POP}
    body = {
        "cells": cells or {"random": CELL},
        "models": models,
        "seeds": list(seeds),
        "baseline": next(iter(models)),
        "metrics": ["ndcg@10", "recall@10"],
        **extra,
    }
    path.write_text(yaml.safe_dump(body, sort_keys=False))
    return path


def suite_config(suite_file: Path, root: Path, *overrides: str) -> SuiteConfig:
    """The suite at ``suite_file`` with every output under ``root`` (no W&B unless asked)."""
    return load_config([f"suite={suite_file}", f"root_dir={root}", "logger=none", *overrides])


def records(root: Path) -> list[RunRecord]:
    """Every record in ``root/results``, oldest first."""
    store = ResultStore(root / "results")
    if not store.root.exists():
        return []
    return sorted(store.records(), key=lambda r: r.started_at)


def _default_sigint() -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


def suite_cli(
    *args: str, cwd: Path, wait: bool = True
) -> subprocess.CompletedProcess | subprocess.Popen:
    """``python -m bench.suite *args`` in ``cwd`` (outputs under ``cwd``; output captured)."""
    env = {**os.environ, "WANDB_MODE": "disabled", "RANKBENCH_ROOT": str(cwd)}
    env.setdefault("OMP_NUM_THREADS", "1")
    command = [sys.executable, "-m", "bench.suite", *args]
    if not wait:  # Ctrl-C as at a terminal, even when pytest runs as a background job (which
        # starts with SIGINT ignored, and a child would inherit that)
        return subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True,
                                preexec_fn=_default_sigint)  # fmt: skip
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=600)  # fmt: skip


def train_cli(command: str, cwd: Path) -> subprocess.CompletedProcess:
    """A record's ``python -m bench.train ...`` command, run with this interpreter in ``cwd``."""
    import shlex

    argv = shlex.split(command)
    assert argv[:3] == ["python", "-m", "bench.train"], command
    env = {**os.environ, "WANDB_MODE": "disabled", "RANKBENCH_ROOT": str(cwd)}
    return subprocess.run([sys.executable, *argv[1:]], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)  # fmt: skip
