"""Error types of the dataset layer.

Every error here is a ``ValueError`` whose message is ONE line naming the bad value and the fix,
so that the CLI can print it as is (no traceback).

Example:
    >>> try:
    ...     raise ChecksumError("file x: sha256 mismatch")
    ... except DataError as err:
    ...     print(err)
    file x: sha256 mismatch
"""

from __future__ import annotations


class DataError(ValueError):
    """Base class: bad dataset input or configuration (one-line message)."""


class ConfigError(DataError):
    """A dataset / preprocess configuration is malformed (unknown key, bad value)."""


class UnknownChoiceError(ConfigError):
    """A config group option (``dataset=foo``) does not exist."""


class ChecksumError(DataError):
    """Downloaded or mirrored bytes do not match the declared checksum."""


class IncompleteDownloadError(DataError):
    """A download ended before the announced number of bytes arrived."""


class SourceUnavailableError(DataError):
    """One source could not provide the file (not configured, not found, offline...)."""


class FetchError(DataError):
    """Every source of a dataset failed; the message lists each attempt and why it failed."""

    def __init__(self, message: str, attempts: list[tuple[str, Exception]] | None = None):
        super().__init__(message)
        self.attempts = list(attempts or [])


class SchemaError(DataError):
    """The parsed file lacks a configured column or holds values of the wrong type."""


class EmptyDataError(DataError):
    """Parsing or preprocessing left no interactions."""


def one_line(text: object) -> str:
    """Collapse whitespace (newlines included) so a message fits on one line.

    Example:
        >>> one_line("a\\n  b")
        'a b'
    """
    return " ".join(str(text).split())
