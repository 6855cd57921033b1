"""Checksums: streaming digests and verification against a declared sha256 (or md5).

sha256 is the project's checksum; md5 is accepted only for files whose publisher gives nothing
else (the MovieLens-100K zip). A directory (a Hugging Face dataset folder) is digested over its
sorted relative paths and file contents.

Example:
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "f.txt"
    >>> _ = p.write_bytes(b"abc")
    >>> file_digests(p)["sha256"][:12]
    'ba7816bf8f01'
    >>> verify(p, Checksum("sha256", file_digests(p)["sha256"]), what="f.txt")
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from bench.data.errors import ChecksumError, ConfigError

CHUNK = 1 << 20
ALGORITHMS = ("sha256", "md5")


@dataclass(frozen=True)
class Checksum:
    """An expected digest: algorithm (``sha256`` or ``md5``) and lower-case hex value."""

    algorithm: str
    hexdigest: str

    def __post_init__(self) -> None:
        size = {"sha256": 64, "md5": 32}.get(self.algorithm)
        if size is None:
            raise ConfigError(f"checksum algorithm {self.algorithm!r} unknown; use sha256 or md5")
        value = self.hexdigest.lower()
        if len(value) != size or any(c not in "0123456789abcdef" for c in value):
            raise ConfigError(
                f"{self.algorithm} {self.hexdigest!r} is not {size} hex digits; fix the config"
            )
        object.__setattr__(self, "hexdigest", value)

    @classmethod
    def declared(cls, sha256: str | None, md5: str | None, what: str) -> Checksum:
        """The checksum a source declares: sha256 preferred, md5 only when no sha256 is known."""
        if sha256:
            return cls("sha256", str(sha256))
        if md5:
            return cls("md5", str(md5))
        raise ConfigError(f"{what}: declares no checksum; add sha256: <hex> to its config")

    def __str__(self) -> str:
        return f"{self.algorithm}:{self.hexdigest}"


class Hasher:
    """Feeds bytes to sha256 and md5 at once (one pass over a stream)."""

    def __init__(self) -> None:
        self._h = {name: hashlib.new(name) for name in ALGORITHMS}
        self.size = 0

    def update(self, chunk: bytes) -> None:
        for h in self._h.values():
            h.update(chunk)
        self.size += len(chunk)

    def digests(self) -> dict[str, str]:
        return {name: h.hexdigest() for name, h in self._h.items()}


def file_digests(path: Path) -> dict[str, str]:
    """sha256 and md5 of a file, or of a directory tree (paths + contents, sorted)."""
    hasher = Hasher()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        if path.is_dir():
            hasher.update(file.relative_to(path).as_posix().encode() + b"\0")
        with open(file, "rb") as handle:
            while chunk := handle.read(CHUNK):
                hasher.update(chunk)
    return hasher.digests()


def check(digests: dict[str, str], expected: Checksum, what: str, size: int | None = None) -> None:
    """Raise ChecksumError unless ``digests`` holds the expected value."""
    actual = digests[expected.algorithm]
    if actual != expected.hexdigest:
        size_note = f" ({size:,} bytes: truncated or corrupt?)" if size is not None else ""
        raise ChecksumError(
            f"{what}: {expected.algorithm} mismatch{size_note}: expected {expected.hexdigest}, "
            f"got {actual}; the file is corrupt or not the declared one - fix the source or the "
            "checksum in the dataset config"
        )


def verify(path: Path, expected: Checksum, what: str) -> None:
    """Verify a file (or directory) on disk against ``expected``."""
    size = path.stat().st_size if path.is_file() else None
    check(file_digests(path), expected, what, size)
