"""The canonical interactions table every dataset is turned into.

Columns (in this order; optional ones may be absent):

========== ======= ==========================================================
column     dtype   meaning
========== ======= ==========================================================
user       int32   dense user index, numbered by first appearance in file order
item       int32   dense item index, numbered by first appearance in file order
rating     float32 explicit rating (optional)
timestamp  int64   seconds since the epoch (optional)
order      int64   the row's position in the original file (always present)
part       int8    given split part, 0 train / 1 valid / 2 test (optional: only for data that
                   comes already split, ``dataset.parts``; see :mod:`bench.data.parts`)
========== ======= ==========================================================

Rows are kept in original file order. Because indices are assigned by first appearance, two
sources that carry the same rows in the same order (say the GroupLens zip and a PyPI wheel that
writes ids differently) yield the same table and therefore the same fingerprint.

Example:
    >>> import pandas as pd
    >>> raw = pd.DataFrame({"user": ["u9", "u3", "u9"], "item": ["b", "a", "a"]})
    >>> data = Interactions.from_raw("toy", raw)
    >>> data.table.to_pandas()[["user", "item", "order"]].values.tolist()
    [[0, 0, 0], [1, 1, 1], [0, 1, 2]]
    >>> data.user_vocab, data.n_items
    (('u9', 'u3'), 2)
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property

import datasets
import numpy as np
import pandas as pd

REQUIRED_COLUMNS = ("user", "item")
OPTIONAL_COLUMNS = ("rating", "timestamp", "part")
COLUMN_DTYPES = {
    "user": np.int32,
    "item": np.int32,
    "rating": np.float32,
    "timestamp": np.int64,
    "order": np.int64,
    "part": np.int8,
}


def _first_appearance_codes(values: pd.Series) -> tuple[np.ndarray, tuple[str, ...]]:
    """Dense codes numbered by first appearance, plus the vocabulary (code -> raw id as str)."""
    codes, uniques = pd.factorize(values, sort=False)
    return codes.astype(np.int32), tuple(str(u) for u in uniques)


def fingerprint_frame(frame: pd.DataFrame, columns: tuple[str, ...] | None = None) -> str:
    """sha256 (hex, 16 chars) of the given columns' values in row order, dtype-normalised.

    Example:
        >>> f = pd.DataFrame({"user": [0, 1], "item": [1, 0]})
        >>> fingerprint_frame(f) == fingerprint_frame(f.copy())
        True
    """
    digest = hashlib.sha256()
    cols = columns or tuple(c for c in COLUMN_DTYPES if c in frame.columns and c != "order")
    digest.update(repr((cols, len(frame))).encode())
    for col in cols:
        values = np.ascontiguousarray(frame[col].to_numpy(dtype=COLUMN_DTYPES.get(col)))
        digest.update(col.encode())
        digest.update(values.astype(values.dtype.newbyteorder("<"), copy=False).tobytes())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class Interactions:
    """A dataset's interactions in canonical form, stored as an Arrow-backed ``datasets.Dataset``.

    Attributes:
        name: dataset name (e.g. ``"ml-1m"``).
        table: canonical columns (see module docstring), rows in original file order.
        user_vocab: raw user id of each user index.
        item_vocab: raw item id of each item index.
        meta: free-form provenance (source used, preprocessing applied, ...).
    """

    name: str
    table: datasets.Dataset
    user_vocab: tuple[str, ...]
    item_vocab: tuple[str, ...]
    meta: dict = field(default_factory=dict, compare=False)

    @classmethod
    def from_raw(cls, name: str, raw: pd.DataFrame, meta: dict | None = None) -> Interactions:
        """Build from a frame with raw ``user``/``item`` ids (any hashable) in file order.

        Optional ``rating``/``timestamp`` columns are kept; an ``order`` column is created from
        the row position unless present. Ids are renumbered by first appearance.
        """
        missing = [c for c in REQUIRED_COLUMNS if c not in raw.columns]
        if missing:
            raise ValueError(
                f"dataset {name!r}: missing column(s) {missing}; have {list(raw.columns)} "
                "- map the file's columns to 'user' and 'item' in the dataset config"
            )
        if len(raw) == 0:
            raise ValueError(f"dataset {name!r}: the file holds no interactions")
        frame = pd.DataFrame(index=pd.RangeIndex(len(raw)))
        frame["user"], user_vocab = _first_appearance_codes(raw["user"].reset_index(drop=True))
        frame["item"], item_vocab = _first_appearance_codes(raw["item"].reset_index(drop=True))
        for col in OPTIONAL_COLUMNS:
            if col in raw.columns:
                frame[col] = raw[col].to_numpy(dtype=COLUMN_DTYPES[col])
        frame["order"] = (
            raw["order"].to_numpy(dtype=np.int64)
            if "order" in raw.columns
            else np.arange(len(raw), dtype=np.int64)
        )
        return cls(name, _to_dataset(frame), user_vocab, item_vocab, dict(meta or {}))

    def with_rows(self, frame: pd.DataFrame, meta_update: dict | None = None) -> Interactions:
        """A new Interactions holding ``frame`` (a subset of this table's rows, canonical columns),
        with users and items renumbered densely by first appearance and vocabularies carried over.
        """
        if len(frame) == 0:
            raise ValueError(f"dataset {self.name!r}: no interactions left")
        frame = frame.sort_values("order", kind="stable").reset_index(drop=True)
        user_codes, user_old = pd.factorize(frame["user"], sort=False)
        item_codes, item_old = pd.factorize(frame["item"], sort=False)
        out = frame.copy()
        out["user"] = user_codes.astype(np.int32)
        out["item"] = item_codes.astype(np.int32)
        user_vocab = tuple(self.user_vocab[i] for i in user_old)
        item_vocab = tuple(self.item_vocab[i] for i in item_old)
        meta = {**self.meta, **(meta_update or {})}
        return Interactions(self.name, _to_dataset(out), user_vocab, item_vocab, meta)

    @cached_property
    def frame(self) -> pd.DataFrame:
        """The table as a pandas DataFrame (cached; treat as read-only)."""
        return self.table.to_pandas()

    @property
    def n_users(self) -> int:
        return len(self.user_vocab)

    @property
    def n_items(self) -> int:
        return len(self.item_vocab)

    @property
    def n_interactions(self) -> int:
        return self.table.num_rows

    @property
    def density(self) -> float:
        return self.n_interactions / (self.n_users * self.n_items)

    @property
    def has_rating(self) -> bool:
        return "rating" in self.table.column_names

    @property
    def has_timestamp(self) -> bool:
        return "timestamp" in self.table.column_names

    @property
    def has_parts(self) -> bool:
        """Whether the data came already split (a ``part`` column from ``dataset.parts``)."""
        return "part" in self.table.column_names

    @cached_property
    def fingerprint(self) -> str:
        """Source-independent content hash of the canonical table (ids, ratings, timestamps)."""
        return fingerprint_frame(self.frame)


def _to_dataset(frame: pd.DataFrame) -> datasets.Dataset:
    ordered = [c for c in COLUMN_DTYPES if c in frame.columns]
    typed = pd.DataFrame({c: frame[c].to_numpy(dtype=COLUMN_DTYPES[c]) for c in ordered})
    return datasets.Dataset.from_pandas(typed, preserve_index=False)
