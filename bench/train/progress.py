"""Training progress on stderr: what is trained on what, then one line per validation epoch.

The runner adds a :class:`RunProgress` to every run's trainer. Outside a Hydra multirun, on
global rank 0, it prints (to ``sys.stderr``) a header naming the model, dataset and split with
its sizes, one line per validation epoch (the monitored metric and the best value so far, epochs
counted from 0 as in Lightning and the checkpoint names) and, if early stopping fired, when it
did. A closed-form ranker gets one line in all. Validation runs outside ``fit`` (the final
``trainer.validate``) print nothing.

Example:
    >>> import io
    >>> out = io.StringIO()
    >>> progress = RunProgress("valid/ndcg@10", "max", model="bpr", dataset="ml-100k",
    ...                        stream=out)
    >>> for epoch, value in enumerate([0.10, 0.12, 0.11]):
    ...     progress.epoch_done(epoch, value)
    >>> print(out.getvalue(), end="")
    epoch 0  valid ndcg@10 0.1000  best 0.1000 at epoch 0
    epoch 1  valid ndcg@10 0.1200  best 0.1200 at epoch 1
    epoch 2  valid ndcg@10 0.1100  best 0.1200 at epoch 1
"""

from __future__ import annotations

import math
import re
import sys
from pathlib import Path
from typing import Any, TextIO

import pytorch_lightning as pl
from omegaconf import DictConfig, OmegaConf
from pytorch_lightning.callbacks import Callback
from pytorch_lightning.trainer.states import TrainerFn

from bench.train.hydra_context import choice_names, in_multirun
from bench.train.summary import display_path


def metric_label(monitor: str) -> str:
    """``"valid/ndcg@10"`` -> ``"valid ndcg@10"`` (how the console names a logged metric).

    Example:
        >>> metric_label("valid/sampled_ndcg@10")
        'valid sampled_ndcg@10'
    """
    return monitor.replace("/", " ", 1)


def _as_float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


class RunProgress(Callback):
    """Print a run's progress to stderr (see the module docstring).

    Args:
        monitor: The logged validation metric that selects the best epoch (``valid/ndcg@10``).
        mode: ``"max"`` or ``"min"``: which direction is better for ``monitor``.
        model, dataset: Names shown in the header.
        closed_form: A closed-form ranker (one line in all).
        patience: Early stopping's patience, or ``None`` when it is off.
        enabled: Print at all (off in a multirun, where the sweep prints its own summary).
        stream: Where to print (default: ``sys.stderr`` at the time of printing).
    """

    def __init__(
        self,
        monitor: str,
        mode: str,
        *,
        model: str | None = None,
        dataset: str | None = None,
        closed_form: bool = False,
        patience: int | None = None,
        enabled: bool = True,
        stream: TextIO | None = None,
    ) -> None:
        if mode not in ("max", "min"):
            raise ValueError(f"mode={mode!r}: use 'max' or 'min'")
        self.monitor, self.mode = monitor, mode
        self.model, self.dataset = model, dataset
        self.closed_form, self.patience = closed_form, patience
        self.enabled, self.stream = enabled, stream
        self.best: float | None = None
        self.best_epoch: int | None = None

    @classmethod
    def for_run(cls, cfg: DictConfig, settings: Any, ranker: Any) -> RunProgress:
        """The progress printer of one run (``settings``: the runner's ``RunSettings``)."""
        names = choice_names(OmegaConf.to_container(cfg, resolve=True))
        stopping = settings.run.early_stopping
        return cls(
            settings.evaluation.monitor,
            settings.evaluation.mode,
            model=names["model"],
            dataset=names["dataset"],
            closed_form=bool(ranker.closed_form),
            patience=None if stopping is None else int(stopping.patience),
            enabled=not in_multirun(),
        )

    # -- printing -----------------------------------------------------------------------------
    def _print(self, line: str) -> None:
        stream = self.stream if self.stream is not None else sys.stderr
        print(line, file=stream, flush=True)

    def _better(self, value: float) -> bool:
        if math.isnan(value):
            return False
        if self.best is None:
            return True
        return value > self.best if self.mode == "max" else value < self.best

    def epoch_done(self, epoch: int, value: float | None) -> None:
        """Record one validation epoch's value and print its line."""
        label = metric_label(self.monitor)
        if value is not None and self._better(value):
            self.best, self.best_epoch = value, epoch
        shown = "n/a" if value is None else f"{value:.4f}"
        self._print(f"epoch {epoch}  {label} {shown}  best {self.best_text()}")

    def describe(self, trainer: pl.Trainer) -> str:
        """``"<model> on <dataset>, split <name> (<users>, <items>, <interactions>)"``."""
        split = getattr(getattr(trainer, "datamodule", None), "split", None)
        what = f"{self.model or 'model'} on {self.dataset or 'data'}"
        if split is None:
            return what
        sizes = (
            f"{split.n_users:,} users, {split.n_items:,} items, "
            f"{len(split.train):,} training interactions"
        )
        return f"{what}, split {split.name} ({sizes})"

    # -- Lightning hooks ----------------------------------------------------------------------
    def _active(self, trainer: pl.Trainer) -> bool:
        return self.enabled and trainer.is_global_zero

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if not self._active(trainer) or self.closed_form:
            return
        self._resume_best(trainer)
        stopping = (
            f"early stopping on {metric_label(self.monitor)} (patience {self.patience})"
            if self.patience is not None
            else "no early stopping"
        )
        limit = trainer.max_epochs if trainer.max_epochs not in (None, -1) else "unlimited"
        line = f"{self.describe(trainer)}: up to {limit} epochs, {stopping}"
        if trainer.ckpt_path:
            where = display_path(trainer.ckpt_path)
            line += f"; resumed at epoch {trainer.current_epoch} from {where}"
        self._print(line)

    def _resume_best(self, trainer: pl.Trainer) -> None:
        """After a resume, start from the restored checkpoint callback's best value."""
        callback = trainer.checkpoint_callback
        score = _as_float(getattr(callback, "best_model_score", None))
        found = re.search(r"best-(\d+)", Path(getattr(callback, "best_model_path", "")).name)
        if score is not None and found:
            self.best, self.best_epoch = score, int(found.group(1))

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if not self._active(trainer) or trainer.sanity_checking:
            return
        if trainer.state.fn != TrainerFn.FITTING:
            return  # the final validate() after fit
        value = _as_float(trainer.callback_metrics.get(self.monitor))
        if self.closed_form:
            shown = "n/a" if value is None else f"{value:.4f}"
            label = metric_label(self.monitor)
            self._print(f"{self.describe(trainer)}: fitted in closed form, {label} {shown}")
            return
        self.epoch_done(int(trainer.current_epoch), value)

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if not self._active(trainer) or self.closed_form:
            return
        stopper = trainer.early_stopping_callback
        if stopper is not None and getattr(stopper, "stopped_epoch", 0) > 0:
            self._print(
                f"early stopping after epoch {stopper.stopped_epoch}: no "
                f"{metric_label(self.monitor)} gain for {self.patience} epochs "
                f"(best {self.best_text()})"
            )

    def best_text(self) -> str:
        """``"0.1234 at epoch 3"``, or ``"none"``."""
        return "none" if self.best is None else f"{self.best:.4f} at epoch {self.best_epoch}"
