"""Leave-last-out per user: the latest interaction is test, the second latest validation.

"Latest" means the largest ``timestamp``, ties broken by the original file order (``order``);
datasets without timestamps use ``order`` alone. Every user needs ``min_train + 2``
interactions; ``too_few`` says what happens to users with fewer:

- ``error`` (default): refuse, naming how many users are short (k-core the data first);
- ``drop``: remove those users from every part (counted in ``audit.policy_counts``);
- ``train_only``: keep all their interactions in train (they are not evaluated).

Example:
    >>> import pandas as pd
    >>> from bench.data.interactions import Interactions
    >>> raw = pd.DataFrame({"user": [1, 1, 1, 1], "item": [1, 2, 3, 4], "timestamp": [5, 9, 9, 1]})
    >>> split = LeaveLastOut()(Interactions.from_raw("toy", raw))
    >>> split.test["item"].tolist(), split.valid["item"].tolist(), split.train["item"].tolist()
    ([2], [1], [0, 3])
    >>> split.audit.clean
    True
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from bench.data.interactions import Interactions
from bench.split._arrays import distinct, rank_within_user
from bench.split._common import check_choice, finish_split
from bench.split.audit import AuditOptions
from bench.split.base import Split
from bench.split.errors import SplitError
from bench.split.order import time_keys

POLICIES = ("error", "drop", "train_only")


def position_from_end(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Each row's position from its user's latest row (0: the latest, by timestamp then file
    order) and its user's row count, aligned with ``frame``'s rows.

    Example:
        >>> import pandas as pd
        >>> frame = pd.DataFrame({"user": [0, 0, 1], "timestamp": [9, 5, 1], "order": [0, 1, 2]})
        >>> [a.tolist() for a in position_from_end(frame)]
        [[0, 1, 0], [2, 2, 1]]
    """
    rank, size = rank_within_user(frame["user"].to_numpy(np.int64), *time_keys(frame))
    return size - 1 - rank, size


@dataclass(frozen=True)
class LeaveLastOut:
    """Per-user leave-last-out splitter (deterministic: the seed is ignored).

    Args:
        min_train: training interactions every evaluated user must keep (>= 0; 0 allows
            users evaluated with no training data, reported as cold users in the audit).
        too_few: policy for users with fewer than ``min_train + 2`` interactions:
            ``error``, ``drop`` or ``train_only``.
    """

    min_train: int = 1
    too_few: str = "error"

    name = "leave_last_out"

    def __post_init__(self) -> None:
        if isinstance(self.min_train, bool) or not isinstance(self.min_train, int):
            raise SplitError(f"{self.name}: min_train={self.min_train!r} must be an integer >= 0")
        if self.min_train < 0:
            raise SplitError(f"{self.name}: min_train={self.min_train} must be >= 0")
        check_choice(self.name, "too_few", self.too_few, POLICIES)

    def __call__(self, data: Interactions, *, seed: int | None = None) -> Split:
        """Split ``data``; ``seed`` is accepted for the Splitter protocol and not used."""
        frame = data.frame
        user = frame["user"].to_numpy(np.int64)
        from_end, size = position_from_end(frame)
        need = self.min_train + 2
        short = size < need
        n_short = len(distinct(user[short]))
        if n_short and self.too_few == "error":
            raise SplitError(
                f"{self.name} on {data.name!r}: {n_short} of {data.n_users} users have fewer "
                f"than {need} interactions (min_train={self.min_train} + 1 valid + 1 test) and "
                "would be left without enough training data - k-core the dataset (user core >= "
                f"{need}) in preprocessing, or set split.too_few=drop or split.too_few=train_only"
            )
        keep = ~short if self.too_few == "drop" else np.ones(len(frame), dtype=bool)
        evaluated = keep & ~short
        test = evaluated & (from_end == 0)
        valid = evaluated & (from_end == 1)
        counts = {f"users_{self.too_few}": n_short, f"rows_{self.too_few}": int(short.sum())}
        return finish_split(
            self.name,
            data,
            {"train": keep & ~test & ~valid, "valid": valid, "test": test},
            seed=None,
            params={
                **asdict(self),
                "time_key": "timestamp, order" if data.has_timestamp else "order",
            },
            empty_hints={
                "train": f"no user has more than 2 interactions left (too_few={self.too_few})",
                "valid": f"every user was dropped or kept train-only (too_few={self.too_few})",
                "test": f"every user was dropped or kept train-only (too_few={self.too_few})",
            },
            audit=AuditOptions(per_user_order=True, policy_counts=counts if n_short else {}),
        )
