"""Run a suite: plan its jobs, skip those the results store holds, run the rest, report.

Example:
    >>> import io, tempfile
    >>> from bench.suite.config import load_config
    >>> config = load_config(["seeds=[0]", f"root_dir={tempfile.mkdtemp()}"])
    >>> out = io.StringIO()
    >>> outcome = run_suite(config, dry_run=True, out=out)  # list the jobs, run none
    >>> print(out.getvalue().splitlines()[0])  # doctest: +ELLIPSIS
    suite default: 8 runs (3 cells, 3 models, 1 seed), 0 in the results store, 8 to run ...
    >>> outcome.ran, len(outcome.jobs)
    (0, 8)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TextIO

from bench.suite.console import SuiteConsole
from bench.suite.launch import JobResult, execute
from bench.suite.plan import Job, completed_hashes, pending, plan_jobs, suite_dir
from bench.suite.spec import SuiteConfig


class SuiteInterrupted(KeyboardInterrupt):
    """The suite stopped early: Ctrl-C (which Lightning turns into ``SystemExit(1)``) or
    SIGTERM (the runner's ``SystemExit(143)``). ``code`` is the exit status to end with."""

    def __init__(self, finished: int, total: int, code: int) -> None:
        super().__init__(f"interrupted after {finished} of {total} runs")
        self.finished, self.total, self.code = finished, total, code


def _exit_code(stop: BaseException) -> int:
    """130 for Ctrl-C (also when Lightning turned it into ``SystemExit``), else the exit code."""
    if isinstance(stop, KeyboardInterrupt) or isinstance(stop.__context__, KeyboardInterrupt):
        return 130
    code = getattr(stop, "code", 1)
    return code if isinstance(code, int) and code else 1


@dataclass(frozen=True)
class SuiteOutcome:
    """What a suite run did: its jobs, how many were already done, ran, and which failed."""

    jobs: tuple[Job, ...]
    skipped: int
    ran: int
    failed: tuple[tuple[Job, JobResult], ...]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def describe(config: SuiteConfig, jobs: list[Job], todo: list[Job]) -> str:
    """The suite's header line: its size, what is done already and what will run."""
    suite = config.suite
    size = (
        f"{_plural(len(jobs), 'run')} ({_plural(len(suite.cells), 'cell')}, "
        f"{_plural(len({j.model for j in jobs}), 'model')}, {_plural(len(suite.seeds), 'seed')})"
    )
    return (
        f"suite {suite.name}: {size}, {len(jobs) - len(todo)} in the results store, "
        f"{len(todo)} to run (launcher {config.options.launcher})"
    )


def run_suite(
    config: SuiteConfig,
    *,
    dry_run: bool = False,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> SuiteOutcome:
    """Run every job of the suite that the results store does not hold (see the module docs).

    Prints the header line, then one status line per finished job (``out``, default stdout)
    under a progress bar (``err``, default stderr, terminals only). ``dry_run`` prints the
    header and each pending job's command instead of running it. An interrupt (Ctrl-C,
    SIGTERM) raises :class:`SuiteInterrupted`; finished runs stay in the store.
    """
    jobs = plan_jobs(config)
    todo = pending(jobs, completed_hashes(config.options.results_dir, config.suite.tag))
    console = SuiteConsole(0 if dry_run else len(todo), config.suite.name, out=out, err=err)
    console.write(describe(config, jobs, todo))
    if dry_run:
        for job in todo:
            console.write(f"  {job.command}")
        return SuiteOutcome(tuple(jobs), len(jobs) - len(todo), 0, ())
    by_key = {job.key: job for job in todo}
    sweep_dir = suite_dir(config) / datetime.now().strftime("%Y-%m-%d_%H-%M-%S-%f")
    failed: list[tuple[Job, JobResult]] = []
    try:
        with console.logging():
            for result in execute(todo, config, Path(sweep_dir), on_start=console.started):
                job = by_key[result.key]
                console.finished(job, result)
                if not result.ok:
                    failed.append((job, result))
    except (KeyboardInterrupt, SystemExit) as stop:
        raise SuiteInterrupted(console.done, len(todo), _exit_code(stop)) from stop
    finally:
        console.close()
    return SuiteOutcome(tuple(jobs), len(jobs) - len(todo), len(todo), tuple(failed))


def write_leaderboard(config: SuiteConfig, out: TextIO | None = None) -> dict[str, Path]:
    """Build the suite's leaderboard from the store (its runs: tag ``suite:<name>``), print it
    as Markdown and write it in every configured format; returns ``{format: path}``."""
    import sys

    from bench.report import build_report

    out = out if out is not None else sys.stdout
    suite, options = config.suite, config.options
    report = build_report(
        options.results_dir, tags=[suite.tag], baseline=suite.baseline, metrics=list(suite.metrics)
    )
    print(report.to_markdown(), file=out)
    paths = report.write(options.report_dir, formats=tuple(options.formats))
    for fmt, path in paths.items():
        print(f"{fmt:<5} {path}", file=out)
    return paths
