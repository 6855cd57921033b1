"""Checking and aligning paired per-user values (the input of every test in :mod:`bench.stats`).

A paired comparison needs one value per user for the candidate (``a``) and one for the baseline
(``b``), for the same users. Pass either two numpy arrays (aligned by position) or two pandas
Series indexed by user id (aligned on the index, in ``a``'s order). Anything that could give a
silently wrong number (different user sets, NaNs, a length mismatch, fewer than two users) raises
:class:`PairedDataError` with a message that names the problem and the fix.

Example:
    >>> import pandas as pd
    >>> a = pd.Series([0.5, 0.25], index=[7, 3])
    >>> b = pd.Series([0.0, 0.5], index=[3, 7])
    >>> x, y = paired_values(a, b)
    >>> (x - y).tolist()
    [0.0, 0.25]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

_SHOW = 5  # how many offending user ids an error message lists


class PairedDataError(ValueError):
    """Per-user values that cannot be compared as pairs (message says why and how to fix)."""


def _examples(values: Any) -> str:
    shown = ", ".join(repr(v) for v in list(values)[:_SHOW])
    return f"[{shown}{', ...' if len(values) > _SHOW else ''}]"


def _to_float(values: Any, name: str) -> np.ndarray:
    if isinstance(values, pd.DataFrame):
        raise PairedDataError(
            f"{name} is a DataFrame with columns {list(values.columns)[:_SHOW]}; pass one metric "
            "column (a Series), or use bench.stats.compare for whole frames"
        )
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise PairedDataError(f"{name} holds non-numeric values ({err}); pass numbers") from None
    if arr.ndim != 1:
        raise PairedDataError(
            f"{name} has shape {arr.shape}; pass a 1-D array or Series of one value per user"
        )
    return arr


def _align_series(a: pd.Series, b: pd.Series, names: tuple[str, str]) -> tuple[Any, Any]:
    for s, name in ((a, names[0]), (b, names[1])):
        dup = s.index[s.index.duplicated()]
        if len(dup):
            raise PairedDataError(
                f"{name} lists {len(dup)} user(s) more than once, e.g. {_examples(dup.unique())}; "
                "pass one value per user"
            )
    if a.index.equals(b.index):
        return a, b
    only_a = a.index.difference(b.index, sort=False)
    only_b = b.index.difference(a.index, sort=False)
    if len(only_a) or len(only_b):
        raise PairedDataError(
            f"{names[0]} and {names[1]} cover different users: {len(only_a)} only in {names[0]} "
            f"{_examples(only_a)}, {len(only_b)} only in {names[1]} {_examples(only_b)}; evaluate "
            "both on the same users (reindex, and fill a missing user with 0 only if the metric "
            "really is 0 for them)"
        )
    return a, b.reindex(a.index)


def _check_finite(arr: np.ndarray, name: str, index: Any) -> None:
    bad = ~np.isfinite(arr)
    if bad.any():
        where = np.flatnonzero(bad)
        users = _examples(index[where] if index is not None else where)
        kind = "NaN" if np.isnan(arr[where]).all() else "NaN or infinite"
        raise PairedDataError(
            f"{name} holds {where.size} {kind} value(s), at user(s) {users}; drop those users "
            "from both sides or fill them with the metric's value before testing"
        )


def paired_values(
    a: Any, b: Any, *, names: tuple[str, str] = ("a", "b")
) -> tuple[np.ndarray, np.ndarray]:
    """Validate and align candidate and baseline values; return two float64 arrays.

    Args:
        a: Candidate's per-user values (numpy array / sequence, or Series indexed by user id).
        b: Baseline's per-user values, same kind as ``a``.
        names: How ``a`` and ``b`` are called in error messages.

    Returns:
        ``(a, b)`` as 1-D float64 arrays of equal length, element ``i`` of both for one user.

    Raises:
        PairedDataError: Series with different user sets or duplicate ids, a Series mixed with
            an array, a length mismatch, fewer than 2 users, NaN or infinite values.

    Example:
        >>> paired_values([1, 2], [3, 4])[1].tolist()
        [3.0, 4.0]
    """
    index = None
    if isinstance(a, pd.Series) and isinstance(b, pd.Series):
        a, b = _align_series(a, b, names)
        index = a.index
    elif isinstance(a, pd.Series) or isinstance(b, pd.Series):
        series, other = (names[0], names[1]) if isinstance(a, pd.Series) else names[::-1]
        raise PairedDataError(
            f"{series} is a pandas Series (aligned by user id) but {other} is not; pass both as "
            "Series indexed by user id, or both as arrays in the same user order"
        )
    x, y = _to_float(a, names[0]), _to_float(b, names[1])
    if x.shape != y.shape:
        raise PairedDataError(
            f"{names[0]} has {x.size} values but {names[1]} has {y.size}; pass one value per "
            "user for the same users, in the same order"
        )
    if x.size < 2:
        raise PairedDataError(
            f"a paired test needs at least 2 users, got {x.size}; evaluate on more users"
        )
    _check_finite(x, names[0], index)
    _check_finite(y, names[1], index)
    return x, y


def differences(a: Any, b: Any) -> np.ndarray:
    """Per-user differences ``a - b`` after :func:`paired_values` checks.

    Example:
        >>> differences([1.0, 3.0], [0.5, 1.0]).tolist()
        [0.5, 2.0]
    """
    x, y = paired_values(a, b)
    return x - y


def as_generator(seed: int | np.random.Generator) -> np.random.Generator:
    """A numpy Generator from an int seed (or the Generator itself); anything else is an error.

    Example:
        >>> int(as_generator(0).integers(10)) == int(as_generator(0).integers(10))
        True
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(
            f"seed={seed!r} is not a non-negative int; pass e.g. seed=0 so the test is reproducible"
        )
    return np.random.default_rng(int(seed))


def check_level(level: float) -> float:
    """Return ``level`` if it is a confidence level strictly between 0 and 1, else raise."""
    if not 0.0 < float(level) < 1.0:
        raise ValueError(f"level={level!r} is not in (0, 1); pass e.g. level=0.95")
    return float(level)


def check_resamples(n_resamples: int) -> int:
    """Return ``n_resamples`` if it is a positive int, else raise."""
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, int | np.integer):
        raise ValueError(f"n_resamples={n_resamples!r} is not an int; pass e.g. 10_000")
    if n_resamples < 1:
        raise ValueError(f"n_resamples={n_resamples} must be >= 1; pass e.g. 10_000")
    return int(n_resamples)
