"""A callback for the console tests (a module of its own, so CLI subprocesses import it)."""

from __future__ import annotations

import warnings

import pytorch_lightning as pl

REAL_WARNING = "a real warning from a test callback"


class WarnAtFitStart(pl.Callback):
    """Emit :data:`REAL_WARNING` when fitting starts (a warning the console must still show)."""

    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        warnings.warn(REAL_WARNING, UserWarning, stacklevel=1)
