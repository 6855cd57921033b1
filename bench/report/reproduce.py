"""A leaderboard row's reproduce command: one command for all its seeds, checked against the code.

A row is one configuration (its ``variant_hash``) run with one or more seeds. Its command is a
run's recorded ``bench.train`` command with the seeds joined (``-m ... seed=0,1,2``) and the
``paths.*`` overrides left out (:func:`sweep_command`).

Defaults move: a model gains a key, an experiment changes a default. The command recorded when the
runs were made may then compose another configuration in today's code, and a reviewer who runs it
gets something else than the row shows. :func:`reproduction` therefore composes the command with
the configs in use (:mod:`bench.cli.compose`) and compares its hash with the row's:

- equal: the command stands as it is;
- different, or it no longer composes: the command is pinned to the newest commit the row's runs
  were made at, ``git checkout <commit> && python -m bench.train ...``, and a note says why.

Example:
    >>> sweep_command({0: "python -m bench.train model=ease seed=0", 1: None})
    'python -m bench.train -m model=ease seed=0,1'
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from bench.results import RunRecord

ENTRY = ["python", "-m", "bench.train"]
#: Overrides that place files on one machine: not part of a result, not part of a reproduce command.
_MACHINE_LOCAL = ("paths.", "+paths.")
_SWEEP_FLAGS = ("-m", "--multirun")


@dataclass(frozen=True)
class Reproduction:
    """The command a reader runs to recreate a row, and why it is pinned to a commit (if it is)."""

    command: str
    note: str | None = None


def sweep_command(commands: Mapping[int, str | None]) -> str:
    """One command that recreates every seed of a row (``-m ... seed=0,1,2``). Overrides of
    ``paths.*`` (where one machine keeps its files; not part of the result) are left out.

    Example:
        >>> sweep_command({3: "python -m bench.train model=pop paths.root_dir=/home/me/x"})
        'python -m bench.train model=pop seed=3'
    """
    seeds = sorted(commands)
    known = [c for c in (commands[s] for s in seeds) if c]
    if not known:
        return "(no command recorded)"
    rest = _train_overrides(known[0])
    if rest is None:
        return known[0]
    flag = ["-m"] if len(seeds) > 1 else []
    return shlex.join([*ENTRY, *flag, *rest, f"seed={','.join(map(str, seeds))}"])


def _train_overrides(command: str) -> list[str] | None:
    """A ``bench.train`` command's overrides without seed, paths and sweep flags (None: the
    command is not ``python -m bench.train``)."""
    tokens = shlex.split(command)
    if tokens[:3] != ENTRY:
        return None
    return [
        t
        for t in tokens[3:]
        if not t.startswith(("seed=", *_MACHINE_LOCAL)) and t not in _SWEEP_FLAGS
    ]


def composed_variant(command: str, seed: int) -> str:
    """The ``variant_hash`` a run of ``command`` (with ``seed``) gets from the configs in use.

    Raises :class:`bench.cli.compose.ComposeError` when the command does not compose (a key
    that no longer exists), ``ValueError`` when it is not a ``bench.train`` command.

    Example:
        >>> a = composed_variant("python -m bench.train model=ease model.l2=50 seed=0", 0)
        >>> a == composed_variant("python -m bench.train model=ease model.l2=50 seed=4", 4)
        True
        >>> a == composed_variant("python -m bench.train model=ease model.l2=60 seed=0", 0)
        False
    """
    from bench.cli.compose import compose_train, composed_hash, set_paths, train_configs

    overrides = _train_overrides(command)
    if overrides is None:
        raise ValueError(f"not a bench.train command: {command}")
    with train_configs():
        cfg = compose_train([*overrides, f"seed={seed}"])
    here = Path("reproduce-check").absolute()  # any folders: the hash leaves paths out
    set_paths(cfg, here, here / "results", here / "outputs")
    return composed_hash(cfg)


def reproduction(
    runs: Mapping[int, RunRecord], variant_hash: str, *, check: bool = True
) -> Reproduction:
    """The reproduce command of a row (seed -> its run), pinned to a commit when the command
    no longer composes ``variant_hash`` with the configs in use (``check=False`` skips that).
    """
    command = sweep_command({s: r.command for s, r in runs.items()})
    shown = next(((s, r) for s, r in sorted(runs.items()) if r.command), None)
    if not check or shown is None or _train_overrides(shown[1].command or "") is None:
        return Reproduction(command)
    seed, run = shown
    try:
        now = composed_variant(run.command or "", seed)
    except Exception as err:  # any failure to compose is the finding, not a crash of the report
        why = f"does not compose with the configs in use ({' '.join(str(err).split())})"
    else:
        if now == variant_hash:
            return Reproduction(command)
        why = f"composes another configuration with the configs in use ({now[:12]})"
    commit, dirty = _pin(runs.values())
    if commit is None:
        return Reproduction(
            command,
            f"the reproduce command {why}, and the runs recorded no git commit to go back to",
        )
    note = f"the reproduce command {why}: run it at commit {commit[:12]}, the code the runs used"
    if dirty:
        note += " (their tree had uncommitted changes: the commit is the nearest known code)"
    return Reproduction(f"git checkout {commit[:12]} && {command}", note)


def _pin(runs: Iterable[RunRecord]) -> tuple[str | None, bool]:
    """The newest commit the runs were made at, preferring clean trees; and whether it was dirty."""
    with_commit = sorted(
        (r for r in runs if r.git_commit), key=lambda r: (not r.git_dirty, r.started_at, r.run_id)
    )
    if not with_commit:
        return None, False
    newest = with_commit[-1]
    return newest.git_commit, bool(newest.git_dirty)
