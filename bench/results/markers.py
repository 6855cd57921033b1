""" "Running" markers: a run that dies without a record (SIGKILL, out of memory, a lost machine)
still shows up, as ``interrupted``.

When a run starts, :class:`~bench.results.RunRecorder` writes
``<root>/.running/<run_id>.json`` (atomically: temp file, then rename) naming the run, its
process and host, and its ``config_hash`` (configuration and seed, as its record will have it,
so a report can tell that an interrupted run was later resumed to completion); when the run's
record is written the marker is removed. A marker without a record is therefore a run that is
still going (its process is alive on this host) or one that was interrupted. Readers of the
store (``bench.results.load``, reports, the listing) show both.

Example:
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> marker = RunMarker.now("r1", model="ease", dataset="ml-100k", seed=0)
    >>> _ = write_marker(root, marker)
    >>> [(m.run_id, marker_state(m)) for m in read_markers(root)]
    [('r1', 'running')]
    >>> remove_marker(root, "r1"); read_markers(root)
    []
"""

from __future__ import annotations

import json
import os
import socket
import tempfile
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bench.results.provenance import utc_now

MARKER_DIR = ".running"
#: What an interrupted run's row says instead of an error message.
INTERRUPTED = (
    "interrupted: the run stopped without writing its record (killed by SIGKILL, out of "
    "memory, or a lost machine); run the same command again to resume from its last checkpoint"
)


@dataclass(frozen=True)
class RunMarker:
    """What is known about a run when it starts."""

    run_id: str
    pid: int
    host: str
    started_at: str
    model: str | None = None
    dataset: str | None = None
    split: str | None = None
    seed: int | None = None
    group: str | None = None
    tags: tuple[str, ...] = field(default_factory=tuple)
    command: str | None = None
    #: The run's ``config_hash`` (as its record will have it), so that a report can tell that an
    #: interrupted run was later resumed to completion. Markers written before it was added
    #: have none.
    config_hash: str | None = None

    @classmethod
    def now(cls, run_id: str, **fields: object) -> RunMarker:
        """A marker for a run starting now in this process."""
        return cls(run_id, os.getpid(), socket.gethostname(), utc_now(), **fields)  # type: ignore[arg-type]


def marker_path(root: str | os.PathLike[str], run_id: str) -> Path:
    return Path(root) / MARKER_DIR / f"{run_id}.json"


def write_marker(root: str | os.PathLike[str], marker: RunMarker) -> Path:
    """Write the marker atomically; returns its path."""
    path = marker_path(root, marker.run_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{marker.run_id}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({**asdict(marker), "tags": list(marker.tags)}, handle, sort_keys=True)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def remove_marker(root: str | os.PathLike[str], run_id: str) -> None:
    """Remove a run's marker (its record is written)."""
    marker_path(root, run_id).unlink(missing_ok=True)


def read_markers(root: str | os.PathLike[str]) -> list[RunMarker]:
    """Every marker in the store (an unreadable one is skipped with a warning naming it)."""
    folder = Path(root) / MARKER_DIR
    if not folder.is_dir():
        return []
    markers = []
    for path in sorted(folder.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            data["tags"] = tuple(data.get("tags") or ())
            markers.append(RunMarker(**data))
        except (OSError, ValueError, TypeError) as err:
            warnings.warn(f"unreadable run marker {path} ({err}); delete it", stacklevel=2)
    return markers


def marker_state(marker: RunMarker) -> str:
    """``"running"`` if the marker's process is alive on this host, else ``"interrupted"``."""
    if marker.host != socket.gethostname():
        return "running"  # another machine's run: cannot tell, assume it goes on
    try:
        os.kill(marker.pid, 0)
    except ProcessLookupError:
        return "interrupted"
    except PermissionError:
        return "running"
    return "running"
