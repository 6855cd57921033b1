"""Predefined split: the parts the data came in (``dataset.parts``, see :mod:`bench.data.parts`).

Rows of the train file are train and rows of the test file are test. Validation comes from
``valid``:

- ``file`` (default): the valid file (``dataset.parts.valid``);
- ``none``: no validation at all (the valid part is empty; early stopping must be off, which the
  run checks at start-up, and validation metrics are not computed);
- ``random_holdout``: carved from each user's train rows, ``floor(valid_ratio * n)`` of them at
  random (RecBole's rounding: :func:`bench.split.random_holdout.holdout_masks`);
- ``leave_last_out``: each user's latest train row (timestamp, then file order:
  :func:`bench.split.leave_last_out.position_from_end`), for users with more than ``min_train``
  train rows (the others stay train-only, counted in ``audit.policy_counts``).

The split is audited like every split (:mod:`bench.split.audit`): a validation file that repeats
the test file, or test items already in the user's train rows, are leaks and stop the run unless
``allow_leakage=true``; test users with no train row are reported as cold users.

Example:
    >>> import pandas as pd
    >>> from bench.data.interactions import Interactions
    >>> raw = pd.DataFrame({"user": [1, 1, 2, 1, 2], "item": [5, 6, 5, 7, 6],
    ...                     "part": [0, 0, 0, 2, 2]})
    >>> split = Predefined(valid="none")(Interactions.from_raw("toy", raw))
    >>> split.sizes(), split.audit.clean
    ({'train': 3, 'valid': 0, 'test': 2}, True)
    >>> Predefined(valid="leave_last_out")(Interactions.from_raw("toy", raw)).sizes()
    {'train': 2, 'valid': 1, 'test': 2}
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from bench.data.interactions import Interactions
from bench.data.parts import PART_CODES
from bench.split._arrays import distinct
from bench.split._common import check_choice, check_seed, finish_split
from bench.split.audit import AuditOptions
from bench.split.base import Split
from bench.split.errors import SplitError
from bench.split.leave_last_out import position_from_end
from bench.split.random_holdout import holdout_masks

VALID_SOURCES = ("file", "none", "random_holdout", "leave_last_out")


@dataclass(frozen=True)
class Predefined:
    """Splitter for data given as train / valid / test files (deterministic unless
    ``valid=random_holdout``, which uses the run seed).

    Args:
        valid: where validation comes from: ``file``, ``none``, ``random_holdout`` or
            ``leave_last_out`` (see the module docstring).
        valid_ratio: ``random_holdout``: share in (0, 1) of each user's train rows.
        min_train: ``leave_last_out``: train rows a user keeps (users with at most this many
            train rows give no validation row).
    """

    valid: str = "file"
    valid_ratio: float = 0.1
    min_train: int = 1

    name = "predefined"

    def __post_init__(self) -> None:
        check_choice(self.name, "valid", self.valid, VALID_SOURCES)
        ratio = self.valid_ratio
        if isinstance(ratio, bool) or not isinstance(ratio, int | float) or not 0 < ratio < 1:
            raise SplitError(f"{self.name}: valid_ratio={ratio!r} must be a number in (0, 1)")
        if isinstance(self.min_train, bool) or not isinstance(self.min_train, int):
            raise SplitError(f"{self.name}: min_train={self.min_train!r} must be an integer >= 1")
        if self.min_train < 1:
            raise SplitError(f"{self.name}: min_train={self.min_train} must be >= 1")

    @property
    def has_validation(self) -> bool:
        """False for ``valid=none``: the run has no validation data (no early stopping)."""
        return self.valid != "none"

    def __call__(self, data: Interactions, *, seed: int | None = None) -> Split:
        """Split ``data`` by its ``part`` column; ``seed`` drives ``valid=random_holdout``."""
        if not data.has_parts:
            raise SplitError(
                f"{self.name} split of {data.name!r}: the dataset is one file, not given as "
                "parts - use dataset=presplit dataset.parts.train=<file> "
                "dataset.parts.test=<file>, or another split"
            )
        frame = data.frame
        part = frame["part"].to_numpy()
        train = part == PART_CODES["train"]
        valid = part == PART_CODES["valid"]
        test = part == PART_CODES["test"]
        counts: dict[str, int] = {}
        if self.valid == "file" and not valid.any():
            raise SplitError(
                f"{self.name} split of {data.name!r}: split.valid=file but the dataset has no "
                "valid part - set dataset.parts.valid=<file>, or split.valid=random_holdout | "
                "leave_last_out (carved from train) | none"
            )
        if self.valid != "file" and valid.any():
            raise SplitError(
                f"{self.name} split of {data.name!r}: the dataset has a valid part but "
                f"split.valid={self.valid} - set split.valid=file, or dataset.parts.valid=null"
            )
        rows = np.flatnonzero(train)
        carved = np.zeros(len(rows), dtype=bool)
        if self.valid == "random_holdout":
            seed = check_seed(self.name, seed)
            user = frame["user"].to_numpy(np.int64)[rows]
            _, carved, _ = holdout_masks(user, (1 - self.valid_ratio, self.valid_ratio, 0.0), seed)
        elif self.valid == "leave_last_out":
            from_end, size = position_from_end(frame.iloc[rows])
            short = size <= self.min_train
            carved = (from_end == 0) & ~short
            user = frame["user"].to_numpy(np.int64)[rows]
            counts = {
                "users_train_only": len(distinct(user[short])),
                "rows_train_only": int(short.sum()),
            }
        valid[rows[carved]] = True
        train[rows[carved]] = False
        params = asdict(self)
        params["has_timestamp"] = data.has_timestamp
        return finish_split(
            self.name,
            data,
            {"train": train, "valid": valid, "test": test},
            seed=seed if self.valid == "random_holdout" else None,
            params=params,
            empty_hints={
                "train": "the train part has no rows left (after preprocessing?)",
                "valid": f"no user has enough train rows to carve one (valid={self.valid})",
                "test": "the test part has no rows left (after preprocessing?)",
            },
            audit=AuditOptions(policy_counts=counts, no_validation=not self.has_validation),
        )
