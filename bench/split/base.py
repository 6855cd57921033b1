"""The Split value object and the Splitter protocol every splitting strategy follows.

Parts are pandas frames in the canonical column layout of :mod:`bench.data.interactions`
(``user``, ``item``, optional ``rating``/``timestamp``, ``order``), all indexed in the parent
Interactions' id space, so ``n_users``/``n_items`` are shared by every part.

- ``train``: what a ranker may fit on.
- ``valid`` / ``test``: held-out targets.
- ``valid_history`` / ``test_history``: for strong-generalisation (user holdout) splits only:
  the fold-in interactions of held-out users, given to the ranker at inference time but never
  trained on. ``None`` for the other splits (there, history is ``train`` for validation and
  ``train`` + ``valid`` for test).

Example:
    >>> import pandas as pd
    >>> part = pd.DataFrame({"user": [0], "item": [1], "order": [0]})
    >>> s = Split("demo", train=part, valid=part.iloc[:0], test=part.iloc[:0], n_users=1, n_items=2)
    >>> s.sizes()
    {'train': 1, 'valid': 0, 'test': 0}
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol

import pandas as pd

from bench.data.interactions import Interactions, fingerprint_frame


@dataclass(frozen=True)
class Split:
    """Train / validation / test parts of one dataset under one splitting protocol."""

    name: str
    train: pd.DataFrame
    valid: pd.DataFrame
    test: pd.DataFrame
    n_users: int
    n_items: int
    seed: int | None = None
    params: dict[str, Any] = field(default_factory=dict)
    valid_history: pd.DataFrame | None = None
    test_history: pd.DataFrame | None = None
    audit: Any = None  # bench.split.audit.LeakageAudit, filled in by the splitter

    def parts(self) -> dict[str, pd.DataFrame]:
        """All non-empty-by-definition parts by name (history parts only where they exist)."""
        named = {"train": self.train, "valid": self.valid, "test": self.test}
        if self.valid_history is not None:
            named["valid_history"] = self.valid_history
        if self.test_history is not None:
            named["test_history"] = self.test_history
        return named

    def sizes(self) -> dict[str, int]:
        return {name: len(part) for name, part in self.parts().items()}

    def to_summary(self) -> dict[str, Any]:
        """JSON-ready overview for CLIs and run records: sizes, users, fingerprint, audit.

        Example:
            >>> import pandas as pd
            >>> part = pd.DataFrame({"user": [0], "item": [1], "order": [0]})
            >>> s = Split("demo", train=part, valid=part, test=part, n_users=1, n_items=2)
            >>> summary = s.to_summary()
            >>> summary["sizes"], summary["users"]["test"], summary["audit"]
            ({'train': 1, 'valid': 1, 'test': 1}, 1, None)
        """
        return {
            "protocol": self.name,
            "seed": self.seed,
            "params": dict(self.params),
            "n_users": self.n_users,
            "n_items": self.n_items,
            "sizes": self.sizes(),
            "users": {name: int(part["user"].nunique()) for name, part in self.parts().items()},
            "fingerprint": self.fingerprint,
            "clean": None if self.audit is None else self.audit.clean,
            "audit": None if self.audit is None else self.audit.to_dict(),
        }

    @cached_property
    def fingerprint(self) -> str:
        """Content hash over every part's (user, item, order) rows plus the protocol name."""
        digest = hashlib.sha256(repr((self.name, self.n_users, self.n_items)).encode())
        for name, part in self.parts().items():
            digest.update(name.encode())
            digest.update(fingerprint_frame(part, ("user", "item", "order")).encode())
        return digest.hexdigest()[:16]


class Splitter(Protocol):
    """Anything that turns Interactions into a Split (config builds it with ``_target_``)."""

    def __call__(self, data: Interactions, *, seed: int) -> Split: ...
