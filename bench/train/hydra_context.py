"""What the runner reads from Hydra's runtime: sweep group, multirun mode, group choices.

Everything degrades gracefully outside a Hydra app (tests composing configs by hand).

Example:
    >>> sweep_group() is None, in_multirun(), task_overrides()
    (True, False, None)
    >>> choice_names({"dataset": {"name": "ml-1m"}, "model": {"_target_": "baselines.ease.EASE"}})
    {'dataset': 'ml-1m', 'model': 'EASE', 'split': None, 'eval': None}
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode


def _hydra() -> Any | None:
    return HydraConfig.get() if HydraConfig.initialized() else None


def in_multirun() -> bool:
    """True inside a Hydra multirun (``-m``) job."""
    hc = _hydra()
    return hc is not None and hc.mode == RunMode.MULTIRUN


def sweep_group() -> str | None:
    """The sweep's name (its directory's name) in a multirun, else ``None``."""
    hc = _hydra()
    if hc is None or hc.mode != RunMode.MULTIRUN:
        return None
    return Path(str(hc.sweep.dir)).name


def task_overrides() -> list[str] | None:
    """This job's own overrides (in a multirun: the sweep's values for this job)."""
    hc = _hydra()
    return None if hc is None else list(hc.overrides.task)


def choice_names(resolved: dict[str, Any]) -> dict[str, str | None]:
    """Short names of the dataset, model, split and eval protocol: Hydra's choices, else
    from the config."""
    hc = _hydra()
    choices = dict(hc.runtime.choices) if hc is not None else {}
    names: dict[str, str | None] = {}
    for group in ("dataset", "model", "split", "eval"):
        node = resolved.get(group) or {}
        if group == "dataset" and isinstance(node.get("name"), str):
            names[group] = node["name"]
        elif choices.get(group):
            names[group] = str(choices[group])
        elif isinstance(node.get("_target_"), str):
            names[group] = node["_target_"].rsplit(".", 1)[-1]
        else:
            names[group] = None
    return names
