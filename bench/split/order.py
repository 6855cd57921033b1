"""Time order of interactions: by ``timestamp`` (when present), ties by original file order.

The ``order`` column is each row's position in the source file, so "ties by file order" means
ties by ``order``, whatever the rows' current positions; a frame without timestamps is ordered by
``order`` alone. This is the one definition the splitters (leave-last-out's "latest"), the
leakage audit ("later than the user's target") and the rankers' histories and sequences use.
Rows with equal keys (equal ``order`` too) keep their current relative positions.

Example:
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"user": [1, 0, 1, 0], "timestamp": [5, 5, 5, 2],
    ...                       "order": [3, 2, 1, 0]})
    >>> chronological(frame).tolist()  # row positions: t=2 first, then t=5 by file order
    [3, 2, 1, 0]
    >>> per_user_chronological(frame).tolist()  # user 0's rows, then user 1's
    [3, 1, 2, 0]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bench.split._arrays import sort_rows


def time_keys(frame: pd.DataFrame) -> tuple[np.ndarray, ...]:
    """Sort keys of the time order, most significant first: ``(timestamp, order)``, or
    ``(order,)`` when ``frame`` has no ``timestamp`` column.

    Example:
        >>> import pandas as pd
        >>> [k.tolist() for k in time_keys(pd.DataFrame({"timestamp": [5, 5], "order": [1, 0]}))]
        [[5, 5], [1, 0]]
    """
    order = frame["order"].to_numpy(np.int64)
    if "timestamp" in frame.columns:
        return frame["timestamp"].to_numpy(np.int64), order
    return (order,)


def chronological(frame: pd.DataFrame) -> np.ndarray:
    """Row positions (for ``frame.iloc``) of ``frame`` in time order (see :func:`time_keys`)."""
    if len(frame) == 0:
        return np.zeros(0, dtype=np.int64)
    return sort_rows(*time_keys(frame))


def per_user_chronological(frame: pd.DataFrame) -> np.ndarray:
    """Row positions of ``frame`` sorted by ``user``, then in time order within each user."""
    if len(frame) == 0:
        return np.zeros(0, dtype=np.int64)
    return sort_rows(frame["user"].to_numpy(np.int64), *time_keys(frame))
