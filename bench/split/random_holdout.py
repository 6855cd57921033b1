"""Random per-user holdout by ratio (RecBole's ``RO`` + ``split: {RS: [8, 1, 1]}`` protocol).

Each user's interactions are shuffled with the seed and cut by ``ratios`` (train, valid, test;
normalised by their sum). Rounding rule, RecBole's ``_calcu_split_ids`` exactly, for a user with
``n`` interactions and normalised ratios ``r = (r_train, r_valid, r_test)``:

1. ``n_valid = floor(r_valid * n)``, ``n_test = floor(r_test * n)`` (float64 products, as in
   RecBole; so e.g. ``0.29 * 100`` rounds down to 28), ``n_train = n - n_valid - n_test``;
2. then test first, valid second: if ``0 < r * n < 1`` for that part (it got 0) and ``n_train > 1``,
   move one interaction from train to that part.

So with 8:1:1 a user with 1 interaction is train-only, 2 gives train 1 / test 1, and 3..19 give
train n-2 / valid 1 / test 1. Every user keeps at least one training interaction. The shuffle is
a ``numpy.random.default_rng(seed).permutation`` of the rows, each user's rows taken in that
order: the same seed and data give the same split, different seeds give different splits.

Example:
    >>> import pandas as pd
    >>> from bench.data.interactions import Interactions
    >>> raw = pd.DataFrame({"user": [0] * 10 + [1] * 2, "item": list(range(12))})
    >>> split = RandomHoldout(ratios=(8, 1, 1))(Interactions.from_raw("toy", raw), seed=0)
    >>> split.sizes()
    {'train': 9, 'valid': 1, 'test': 2}
    >>> part_counts(3, (0.8, 0.1, 0.1))
    (1, 1, 1)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from bench.data.interactions import Interactions
from bench.split._arrays import rank_within_user
from bench.split._common import check_seed, finish_split
from bench.split.audit import AuditOptions
from bench.split.base import Split
from bench.split.errors import SplitError


def normalise_ratios(ratios: Any) -> tuple[float, float, float]:
    """Three positive train/valid/test weights (a list, or a ``"8:1:1"`` string) summing to 1."""
    if isinstance(ratios, str):
        parts: Sequence[Any] = ratios.split(":")
    elif hasattr(ratios, "__iter__"):  # list, tuple, array, OmegaConf ListConfig
        parts = list(ratios)
    else:
        raise SplitError(
            f"random_holdout: ratios={ratios!r} must be three numbers such as [0.8, 0.1, 0.1] "
            "(in YAML an unquoted 8:1:1 is read as a base-60 integer - write [8, 1, 1])"
        )
    try:
        values = [float(v) for v in parts]
    except (TypeError, ValueError) as err:
        raise SplitError(f"random_holdout: ratios={ratios!r} must be numbers") from err
    if len(values) != 3 or min(values) <= 0 or not all(np.isfinite(values)):
        raise SplitError(
            f"random_holdout: ratios={ratios!r} must be three positive numbers (train, valid, "
            "test), e.g. [0.8, 0.1, 0.1]"
        )
    total = sum(values)
    return (values[0] / total, values[1] / total, values[2] / total)


def part_counts(n: Any, ratios: Sequence[float]) -> tuple[Any, Any, Any]:
    """Train/valid/test counts for ``n`` interactions (scalar or array) by RecBole's rule."""
    n = np.asarray(n, dtype=np.int64)
    exact = [float(r) * n for r in ratios]  # float64, as RecBole's int(ratios[i] * tot)
    counts = [None, np.floor(exact[1]).astype(np.int64), np.floor(exact[2]).astype(np.int64)]
    counts[0] = n - counts[1] - counts[2]
    for part in (2, 1):  # RecBole walks ratios[-1], ratios[-2]: test first, then valid
        bump = (counts[0] > 1) & (exact[part] > 0) & (exact[part] < 1)
        counts[part] = counts[part] + bump
        counts[0] = counts[0] - bump
    if n.ndim == 0:
        return tuple(int(c) for c in counts)  # type: ignore[return-value]
    return tuple(counts)  # type: ignore[return-value]


def holdout_masks(
    user: np.ndarray, ratios: Sequence[float], seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Train / valid / test row masks: each user's rows shuffled with ``seed``, cut by
    :func:`part_counts` (``ratios`` normalised; a 0 ratio gives that part no row).

    Example:
        >>> import numpy as np
        >>> train, valid, test = holdout_masks(np.zeros(10, dtype=np.int64), (0.8, 0.2, 0.0), 0)
        >>> int(train.sum()), int(valid.sum()), int(test.sum())
        (8, 2, 0)
    """
    shuffle_key = np.random.default_rng(seed).permutation(len(user))
    rank, size = rank_within_user(user, shuffle_key)
    n_train, n_valid, _ = part_counts(size, ratios)
    train = rank < n_train
    valid = ~train & (rank < n_train + n_valid)
    return train, valid, ~train & ~valid


@dataclass(frozen=True)
class RandomHoldout:
    """Seeded random per-user holdout.

    Args:
        ratios: train/valid/test weights (any positive scale: ``[8, 1, 1]`` == ``[0.8, 0.1, 0.1]``).
    """

    ratios: Any = (0.8, 0.1, 0.1)

    name = "random_holdout"

    def __post_init__(self) -> None:
        object.__setattr__(self, "ratios", normalise_ratios(self.ratios))

    def __call__(self, data: Interactions, *, seed: int) -> Split:
        """Split ``data`` with ``numpy.random.default_rng(seed)``."""
        seed = check_seed(self.name, seed)
        user = data.frame["user"].to_numpy(np.int64)
        train, valid, test = holdout_masks(user, self.ratios, seed)
        hint = "every user has too few interactions for this part - use more data or larger ratios"
        return finish_split(
            self.name,
            data,
            {"train": train, "valid": valid, "test": test},
            seed=int(seed),
            params={"ratios": list(self.ratios), "rounding": "recbole"},
            empty_hints={"valid": hint, "test": hint},
            audit=AuditOptions(),
        )
