"""Per-run checkpoint directories: derived from the config hash and seed, locked, resumable.

The same command (same config, same seed) always maps to the same directory, so an
interrupted run started again finds its ``last.ckpt`` and resumes. A finished run leaves a
``COMPLETE`` marker; starting the same command after that trains afresh (old checkpoints are
removed). A process holds an exclusive ``flock`` on ``.lock`` while it runs (released by the
kernel when it dies, even by SIGKILL); a second concurrent run of the same command therefore
gets a private directory instead of clobbering the first one's checkpoints.

Example:
    >>> import tempfile
    >>> ckpt = CheckpointDir.acquire(tempfile.mkdtemp(), "0123456789abcdef0123", seed=3)
    >>> ckpt.path.name, ckpt.resume_path()
    ('0123456789abcdef-seed3', None)
    >>> ckpt.mark_complete("run-1"); ckpt.is_complete()
    True
    >>> ckpt.release()
"""

from __future__ import annotations

import fcntl
import json
import os
import time
import uuid
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from omegaconf import DictConfig, OmegaConf
from pytorch_lightning.utilities import rank_zero_only

from bench.results.jsonable import result_hash

#: Set by rank 0 for the processes Lightning's DDP launcher starts (same checkpoint, resume).
ENV_CKPT_DIR = "RANKBENCH_CKPT_DIR"
ENV_RESUME = "RANKBENCH_RESUME_FROM"
LOCK_FILE = ".lock"
LAST = "last.ckpt"
COMPLETE = "COMPLETE"


@dataclass
class CheckpointDir:
    """A run's checkpoint directory (see the module docstring)."""

    path: Path
    locked: bool
    _lock: IO[str] | None = None

    @classmethod
    def acquire(
        cls, root: str | os.PathLike[str], config_key: str, seed: int, *, lock: bool = True
    ) -> CheckpointDir:
        """The directory of ``(config_key, seed)`` under ``root``, locked if ``lock``.

        If another live process holds the lock, a private sibling directory is used instead
        (that run cannot resume, but it leaves the other's checkpoints alone).
        """
        base = Path(root).expanduser() / f"{config_key[:16]}-seed{seed}"
        if not lock:
            base.mkdir(parents=True, exist_ok=True)
            return cls(base, locked=False)
        for path in (base, base.with_name(f"{base.name}-{uuid.uuid4().hex[:8]}")):
            path.mkdir(parents=True, exist_ok=True)
            handle = open(path / LOCK_FILE, "a")  # noqa: SIM115 - held for the run's lifetime
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            return cls(path, locked=True, _lock=handle)
        raise RuntimeError(f"could not lock a checkpoint directory under {base.parent}")

    def is_complete(self) -> bool:
        """A previous run of this command finished."""
        return (self.path / COMPLETE).exists()

    def resume_path(self) -> Path | None:
        """``last.ckpt`` of an unfinished earlier run, else ``None``."""
        last = self.path / LAST
        return last if last.exists() and not self.is_complete() else None

    def start_fresh(self) -> None:
        """Remove checkpoints and the marker of a finished earlier run of this command."""
        for item in self.path.iterdir():
            if item.suffix == ".ckpt" or item.name == COMPLETE:
                item.unlink()

    def mark_complete(self, run_id: str) -> None:
        """Write the ``COMPLETE`` marker (atomically) naming the run that finished."""
        tmp = self.path / f".{COMPLETE}.{os.getpid()}"
        tmp.write_text(json.dumps({"run_id": run_id}) + "\n")
        os.replace(tmp, self.path / COMPLETE)

    def release(self) -> None:
        """Drop the lock (also happens when the process exits)."""
        if self._lock is not None:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None


def run_key(cfg: DictConfig) -> str:
    """Hash of the result-relevant config (:func:`bench.results.jsonable.result_hash`): the
    same key as the run record's ``config_hash``."""
    return result_hash(OmegaConf.to_container(cfg, resolve=True))


def checkpoint_dir_for(cfg: DictConfig, seed: int) -> CheckpointDir:
    """This process's checkpoint directory: rank 0 locks it; DDP children inherit it."""
    inherited = os.environ.get(ENV_CKPT_DIR)
    if rank_zero_only.rank != 0 and inherited:
        return CheckpointDir(Path(inherited), locked=False)
    root = Path(str(cfg.paths.checkpoint_dir))
    ckpt = CheckpointDir.acquire(root, run_key(cfg), seed, lock=rank_zero_only.rank == 0)
    if rank_zero_only.rank == 0:
        os.environ[ENV_CKPT_DIR] = str(ckpt.path)
    return ckpt


def decide_resume(ckpt: CheckpointDir, *, allowed: bool) -> Path | None:
    """``last.ckpt`` to resume from (rank 0 decides; DDP children inherit the decision).

    A fresh start (nothing to resume, or resuming not ``allowed``) clears old checkpoints.
    """
    if rank_zero_only.rank != 0:
        inherited = os.environ.get(ENV_RESUME)
        return Path(inherited) if inherited else None
    resume = ckpt.resume_path() if allowed else None
    if resume is not None and not checkpoint_is_readable(resume):
        aside = resume.with_name(f"{resume.name}.corrupt-{time.strftime('%Y%m%dT%H%M%S')}")
        resume.rename(aside)
        warnings.warn(
            f"checkpoint {resume} is corrupt or truncated (not a complete torch archive); moved "
            f"it to {aside.name} and starting this run afresh",
            stacklevel=2,
        )
        resume = None
    if resume is None:
        ckpt.start_fresh()
    os.environ[ENV_RESUME] = "" if resume is None else str(resume)
    return resume


def checkpoint_is_readable(path: Path) -> bool:
    """Whether ``path`` is a complete torch checkpoint: a zip archive whose every member's CRC
    checks (a truncated or overwritten file fails), without unpickling anything.

    Example:
        >>> import tempfile, torch
        >>> path = Path(tempfile.mkdtemp()) / "last.ckpt"
        >>> torch.save({"epoch": 3}, path)
        >>> checkpoint_is_readable(path)
        True
        >>> _ = path.write_bytes(path.read_bytes()[:100])
        >>> checkpoint_is_readable(path)
        False
    """
    try:
        with zipfile.ZipFile(path) as archive:
            return archive.testzip() is None
    except (OSError, zipfile.BadZipFile, EOFError, ValueError):
        return False


def forget_inherited() -> None:
    """Drop the variables for DDP children (a multirun's next job must not inherit them)."""
    if rank_zero_only.rank == 0:
        os.environ.pop(ENV_CKPT_DIR, None)
        os.environ.pop(ENV_RESUME, None)
