"""Result bundles: chosen runs of a store, exported with checksums, to compare against elsewhere.

A bundle is a results store of its own (one ``<run_id>/`` directory per run, holding the
run's ``record.json`` and ``per_user_<split>.parquet`` files byte for byte) plus a
``manifest.json`` naming the runs, when and by which RankBench version the bundle was made,
and the sha256 of every file. It is a directory, or a ``.tar.gz`` / ``.tgz`` archive of one.
Another repository's CI can then gate its runs against a baseline it never trained
(``python -m bench.compare --baseline baseline.tar.gz``).

:func:`export_bundle` writes a bundle atomically (into a temporary file or directory next to
the destination, renamed into place when complete), so a bundle is never half-written.
:func:`open_bundle` verifies every checksum, refuses missing, extra or altered files and
unreadable archives with one :class:`BundleError` line, and returns a read-only
:class:`BundleStore` (a :class:`~bench.results.ResultStore` that cannot be written).

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> import pandas as pd
    >>> from bench.results import ResultStore, RunRecord
    >>> store = ResultStore(tempfile.mkdtemp())
    >>> rec = RunRecord(run_id="r0", status="completed", config={"seed": 0}, seed=0,
    ...                 started_at="2024-01-01T00:00:00+00:00",
    ...                 ended_at="2024-01-01T00:00:01+00:00")
    >>> _ = store.write(rec, {"test": pd.DataFrame({"user": [1, 2], "ndcg@10": [0.5, 0.0]})})
    >>> dest = Path(tempfile.mkdtemp()) / "baseline.tar.gz"
    >>> export_bundle(store, ["r0"], dest) == dest
    True
    >>> with open_bundle(dest) as bundle:
    ...     bundle.run_ids(), bundle.read_per_user("r0")["ndcg@10"].tolist()
    (['r0'], [0.5, 0.0])
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.metadata
import io
import json
import os
import shutil
import tarfile
import tempfile
import time
import weakref
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import pandas as pd

from bench.results.jsonable import RecordError
from bench.results.provenance import utc_now
from bench.results.record import RunRecord, check_run_id
from bench.results.store import RECORD_FILE, ResultStore, per_user_file

MANIFEST = "manifest.json"
KIND = "rankbench-bundle"
FORMAT_VERSION = 1
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz")


class BundleError(ValueError):
    """A bundle that cannot be written or read; the message is one line naming the problem."""


@dataclass(frozen=True)
class Manifest:
    """What ``manifest.json`` says: the runs, provenance and the sha256 of every file."""

    run_ids: tuple[str, ...]
    created_at: str
    rankbench_version: str | None
    files: dict[str, str] = field(default_factory=dict)  # relative posix path -> sha256
    format_version: int = FORMAT_VERSION

    def to_json(self) -> str:
        """Pretty JSON text of the manifest (sorted keys)."""
        data = {
            "kind": KIND,
            "format_version": self.format_version,
            "run_ids": list(self.run_ids),
            "created_at": self.created_at,
            "rankbench_version": self.rankbench_version,
            "files": dict(sorted(self.files.items())),
        }
        return json.dumps(data, indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str, where: str) -> Manifest:
        """Parse and check manifest text; :class:`BundleError` naming ``where`` if invalid."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise BundleError(f"corrupt bundle {where}: {MANIFEST} is not JSON ({exc})") from None
        if not isinstance(data, dict) or data.get("kind") != KIND:
            raise BundleError(f"corrupt bundle {where}: {MANIFEST} is not a RankBench manifest")
        version = data.get("format_version")
        if not isinstance(version, int) or not 1 <= version <= FORMAT_VERSION:
            raise BundleError(
                f"bundle {where} has format_version {version!r}; this RankBench reads "
                f"1..{FORMAT_VERSION} (upgrade rankbench)"
            )
        run_ids, files = data.get("run_ids"), data.get("files")
        if not isinstance(run_ids, list) or not isinstance(files, dict):
            raise BundleError(f"corrupt bundle {where}: {MANIFEST} lacks run_ids or files")
        return cls(
            run_ids=tuple(str(r) for r in run_ids),
            created_at=str(data.get("created_at")),
            rankbench_version=data.get("rankbench_version"),
            files={str(k): str(v) for k, v in files.items()},
            format_version=version,
        )


class BundleStore(ResultStore):
    """A read-only :class:`~bench.results.ResultStore` over a verified bundle.

    ``source`` is the bundle as given (directory or archive), ``root`` the directory read (an
    archive's temporary extraction, removed by :meth:`close`, on leaving a ``with`` block or
    when the object is garbage-collected).
    """

    def __init__(self, root: Path, source: Path, manifest: Manifest, temporary: bool) -> None:
        super().__init__(root)
        self.source = source
        self.manifest = manifest
        self._cleanup = (
            weakref.finalize(self, shutil.rmtree, str(root), True) if temporary else None
        )

    def __repr__(self) -> str:
        return f"BundleStore({str(self.source)!r})"

    def __enter__(self) -> BundleStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Remove an archive's temporary extraction (nothing to do for a directory bundle)."""
        if self._cleanup is not None:
            self._cleanup()

    def write(self, record: RunRecord, per_user: Mapping[str, pd.DataFrame] | None = None) -> Path:
        """Refused: a bundle is read-only."""
        raise PermissionError(f"bundle {self.source} is read-only; write runs to a ResultStore")

    def clean_tmp(self, older_than_s: float = 3600.0) -> list[Path]:
        """Nothing to clean in a verified bundle."""
        return []


def is_archive(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` names a bundle archive (``.tar.gz`` / ``.tgz``).

    Example:
        >>> is_archive("baseline.tar.gz"), is_archive("results")
        (True, False)
    """
    return str(path).endswith(ARCHIVE_SUFFIXES)


def is_bundle(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is an existing bundle: an archive file, or a directory with a manifest.

    Example:
        >>> is_bundle("no-such-bundle.tar.gz"), is_bundle(".")
        (False, False)
    """
    path = Path(path)
    return (path.is_file() and is_archive(path)) or (path / MANIFEST).is_file()


def rankbench_version() -> str | None:
    """The installed RankBench version (``None`` when not installed as a distribution)."""
    try:
        return importlib.metadata.version("rankbench")
    except importlib.metadata.PackageNotFoundError:
        return None


def _bundle_files(store: ResultStore, run_ids: Iterable[str]) -> dict[str, Path]:
    """Relative posix path -> source file, for the record and per-user files of each run."""
    files: dict[str, Path] = {}
    for run_id in run_ids:
        record = store.read(run_id)  # FileNotFoundError / CorruptRecordError name the run
        run_dir = store.run_dir(run_id)
        files[f"{run_id}/{RECORD_FILE}"] = run_dir / RECORD_FILE
        for split in record.per_user_splits:
            path = run_dir / per_user_file(split)
            if not path.is_file():
                raise BundleError(
                    f"run {run_id}: per-user file {path} is missing (its record lists split "
                    f"{split!r}); re-run it or leave it out of the bundle"
                )
            files[f"{run_id}/{per_user_file(split)}"] = path
    return files


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _fsync_file(path: Path) -> None:
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


def export_bundle(
    store_or_root: ResultStore | str | os.PathLike[str],
    run_ids: Iterable[str],
    dest: str | os.PathLike[str],
    *,
    overwrite: bool = False,
) -> Path:
    """Write the chosen runs (records and per-user files) and a manifest to ``dest``.

    Args:
        store_or_root: The store, or its root directory.
        run_ids: Runs to include (each must exist and be a valid record).
        dest: A directory to create, or an archive path ending in ``.tar.gz`` / ``.tgz``.
        overwrite: Replace an existing ``dest`` (atomically for an archive); default refuse.

    Returns:
        ``dest`` as a :class:`~pathlib.Path`.

    Raises:
        BundleError: No runs, a duplicate run, an existing ``dest`` or a missing per-user file.
        FileNotFoundError: A run id that is not in the store.
        CorruptRecordError: A run whose record is invalid.

    Example:
        >>> import tempfile
        >>> export_bundle(tempfile.mkdtemp(), [], "x.tar.gz")
        Traceback (most recent call last):
        bench.results.bundle.BundleError: no runs to export: pass at least one run id
    """
    store = store_or_root if isinstance(store_or_root, ResultStore) else ResultStore(store_or_root)
    run_ids = [check_run_id(r) for r in run_ids]
    if not run_ids:
        raise BundleError("no runs to export: pass at least one run id")
    if len(set(run_ids)) != len(run_ids):
        raise BundleError(f"run ids listed more than once: {sorted(run_ids)}")
    dest = Path(dest)
    if os.path.lexists(dest) and not overwrite:
        raise BundleError(f"{dest} already exists; remove it or pass overwrite=True")
    files = _bundle_files(store, run_ids)
    contents = {name: path.read_bytes() for name, path in files.items()}
    manifest = Manifest(
        run_ids=tuple(run_ids),
        created_at=utc_now(),
        rankbench_version=rankbench_version(),
        files={name: _sha256(data) for name, data in contents.items()},
    )
    contents[MANIFEST] = manifest.to_json().encode()
    dest.parent.mkdir(parents=True, exist_ok=True)
    if is_archive(dest):
        _write_archive(contents, dest)
    else:
        _write_directory(contents, dest)
    return dest


def _write_archive(contents: Mapping[str, bytes], dest: Path) -> None:
    fd, tmp_name = tempfile.mkstemp(prefix=f".tmp-{dest.name}-", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            now = time.time()
            for name in [MANIFEST, *sorted(n for n in contents if n != MANIFEST)]:
                info = tarfile.TarInfo(name)
                info.size, info.mtime, info.mode = len(contents[name]), now, 0o644
                tar.addfile(info, io.BytesIO(contents[name]))
        _fsync_file(tmp)
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _write_directory(contents: Mapping[str, bytes], dest: Path) -> None:
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{dest.name}-", dir=dest.parent))
    old: Path | None = None
    try:
        for name, data in contents.items():
            path = tmp / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            _fsync_file(path)
        if os.path.lexists(dest):  # overwrite: move the old bundle aside first
            old = Path(tempfile.mkdtemp(prefix=f".old-{dest.name}-", dir=dest.parent))
            os.rename(dest, old / dest.name)
        os.rename(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None and not os.path.lexists(dest):
            os.rename(old / dest.name, dest)
        raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def open_bundle(path: str | os.PathLike[str]) -> BundleStore:
    """Verify a bundle (directory or archive) and return it as a read-only store.

    Raises:
        BundleError: A missing path, an unreadable or truncated archive, no or an invalid
            manifest, or a file that is missing, unlisted or whose checksum differs.

    Example:
        >>> open_bundle("missing.tar.gz")
        Traceback (most recent call last):
        bench.results.bundle.BundleError: bundle missing.tar.gz does not exist
    """
    source = Path(path)
    if not os.path.lexists(source):
        raise BundleError(f"bundle {source} does not exist")
    if source.is_dir():
        manifest = verify_bundle_dir(source, str(source))
        return BundleStore(source, source, manifest, temporary=False)
    root = Path(tempfile.mkdtemp(prefix="rankbench-bundle-"))
    try:
        _extract(source, root)
        manifest = verify_bundle_dir(root, str(source))
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    return BundleStore(root, source, manifest, temporary=True)


def _extract(archive: Path, into: Path) -> None:
    try:
        with gzip.open(archive, "rb") as stream:  # the whole stream: its CRC and length
            while stream.read(1 << 20):
                pass
        with tarfile.open(archive, mode="r:gz") as tar:
            members = tar.getmembers()
            bad = [m.name for m in members if not (m.isfile() or m.isdir())]
            if bad:
                raise BundleError(f"corrupt bundle {archive}: unexpected archive entries {bad}")
            tar.extractall(into, members=members, filter="data")
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise BundleError(
            f"corrupt bundle {archive}: cannot read the archive ({reason}); it may be "
            "truncated, export it again"
        ) from None


def _safe_relative(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return bool(parts) and not PurePosixPath(name).is_absolute() and ".." not in parts


def verify_bundle_dir(root: Path, where: str) -> Manifest:
    """Check a bundle directory against its manifest; return the manifest.

    Every listed file must exist with its sha256, no other file may be present, and every
    listed run must have a valid record.
    """
    manifest_path = root / MANIFEST
    if not manifest_path.is_file():
        raise BundleError(f"corrupt bundle {where}: no {MANIFEST} (not a RankBench bundle?)")
    manifest = Manifest.from_json(manifest_path.read_text(encoding="utf-8"), where)
    for name, digest in manifest.files.items():
        if not _safe_relative(name):
            raise BundleError(f"corrupt bundle {where}: unsafe path {name!r} in {MANIFEST}")
        path = root / name
        if not path.is_file():
            raise BundleError(f"corrupt bundle {where}: {name} is missing")
        if _sha256(path.read_bytes()) != digest:
            raise BundleError(f"corrupt bundle {where}: {name} does not match its sha256")
    present = {
        p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() or p.is_symlink()
    }
    unlisted = sorted(present - set(manifest.files) - {MANIFEST})
    if unlisted:
        raise BundleError(f"corrupt bundle {where}: files not in {MANIFEST}: {unlisted[:5]}")
    store = ResultStore(root)
    for run_id in manifest.run_ids:
        if f"{run_id}/{RECORD_FILE}" not in manifest.files:
            raise BundleError(f"corrupt bundle {where}: run {run_id} has no {RECORD_FILE}")
        try:
            store.read(run_id)
        except (RecordError, FileNotFoundError) as exc:
            raise BundleError(f"corrupt bundle {where}: {exc}") from None
    extra_runs = sorted(set(store.run_ids()) - set(manifest.run_ids))
    if extra_runs:
        raise BundleError(f"corrupt bundle {where}: runs not in {MANIFEST}: {extra_runs[:5]}")
    return manifest
