"""Global temporal split: one cut in time for everybody (no training row after the cut).

Rows with ``timestamp < valid_cut`` are train, ``valid_cut <= timestamp < test_cut`` validation
and ``timestamp >= test_cut`` test. Each cut is either

- a quantile ``q`` in (0, 1) of the timestamp distribution: the cut is the timestamp of the row
  at 0-based position ``floor(q * n)`` in time order, so about ``q`` of the rows fall before it
  (fewer when many rows share the cut's timestamp: equal timestamps never straddle a cut); or
- an ISO-8601 date/time string (``"2003-01-01"``, ``"2003-01-01T12:00:00+02:00"``), read as UTC
  when it has no zone.

Users in valid/test that have no training row are cold; ``cold_users`` keeps them (``keep``,
default) or removes their valid/test rows (``drop``). Either way the audit reports them (as
``cold_users_*`` when kept, in ``policy_counts`` when dropped). Requires timestamps.

Example:
    >>> import pandas as pd
    >>> from bench.data.interactions import Interactions
    >>> raw = pd.DataFrame({"user": [0, 1, 0, 1, 0], "item": [0, 1, 2, 3, 4],
    ...                     "timestamp": [10, 20, 30, 40, 50]})
    >>> split = TemporalSplit(valid_cut=0.6, test_cut=0.8)(Interactions.from_raw("toy", raw))
    >>> split.sizes(), split.audit.valid_cut, split.audit.train_after_cut
    ({'train': 3, 'valid': 1, 'test': 1}, 40, 0)
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from bench.data.interactions import Interactions
from bench.split._arrays import distinct, member
from bench.split._common import check_choice, finish_split
from bench.split.audit import AuditOptions
from bench.split.base import Split
from bench.split.errors import SplitError

COLD_USER_POLICIES = ("keep", "drop")


def _iso(ts: int) -> str:
    return pd.Timestamp(ts, unit="s", tz="UTC").isoformat()


def resolve_cut(param: str, value: Any, sorted_ts: np.ndarray) -> int:
    """Turn a quantile or an ISO date into a cut in epoch seconds (rows ``>= cut`` go later).

    Example:
        >>> import numpy as np
        >>> ts = np.array([1, 2, 2, 3, 4, 5, 6, 7, 8, 9])
        >>> resolve_cut("valid_cut", 0.25, ts), resolve_cut("test_cut", "1970-01-01T00:00:07Z", ts)
        (2, 7)
    """
    if isinstance(value, bool):
        raise SplitError(f"temporal: {param}={value!r} is a boolean - give a quantile or a date")
    if isinstance(value, int | float | np.integer | np.floating):
        if not 0.0 < float(value) < 1.0:
            raise SplitError(
                f"temporal: {param}={value!r} is not a quantile in (0, 1) - give e.g. 0.8, "
                "or an ISO date string such as '2003-01-01'"
            )
        position = min(math.floor(float(value) * len(sorted_ts)), len(sorted_ts) - 1)
        return int(sorted_ts[position])
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError) as err:
        raise SplitError(
            f"temporal: {param}={value!r} is neither a quantile in (0, 1) nor an ISO date "
            "(e.g. '2003-01-01' or '2003-01-01T12:00:00Z')"
        ) from err
    if pd.isna(stamp):
        raise SplitError(f"temporal: {param}={value!r} is not a date - give e.g. '2003-01-01'")
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return -(-stamp.value // 10**9)  # ceil to whole seconds: rows at or after the instant go later


@dataclass(frozen=True)
class TemporalSplit:
    """Global temporal splitter (deterministic: the seed is ignored).

    Args:
        valid_cut: start of the validation period, a quantile in (0, 1) or an ISO date.
        test_cut: start of the test period, a quantile in (0, 1) or an ISO date.
        cold_users: ``keep`` or ``drop`` valid/test rows of users absent from train.
    """

    valid_cut: float | str = 0.8
    test_cut: float | str = 0.9
    cold_users: str = "keep"

    name = "temporal"

    def __post_init__(self) -> None:
        check_choice(self.name, "cold_users", self.cold_users, COLD_USER_POLICIES)

    def __call__(self, data: Interactions, *, seed: int | None = None) -> Split:
        """Split ``data``; ``seed`` is accepted for the Splitter protocol and not used."""
        if not data.has_timestamp:
            raise SplitError(
                f"temporal split of {data.name!r} needs timestamps and this dataset has none - "
                "use leave_last_out (file order) or random_holdout instead"
            )
        frame = data.frame
        ts = frame["timestamp"].to_numpy(np.int64)
        sorted_ts = np.sort(ts)
        valid_cut = resolve_cut("valid_cut", self.valid_cut, sorted_ts)
        test_cut = resolve_cut("test_cut", self.test_cut, sorted_ts)
        if valid_cut > test_cut:
            raise SplitError(
                f"temporal split of {data.name!r}: valid_cut={self.valid_cut!r} "
                f"({_iso(valid_cut)}) is after test_cut={self.test_cut!r} ({_iso(test_cut)}) - "
                "the validation period must come before the test period"
            )
        train = ts < valid_cut
        valid = (ts >= valid_cut) & (ts < test_cut)
        test = ts >= test_cut
        counts: dict[str, int] = {}
        if self.cold_users == "drop":
            user = frame["user"].to_numpy(np.int64)
            warm = member(user, user[train])
            for name, part in (("valid", valid), ("test", test)):
                cold = part & ~warm
                counts[f"cold_users_dropped_{name}"] = len(distinct(user[cold]))
                counts[f"cold_rows_dropped_{name}"] = int(cold.sum())
            valid, test = valid & warm, test & warm
        span = f"data spans {_iso(int(sorted_ts[0]))} to {_iso(int(sorted_ts[-1]))}"
        return finish_split(
            self.name,
            data,
            {"train": train, "valid": valid, "test": test},
            seed=None,
            params={
                **asdict(self),
                "valid_cut_ts": valid_cut,
                "test_cut_ts": test_cut,
                "valid_cut_utc": _iso(valid_cut),
                "test_cut_utc": _iso(test_cut),
            },
            empty_hints={
                "train": f"no interaction before valid_cut {_iso(valid_cut)}; {span}",
                "valid": f"no interaction in [{_iso(valid_cut)}, {_iso(test_cut)}) "
                f"(cold_users={self.cold_users}); {span} - move the cuts apart",
                "test": f"no interaction at or after test_cut {_iso(test_cut)} "
                f"(cold_users={self.cold_users}); {span} - move test_cut earlier",
            },
            audit=AuditOptions(cuts=(valid_cut, test_cut), policy_counts=counts),
        )
