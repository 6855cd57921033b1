"""Helpers shared by the splitters: parameter checks, building the audited Split.

Time order (sort keys) lives in :mod:`bench.split.order`.

Example:
    >>> check_choice("demo", "too_few", "drop", ("error", "drop"))
    'drop'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from bench.data.interactions import Interactions
from bench.split.audit import AuditOptions, audit_split
from bench.split.base import Split
from bench.split.errors import EmptyPartError, SplitError


def check_seed(protocol: str, seed: Any) -> int:
    """The seed of a random split, or a one-line error when it is not an integer."""
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise SplitError(f"{protocol}: seed={seed!r} must be an integer (it is a random split)")
    return int(seed)


def check_choice(protocol: str, param: str, value: Any, choices: tuple[str, ...]) -> str:
    """Return ``value`` if it is one of ``choices``, else raise a one-line SplitError."""
    if value not in choices:
        raise SplitError(
            f"{protocol}: {param}={value!r} is not one of {list(choices)} - pick one of those"
        )
    return value


def finish_split(
    protocol: str,
    data: Interactions,
    parts: Mapping[str, pd.DataFrame | np.ndarray],
    *,
    seed: int | None,
    params: dict[str, Any],
    empty_hints: Mapping[str, str],
    audit: AuditOptions,
) -> Split:
    """Build the Split from row masks (or frames), refuse empty parts, attach the audit.

    ``parts`` maps part names (``train``, ``valid``, ``test`` and optionally ``valid_history``/
    ``test_history``) to boolean row masks over ``data.frame`` or to ready frames. Rows keep the
    original file order inside every part. Only ``split=predefined`` may split data that comes
    already split (a ``part`` column), and only its ``valid: none`` leaves valid empty.
    """
    if data.has_parts and protocol != "predefined":
        raise SplitError(
            f"{protocol} split of {data.name!r}: the dataset comes already split "
            "(dataset.parts), and this split would ignore that - use split=predefined"
        )
    frame = data.frame.drop(columns="part") if data.has_parts else data.frame
    in_order = frame["order"].is_monotonic_increasing
    built: dict[str, pd.DataFrame] = {}
    for name, part in parts.items():
        rows = frame[part] if isinstance(part, np.ndarray) else part
        if not (in_order and isinstance(part, np.ndarray)):
            rows = rows.sort_values("order", kind="stable")
        rows = rows.reset_index(drop=True)
        if len(rows) == 0 and not (name == "valid" and audit.no_validation):
            hint = empty_hints.get(name, "no interaction was assigned to it")
            raise EmptyPartError(protocol, data.name, name, hint)
        built[name] = rows
    split = Split(
        protocol,
        train=built["train"],
        valid=built["valid"],
        test=built["test"],
        n_users=data.n_users,
        n_items=data.n_items,
        seed=seed,
        params=params,
        valid_history=built.get("valid_history"),
        test_history=built.get("test_history"),
    )
    return replace(split, audit=audit_split(split, audit))
