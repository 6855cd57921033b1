"""Statistics of a prepared dataset and of a split, as plain JSON-ready dicts, and a text table.

Example:
    >>> import pandas as pd
    >>> from bench.data.interactions import Interactions
    >>> data = Interactions.from_raw("toy", pd.DataFrame({"user": [1, 1, 2], "item": [5, 6, 5]}))
    >>> s = dataset_stats(data)
    >>> s["users"], s["items"], s["interactions"], round(s["density"], 3)
    (2, 2, 3, 0.75)
    >>> print(format_table({"dataset": {"users": 2, "density": 0.75}}))
    dataset
      users    2
      density  0.75
"""

from __future__ import annotations

from typing import Any

from bench.data.interactions import Interactions


def dataset_stats(data: Interactions) -> dict[str, Any]:
    """Counts, density, fingerprint and provenance of ``data``."""
    meta = data.meta
    return {
        "name": data.name,
        "users": data.n_users,
        "items": data.n_items,
        "interactions": data.n_interactions,
        "density": data.density,
        "columns": list(data.table.column_names),
        "fingerprint": data.fingerprint,
        "source": meta.get("source"),
        "raw_checksum": meta.get("raw_checksum"),
        "preprocess": (meta.get("preprocess") or {}).get("name"),
        "prepared_key": meta.get("prepared_key"),
        "cache": meta.get("cache"),
        "prepare_seconds": round(float(meta.get("seconds", 0.0)), 3),
    }


def split_stats(split: Any) -> dict[str, Any]:
    """Sizes (rows and users per part), fingerprint and leakage audit of a ``Split``."""
    parts = split.parts()
    audit = split.audit
    return {
        "name": split.name,
        "seed": split.seed,
        "params": dict(split.params),
        "sizes": {name: len(part) for name, part in parts.items()},
        "users": {name: int(part["user"].nunique()) for name, part in parts.items()},
        "fingerprint": split.fingerprint,
        "clean": None if audit is None else bool(audit.clean),
        "audit": None if audit is None else audit.to_dict(),
    }


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def format_table(report: dict[str, dict[str, Any]]) -> str:
    """Render ``{section: {key: value}}`` as an indented two-column table (dicts flattened)."""
    lines = []
    for section, values in report.items():
        lines.append(section)
        flat: list[tuple[str, Any]] = []
        for key, value in values.items():
            if isinstance(value, dict):
                flat.extend((f"{key}.{k}", v) for k, v in value.items())
            else:
                flat.append((key, value))
        width = max((len(k) for k, _ in flat), default=0)
        lines.extend(f"  {k.ljust(width)}  {_cell(v)}" for k, v in flat)
    return "\n".join(lines)
