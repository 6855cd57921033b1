"""Get a dataset's raw file: warm cache first, then each source in order, verifying checksums.

1. If any source's file is already in the cache (and still matches its checksum), use it:
   nothing touches the network or the mirror.
2. Otherwise try the sources in the configured order (mirror, official URL, PyPI wheel). The
   bytes go to a scratch file, are verified, then renamed into the cache. A corrupt or truncated
   download is rejected and never cached.
3. When every source fails, raise ONE :class:`FetchError` listing each attempt and its reason.

Example:
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "f.txt").write_bytes(b"1 2\\n")
    >>> src = MirrorSource("f.txt", sha256=file_digests(d / "f.txt")["sha256"])
    >>> fetch("toy", [src], cache_root(d / "cache"), mirror_dir=d).source
    'mirror f.txt'
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

from bench.data.artifact import Artifact
from bench.data.cache import cache_root, publish, raw_path, scratch_dir
from bench.data.checksum import check, file_digests
from bench.data.errors import ChecksumError, DataError, FetchError, one_line
from bench.data.sources import MIRROR_ENV, FetchContext, MirrorSource, Source

__all__ = ["MirrorSource", "cache_root", "cached", "fetch", "resolve_mirror"]

log = logging.getLogger(__name__)


def resolve_mirror(mirror_dir: str | os.PathLike | None) -> Path | None:
    """The mirror root: the argument, else env ``RANKBENCH_MIRROR``, else none."""
    chosen = mirror_dir or os.environ.get(MIRROR_ENV)
    return Path(os.path.expanduser(str(chosen))) if chosen else None


def cached(dataset: str, source: Source, root: Path) -> Artifact | None:
    """The source's file from the cache, if present and intact (a corrupt copy is deleted)."""
    if not source.cacheable:
        return None
    checksum = str(source.checksum)
    path = raw_path(root, dataset, checksum, source.filename)
    if not path.is_file():
        return None
    try:
        check(file_digests(path), source.checksum, f"cached {path}")
    except ChecksumError:
        log.warning("removing corrupt cache entry %s", path)
        shutil.rmtree(path.parent, ignore_errors=True)
        return None
    except OSError:  # removed under us (another process rebuilding it): a miss
        return None
    return Artifact(path, checksum, source.describe(), source.extract)


def _fetch_one(dataset: str, source: Source, root: Path, mirror: Path | None) -> Artifact:
    what = f"{dataset}: {source.describe()}"
    if not source.cacheable:
        path, digests = source.fetch(FetchContext(workdir=root / "tmp", mirror_dir=mirror))
        check(digests, source.checksum, what)
        return Artifact(path, str(source.checksum), source.describe(), source.extract)
    with scratch_dir(root, "fetch-") as work:
        path, digests = source.fetch(FetchContext(workdir=work, mirror_dir=mirror))
        check(digests, source.checksum, what, size=path.stat().st_size)
        final = raw_path(root, dataset, str(source.checksum), source.filename)
        staged = work / "staged"
        staged.mkdir()
        os.replace(path, staged / source.filename)
        publish(staged, final.parent)  # keeps a concurrent writer's verified copy
    return Artifact(final, str(source.checksum), source.describe(), source.extract)


def fetch(
    dataset: str,
    sources: Sequence[Source],
    root: Path,
    mirror_dir: str | os.PathLike | None = None,
) -> Artifact:
    """Return a verified artifact for ``dataset`` (see the module docstring for the order)."""
    if not sources:
        raise FetchError(f"dataset {dataset!r} declares no sources; add some to its config")
    for source in sources:
        hit = cached(dataset, source, root)
        if hit is not None:
            return hit
    mirror = resolve_mirror(mirror_dir)
    attempts: list[tuple[str, Exception]] = []
    for source in sources:
        try:
            log.info("%s: fetching from %s", dataset, source.describe())
            return _fetch_one(dataset, source, root, mirror)
        except (DataError, OSError) as err:
            log.info("%s: %s failed: %s", dataset, source.describe(), err)
            attempts.append((source.describe(), err))
    tried = "; ".join(f"{i}) {what}: {one_line(err)}" for i, (what, err) in enumerate(attempts, 1))
    message = f"dataset {dataset!r}: no source could provide the file; tried {tried}"
    raise FetchError(message, attempts)
