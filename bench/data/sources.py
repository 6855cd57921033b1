"""Where a dataset's raw file can come from: a mirror directory, an official URL, a PyPI wheel,
or (for a user's own data) a local path.

Each source is built from ``conf/dataset/<name>.yaml`` with Hydra's ``_target_`` and declares the
checksum of the bytes it yields. ``fetch`` writes those bytes into a scratch directory and returns
the path plus the digests computed while streaming; :mod:`bench.data.fetch` verifies and caches.

Example:
    >>> src = UrlSource(url="https://example.org/d/ratings.zip", md5="0" * 32, extract="d/r.csv")
    >>> src.describe(), src.filename
    ('url https://example.org/d/ratings.zip', 'ratings.zip')
"""

from __future__ import annotations

import http.client
import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from bench.data.checksum import CHUNK, Checksum, Hasher, file_digests
from bench.data.errors import (
    DataError,
    IncompleteDownloadError,
    SourceUnavailableError,
    one_line,
)

MIRROR_ENV = "RANKBENCH_MIRROR"


@dataclass(frozen=True)
class FetchContext:
    """Per-attempt settings: a scratch directory (on the cache's filesystem) and the mirror root."""

    workdir: Path
    mirror_dir: Path | None = None


def copy_stream(src: BinaryIO, dest: Path, expected_size: int | None = None) -> dict[str, str]:
    """Copy ``src`` to ``dest`` while hashing; raise unless ``expected_size`` bytes came."""
    hasher = Hasher()
    with open(dest, "wb") as out:
        while chunk := src.read(CHUNK):
            hasher.update(chunk)
            out.write(chunk)
    if expected_size is not None and hasher.size != expected_size:
        raise IncompleteDownloadError(
            f"truncated: got {hasher.size:,} of {expected_size:,} bytes; retry the download"
        )
    return hasher.digests()


class Source:
    """Base class. Subclasses set ``checksum``/``extract`` and implement ``fetch``."""

    checksum: Checksum
    extract: str | None = None
    cacheable: bool = True

    def describe(self) -> str:
        raise NotImplementedError

    @property
    def filename(self) -> str:
        raise NotImplementedError

    def fetch(self, ctx: FetchContext) -> tuple[Path, dict[str, str]]:
        """Write the raw bytes under ``ctx.workdir``; return (path, digests)."""
        raise NotImplementedError


class MirrorSource(Source):
    """A file inside a local mirror directory (``mirror_dir`` / env ``RANKBENCH_MIRROR``).

    Args:
        path: path relative to the mirror root, e.g. ``S3Rec/Beauty.txt``.
        sha256: sha256 of the file (md5 only when the publisher gives no sha256).
        extract: zip member to parse, when the file is an archive.
    """

    def __init__(
        self,
        path: str,
        sha256: str | None = None,
        md5: str | None = None,
        extract: str | None = None,
    ) -> None:
        self.path = str(path)
        self.extract = extract
        self.checksum = Checksum.declared(sha256, md5, f"mirror source {path!r}")

    def describe(self) -> str:
        return f"mirror {self.path}"

    @property
    def filename(self) -> str:
        return PurePosixPath(self.path).name

    def fetch(self, ctx: FetchContext) -> tuple[Path, dict[str, str]]:
        if ctx.mirror_dir is None:
            raise SourceUnavailableError(
                f"no mirror directory configured (set {MIRROR_ENV} or mirror_dir=<dir>)"
            )
        file = Path(ctx.mirror_dir).expanduser() / self.path
        if not file.is_file():
            raise SourceUnavailableError(f"not found: {file}")
        dest = ctx.workdir / self.filename
        with open(file, "rb") as handle:
            return dest, copy_stream(handle, dest, expected_size=file.stat().st_size)


class UrlSource(Source):
    """An official download URL (http, https or file).

    Args:
        url: the address.
        sha256: sha256 of the downloaded bytes (md5 only when no sha256 is published).
        extract: zip member to parse, when the download is an archive.
        timeout_s: socket timeout in seconds.
    """

    def __init__(
        self,
        url: str,
        sha256: str | None = None,
        md5: str | None = None,
        extract: str | None = None,
        timeout_s: float = 60.0,
    ) -> None:
        self.url = str(url)
        self.extract = extract
        self.timeout_s = float(timeout_s)
        self.checksum = Checksum.declared(sha256, md5, f"url source {url!r}")

    def describe(self) -> str:
        return f"url {self.url}"

    @property
    def filename(self) -> str:
        return PurePosixPath(urllib.request.urlparse(self.url).path).name or "download"

    def fetch(self, ctx: FetchContext) -> tuple[Path, dict[str, str]]:
        dest = ctx.workdir / self.filename
        try:
            with urllib.request.urlopen(self.url, timeout=self.timeout_s) as response:
                length = response.headers.get("Content-Length")
                expected = int(length) if length and length.isdigit() else None
                return dest, copy_stream(response, dest, expected_size=expected)
        except http.client.IncompleteRead as err:
            raise IncompleteDownloadError(
                f"truncated: connection closed after {len(err.partial):,} more bytes "
                f"({err.expected:,} were still expected); retry the download"
            ) from err
        except (urllib.error.URLError, OSError, http.client.HTTPException) as err:
            raise SourceUnavailableError(one_line(f"download failed: {err}")) from err
        except DataError:  # ours (e.g. truncated), already precise
            raise
        except ValueError as err:  # a malformed or unsupported URL: try the next source
            raise SourceUnavailableError(one_line(f"bad URL {self.url!r}: {err}")) from err


class WheelSource(Source):
    """A file shipped inside a PyPI wheel, fetched with ``python -m pip download --no-deps``.

    pip uses its own index configuration; no registry host is written here.

    Args:
        package: distribution name, e.g. ``recbole``.
        version: exact version, e.g. ``1.2.1``.
        member: path of the file inside the wheel.
        sha256: sha256 of that member (not of the wheel).
        timeout_s: limit for the pip subprocess.
    """

    def __init__(
        self, package: str, version: str, member: str, sha256: str, timeout_s: float = 600.0
    ) -> None:
        self.package, self.version, self.member = str(package), str(version), str(member)
        self.timeout_s = float(timeout_s)
        self.checksum = Checksum.declared(sha256, None, f"wheel source {package}=={version}")

    def describe(self) -> str:
        return f"PyPI wheel {self.package}=={self.version} member {self.member}"

    @property
    def filename(self) -> str:
        return PurePosixPath(self.member).name

    def fetch(self, ctx: FetchContext) -> tuple[Path, dict[str, str]]:
        wheel_dir = ctx.workdir / "wheel"
        wheel_dir.mkdir()
        spec = f"{self.package}=={self.version}"
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--disable-pip-version-check",
            "--quiet",
            spec,
            "-d",
            str(wheel_dir),
        ]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=self.timeout_s)
        except (OSError, subprocess.SubprocessError) as err:
            raise SourceUnavailableError(one_line(f"pip download {spec} failed: {err}")) from err
        if proc.returncode != 0:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
            raise SourceUnavailableError(one_line(f"pip download {spec} failed: {tail[0]}"))
        wheels = sorted(wheel_dir.glob("*.whl"))
        if not wheels:
            raise SourceUnavailableError(f"pip download {spec} produced no wheel")
        dest = ctx.workdir / self.filename
        try:
            with zipfile.ZipFile(wheels[0]) as whl, whl.open(self.member) as handle:
                digests = copy_stream(handle, dest)
        except KeyError as err:
            raise SourceUnavailableError(f"{wheels[0].name} has no member {self.member}") from err
        except zipfile.BadZipFile as err:
            raise SourceUnavailableError(f"{wheels[0].name} is not a valid wheel: {err}") from err
        shutil.rmtree(wheel_dir, ignore_errors=True)
        return dest, digests


class LocalSource(Source):
    """A user's own file or Hugging Face dataset folder, read in place (never copied or cached).

    Args:
        path: file (CSV / TSV / Parquet / ...) or directory; relative paths are taken from the
            current directory.
        sha256: optional; when given the file is verified, otherwise its digest is computed and
            recorded in the dataset's provenance.
        extract: zip member to parse, when the file is an archive.
    """

    cacheable = False

    def __init__(self, path: str, sha256: str | None = None, extract: str | None = None) -> None:
        self.path = Path(os.path.expanduser(str(path)))
        self.extract = extract
        self.expected = Checksum("sha256", str(sha256)) if sha256 else None

    def describe(self) -> str:
        return f"local {self.path}"

    @property
    def filename(self) -> str:
        return self.path.name

    @property
    def checksum(self) -> Checksum:  # type: ignore[override]
        if self.expected is not None:
            return self.expected
        return Checksum("sha256", self.locate()[1]["sha256"])

    def locate(self) -> tuple[Path, dict[str, str]]:
        """The path itself and its digests (computed, cached per instance)."""
        if not self.path.exists():
            raise SourceUnavailableError(
                f"not found: {self.path.resolve()} - set the dataset's path to an existing file"
            )
        if not hasattr(self, "_digests"):
            self._digests = file_digests(self.path)
        return self.path, self._digests

    def fetch(self, ctx: FetchContext) -> tuple[Path, dict[str, str]]:
        return self.locate()
