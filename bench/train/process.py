"""Process-level concerns of a run: ranks, signals, threads, paths, DDP launch limits.

Example:
    >>> with NoRecord() as rec, rec.time_fit():
    ...     rec.set_metrics("test", {"ndcg@10": 0.5})  # ignored on ranks other than 0
    >>> rec.path is None
    True
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator
from typing import Any

import pytorch_lightning as pl
import torch
from omegaconf import DictConfig, OmegaConf, open_dict

from bench.train.errors import RunConfigError
from bench.train.hydra_context import in_multirun


class NoRecord:
    """Stand-in for :class:`~bench.results.RunRecorder` on processes other than rank 0."""

    path = None

    def __enter__(self) -> NoRecord:
        return self

    def __exit__(self, *exc: object) -> bool:
        return False

    def __getattr__(self, name: str) -> Any:
        if name in ("time_fit", "time_eval"):
            return contextlib.nullcontext
        return lambda *args, **kwargs: None


@contextlib.contextmanager
def sigterm_raises() -> Iterator[None]:
    """Turn SIGTERM into SystemExit so a terminated run still writes its failed record."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGTERM)
    if previous not in (signal.SIG_DFL, None):  # someone (SLURM, Ray) handles it already
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def absolute_paths(cfg: DictConfig) -> None:
    """Make every ``paths`` entry absolute (records then say where things are)."""
    absolute = {
        key: os.path.abspath(os.path.expanduser(value))
        for key, value in OmegaConf.to_container(cfg.paths, resolve=True).items()
        if isinstance(value, str)
    }
    with open_dict(cfg):
        for key, value in absolute.items():
            cfg.paths[key] = value


def set_threads(trainer: pl.Trainer, threads: int | None) -> None:
    """Intra-op threads per process: ``threads``, or the cores shared out among CPU ranks."""
    from pytorch_lightning.accelerators import CPUAccelerator

    cpu_ranks = trainer.world_size > 1 and isinstance(trainer.accelerator, CPUAccelerator)
    if threads is None and cpu_ranks:
        threads = max(1, (os.cpu_count() or 1) // max(1, trainer.num_devices))
    if threads is not None:
        torch.set_num_threads(threads)


def refuse_unsupported_ddp(trainer: pl.Trainer) -> None:
    """Refuse ``ddp_spawn`` (results stay in the children) and ``ddp`` in a Hydra multirun
    (Lightning relaunches ``sys.argv``, which would rerun the whole sweep)."""
    from lightning_fabric.strategies.launchers.subprocess_script import (
        _SubprocessScriptLauncher as FabricLauncher,
    )
    from pytorch_lightning.strategies.launchers.multiprocessing import _MultiProcessingLauncher
    from pytorch_lightning.strategies.launchers.subprocess_script import _SubprocessScriptLauncher

    launcher = getattr(trainer.strategy, "launcher", None)
    if isinstance(launcher, _MultiProcessingLauncher) and trainer.world_size > 1:
        raise RunConfigError(
            "trainer.strategy=ddp_spawn: spawned processes cannot hand the evaluation results "
            "back to the runner; use trainer.strategy=ddp (or trainer=ddp)"
        )
    if in_multirun() and isinstance(launcher, _SubprocessScriptLauncher | FabricLauncher):
        raise RunConfigError(
            "trainer.strategy=ddp with several devices relaunches the command line, which a Hydra "
            "multirun cannot do; run DDP jobs one by one or with launcher=submitit_slurm"
        )
