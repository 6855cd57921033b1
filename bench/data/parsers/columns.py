"""Map a file's columns onto the canonical raw columns and coerce their types.

Canonical raw columns: ``user`` and ``item`` (ids as strings), optional ``rating`` (float),
optional ``timestamp`` (int64 seconds; numbers are floored, datetimes converted), optional
``order`` (int64 chronology for files without timestamps).

Example:
    >>> import pandas as pd
    >>> f = pd.DataFrame({"uid": [7], "iid": ["x"], "r": ["4.5"]})
    >>> canonical(f, {"user": "uid", "item": "iid", "rating": "r"}).values.tolist()
    [['7', 'x', 4.5]]
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd

from bench.data.errors import SchemaError, one_line

CANONICAL = ("user", "item", "rating", "timestamp", "order")
REQUIRED = ("user", "item")
#: File column names (lower case, any ``:type`` suffix dropped) that usually hold a canonical
#: column; left unmapped, they draw a warning naming the override.
USUAL_NAMES: dict[str, tuple[str, ...]] = {
    "timestamp": ("timestamp", "time", "ts", "datetime", "date", "event_time", "created_at"),
    "rating": ("rating", "ratings", "score", "stars", "rate"),
}
_CONSEQUENCE = {
    "timestamp": "time-ordered splits (leave_last_out, temporal) will use the file order",
    "rating": "every row counts as a positive and ratings cannot be used as gains",
}


def warn_unmapped(frame_columns: list[str], mapping: Mapping[str, str]) -> list[str]:
    """Warn about file columns that look like a timestamp or rating the mapping leaves out.

    Example:
        >>> import warnings
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     warn_unmapped(["user_id", "item_id", "Timestamp"], {"user": "user_id"})
        ['Timestamp']
        >>> str(caught[0].message)[:59]
        "column 'Timestamp' looks like a timestamp but is not mapped"
    """
    used = set(mapping.values())
    found = []
    for canonical_name, names in USUAL_NAMES.items():
        if canonical_name in mapping:
            continue
        for column in frame_columns:
            if column in used or str(column).lower().split(":")[0] not in names:
                continue
            found.append(str(column))
            warnings.warn(
                f"column {column!r} looks like a {canonical_name} but is not mapped: "
                f"{_CONSEQUENCE[canonical_name]}; map it with "
                f"dataset.parser.columns.{canonical_name}={column}",
                stacklevel=3,
            )
            break
    return found


def check_mapping(columns: Mapping[str, str | None]) -> dict[str, str]:
    """Validate a ``{canonical: file column}`` mapping; drop entries mapped to ``None``."""
    unknown = sorted(set(columns) - set(CANONICAL))
    if unknown:
        raise SchemaError(
            f"unknown canonical column(s) {unknown} in the column mapping; use {list(CANONICAL)}"
        )
    mapping = {k: str(v) for k, v in columns.items() if v is not None}
    missing = [c for c in REQUIRED if c not in mapping]
    if missing:
        raise SchemaError(f"column mapping lacks {missing}; map them to columns of the file")
    return mapping


def _numeric(values: pd.Series, name: str) -> pd.Series:
    converted = pd.to_numeric(values, errors="coerce")
    bad = converted.isna() & values.notna()
    if bad.any() or converted.isna().any():
        row = int(np.flatnonzero(bad.to_numpy() | converted.isna().to_numpy())[0])
        raise SchemaError(
            f"column {name!r} holds a non-numeric value {values.iloc[row]!r} at row {row}; "
            "fix the file or map another column"
        )
    return converted


def _timestamp(values: pd.Series, name: str) -> np.ndarray:
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.to_numpy(dtype="datetime64[s]").astype(np.int64)
    numeric = pd.to_numeric(values, errors="coerce")
    if pd.api.types.is_numeric_dtype(values) or numeric.notna().all():
        return np.floor(_numeric(values, name).to_numpy(dtype=np.float64)).astype(np.int64)
    try:
        stamps = pd.to_datetime(values, utc=True, format="ISO8601")
    except (ValueError, TypeError) as err:
        raise SchemaError(
            one_line(
                f"column {name!r} is neither numeric nor an ISO date/time ({err}); "
                "map another column"
            )
        ) from err
    return stamps.to_numpy(dtype="datetime64[s]").astype(np.int64)


def canonical(frame: pd.DataFrame, columns: Mapping[str, str | None]) -> pd.DataFrame:
    """Select and rename mapped columns; ids become strings, rating float, timestamp int64."""
    mapping = check_mapping(columns)
    absent = [f"{src!r} (for {dst})" for dst, src in mapping.items() if src not in frame.columns]
    if absent:
        raise SchemaError(
            f"missing column {', '.join(absent)}; the file has {list(frame.columns)[:12]} - "
            "fix the column mapping (parser.columns)"
        )
    warn_unmapped(list(frame.columns), mapping)
    out = pd.DataFrame(index=pd.RangeIndex(len(frame)))
    for dst, src in mapping.items():
        values = frame[src].reset_index(drop=True)
        if dst in REQUIRED:
            if values.isna().any():
                row = int(np.flatnonzero(values.isna().to_numpy())[0])
                raise SchemaError(f"column {src!r} ({dst}) is empty at row {row}; fix the file")
            out[dst] = values.astype(str).to_numpy(dtype=object)
        elif dst == "timestamp":
            out[dst] = _timestamp(values, src)
        else:
            out[dst] = _numeric(values, src).to_numpy(dtype=np.float64)
    return out
