"""Job execution: one job in-process with the runner, and the launchers that run many.

:func:`run_job` composes the job's config and calls :func:`bench.train.runner.run` in this
process (Lightning's console chatter silenced with :func:`bench.train.console.quiet_console`);
a failing job returns a failed :class:`JobResult` with its one-line error (the runner has
written a ``failed`` record), an interrupt (``KeyboardInterrupt``, SIGTERM) propagates.
:func:`execute` runs jobs one after another (``launcher=local``), or calls :func:`run_job` in
worker processes (``joblib``: ``joblib.Parallel`` with loky processes; ``ray``: Ray tasks),
yielding results as jobs finish.

Example:
    >>> result = JobResult(key="c-pop-seed0", status="failed", error="boom")
    >>> result.ok, result.metric
    (False, None)
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from hydra.core.hydra_config import HydraConfig

from bench.suite.plan import Job, job_config
from bench.suite.spec import SuiteConfig


@dataclass(frozen=True)
class JobResult:
    """How one job ended: its run, the headline test value, the fit time, or its error."""

    key: str
    status: str  # "done" or "failed"
    run_id: str | None = None
    metric: str | None = None  # the headline metric's name ...
    value: float | None = None  # ... and its test value
    fit_seconds: float | None = None
    wall_seconds: float | None = None
    resumed: bool = False
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "done"


def headline(test: dict[str, float | None], metrics: Sequence[str], select: str | None) -> str:
    """The metric a status line shows: the suite's first metric the run has, else the run's
    selection metric, else its first one.

    Example:
        >>> headline({"recall@10": 0.2, "ndcg_binary@10": 0.3}, ["ndcg@10"], "ndcg_binary@10")
        'ndcg_binary@10'
    """
    for name in (*metrics, select):
        if name is not None and name in test:
            return name
    return next(iter(test), "")


def run_job(job: Job, config: SuiteConfig, sweep_dir: Path) -> JobResult:
    """Run one job in this process (see the module docstring)."""
    from bench.results import ResultStore
    from bench.train.console import quiet_console
    from bench.train.errors import one_line_error
    from bench.train.runner import run

    quiet_console()
    if config.options.logger != "none":
        os.environ.setdefault("WANDB_SILENT", "true")  # the suite prints its own lines
    start = time.perf_counter()
    try:
        outcome = run(job_config(job, config, sweep_dir))
    except Exception as err:
        return JobResult(job.key, "failed", error=one_line_error(err),
                         wall_seconds=time.perf_counter() - start)  # fmt: skip
    finally:
        HydraConfig.instance().cfg = None  # type: ignore[assignment]  # leave no job behind
    record = ResultStore(config.options.results_dir).read(outcome.run_id)
    test = record.metrics.get("test", {})
    name = headline(test, config.suite.metrics, record.extra.get("select"))
    return JobResult(
        job.key,
        "done",
        run_id=record.run_id,
        metric=name,
        value=test.get(name),
        fit_seconds=record.fit_seconds,
        wall_seconds=time.perf_counter() - start,
        resumed=outcome.resumed_from is not None,
    )


def execute(
    jobs: Sequence[Job],
    config: SuiteConfig,
    sweep_dir: Path,
    on_start: Callable[[Job], None] | None = None,
) -> Iterator[JobResult]:
    """Run ``jobs`` with the configured launcher; yield each result as its job finishes
    (``on_start`` is told of each job as it starts when they run one at a time)."""
    options = config.options
    if options.launcher == "local" or len(jobs) <= 1:
        for job in jobs:
            if on_start is not None:
                on_start(job)
            yield run_job(job, config, sweep_dir)
        return
    n_jobs = min(options.n_jobs, len(jobs))
    if options.launcher == "ray":
        yield from _ray_tasks(jobs, config, sweep_dir, n_jobs)
        return
    import joblib

    calls = (joblib.delayed(run_job)(job, config, sweep_dir) for job in jobs)
    parallel = joblib.Parallel(n_jobs=n_jobs, backend="loky", return_as="generator_unordered")
    yield from parallel(calls)


def _ray_tasks(
    jobs: Sequence[Job], config: SuiteConfig, sweep_dir: Path, n_jobs: int
) -> Iterator[JobResult]:
    """Run :func:`run_job` as Ray tasks, at most ``n_jobs`` at once, yielding as they finish.

    Ray tasks rather than Ray's joblib backend, which only returns the whole list at the end
    (no status line per finished run). A local Ray starts unless one is running or
    ``RAY_ADDRESS`` names a cluster.
    """
    import logging

    import ray

    if not ray.is_initialized():
        ray.init(include_dashboard=False, logging_level=logging.WARNING)
    task = ray.remote(num_cpus=config.options.threads or 1)(run_job)
    waiting = list(jobs)
    running: list = []
    while waiting or running:
        while waiting and len(running) < n_jobs:
            running.append(task.remote(waiting.pop(0), config, sweep_dir))
        finished, running = ray.wait(running, num_returns=1)
        yield ray.get(finished[0])
