"""Data that comes already split: ``dataset.parts: {train: path, valid: path | null, test: path}``.

Public benchmarks (LightGCN's Gowalla / Yelp2018 / Amazon-Book ``train.txt`` / ``test.txt``)
and offline logs often ship as separate files per part. Each part is read with the dataset's one
``parser`` (any format it reads, e.g. ``format: sequences`` for ``user item item ...`` lines),
then the parts are stacked in the order train, valid, test and turned into ONE Interactions:

- ids are mapped over the union, so the same raw id is the same index in every part;
- ``order`` runs on across the parts (train rows first, then valid, then test; inside a part
  the file's own order), so the canonical "original file order" still holds;
- a ``part`` column (0 train, 1 valid, 2 test, see :data:`PART_CODES`) says where each row came
  from; ``split=predefined`` (:mod:`bench.split.predefined`) assigns rows by it;
- the fingerprint covers every part (the ``part`` column included), so changing any file
  changes it; the cache key holds every part's checksum.

Preprocessing (duplicates, min_rating, k-core) runs on the union of the parts, as on one file.

Example:
    >>> import pandas as pd
    >>> train = pd.DataFrame({"user": ["u1", "u2"], "item": ["a", "b"], "order": [0, 1]})
    >>> test = pd.DataFrame({"user": ["u2"], "item": ["a"], "order": [0]})
    >>> stacked = stack_parts({"train": train, "test": test})
    >>> stacked[["user", "item", "order", "part"]].values.tolist()
    [['u1', 'a', 0, 0], ['u2', 'b', 1, 0], ['u2', 'a', 2, 2]]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from bench.data.errors import ConfigError, SchemaError

#: Part names in stacking order, and their code in the ``part`` column.
PART_CODES: dict[str, int] = {"train": 0, "valid": 1, "test": 2}
REQUIRED_PARTS = ("train", "test")


def part_paths(name: str, parts: Any) -> dict[str, str]:
    """The configured part files by part name (``valid`` may be absent), checked.

    Example:
        >>> part_paths("gowalla", {"train": "train.txt", "valid": None, "test": "test.txt"})
        {'train': 'train.txt', 'test': 'test.txt'}
    """
    if not isinstance(parts, Mapping):
        raise ConfigError(
            f"dataset {name!r}: parts={parts!r} must be a mapping such as "
            "{train: train.txt, valid: null, test: test.txt}"
        )
    unknown = [str(k) for k in parts if k not in PART_CODES]
    if unknown:
        raise ConfigError(
            f"dataset {name!r}: unknown part {unknown[0]!r} in dataset.parts; valid: "
            f"{', '.join(PART_CODES)}"
        )
    for part in REQUIRED_PARTS:
        if parts.get(part) in (None, ""):
            raise ConfigError(
                f"dataset {name!r}: dataset.parts.{part} is not set; give the {part} file, "
                f"e.g. dataset.parts.{part}={part}.txt"
            )
    return {p: str(parts[p]) for p in PART_CODES if parts.get(p) not in (None, "")}


def check_same_columns(name: str, raws: Mapping[str, pd.DataFrame]) -> None:
    """Refuse parts whose parsed columns differ (say timestamps in train but not in test)."""
    columns = {part: sorted(set(raw.columns) - {"order"}) for part, raw in raws.items()}
    first, *others = columns.items()
    for part, cols in others:
        if cols != first[1]:
            raise SchemaError(
                f"dataset {name!r}: the parts have different columns ({first[0]}: {first[1]}, "
                f"{part}: {cols}); give every part in the same format and column layout"
            )


def stack_parts(raws: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Stack parsed parts (raw canonical columns) train, valid, test with ``order`` and ``part``.

    Inside a part the rows keep their parser's ``order`` (file position when it has none);
    ``order`` then runs on from one part to the next.
    """
    frames, offset = [], 0
    for part, code in PART_CODES.items():
        if part not in raws:
            continue
        raw = raws[part].reset_index(drop=True)
        within = (
            raw["order"].to_numpy(np.int64)
            if "order" in raw.columns
            else np.arange(len(raw), dtype=np.int64)
        )
        rank = np.empty(len(raw), dtype=np.int64)
        rank[np.argsort(within, kind="stable")] = np.arange(len(raw))
        frames.append(raw.assign(order=offset + rank, part=np.int8(code)))
        offset += len(raw)
    return pd.concat(frames, ignore_index=True)
