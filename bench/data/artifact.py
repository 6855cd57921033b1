"""A verified raw file, ready for a parser: a path, its checksum, and an optional zip member.

Example:
    >>> import tempfile, pathlib, zipfile
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with zipfile.ZipFile(d / "a.zip", "w") as z:
    ...     z.writestr("a/u.data", "1\\t2\\n")
    >>> art = Artifact(d / "a.zip", "sha256:x", "test", extract="a/u.data")
    >>> with art.open() as f:
    ...     f.read()
    b'1\\t2\\n'
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from bench.data.errors import SchemaError


@dataclass(frozen=True)
class Artifact:
    """Raw data as served by one source, after its checksum was verified.

    Attributes:
        path: the file (or directory, for a Hugging Face dataset folder) on disk.
        checksum: ``"<algorithm>:<hex>"`` of ``path``'s bytes.
        source: human-readable description of the source that served it.
        extract: member of the zip archive at ``path`` to parse (``None``: parse ``path``).
    """

    path: Path
    checksum: str
    source: str
    extract: str | None = None

    @contextmanager
    def open(self) -> Iterator[BinaryIO]:
        """Open the file, or the ``extract`` member of the zip archive, for binary reading."""
        if self.extract is None:
            with open(self.path, "rb") as handle:
                yield handle
            return
        try:
            archive = zipfile.ZipFile(self.path)
        except zipfile.BadZipFile as err:
            raise SchemaError(f"{self.path.name} is not a valid zip archive ({err})") from err
        with archive:
            if self.extract not in archive.namelist():
                raise SchemaError(
                    f"{self.path.name} has no member {self.extract!r}; it has "
                    f"{archive.namelist()[:8]} - fix 'extract' in the dataset config"
                )
            with archive.open(self.extract) as handle:
                yield handle

    def read_bytes(self) -> bytes:
        """The whole content (of the member, if any)."""
        with self.open() as handle:
            return handle.read()
