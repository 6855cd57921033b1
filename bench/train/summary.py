"""The lines ``python -m bench.train`` prints when a run ends, read from the run's record.

A single run gets a block: what was trained on what, epochs run, whether early stopping fired
and when, the best epoch (epochs count from 0, as in Lightning and the checkpoint names), the
validation value of the selection metric, the test values and the record's path. A job of a
multirun gets one line (the sweep prints its own summary at the end).

Example:
    >>> from bench.results import RunRecord
    >>> record = RunRecord(
    ...     run_id="r1", status="completed", started_at="2024-05-01T12:00:00.000+00:00",
    ...     ended_at="2024-05-01T12:00:09.000+00:00", model="bpr", dataset="ml-100k",
    ...     split="random_holdout", seed=0, fit_seconds=8.04,
    ...     config={"trainer": {"max_epochs": 20}, "early_stopping": {"patience": 3}},
    ...     metrics={"valid": {"ndcg@10": 0.25}, "test": {"ndcg@10": 0.24, "recall@10": 0.2}},
    ...     extra={"select": "ndcg@10", "epochs": 9, "best_epoch": 5})
    >>> print(run_summary(record, record_path="results/r1"))
    run r1: bpr on ml-100k, split random_holdout, seed 0
      training  9 epochs (max 20), early stopped: yes, after epoch 8; best epoch 5; fit 8.0 s
      valid     ndcg@10 0.2500 (selects the best epoch)
      test      ndcg@10 0.2400  recall@10 0.2000
      record    results/r1/record.json
    >>> print(job_line(record))
    run r1 (bpr, ml-100k, seed 0): valid ndcg@10 0.2500; test ndcg@10 0.2400  recall@10 0.2000
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bench.results import RunRecord
from bench.results.store import RECORD_FILE


def format_value(value: float | None) -> str:
    """A metric value as the console shows it (4 decimals; ``n/a`` when undefined)."""
    return "n/a" if value is None else f"{value:.4f}"


def format_metrics(values: Mapping[str, float | None]) -> str:
    """``"ndcg@10 0.3296  recall@10 0.2715"``."""
    return "  ".join(f"{name} {format_value(value)}" for name, value in values.items())


def config_order(values: Mapping[str, Any], config: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` in the order of the config's ``eval.metrics`` (keys may carry a protocol
    prefix such as ``sampled_``); others after them, as they come.

    Example:
        >>> config = {"eval": {"metrics": ["ndcg@10", "recall@10", "mrr@10"]}}
        >>> list(config_order({"mrr@10": 1, "x@5": 2, "ndcg@10": 3}, config))
        ['ndcg@10', 'mrr@10', 'x@5']
    """
    metrics = (config.get("eval") or {}).get("metrics") or []
    names = [str(m) for m in metrics] if isinstance(metrics, list | tuple) else []

    def position(key: str) -> int:
        found = [i for i, name in enumerate(names) if key == name or key.endswith(f"_{name}")]
        return found[0] if found else len(names)

    return {key: values[key] for key in sorted(values, key=position)}


def display_path(path: str | os.PathLike[str]) -> str:
    """``path`` relative to the working directory when it lies below it, else as given.

    Example:
        >>> display_path(Path.cwd() / "results" / "r1"), display_path("/elsewhere/r1")
        ('results/r1', '/elsewhere/r1')
    """
    path = Path(path)
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def select_key(record: RunRecord) -> str | None:
    """The validation metric that selected the best epoch (``extra.select``), if recorded."""
    key = record.extra.get("select")
    return key if isinstance(key, str) else None


def ordered_test_values(record: RunRecord) -> dict[str, float | None]:
    """The record's test values in the order of its ``eval.metrics``."""
    return config_order(record.metrics.get("test", {}), record.config)


def _valid_text(record: RunRecord) -> str:
    valid = record.metrics.get("valid", {})
    key = select_key(record)
    if key is None or key not in valid:
        return format_metrics(valid) or "n/a"
    return f"{key} {format_value(valid[key])}"


def early_stopped(record: RunRecord) -> bool | None:
    """Whether early stopping ended training: fewer epochs than ``trainer.max_epochs`` with
    early stopping on (``None`` when the record does not say)."""
    epochs = record.extra.get("epochs")
    if not isinstance(epochs, int):
        return None
    if record.config.get("early_stopping") is None:
        return False
    max_epochs = (record.config.get("trainer") or {}).get("max_epochs")
    if not isinstance(max_epochs, int) or max_epochs < 0:
        return None
    return epochs < max_epochs


def training_text(record: RunRecord, *, closed_form: bool = False) -> str:
    """``"9 epochs (max 20), early stopped: yes, after epoch 8; best epoch 5"``."""
    if closed_form:
        return "closed-form fit (one pass, no epochs to select)"
    epochs = record.extra.get("epochs")
    max_epochs = (record.config.get("trainer") or {}).get("max_epochs")
    text = f"{epochs if epochs is not None else '?'} epochs"
    if isinstance(max_epochs, int) and max_epochs >= 0:
        text += f" (max {max_epochs})"
    stopped = early_stopped(record)
    if stopped is None:
        text += ", early stopped: unknown"
    elif stopped:
        text += f", early stopped: yes, after epoch {epochs - 1}"
    else:
        text += ", early stopped: no"
    best = record.extra.get("best_epoch")
    return text + f"; best epoch {best if best is not None else 'n/a'}"


def run_summary(
    record: RunRecord,
    *,
    record_path: str | os.PathLike[str] | None = None,
    closed_form: bool = False,
    resumed_from: str | os.PathLike[str] | None = None,
) -> str:
    """The block a single run prints when it ends (see the module docstring)."""
    names = ", ".join(
        part
        for part in (
            f"{record.model or 'model'} on {record.dataset or 'data'}",
            f"split {record.split}" if record.split else "",
            f"seed {record.seed}" if record.seed is not None else "",
        )
        if part
    )
    training = training_text(record, closed_form=closed_form)
    if record.fit_seconds is not None:
        training += f"; fit {record.fit_seconds:.1f} s"
    lines = [f"run {record.run_id}: {names}", f"  training  {training}"]
    if resumed_from is not None:
        lines.append(f"  resumed   from {display_path(resumed_from)}")
    selects = "(selects the best epoch)" if not closed_form else ""
    lines.append(f"  valid     {_valid_text(record)} {selects}".rstrip())
    lines.append(f"  test      {format_metrics(ordered_test_values(record)) or 'n/a'}")
    if record_path is not None:
        lines.append(f"  record    {display_path(Path(record_path) / RECORD_FILE)}")
    return "\n".join(lines)


def job_line(record: RunRecord) -> str:
    """The one line a multirun job prints when it ends."""
    names = ", ".join(str(p) for p in (record.model, record.dataset) if p)
    if record.seed is not None:
        names += f", seed {record.seed}"
    test = format_metrics(ordered_test_values(record)) or "n/a"
    return f"run {record.run_id} ({names}): valid {_valid_text(record)}; test {test}"


def model_is_closed_form(model_cfg: Any) -> bool:
    """Whether the config's ``model._target_`` is a closed-form ranker (``False`` if unknown)."""
    from hydra.utils import get_class

    try:
        return bool(getattr(get_class(str(model_cfg["_target_"])), "closed_form", False))
    except Exception:
        return False
