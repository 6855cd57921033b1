"""Benchmark cells: the runs whose numbers may sit in one table.

Two runs belong to one cell when they evaluated the same data the same way: the same dataset
fingerprint and preprocessing, the same split protocol and parameters (not the split
fingerprint, which changes with the seed of a random split), the same evaluation protocol
(full ranking and sampled metrics never meet), the same test history and the same choice of
removing validation items from the test ranking, and the same target gains (binary or graded).
Runs of different cells are never compared.

Example:
    >>> from bench.results import RunRecord
    >>> r = RunRecord(run_id="r", status="completed", config={"seed": 0},
    ...               started_at="2024-01-01T00:00:00+00:00", ended_at="2024-01-01T00:00:01+00:00",
    ...               dataset="ml-100k", dataset_fingerprint="ab12cd34ef", split="random_holdout",
    ...               split_params={"ratios": [0.8, 0.1, 0.1]}, protocol="full",
    ...               test_history="train")
    >>> cell_key(r).title
    'ml-100k · random_holdout ratios=[0.8, 0.1, 0.1] · full ranking · test history: train'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bench.results import RunRecord
from bench.results.jsonable import canonical_json


@dataclass(frozen=True, order=True)
class CellKey:
    """What makes runs comparable (see the module docstring)."""

    dataset: str
    dataset_fingerprint: str
    preprocess: str
    split: str
    split_params: str  # canonical JSON
    protocol: str
    test_history: str
    exclude_valid: str = "true"  # validation items removed from the test ranking
    gains: str = "binary"  # target gains: binary or rating (graded)

    @property
    def params(self) -> dict[str, Any]:
        import json

        return json.loads(self.split_params)

    @property
    def title(self) -> str:
        """One line naming the cell, for headings."""
        params = " ".join(f"{k}={_short(v)}" for k, v in self.params.items())
        split = f"{self.split} {params}".strip()
        prep = "" if self.preprocess in ("", "none") else f" · {self.preprocess}"
        protocol = "full ranking" if self.protocol == "full" else f"{self.protocol} (sampled)"
        ranked = " · validation items ranked" if self.exclude_valid == "false" else ""
        ranked += " · graded gains (ratings)" if self.gains == "rating" else ""
        return (
            f"{self.dataset}{prep} · {split} · {protocol} · test history: {self.test_history}"
            f"{ranked}"
        )

    @property
    def slug(self) -> str:
        """A short identifier for file names and anchors."""
        import hashlib

        digest = hashlib.sha256(canonical_json(self.__dict__).encode()).hexdigest()[:8]
        return f"{self.dataset}-{self.split}-{digest}"

    @property
    def sampled(self) -> bool:
        return self.protocol != "full"


def _short(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_short(v) for v in value) + "]"
    return str(value)


def cell_key(record: RunRecord) -> CellKey:
    """The cell of a run (unknown parts of old records become ``"?"``)."""
    return CellKey(
        dataset=record.dataset or "?",
        dataset_fingerprint=record.dataset_fingerprint or "?",
        preprocess=record.preprocess or "none",
        split=record.split or "?",
        split_params=canonical_json(record.split_params),
        protocol=record.protocol or "?",
        test_history=record.test_history or "?",
        exclude_valid="false" if record.exclude_valid is False else "true",
        gains=record.gains or "binary",
    )


def differences(a: CellKey, b: CellKey) -> list[str]:
    """What differs between two cells, as ``field: a != b`` strings (empty when equal).

    Example:
        >>> x = CellKey("ml-1m", "f1", "none", "loo", "{}", "full", "train")
        >>> differences(x, CellKey("ml-1m", "f2", "none", "loo", "{}", "full", "train"))
        ['dataset_fingerprint: f1 != f2']
    """
    return [
        f"{name}: {getattr(a, name)} != {getattr(b, name)}"
        for name in a.__dataclass_fields__
        if getattr(a, name) != getattr(b, name)
    ]
