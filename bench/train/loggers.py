"""Experiment loggers for a run: built from ``conf/logger``, failure-proof, always closed.

``conf/logger/<name>.yaml`` maps logger names to ``_target_`` configs (Lightning loggers). Keys
set to ``null`` in a logger's config that the runner knows (``group``, ``tags``, ``name``) are
filled in: the group is the Hydra sweep, tags name the dataset, model and split.

A logger that cannot start (no network, bad credentials) is dropped with a warning, so the run
and its local record go on; :func:`close_loggers` finishes every W&B run (``wandb.finish``)
even when the run failed, and never raises.

Example:
    >>> loggers = build_loggers({}, defaults={"group": None})
    >>> loggers
    []
    >>> close_loggers(loggers, failed=False)
"""

from __future__ import annotations

import tempfile
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf
from pytorch_lightning.loggers import Logger, WandbLogger
from pytorch_lightning.utilities import rank_zero_only

from bench.train.errors import one_line_error


def build_loggers(
    cfg: Mapping[str, Any] | DictConfig | None,
    *,
    defaults: Mapping[str, Any],
    config: Mapping[str, Any] | None = None,
) -> list[Logger]:
    """Instantiate each configured logger; start it (rank 0) and log ``config`` to it.

    Args:
        cfg: ``{name: {_target_: ..., ...}}`` (the ``logger`` config group).
        defaults: values for keys that a logger's config sets to ``null``.
        config: the resolved run config, logged as hyperparameters.
    """
    loggers: list[Logger] = []
    for name, node in (cfg or {}).items():
        if node is None:
            continue
        if isinstance(node, DictConfig):
            node = OmegaConf.to_container(node, resolve=True)
        fill = {k: v for k, v in defaults.items() if k in node and node[k] is None}
        try:
            logger = instantiate(node, **fill)
            if rank_zero_only.rank == 0:
                _ = logger.experiment  # start it now, so a failure shows here
                if config is not None:
                    logger.log_hyperparams(dict(config))
        except Exception as err:
            warnings.warn(
                f"logger {name!r} disabled, the run goes on without it: {one_line_error(err)}",
                stacklevel=2,
            )
            _finish_wandb(locals().get("logger"), failed=True)
            continue
        loggers.append(logger)
    return loggers


def publish_results(
    loggers: list[Logger],
    metrics: Mapping[str, Mapping[str, float | None]],
    per_user: Mapping[str, pd.DataFrame],
    *,
    run_id: str,
    extra: Mapping[str, Any] | None = None,
) -> None:
    """Write the final metrics to each W&B run's summary and the per-user tables as an artifact.

    Summary keys are ``<split>/<metric>`` with exactly the values of the run record. Errors
    are reported as warnings: the local record is the source of truth.
    """
    if rank_zero_only.rank != 0:
        return
    summary = {f"{split}/{k}": v for split, values in metrics.items() for k, v in values.items()}
    summary.update(extra or {})
    for logger in loggers:
        if not isinstance(logger, WandbLogger):
            continue
        try:
            run = logger.experiment
            run.summary.update(summary)
            _log_per_user(run, per_user, run_id)
        except Exception as err:
            warnings.warn(f"W&B summary not written: {one_line_error(err)}", stacklevel=2)


def _log_per_user(run: Any, per_user: Mapping[str, pd.DataFrame], run_id: str) -> None:
    import wandb

    if not per_user:
        return
    artifact = wandb.Artifact(f"per-user-{run_id}", type="per_user_metrics")
    with tempfile.TemporaryDirectory() as tmp:
        for split, frame in per_user.items():
            path = Path(tmp) / f"per_user_{split}.parquet"
            frame.to_parquet(path, index=False)
            artifact.add_file(str(path), name=path.name)
            artifact.add(wandb.Table(dataframe=frame), f"per_user_{split}")
        run.log_artifact(artifact)  # add_file copied the files: the directory may go


def _finish_wandb(logger: Any, *, failed: bool) -> None:
    if not isinstance(logger, WandbLogger) or rank_zero_only.rank != 0:
        return
    experiment = getattr(logger, "_experiment", None)
    if experiment is not None:
        try:
            experiment.finish(exit_code=1 if failed else 0)
        except Exception as err:
            warnings.warn(f"W&B run did not finish cleanly: {one_line_error(err)}", stacklevel=2)


def close_loggers(loggers: list[Logger], *, failed: bool) -> None:
    """Finalize every logger and finish every W&B run; never raises."""
    for logger in loggers:
        try:
            logger.finalize("failed" if failed else "success")
        except Exception as err:
            warnings.warn(f"logger did not finalize: {one_line_error(err)}", stacklevel=2)
        _finish_wandb(logger, failed=failed)
