"""JSON normalisation and the stable config hash used by run records.

Example:
    >>> import numpy as np
    >>> to_jsonable({"a": np.float32(0.5), "b": (1, np.int64(2)), "c": float("inf")})
    {'a': 0.5, 'b': [1, 2], 'c': None}
    >>> canonical_json({"b": 1, "a": [1.5, None]})
    '{"a":[1.5,null],"b":1}'
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any


class RecordError(ValueError):
    """A run record (or a value meant for one) is invalid."""


def to_jsonable(value: Any, where: str = "value") -> Any:
    """Convert ``value`` to plain JSON types; non-finite floats become ``None``.

    Example:
        >>> import numpy as np
        >>> to_jsonable({"a": np.float32(0.5), "b": (1, np.int64(2)), "c": float("inf")})
        {'a': 0.5, 'b': [1, 2], 'c': None}
    """
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise RecordError(f"{where} has non-string key {key!r}: use string keys")
            out[key] = to_jsonable(item, f"{where}.{key}")
        return out
    if isinstance(value, list | tuple):
        return [to_jsonable(item, f"{where}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, PurePath):
        return str(value)
    if hasattr(value, "tolist") and callable(value.tolist):  # numpy scalars and arrays
        return to_jsonable(value.tolist(), where)
    raise RecordError(
        f"{where} = {value!r} ({type(value).__name__}) is not JSON-serialisable: "
        "convert it to a str, number, bool, list or dict"
    )


def canonical_json(value: Any) -> str:
    """Canonical JSON text: sorted keys, no whitespace, UTF-8 kept as is."""
    return json.dumps(to_jsonable(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def config_hash(config: Mapping[str, Any]) -> str:
    """sha256 hex digest of the config's canonical JSON (stable across key order).

    Example:
        >>> config_hash({"a": 1, "b": 2}) == config_hash({"b": 2, "a": 1})
        True
    """
    return hashlib.sha256(canonical_json(config).encode("utf-8")).hexdigest()
