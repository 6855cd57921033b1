"""Per-epoch timing of a fit, as JSON lines: the wall and CPU clock of every training epoch.

:class:`EpochClock` is a Lightning callback that a run adds through its config
(``+callbacks.clock._target_=bench.train.epoch_clock.EpochClock +callbacks.clock.path=FILE``).
At the end of every training epoch of ``fit`` it appends one line to ``path``: the epoch, the
batches it ran out of the epoch's total, its training and validation seconds (wall and CPU),
the number of validation runs in it, the wall and CPU seconds since the fit started, and the
validation values logged in that epoch (``valid/ndcg@10`` as ``ndcg@10``). The first line
(``"kind": "setup"``) holds the fit's start time (``time.time()``), so a caller that started
the process can tell its setup time.

CPU seconds are this process's (all threads) and its finished children's (``os.times``).
Lines are flushed one by one, so a run that is killed keeps the epochs it finished.

Example:
    >>> import json, tempfile
    >>> path = tempfile.mktemp(suffix=".jsonl")
    >>> clock = EpochClock(path)
    >>> clock.start()
    >>> clock.epoch_done(0, batches=48, of=48, train=(50.0, 99.0), valid=(2.0, 3.5),
    ...                  metrics={"valid/ndcg@10": 0.12, "train/loss": 7.1})
    >>> line = json.loads(open(path).read().splitlines()[1])
    >>> line["epoch"], line["train_s"], line["valid_cpu_s"], line["metrics"]
    (0, 50.0, 3.5, {'ndcg@10': 0.12})
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
from pytorch_lightning.callbacks import Callback
from pytorch_lightning.trainer.states import TrainerFn


def cpu_seconds() -> float:
    """CPU seconds (user + system) of this process, all threads, and its finished children."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _stage_values(metrics: dict[str, Any], prefix: str = "valid/") -> dict[str, float]:
    out = {}
    for key, value in metrics.items():
        if key.startswith(prefix):
            try:
                out[key[len(prefix) :]] = float(value)
            except (TypeError, ValueError):
                continue
    return out


def _count(value: float) -> int:
    """A batch count, ``-1`` when unknown (an iterable dataset's ``inf``)."""
    return int(value) if math.isfinite(value) else -1


class EpochClock(Callback):
    """Append one JSON line per training epoch of ``fit`` to ``path`` (see the module docs).

    Args:
        path: the JSON lines file (appended to; its folder is created).
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self._fit = (0.0, 0.0)  # wall, cpu at the fit's start
        self._epoch = (0.0, 0.0)
        self._valid = (0.0, 0.0)  # this epoch's validation wall, cpu
        self._valid_start = (0.0, 0.0)
        self._batches = self._validations = 0

    def _write(self, line: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a") as handle:
            handle.write(json.dumps(line) + "\n")

    def start(self) -> None:
        """Mark the fit's start and write the setup line."""
        self._fit = (time.time(), cpu_seconds())
        self._write({"kind": "setup", "fit_start": self._fit[0]})

    def epoch_done(
        self,
        epoch: int,
        *,
        batches: int,
        of: int,
        train: tuple[float, float],
        valid: tuple[float, float],
        metrics: dict[str, Any],
        validations: int = 1,
    ) -> None:
        """Write one epoch's line: ``train`` and ``valid`` are (wall, cpu) seconds (``valid``
        over the epoch's ``validations`` runs)."""
        wall, cpu = time.time(), cpu_seconds()
        self._write({
            "kind": "epoch", "epoch": int(epoch), "batches": int(batches), "of": int(of),
            "train_s": train[0], "train_cpu_s": train[1], "valid_s": valid[0],
            "valid_cpu_s": valid[1], "validations": int(validations),
            "wall_s": wall - self._fit[0], "cpu_s": cpu - self._fit[1],
            "metrics": _stage_values(metrics),
        })  # fmt: skip

    # -- Lightning hooks ------------------------------------------------------------------------
    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.is_global_zero:
            self.start()

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._epoch, self._valid = (time.time(), cpu_seconds()), (0.0, 0.0)
        self._batches = self._validations = 0

    def on_train_batch_end(self, trainer: pl.Trainer, *args: Any) -> None:
        self._batches += 1

    def on_validation_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._valid_start = (time.time(), cpu_seconds())

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.state.fn != TrainerFn.FITTING:
            return
        wall, cpu = time.time() - self._valid_start[0], cpu_seconds() - self._valid_start[1]
        self._valid = (self._valid[0] + wall, self._valid[1] + cpu)
        self._validations += 1

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if not trainer.is_global_zero:
            return
        wall = time.time() - self._epoch[0] - self._valid[0]
        cpu = cpu_seconds() - self._epoch[1] - self._valid[1]
        self.epoch_done(
            trainer.current_epoch,
            batches=self._batches,
            of=_count(trainer.num_training_batches),
            train=(wall, cpu),
            valid=self._valid,
            validations=self._validations,
            metrics=dict(trainer.callback_metrics),
        )
