"""Write-once, crash-safe, multi-writer store of run records: one directory per run.

Layout::

    <root>/<run_id>/record.json               the RunRecord (JSON)
    <root>/<run_id>/per_user_<split>.parquet  per-user metric values: ``user`` + one column each
    <root>/.tmp-<run_id>-<random>/            a write in progress (or a killed writer's residue)

A run directory is built completely inside a ``.tmp-*`` directory in the root, every file is
fsynced, and the directory is then renamed into place (atomic on POSIX; it fails if the run
already exists). Readers see a whole run or nothing and skip hidden (``.*``) entries, so any
number of sweep workers may write into one root at once.

Example:
    >>> import tempfile
    >>> from bench.results.provenance import utc_now
    >>> store = ResultStore(tempfile.mkdtemp())
    >>> run_id = store.new_run_id()
    >>> rec = RunRecord(run_id=run_id, status="completed", config={"seed": 0},
    ...                 started_at=utc_now(), ended_at=utc_now())
    >>> per_user = {"test": pd.DataFrame({"user": [0, 1], "ndcg@10": [0.5, 1.0]})}
    >>> store.write(rec, per_user).name == run_id
    True
    >>> store.read(run_id).per_user_splits, store.run_ids() == [run_id]
    (('test',), True)
    >>> store.read_per_user(run_id, "test")["ndcg@10"].tolist()
    [0.5, 1.0]
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
import time
import uuid
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import pandas as pd

from bench.results.jsonable import RecordError
from bench.results.record import (
    RunRecord,
    check_metric_name,
    check_run_id,
    check_split_name,
)

RECORD_FILE = "record.json"
TMP_PREFIX = ".tmp-"
OnError = Literal["raise", "warn"]


class RunExistsError(FileExistsError):
    """The run id is already in the store (records are write-once)."""


class CorruptRecordError(RecordError):
    """A record file in the store cannot be read or fails validation."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        super().__init__(
            f"invalid run record {path}: {reason} (fix or delete that run directory, "
            "or load with on_error='warn' to skip it)"
        )


def new_run_id() -> str:
    """A fresh run id, unique across processes and machines: UTC time + 48 random bits.

    Example:
        >>> a, b = new_run_id(), new_run_id()
        >>> a != b and len(a) == 28
        True
    """
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:12]}"


def per_user_file(split: str) -> str:
    """File name of a split's per-user table."""
    return f"per_user_{check_split_name(split)}.parquet"


def check_per_user(frame: object, split: str) -> pd.DataFrame:
    """Validate a per-user table: unique integer ``user`` + numeric metric columns.

    Example:
        >>> check_per_user(pd.DataFrame({"user": [3], "ndcg@10": [0.2]}), "test").shape
        (1, 2)
    """
    where = f"per-user table for split {split!r}"
    if not isinstance(frame, pd.DataFrame):
        raise RecordError(f"{where} must be a pandas DataFrame, got {type(frame).__name__}")
    if "user" not in frame.columns:
        raise RecordError(f"{where} has no 'user' column (columns: {list(frame.columns)})")
    metrics = [c for c in frame.columns if c != "user"]
    if not metrics:
        raise RecordError(f"{where} has no metric columns besides 'user'")
    if not pd.api.types.is_integer_dtype(frame["user"]):
        raise RecordError(f"{where}: 'user' must be integer, got dtype {frame['user'].dtype}")
    if frame["user"].duplicated().any():
        dup = frame.loc[frame["user"].duplicated(), "user"].iloc[0]
        raise RecordError(f"{where}: user {dup} appears more than once; give one row per user")
    for column in metrics:
        check_metric_name(column)
        dtype = frame[column].dtype
        if not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
            raise RecordError(f"{where}: column {column!r} must be numeric, got dtype {dtype}")
    return frame.reset_index(drop=True)


def _fsync(path: Path) -> None:
    """Flush a file or directory to disk (directories: best effort where unsupported)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class ResultStore:
    """A directory of run records. See the module docstring for an example.

    Args:
        root: Directory holding one sub-directory per run; created on first write.
    """

    new_run_id = staticmethod(new_run_id)

    def __init__(self, root: str | os.PathLike[str] = "results") -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"ResultStore({str(self.root)!r})"

    def __contains__(self, run_id: object) -> bool:
        return isinstance(run_id, str) and os.path.lexists(self.root / run_id)

    def run_dir(self, run_id: str) -> Path:
        """Directory of a run (whether or not it exists)."""
        return self.root / check_run_id(run_id)

    def run_ids(self) -> list[str]:
        """Ids of all finished runs, sorted; in-progress ``.tmp-*`` and hidden entries skipped."""
        if not self.root.is_dir():
            return []
        return sorted(
            entry.name
            for entry in os.scandir(self.root)
            if not entry.name.startswith(".") and entry.is_dir()
        )

    def write(self, record: RunRecord, per_user: Mapping[str, pd.DataFrame] | None = None) -> Path:
        """Atomically create ``<root>/<run_id>/``; raise :class:`RunExistsError` if it exists.

        ``record.per_user_splits`` is set to the splits of ``per_user``. Returns the run directory.
        """
        tables = {split: check_per_user(f, split) for split, f in (per_user or {}).items()}
        record = replace(record, per_user_splits=tuple(sorted(tables)))
        target = self.run_dir(record.run_id)
        if os.path.lexists(target):
            raise self._exists(record.run_id)
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{record.run_id}-", dir=self.root))
        try:
            with open(tmp / RECORD_FILE, "x", encoding="utf-8") as handle:
                handle.write(record.to_json())
                handle.flush()
                os.fsync(handle.fileno())
            for split, table in tables.items():
                path = tmp / per_user_file(split)
                table.to_parquet(path, index=False)
                _fsync(path)
            _fsync(tmp)
            try:
                os.rename(tmp, target)  # fails on a non-empty existing target
            except OSError as exc:
                if exc.errno in (errno.EEXIST, errno.ENOTEMPTY, errno.ENOTDIR, errno.EISDIR):
                    raise self._exists(record.run_id) from None
                raise
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        _fsync(self.root)
        return target

    def read(self, run_id: str) -> RunRecord:
        """Load one record; :class:`CorruptRecordError` (naming the file) if it is invalid."""
        run_dir = self.run_dir(run_id)
        if not run_dir.is_dir():
            raise FileNotFoundError(f"no run {run_id!r} in {self.root} (see ResultStore.run_ids())")
        path = run_dir / RECORD_FILE
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CorruptRecordError(path, f"cannot read it ({exc})") from None
        try:
            record = RunRecord.from_json(text)
        except RecordError as exc:
            raise CorruptRecordError(path, str(exc)) from None
        if record.run_id != run_id:
            raise CorruptRecordError(path, f"run_id {record.run_id!r} != directory name")
        return record

    def records(self, on_error: OnError = "raise") -> Iterator[RunRecord]:
        """All records in run-id order; invalid ones raise, or warn and are skipped."""
        if on_error not in ("raise", "warn"):
            raise ValueError(f"on_error={on_error!r}: use 'raise' or 'warn'")
        for run_id in self.run_ids():
            try:
                yield self.read(run_id)
            except CorruptRecordError as exc:
                if on_error == "raise":
                    raise
                warnings.warn(str(exc), stacklevel=2)

    def read_per_user(self, run_id: str, split: str = "test") -> pd.DataFrame:
        """Per-user metric values of one run and split (``user`` + one column per metric)."""
        path = self.run_dir(run_id) / per_user_file(split)
        if not path.is_file():
            have = self.read(run_id).per_user_splits
            raise FileNotFoundError(
                f"run {run_id!r} has no per-user table for split {split!r} (it has: {list(have)})"
            )
        return pd.read_parquet(path)

    def clean_tmp(self, older_than_s: float = 3600.0) -> list[Path]:
        """Delete ``.tmp-*`` residue of killed writers older than ``older_than_s`` seconds."""
        if not self.root.is_dir():
            return []
        cutoff = time.time() - older_than_s
        removed = []
        for entry in self.root.glob(f"{TMP_PREFIX}*"):
            if entry.is_dir() and entry.stat().st_mtime < cutoff:
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(entry)
        return removed

    def _exists(self, run_id: str) -> RunExistsError:
        return RunExistsError(
            f"run {run_id!r} already exists in {self.root}: records are write-once; "
            "use a new run id (ResultStore.new_run_id())"
        )
