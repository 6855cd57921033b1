"""The gate's user error: one line on stderr and exit status 2.

Example:
    >>> str(GateError("unknown metric 'ndgc@10'"))
    "unknown metric 'ndgc@10'"
"""

from __future__ import annotations


class GateError(Exception):
    """A usage error or two sides that must not be compared (exit status 2).

    The message is one line that names the problem and, where there is one, the fix.
    """

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))
