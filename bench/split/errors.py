"""Errors raised by splitters: one line each, naming the bad value and the fix.

Example:
    >>> err = EmptyPartError("temporal", "toy", "test", "no interaction at or after the cut")
    >>> str(err)
    "temporal split of 'toy': the test part is empty (no interaction at or after the cut)"
    >>> isinstance(err, ValueError)
    True
"""

from __future__ import annotations


class SplitError(ValueError):
    """A split cannot be made as configured (bad parameter or unsuitable data)."""


class EmptyPartError(SplitError):
    """A split part (train, valid, test or a fold-in history) came out empty."""

    def __init__(self, protocol: str, dataset: str, part: str, hint: str) -> None:
        self.protocol = protocol
        self.dataset = dataset
        self.part = part
        super().__init__(f"{protocol} split of {dataset!r}: the {part} part is empty ({hint})")
