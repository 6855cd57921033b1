"""Capture where a run came from: code version, packages, hardware, time and memory.

Every helper here degrades gracefully: a missing git, a directory that is not a repository, an
uninstalled package or an absent GPU gives ``None`` rather than an error, because a run must be
recordable anywhere.

Example:
    >>> with Timer() as t:
    ...     _ = sum(range(1000))
    >>> t.seconds >= 0.0
    True
    >>> package_versions(["surely-not-installed-pkg"])
    {'surely-not-installed-pkg': None}
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import shlex
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

#: Distributions whose versions every run record carries (``importlib.metadata`` names).
DEFAULT_PACKAGES: tuple[str, ...] = (
    "torch",
    "pytorch-lightning",
    "torchmetrics",
    "datasets",
    "hydra-core",
    "wandb",
    "numpy",
    "pandas",
    "rankbench",
)

_CODE_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class GitInfo:
    """Commit and dirty flag of a repository; both ``None`` outside a git repository."""

    commit: str | None
    dirty: bool | None


@dataclass(frozen=True)
class Hardware:
    """The machine a run ran on.

    Example:
        >>> Hardware(platform="Linux", machine="x86_64", node="n1", cpu_count=2,
        ...          ram_bytes=2**30, gpu=None, gpu_count=0).gpu_count
        0
    """

    platform: str
    machine: str
    node: str
    cpu_count: int | None
    ram_bytes: int | None
    gpu: str | None
    gpu_count: int


def git_info(path: str | os.PathLike[str] | None = None) -> GitInfo:
    """Commit and dirty flag of the repository holding ``path`` (default: this code's checkout).

    Dirty means tracked files differ from the commit (untracked files are ignored, as in
    ``git describe --dirty``). Not a repository, no ``git`` binary or any git error gives
    ``GitInfo(None, None)``. ``GIT_OPTIONAL_LOCKS=0`` keeps concurrent workers from fighting
    over ``index.lock``.

    Example:
        >>> import tempfile
        >>> git_info(tempfile.gettempdir())
        GitInfo(commit=None, dirty=None)
    """
    where = str(path if path is not None else _CODE_DIR)
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", "-C", where, *args],
                capture_output=True,
                text=True,
                timeout=30,
                env=env,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout if done.returncode == 0 else None

    commit = git("rev-parse", "--verify", "HEAD")
    if commit is None:
        return GitInfo(None, None)
    status = git("status", "--porcelain", "--untracked-files=no")
    return GitInfo(commit.strip(), None if status is None else bool(status.strip()))


def package_versions(names: Iterable[str] = DEFAULT_PACKAGES) -> dict[str, str | None]:
    """Installed version of each distribution (``None`` when it is not installed).

    Example:
        >>> package_versions(["pandas"])["pandas"] is not None
        True
    """
    versions: dict[str, str | None] = {}
    for name in names:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def _ram_bytes() -> int | None:
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return None


def _cuda() -> Any | None:
    """``torch.cuda`` when torch is installed and a CUDA device is usable, else ``None``."""
    try:
        import torch
    except ImportError:
        return None
    return torch.cuda if torch.cuda.is_available() else None


def hardware_info() -> Hardware:
    """Platform, CPU count, RAM and GPU (name of device 0 via ``torch.cuda``, if any).

    Example:
        >>> hardware_info().cpu_count >= 1
        True
    """
    cuda = _cuda()
    return Hardware(
        platform=platform.platform(),
        machine=platform.machine(),
        node=platform.node(),
        cpu_count=os.cpu_count(),
        ram_bytes=_ram_bytes(),
        gpu=cuda.get_device_name(0) if cuda is not None else None,
        gpu_count=cuda.device_count() if cuda is not None else 0,
    )


def peak_rss_bytes() -> int | None:
    """Peak resident set size of this process since :func:`reset_peak_rss` (else its lifetime
    high-water mark), in bytes.

    On Linux this reads ``VmHWM`` from ``/proc/self/status``, which :func:`reset_peak_rss`
    resets, so several runs in one process (a suite, a multirun) each get their own peak.
    Elsewhere ``getrusage``'s lifetime peak is used.

    Example:
        >>> peak_rss_bytes() > 0
        True
    """
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        import resource
    except ImportError:  # not on POSIX
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak) * (1 if sys.platform == "darwin" else 1024)  # Linux reports KiB


def reset_peak_rss() -> bool:
    """Start a new peak-RSS measurement (Linux: ``echo 5 > /proc/self/clear_refs``).

    Returns whether the reset worked (it needs Linux >= 4.0; elsewhere the peak stays the
    process's lifetime peak).

    Example:
        >>> isinstance(reset_peak_rss(), bool)
        True
    """
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def reset_cuda_peak() -> None:
    """Restart the CUDA peak-memory counter, if CUDA is initialised in this process."""
    cuda = _cuda()
    if cuda is not None and cuda.is_initialized():
        cuda.reset_peak_memory_stats()


def peak_cuda_bytes() -> int | None:
    """``torch.cuda.max_memory_allocated()`` of the current device; ``None`` if CUDA is unused.

    Example:
        >>> peak_cuda_bytes() is None or peak_cuda_bytes() >= 0
        True
    """
    cuda = _cuda()
    if cuda is None or not cuda.is_initialized():
        return None
    return int(cuda.max_memory_allocated())


def count_parameters(module: Any) -> int:
    """Number of scalar parameters of a ``torch.nn.Module`` (anything with ``.parameters()``).

    Example:
        >>> import torch
        >>> count_parameters(torch.nn.Linear(3, 2))
        8
    """
    return int(sum(p.numel() for p in module.parameters()))


def utc_now() -> str:
    """Current time as an ISO 8601 UTC string with milliseconds.

    Example:
        >>> utc_now().endswith("+00:00")
        True
    """
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def reproduce_command(entry: str, overrides: Sequence[str] = ()) -> str:
    """Shell command that re-runs a Hydra entry point with the given overrides.

    Example:
        >>> reproduce_command("bench.cli.train", ["model=ease", "model.l2=0.5", "tags=[a b]"])
        "python -m bench.cli.train model=ease model.l2=0.5 'tags=[a b]'"
    """
    return shlex.join(["python", "-m", entry, *overrides])


def command_line(argv: Sequence[str] | None = None) -> str:
    """This process's command line (default ``sys.argv``) as one shell-quoted string.

    Example:
        >>> command_line(["train.py", "model=pop"])
        'python train.py model=pop'
    """
    return shlex.join(["python", *(sys.argv if argv is None else argv)])


class Timer:
    """Wall-clock timer (``time.perf_counter``); ``seconds`` is set even if the block raises.

    Example:
        >>> with Timer() as t:
        ...     pass
        >>> isinstance(t.seconds, float)
        True
    """

    def __init__(self) -> None:
        self.seconds: float | None = None
        self._start = 0.0

    def __enter__(self) -> Timer:
        self._start = time.perf_counter()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.seconds = time.perf_counter() - self._start
