"""Job planning: a suite's (cell, model, seed) jobs, their composed configs and which are done.

A job is the ``bench.train`` command ``logger=<logger> <cell overrides> <model overrides>
[threads=<threads>] seed=<seed> tags=[..., suite:<name>]``. Its identity is the
:func:`~bench.results.result_hash` of the resolved config that command composes (paths,
loggers and tags left out), exactly what the runner records as ``config_hash``; a job is done
when the results store holds a completed record with that hash and the suite's tag (the
leaderboard selects the suite's runs by that tag).

Example:
    >>> from bench.suite.config import load_config
    >>> config = load_config(["seeds=[0, 1]"])
    >>> jobs = plan_jobs(config)  # 3 ml-100k models x 2 cells + 2 RecBole ones, 2 seeds each
    >>> len(jobs), jobs[0].key, jobs[0].train_overrides[-2:]
    (16, 'ml100k_random-pop-seed0', ['seed=0', 'tags=[suite:default]'])
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, open_dict

from bench.cli.compose import ComposeError, compose_train, composed_hash, set_paths, train_configs
from bench.results import ResultStore, reproduce_command
from bench.suite.spec import CellSpec, ModelSpec, SuiteConfig, SuiteError


@dataclass(frozen=True)
class Job:
    """One run of a suite: a cell, a model and a seed, as ``bench.train`` overrides."""

    cell: str
    model: str
    seed: int
    label: str  # the cell as the console shows it ("ml-100k random_holdout")
    overrides: tuple[str, ...]  # everything but the tags
    tags: tuple[str, ...]  # the run's tags, ending with suite:<name>
    config_hash: str

    @property
    def key(self) -> str:
        """``<cell>-<model>-seed<seed>``: unique in a suite (the job's output directory)."""
        return f"{self.cell}-{self.model}-seed{self.seed}"

    @property
    def train_overrides(self) -> list[str]:
        """The overrides that compose this job's ``conf/train.yaml``."""
        return [*self.overrides, f"tags=[{','.join(self.tags)}]"]

    @property
    def command(self) -> str:
        """The ``python -m bench.train ...`` command that runs this job by itself."""
        return reproduce_command("bench.train", self.train_overrides)


def check_train_config(cfg: DictConfig, overrides: Iterable[str]) -> None:
    """Validate a composed job config as the runner will (a bad key or type: SuiteError)."""
    from bench.train.errors import is_user_error, one_line_error
    from bench.train.settings import load_settings

    try:
        load_settings(cfg)
    except Exception as err:
        if not is_user_error(err):
            raise
        raise SuiteError(f"{one_line_error(err)} (bench.train {shlex.join(overrides)})") from None


def cell_label(cfg: DictConfig) -> str:
    """``"<dataset> [<preprocess>] <split> [<eval>]"`` from a composed config's choices."""
    choices = cfg.hydra.runtime.choices
    parts = [str(cfg.dataset.get("name") or choices.get("dataset"))]
    if choices.get("preprocess") not in (None, "none"):
        parts.append(str(choices["preprocess"]))
    parts.append(str(choices.get("split")))
    if choices.get("eval") not in (None, "full"):
        parts.append(str(choices["eval"]))
    return " ".join(parts)


def _base_overrides(config: SuiteConfig, cell: CellSpec, model: ModelSpec) -> list[str]:
    options = config.options
    threads = [] if options.threads is None else [f"threads={options.threads}"]
    return [f"logger={options.logger}", *cell.overrides, *model.overrides, *threads]


def suite_dir(config: SuiteConfig) -> Path:
    """Where the suite's runs keep their Hydra directories: ``<root>/outputs/suites/<name>``."""
    return config.options.root_dir / "outputs" / "suites" / config.suite.name


def plan_jobs(config: SuiteConfig) -> list[Job]:
    """Every (cell, model, seed) job of the suite, in cell, model, seed order.

    ``conf/train.yaml`` is composed once per (cell, model); each seed's config is that one
    with ``seed`` set, as Hydra applies a ``seed=<n>`` override.
    """
    suite, options = config.suite, config.options
    plan_dir = suite_dir(config) / "plan"  # any output dir: hashes leave paths out
    jobs: list[Job] = []
    labels: dict[str, str] = {}
    with train_configs():
        for cell in suite.cells:
            for model in suite.models_in(cell):
                base = _base_overrides(config, cell, model)
                try:
                    cfg = compose_train([*base, f"seed={suite.seeds[0]}"])
                    labels.setdefault(cell.name, cell_label(cfg))
                    set_paths(cfg, options.root_dir, options.results_dir, plan_dir)
                    check_train_config(cfg, base)
                except (SuiteError, ComposeError) as err:
                    raise SuiteError(f"suite cell {cell.name}, model {model.name}: {err}") from None
                tags = tuple(dict.fromkeys([*map(str, cfg.tags), suite.tag]))
                for seed in suite.seeds:
                    cfg.seed = seed
                    jobs.append(
                        Job(cell.name, model.name, seed, labels[cell.name],
                            (*base, f"seed={seed}"), tags, composed_hash(cfg, with_seed=True))
                    )  # fmt: skip
    if len(set(labels.values())) < len(labels):  # two cells look alike: name them instead
        jobs = [Job(j.cell, j.model, j.seed, j.cell, j.overrides, j.tags, j.config_hash)
                for j in jobs]  # fmt: skip
    return jobs


def job_config(job: Job, config: SuiteConfig, sweep_dir: Path) -> DictConfig:
    """The job's composed config, ready for :func:`bench.train.runner.run`.

    Hydra's config is set as that of a multirun job (the suite is a sweep of ``bench.train``
    jobs: the run's group is the sweep's directory name and its console stays quiet), and its
    recorded command is the job's :attr:`Job.command`.
    """
    options = config.options
    with train_configs():
        cfg = compose_train(job.train_overrides)
    output_dir = sweep_dir / job.key
    with open_dict(cfg):
        cfg.hydra.mode = RunMode.MULTIRUN
        cfg.hydra.sweep.dir = str(sweep_dir)
        cfg.hydra.sweep.subdir = job.key
        cfg.hydra.runtime.output_dir = str(output_dir)
    HydraConfig.instance().set_config(cfg)
    set_paths(cfg, options.root_dir, options.results_dir, output_dir)
    return cfg


def completed_hashes(results_dir: Path, tag: str) -> set[str]:
    """``config_hash`` of every completed run tagged ``tag`` in the store.

    The tag matters because the suite's leaderboard selects its runs by it: a run of the same
    config made outside the suite (a plain ``bench.train``, another suite) would count as done
    and yet be missing from the report. Unreadable records are skipped with a warning.
    """
    if not results_dir.is_dir():
        return set()
    return {
        r.config_hash
        for r in ResultStore(results_dir).records(on_error="warn")
        if r.status == "completed" and tag in r.tags
    }


def pending(jobs: Iterable[Job], done: set[str]) -> list[Job]:
    """The jobs whose config the store does not hold as a completed run."""
    return [job for job in jobs if job.config_hash not in done]
