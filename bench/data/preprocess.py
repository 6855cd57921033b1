"""Preprocessing from config: implicit-feedback threshold, duplicates, minimum counts, k-core.

Steps run in this order, each on the output of the previous one:

1. ``duplicates``: what to do with repeated (user, item) pairs: ``keep_all``, ``keep_first``,
   ``keep_last`` (earliest / latest by timestamp, ties and timestamp-free files by file order)
   or ``error``. This runs first, as in RecBole, so that a user's latest rating decides: with
   ``keep_last`` a pair rated 5 and later 1 is dropped by ``min_rating: 3``, not kept as a 5.
2. ``min_rating``: keep rows with ``rating >= min_rating`` (implicit feedback).
3. ``item_min`` / ``user_min``: drop items, then users, with fewer interactions than that.
   With ``iterative: true`` both filters repeat until nothing changes (the k-core).

The parameters are a structured config, so a misspelt key fails with a clear message.

Example:
    >>> cfg = preprocess_config({"name": "core2", "user_min": 2, "iterative": True})
    >>> cfg.user_min, cfg.duplicates.value
    (2, 'keep_all')
    >>> preprocess_config({"user_mn": 2})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bench.data.errors.ConfigError: preprocess: unknown key 'user_mn'; valid keys: name, ...
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from enum import Enum
from typing import Any

import pandas as pd
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from bench.data.errors import ConfigError, EmptyDataError, SchemaError, one_line
from bench.data.interactions import Interactions
from bench.split.order import chronological


class Duplicates(Enum):
    """Policy for repeated (user, item) pairs."""

    keep_all = "keep_all"
    keep_first = "keep_first"
    keep_last = "keep_last"
    error = "error"


@dataclass(frozen=True)
class PreprocessConfig:
    """Parameters of :func:`apply` (``conf/preprocess/<name>.yaml``)."""

    name: str = "none"
    description: str = ""
    min_rating: float | None = None
    duplicates: Duplicates = Duplicates.keep_all
    user_min: int = 0
    item_min: int = 0
    iterative: bool = False

    def key(self) -> dict[str, Any]:
        """What changes the result (used in cache keys): everything but name and description."""
        out = asdict(self)
        out.pop("name"), out.pop("description")
        out["duplicates"] = self.duplicates.value
        return out


def preprocess_config(cfg: Mapping | DictConfig | PreprocessConfig | None) -> PreprocessConfig:
    """Validate a mapping against :class:`PreprocessConfig` (``None``: no preprocessing)."""
    if isinstance(cfg, PreprocessConfig):
        return cfg
    if cfg is None:
        return PreprocessConfig()
    if not isinstance(cfg, Mapping | DictConfig):
        raise ConfigError(f"preprocess config must be a mapping, got {type(cfg).__name__}")
    raw = OmegaConf.to_container(cfg, resolve=True) if isinstance(cfg, DictConfig) else dict(cfg)
    valid = [f.name for f in fields(PreprocessConfig)]
    unknown = [k for k in raw if k not in valid]
    if unknown:
        raise ConfigError(f"preprocess: unknown key {unknown[0]!r}; valid keys: {', '.join(valid)}")
    try:
        merged = OmegaConf.merge(OmegaConf.structured(PreprocessConfig), raw)
        out = OmegaConf.to_object(merged)
    except OmegaConfBaseException as err:
        raise ConfigError(one_line(f"preprocess: {err}")) from err
    if out.user_min < 0 or out.item_min < 0:
        raise ConfigError(f"preprocess {out.name!r}: user_min / item_min must be >= 0")
    return out


def _min_count(frame: pd.DataFrame, column: str, minimum: int) -> pd.DataFrame:
    if minimum <= 1:
        return frame
    counts = frame[column].map(frame[column].value_counts())
    return frame[counts.to_numpy() >= minimum]


def _dedup(frame: pd.DataFrame, policy: Duplicates) -> pd.DataFrame:
    if policy is Duplicates.keep_all:
        return frame
    repeated = frame.duplicated(["user", "item"], keep=False)
    if policy is Duplicates.error:
        if repeated.any():
            row = frame[repeated].iloc[0]
            raise SchemaError(
                f"{int(repeated.sum()):,} rows repeat a (user, item) pair, e.g. user index "
                f"{row['user']}, item index {row['item']}; choose duplicates: keep_first / "
                "keep_last / keep_all"
            )
        return frame
    keep = "first" if policy is Duplicates.keep_first else "last"
    if "timestamp" not in frame.columns:  # frame is in file order
        return frame[~frame.duplicated(["user", "item"], keep=keep)]
    in_time = frame.iloc[chronological(frame)]
    dropped = in_time.duplicated(["user", "item"], keep=keep)
    return frame[~dropped.reindex(frame.index).to_numpy()]


def apply(data: Interactions, cfg: PreprocessConfig) -> Interactions:
    """Run the configured steps on ``data``; raise EmptyDataError when nothing is left."""
    frame = data.frame.sort_values("order", kind="stable")
    steps: list[tuple[str, int]] = [("parsed", len(frame))]

    def left(step: str, current: pd.DataFrame) -> pd.DataFrame:
        steps.append((step, len(current)))
        if len(current) == 0:
            raise EmptyDataError(
                f"dataset {data.name!r}: preprocess {cfg.name!r} leaves no interactions after "
                f"{step} ({', '.join(f'{s}: {n:,}' for s, n in steps[:-1])}); loosen it"
            )
        return current

    frame = left(f"duplicates={cfg.duplicates.value}", _dedup(frame, cfg.duplicates))
    if cfg.min_rating is not None:
        if not data.has_rating:
            raise ConfigError(
                f"preprocess {cfg.name!r} sets min_rating but dataset {data.name!r} has no "
                "ratings; use a preprocess without min_rating"
            )
        frame = left(f"min_rating={cfg.min_rating}", frame[frame["rating"] >= cfg.min_rating])
    while True:
        size = len(frame)
        frame = left(f"item_min={cfg.item_min}", _min_count(frame, "item", cfg.item_min))
        frame = left(f"user_min={cfg.user_min}", _min_count(frame, "user", cfg.user_min))
        if not cfg.iterative or len(frame) == size:
            break
    if len(frame) == data.n_interactions:
        return data
    return data.with_rows(frame.reset_index(drop=True), {"preprocess_steps": steps})


__all__ = ["Duplicates", "PreprocessConfig", "apply", "preprocess_config"]
