"""A suite's typed configuration: what to run (:class:`Suite`) and how (:class:`Options`).

:func:`bench.suite.config.load_config` builds a :class:`SuiteConfig` from ``conf/suite.yaml``,
the suite file and the command line; every problem is a :class:`SuiteError` whose message is one
line naming the key.

Example:
    >>> pop = ModelSpec("pop", ("model=pop",))
    >>> cell = CellSpec("ml100k", ("dataset=ml-100k",))
    >>> suite = Suite("mine", "", (cell,), (pop,), seeds=(0, 1), baseline="pop",
    ...               metrics=("ndcg@10",))
    >>> suite.tag, [m.name for m in suite.models_in(cell)]
    ('suite:mine', ['pop'])
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bench.paths import conf_dir

CONF_DIR = conf_dir()
#: What a suite file says: what to run and how to report it.
SUITE_KEYS: tuple[str, ...] = ("name", "description", "cells", "models", "seeds", "baseline",
                               "metrics")  # fmt: skip
#: How to run it (``conf/suite.yaml``); a suite file may pin these too (not ``suite``).
OPTION_KEYS: tuple[str, ...] = ("suite", "launcher", "n_jobs", "threads", "logger", "root_dir",
                                "results_dir", "report", "report_dir", "formats")  # fmt: skip
LAUNCHERS: tuple[str, ...] = ("local", "joblib", "ray")
FORMATS: tuple[str, ...] = ("md", "html", "csv", "json")
#: Keys of a run that the suite sets itself (per job), never a cell or a model.
RESERVED: tuple[str, ...] = ("seed", "tags", "threads", "logger")


class SuiteError(ValueError):
    """A suite's configuration is invalid; the message is one line naming the key."""


@dataclass(frozen=True)
class ModelSpec:
    """A model with its tuned hyperparameters, as ``bench.train`` overrides."""

    name: str
    overrides: tuple[str, ...]


@dataclass(frozen=True)
class CellSpec:
    """Data + preprocessing + split + evaluation protocol, as ``bench.train`` overrides.

    ``models`` (if set) replaces the suite's models in this cell: hyperparameters are tuned per
    dataset, and an ``experiment=...`` pins a protocol and a model at once.
    """

    name: str
    overrides: tuple[str, ...]
    models: tuple[ModelSpec, ...] | None = None


@dataclass(frozen=True)
class Suite:
    """What to run: cells x models x seeds, and how to report it."""

    name: str
    description: str
    cells: tuple[CellSpec, ...]
    models: tuple[ModelSpec, ...]
    seeds: tuple[int, ...]
    baseline: str
    metrics: tuple[str, ...]

    @property
    def tag(self) -> str:
        """The tag every run of this suite carries (``suite:<name>``)."""
        return f"suite:{self.name}"

    def models_in(self, cell: CellSpec) -> tuple[ModelSpec, ...]:
        """The models run in ``cell``: its own list, else the suite's."""
        return cell.models if cell.models is not None else self.models


@dataclass(frozen=True)
class Options:
    """How to run a suite (``conf/suite.yaml``)."""

    launcher: str
    n_jobs: int
    threads: int | None
    logger: str
    root_dir: Path
    results_dir: Path
    report: bool
    report_dir: Path
    formats: tuple[str, ...]


@dataclass(frozen=True)
class SuiteConfig:
    """A validated suite and its run options."""

    suite: Suite
    options: Options
