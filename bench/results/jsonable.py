"""JSON normalisation and the stable config hash used by run records.

Example:
    >>> import numpy as np
    >>> to_jsonable({"a": np.float32(0.5), "b": (1, np.int64(2)), "c": float("inf")})
    {'a': 0.5, 'b': [1, 2], 'c': None}
    >>> canonical_json({"b": 1, "a": [1.5, None]})
    '{"a":[1.5,null],"b":1}'
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any


class RecordError(ValueError):
    """A run record (or a value meant for one) is invalid."""


def to_jsonable(value: Any, where: str = "value") -> Any:
    """Convert ``value`` to plain JSON types; non-finite floats become ``None``.

    Example:
        >>> import numpy as np
        >>> to_jsonable({"a": np.float32(0.5), "b": (1, np.int64(2)), "c": float("inf")})
        {'a': 0.5, 'b': [1, 2], 'c': None}
    """
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise RecordError(f"{where} has non-string key {key!r}: use string keys")
            out[key] = to_jsonable(item, f"{where}.{key}")
        return out
    if isinstance(value, list | tuple):
        return [to_jsonable(item, f"{where}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, PurePath):
        return str(value)
    if hasattr(value, "tolist") and callable(value.tolist):  # numpy scalars and arrays
        return to_jsonable(value.tolist(), where)
    raise RecordError(
        f"{where} = {value!r} ({type(value).__name__}) is not JSON-serialisable: "
        "convert it to a str, number, bool, list or dict"
    )


def canonical_json(value: Any) -> str:
    """Canonical JSON text: sorted keys, no whitespace, UTF-8 kept as is."""
    return json.dumps(to_jsonable(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


#: Top-level config keys that never change a run's result: where files go, loggers, labels.
VOLATILE_KEYS: tuple[str, ...] = ("paths", "logger", "callbacks", "resume", "tags", "hydra")


def result_config(config: Mapping[str, Any], *, with_seed: bool = True) -> dict[str, Any]:
    """The part of a resolved run config that changes its result.

    :data:`VOLATILE_KEYS` are dropped, and every string that lies under a ``paths`` entry (a
    timestamped output directory, say ``trainer.default_root_dir``) becomes ``<paths.key>``, so
    the same command gives the same config wherever and whenever it runs. ``with_seed=False``
    also drops every key named ``seed`` at any depth (a model's ``seed: ${seed}`` is the run's
    seed): the seeds of one configuration then share one value. A dataset's side-table
    declarations (:data:`SIDE_TABLES`, e.g. ``item_features``) are dropped when no metric of
    ``eval.metrics`` reads them, so declaring genres does not change the hash of an
    accuracy-only run.

    Example:
        >>> cfg = {"paths": {"output_dir": "/o/2024-01-01"}, "seed": 3,
        ...        "trainer": {"default_root_dir": "/o/2024-01-01", "max_epochs": 5}}
        >>> result_config(cfg)
        {'seed': 3, 'trainer': {'default_root_dir': '<paths.output_dir>', 'max_epochs': 5}}
        >>> result_config({**cfg, "model": {"seed": 3, "lr": 0.1}}, with_seed=False)["model"]
        {'lr': 0.1}
    """
    paths = config.get("paths") if isinstance(config.get("paths"), Mapping) else {}
    anchors = sorted(
        ((str(v).rstrip("/"), k) for k, v in paths.items() if isinstance(v, str) and len(v) > 1),
        key=lambda pair: -len(pair[0]),
    )

    def stable(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {k: stable(v) for k, v in value.items() if with_seed or k != "seed"}
        if isinstance(value, list | tuple):
            return [stable(v) for v in value]
        if isinstance(value, str):
            for anchor, key in anchors:
                if value == anchor or value.startswith(anchor + "/"):
                    return f"<paths.{key}>{value[len(anchor) :]}"
        return value

    dropped = set(VOLATILE_KEYS) | (set() if with_seed else {"seed"})
    kept = {k: stable(v) for k, v in to_jsonable(config).items() if k not in dropped}
    if isinstance(kept.get("dataset"), Mapping):
        kept["dataset"] = _without(kept["dataset"], _unread_tables(kept))
    return kept


#: Dataset config keys that declare side tables a run reads only when a metric needs them.
SIDE_TABLES: tuple[str, ...] = ("item_features", "user_features")


def _unread_tables(config: Mapping[str, Any]) -> set[str]:
    """The :data:`SIDE_TABLES` that no metric of ``eval.metrics`` reads: their declaration
    cannot change the run's result (the runner does not load them), so it is not hashed."""
    evaluation = config.get("eval")
    metrics = evaluation.get("metrics", ()) if isinstance(evaluation, Mapping) else ()
    if not isinstance(metrics, list | tuple):
        return set(SIDE_TABLES)
    from bench.metrics import parse_metric

    read: set[str] = set()
    for metric in metrics:
        try:
            read.update(parse_metric(str(metric)).spec.requires)
        except ValueError:
            return set()  # an unknown metric: keep everything (the run refuses it anyway)
    return set(SIDE_TABLES) - read


def _without(value: Any, keys: set[str]) -> Any:
    """``value`` with every mapping entry named in ``keys`` removed, at any depth."""
    if isinstance(value, Mapping):
        return {k: _without(v, keys) for k, v in value.items() if k not in keys}
    if isinstance(value, list):
        return [_without(v, keys) for v in value]
    return value


def result_hash(config: Mapping[str, Any], *, with_seed: bool = True) -> str:
    """sha256 of :func:`result_config`: equal for reruns of one command (and, with
    ``with_seed=False``, for every seed of one configuration).

    Example:
        >>> a = {"paths": {"output_dir": "/runs/1"}, "trainer": {"dir": "/runs/1"}, "seed": 0}
        >>> b = {"paths": {"output_dir": "/runs/2"}, "trainer": {"dir": "/runs/2"}, "seed": 0}
        >>> result_hash(a) == result_hash(b), result_hash(a) == result_hash({**b, "seed": 1})
        (True, False)
    """
    return config_hash(result_config(config, with_seed=with_seed))


def config_hash(config: Mapping[str, Any]) -> str:
    """sha256 hex digest of the config's canonical JSON (stable across key order).

    Example:
        >>> config_hash({"a": 1, "b": 2}) == config_hash({"b": 2, "a": 1})
        True
    """
    return hashlib.sha256(canonical_json(config).encode("utf-8")).hexdigest()
